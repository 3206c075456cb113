//! Issue #17's case: a `write_all` of 16 MiB abandoned by a timeout while the peer does not
//! read, then `write(b"Z")`. The write must report 1 (not the abandoned call's length), and
//! the peer must read a prefix of the 16 MiB followed by exactly `Z`; a later `write_all`
//! works. Checked through `StreamIo` over a stream of one's own, and on `TcpStream`'s own
//! traits.
#![cfg(all(feature = "net", feature = "tokio-io"))]

use std::time::Duration;

use anyio::net::{create_tcp_listener, TcpStream};
use anyio::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use anyio::streams::compat::StreamIo;
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
};
use anyio::{move_on_after, task_group, SpawnError};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A stream of one's own with async methods only, over an anyio TCP stream.
#[derive(Debug)]
struct MyOwnStream(TcpStream);

impl TypedAttributeProvider for MyOwnStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.0.provide_attributes(request);
    }
}

impl AsyncResource for MyOwnStream {
    async fn aclose(&self) {
        self.0.aclose().await;
    }
}

impl ByteReceiveStream for MyOwnStream {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.0.receive_into(buf).await
    }
}

impl ByteSendStream for MyOwnStream {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.0.send_all(data).await
    }
}

impl ByteStream for MyOwnStream {
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.0.send_eof().await
    }
}

/// A connected pair: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let client = TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
    let server = listener.accept().await.unwrap();
    (client, server)
}

const SIXTEEN_MIB: usize = 16 << 20;

fn pattern(len: usize) -> Vec<u8> {
    // Never `Z` nor a letter of "hello", so the tail is unambiguous.
    (0..len).map(|i| (i % 251) as u8 & 0x3f).collect()
}

/// Runs the sequence on `io`, with `peer` reading only after the timeout.
async fn check_abandoned_write_is_not_credited<W, R>(mut io: W, mut peer: R)
where
    W: AsyncWrite + Unpin + Send + 'static,
    R: AsyncRead + Unpin + Send + 'static,
{
    let big = pattern(SIXTEEN_MIB);
    let timed_out = move_on_after(Duration::from_millis(50), io.write_all(&big)).await;
    assert!(
        timed_out.is_none(),
        "the peer does not read: 16 MiB cannot all go"
    );
    task_group(|tg| async move {
        tg.start_soon(async move {
            let mut received = Vec::new();
            peer.read_to_end(&mut received).await.unwrap();
            let prefix = received.len() - b"Zhello".len();
            assert!(prefix < SIXTEEN_MIB);
            assert!(
                received[..prefix] == pattern(prefix)[..],
                "a prefix of the 16 MiB"
            );
            assert_eq!(&received[prefix..], b"Zhello");
        })?;
        assert_eq!(io.write(b"Z").await.unwrap(), 1);
        io.write_all(b"hello").await.unwrap();
        io.close().await.unwrap();
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn abandoned_write_all_is_not_credited_to_a_later_write_through_stream_io() {
    let (client, server) = tcp_pair().await;
    check_abandoned_write_is_not_credited(
        StreamIo::new(MyOwnStream(client)),
        StreamIo::new(MyOwnStream(server)),
    )
    .await;
}

#[anyio::test]
async fn abandoned_write_all_is_not_credited_to_a_later_write_on_tcp() {
    let (client, server) = tcp_pair().await;
    check_abandoned_write_is_not_credited(client, server).await;
}

/// The same through tokio's traits, whose `write_all` panicked (`mid > len`) on the old
/// adapter's over-long count.
#[anyio::test]
async fn abandoned_tokio_write_all_leaves_a_working_stream() {
    use tokio::io::{AsyncReadExt as TokioRead, AsyncWriteExt as TokioWrite};
    let (client, server) = tcp_pair().await;
    let (mut io, mut peer) = (
        StreamIo::new(MyOwnStream(client)),
        StreamIo::new(MyOwnStream(server)),
    );
    let big = pattern(SIXTEEN_MIB);
    let timed_out = move_on_after(
        Duration::from_millis(50),
        TokioWrite::write_all(&mut io, &big),
    )
    .await;
    assert!(timed_out.is_none());
    task_group(|tg| async move {
        tg.start_soon(async move {
            let mut received = Vec::new();
            TokioRead::read_to_end(&mut peer, &mut received)
                .await
                .unwrap();
            assert!(received.ends_with(b"Zhello"));
            let prefix = received.len() - 6;
            assert!(received[..prefix] == pattern(prefix)[..]);
        })?;
        assert_eq!(TokioWrite::write(&mut io, b"Z").await.unwrap(), 1);
        TokioWrite::write_all(&mut io, b"hello").await.unwrap();
        TokioWrite::shutdown(&mut io).await.unwrap();
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}
