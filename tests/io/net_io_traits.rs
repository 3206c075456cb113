//! The ecosystem's I/O traits on anyio's sockets, from their poll core: `futures_io` and
//! `tokio::io` round trips over TCP and Unix streams, one task reading while another writes
//! through shared references, end of stream, and poll calls as cancellation points.
#![cfg(all(feature = "net", feature = "tokio-io"))]

use crate::common;

use std::future::poll_fn;
use std::task::Poll;

use anyio::net::{connect_unix, create_tcp_listener, create_unix_listener, TcpStream};
use anyio::streams::{
    ByteReceiveStream, ByteSendStream, Listener, PollByteReceive, PollByteSend, StreamError,
};
use anyio::{task_group, CancelScope, SpawnError};
use common::TempDir;
use futures::{poll, AsyncReadExt, AsyncWriteExt};

/// A connected pair: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let client = TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
    let server = listener.accept().await.unwrap();
    (client, server)
}

/// 1 MiB that does not repeat with any short period, so a doubled or lost chunk shows.
fn payload() -> Vec<u8> {
    (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// Echoes `server` to itself with `futures::io::copy` (reading and writing through shared
/// references), then ends its sending.
async fn futures_echo<S>(server: &S)
where
    for<'a> &'a S: futures::AsyncRead + futures::AsyncWrite + Unpin,
{
    let mut writer = server;
    let copied = futures::io::copy(server, &mut writer).await.unwrap();
    assert_eq!(copied, 1 << 20);
    writer.close().await.unwrap();
}

#[anyio::test]
async fn tcp_echo_through_futures_io_traits() {
    let (mut client, server) = tcp_pair().await;
    let data = payload();
    task_group(|tg| async move {
        tg.start_soon(async move { futures_echo(&server).await })?;
        let mut reader = &client;
        let (sent, echoed) = futures::join!(
            async {
                (&client).write_all(&data).await.unwrap();
                (&client).close().await.unwrap();
            },
            async {
                let mut echoed = Vec::new();
                reader.read_to_end(&mut echoed).await.unwrap();
                echoed
            }
        );
        let () = sent;
        assert!(echoed == data, "the echo differs from what was sent");
        // After the end of stream a read is 0 again, and our own end refuses writes.
        assert_eq!(client.read(&mut [0; 8]).await.unwrap(), 0);
        let refused = client.write(b"late").await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::NotConnected);
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn tcp_echo_through_tokio_io_traits() {
    use tokio::io::{AsyncReadExt as TokioRead, AsyncWriteExt as TokioWrite};
    let (client, server) = tcp_pair().await;
    let data = payload();
    task_group(|tg| async move {
        tg.start_soon(async move {
            let (mut reader, mut writer) = (&server, &server);
            tokio::io::copy(&mut reader, &mut writer).await.unwrap();
            TokioWrite::shutdown(&mut writer).await.unwrap();
        })?;
        let (mut reader, mut writer) = (&client, &client);
        let (_, echoed) = futures::join!(
            async {
                TokioWrite::write_all(&mut writer, &data).await.unwrap();
                TokioWrite::shutdown(&mut writer).await.unwrap();
            },
            async {
                let mut echoed = Vec::new();
                TokioRead::read_to_end(&mut reader, &mut echoed)
                    .await
                    .unwrap();
                echoed
            }
        );
        assert!(echoed == data, "the echo differs from what was sent");
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn unix_echo_through_futures_io_traits() {
    let dir = TempDir::new();
    let path = dir.join("echo.sock");
    let listener = create_unix_listener(&path).await.unwrap();
    let client = connect_unix(&path).await.unwrap();
    let server = listener.accept().await.unwrap();
    let data = payload();
    task_group(|tg| async move {
        tg.start_soon(async move { futures_echo(&server).await })?;
        let (_, echoed) = futures::join!(
            async {
                (&client).write_all(&data).await.unwrap();
                (&client).close().await.unwrap();
            },
            async {
                let mut echoed = Vec::new();
                (&client).read_to_end(&mut echoed).await.unwrap();
                echoed
            }
        );
        assert!(echoed == data, "the echo differs from what was sent");
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_poll_in_a_cancelled_scope_takes_nothing() {
    let (client, server) = tcp_pair().await;
    client.send_all(b"abc").await.unwrap();
    // Make sure the bytes have arrived, so a receive would complete at once.
    let mut first = [0; 1];
    assert_eq!(server.receive_into(&mut first).await.unwrap(), 1);
    let scope = CancelScope::new();
    scope.handle().cancel();
    let outcome = scope
        .run(async {
            let mut buf = [0; 8];
            let receive = poll!(poll_fn(|cx| server.poll_receive_into(cx, &mut buf)));
            let send = poll!(poll_fn(|cx| server.poll_send(cx, b"xyz")));
            let eof = poll!(poll_fn(|cx| server.poll_send_eof(cx)));
            assert!(receive.is_pending() && send.is_pending() && eof.is_pending());
            anyio::sleep_forever().await;
        })
        .await;
    assert_eq!(outcome, None, "the scope caught its cancellation");
    // Nothing was taken, sent or shut down.
    assert_eq!(server.receive(8).await.unwrap(), b"bc");
    server.send_all(b"still open").await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"still open");
}

#[anyio::test]
async fn poll_receive_reports_the_end_and_rejects_an_empty_buffer() {
    let (client, server) = tcp_pair().await;
    poll_fn(|cx| client.poll_send_eof(cx)).await.unwrap();
    // Ending twice is not an error.
    poll_fn(|cx| client.poll_send_eof(cx)).await.unwrap();
    let mut buf = [0; 4];
    let end = poll_fn(|cx| server.poll_receive_into(cx, &mut buf)).await;
    assert!(matches!(end, Err(StreamError::EndOfStream)));
    let empty = poll_fn(|cx| server.poll_receive_into(cx, &mut [])).await;
    assert!(matches!(
        empty,
        Err(StreamError::InvalidMaxBytes { max_bytes: 0 })
    ));
    let sent = poll_fn(|cx| client.poll_send(cx, b"after the end")).await;
    assert!(matches!(sent, Err(StreamError::ClosedResource)));
    // An empty write through the traits is 0 bytes, not an error, while the stream is open.
    assert_eq!((&server).write(b"").await.unwrap(), 0);
}

#[anyio::test]
async fn a_write_reports_exactly_the_prefix_it_accepted() {
    let (client, server) = tcp_pair().await;
    // Fill the socket buffers so a write can only be partial or pending.
    let big = vec![7u8; 8 << 20];
    let mut accepted = 0;
    loop {
        match poll!(poll_fn(|cx| client.poll_send(cx, &big))) {
            Poll::Ready(Ok(n)) => {
                accepted += n;
                if n < big.len() {
                    break;
                }
            }
            Poll::Ready(Err(error)) => panic!("send failed: {error}"),
            Poll::Pending => break,
        }
    }
    // A one-byte write after an abandoned big one is one byte, whenever it completes.
    task_group(|tg| async move {
        tg.start_soon(async move {
            let mut drained = 0usize;
            let mut buf = vec![0; 1 << 16];
            loop {
                let n = server.receive_into(&mut buf).await.unwrap();
                drained += n;
                if buf[..n].contains(&b'Z') {
                    assert_eq!(buf[n - 1], b'Z', "Z came last");
                    assert!(buf[..n - 1].iter().all(|&byte| byte == 7));
                    break;
                }
            }
            assert_eq!(drained, accepted + 1, "every accepted byte, then Z, once");
        })?;
        assert_eq!((&client).write(b"Z").await.unwrap(), 1);
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}
