//! Codec libraries over anyio TCP through the ecosystem's I/O traits, on every backend:
//! `tokio_util::codec::Framed` through `tokio::io`, and `futures::io::BufReader::lines`
//! through `futures_io`.
#![cfg(all(feature = "net", feature = "tokio-io"))]

use anyio::net::{create_tcp_listener, TcpStream};
use anyio::streams::compat::StreamIo;
use anyio::streams::Listener;
use anyio::{task_group, SpawnError};
use futures::{AsyncBufReadExt, AsyncWriteExt, SinkExt, StreamExt, TryStreamExt};
use tokio_util::bytes::Bytes;
use tokio_util::codec::{Framed, LengthDelimitedCodec, LinesCodec};

/// A connected pair: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let client = TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
    let server = listener.accept().await.unwrap();
    (client, server)
}

#[anyio::test]
async fn framed_lines_codec_exchanges_lines_over_tcp() {
    let (client, server) = tcp_pair().await;
    task_group(|tg| async move {
        // The server answers each line in upper case until the client ends.
        tg.start_soon(async move {
            let mut server = Framed::new(server, LinesCodec::new());
            while let Some(line) = server.next().await {
                server.send(line.unwrap().to_uppercase()).await.unwrap();
            }
        })?;
        let mut client = Framed::new(client, LinesCodec::new());
        for line in ["hello", "", "a longer line with spaces"] {
            client.send(line).await.unwrap();
            let answer = client.next().await.unwrap().unwrap();
            assert_eq!(answer, line.to_uppercase());
        }
        // Closing the sink shuts the writing side: the server's stream ends.
        SinkExt::<&str>::close(&mut client).await.unwrap();
        assert!(client.next().await.is_none());
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn framed_length_delimited_frames_survive_large_payloads() {
    let (client, server) = tcp_pair().await;
    let payloads: Vec<Vec<u8>> = [0usize, 1, 1000, 300_000]
        .iter()
        .map(|&len| (0..len).map(|i| (i % 253) as u8).collect())
        .collect();
    let expected = payloads.clone();
    task_group(|tg| async move {
        tg.start_soon(async move {
            let server = Framed::new(server, LengthDelimitedCodec::new());
            let frames: Vec<_> = server
                .map_ok(|frame| frame.to_vec())
                .try_collect()
                .await
                .unwrap();
            assert_eq!(frames, expected);
        })?;
        let mut client = Framed::new(client, LengthDelimitedCodec::new());
        for payload in payloads {
            client.send(Bytes::from(payload)).await.unwrap();
        }
        SinkExt::<Bytes>::close(&mut client).await.unwrap();
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn futures_buf_reader_reads_lines_over_tcp() {
    let (client, server) = tcp_pair().await;
    task_group(|tg| async move {
        tg.start_soon(async move {
            let mut server = server;
            server.write_all(b"first\nsecond\r\n\nlast").await.unwrap();
            server.close().await.unwrap();
        })?;
        let lines: Vec<String> = futures::io::BufReader::new(client)
            .lines()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(lines, ["first", "second", "", "last"]);
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

/// A stream of one's own (here a memory stream, which has async methods only) under the same
/// codec through `StreamIo`.
#[anyio::test]
async fn framed_lines_codec_over_stream_io() {
    let (a, b) = anyio::testing::memory_stream_pair();
    let (a, b) = (StreamIo::new(a), StreamIo::new(b));
    task_group(|tg| async move {
        tg.start_soon(async move {
            let mut b = Framed::new(b, LinesCodec::new());
            while let Some(line) = b.next().await {
                b.send(format!("<{}>", line.unwrap())).await.unwrap();
            }
        })?;
        let mut a = Framed::new(a, LinesCodec::new());
        for line in ["one", "two"] {
            a.send(line).await.unwrap();
            assert_eq!(a.next().await.unwrap().unwrap(), format!("<{line}>"));
        }
        SinkExt::<&str>::close(&mut a).await.unwrap();
        assert!(a.next().await.is_none());
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}
