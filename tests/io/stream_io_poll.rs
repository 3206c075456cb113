//! The poll core of the compat adapters (`StreamIo`, `FuturesIoStream`, `TokioIoStream`):
//! cancellation points that take nothing, closes that wake blocked polls, and `StreamIo`'s
//! buffered state shared by its I/O traits and its anyio methods.
#![cfg(feature = "tokio-io")]

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::streams::attributes::TypedAttributeProvider;
use anyio::streams::compat::{FuturesIoStream, StreamIo, TokioIoStream};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, PollByteReceive, PollByteSend,
    StreamError,
};
use anyio::testing::memory_stream_pair;
use anyio::{move_on_after, CancelScope};
use futures::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// A stream that receives what it sent, sending a byte at a time with a pause before each:
/// data accepted by `StreamIo` only arrives while something polls the send.
#[derive(Debug, Default)]
struct Loopback(Mutex<std::collections::VecDeque<u8>>);

impl TypedAttributeProvider for Loopback {}

impl AsyncResource for Loopback {
    async fn aclose(&self) {}
}

impl ByteReceiveStream for Loopback {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        loop {
            {
                let mut queue = self.0.lock().unwrap();
                if !queue.is_empty() {
                    let n = buf.len().min(queue.len());
                    for (slot, byte) in buf.iter_mut().zip(queue.drain(..n)) {
                        *slot = byte;
                    }
                    return Ok(n);
                }
            }
            anyio::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl ByteSendStream for Loopback {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        for &byte in data {
            anyio::sleep(Duration::from_millis(1)).await;
            self.0.lock().unwrap().push_back(byte);
        }
        Ok(())
    }
}

impl ByteStream for Loopback {
    async fn send_eof(&self) -> Result<(), StreamError> {
        Ok(())
    }
}

#[anyio::test(autojump)]
async fn reads_drive_an_accepted_write_so_a_request_needs_no_flush() {
    let mut io = StreamIo::new(Loopback::default());
    io.write_all(b"request").await.unwrap();
    assert!(
        io.get_ref().0.lock().unwrap().len() < b"request".len(),
        "the write was accepted before it was sent"
    );
    let mut answer = [0; 7];
    let read = move_on_after(Duration::from_secs(60), io.read_exact(&mut answer)).await;
    read.expect("reading sends the accepted request").unwrap();
    assert_eq!(&answer, b"request");
}

#[anyio::test]
async fn stream_io_calls_in_a_cancelled_scope_take_nothing() {
    let (a, b) = memory_stream_pair();
    let mut io = StreamIo::new(a);
    b.send_all(b"ready").await.unwrap();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let mut buf = [0; 16];
    let read = scope.run(poll_fn(|cx| io.poll_receive_into(cx, &mut buf)));
    assert!(read.await.is_none());
    assert_eq!(io.receive(64).await.unwrap(), b"ready", "nothing was taken");
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(io.write(b"never")).await.is_none());
    io.close().await.unwrap();
    assert!(matches!(b.receive(64).await, Err(StreamError::EndOfStream)));
}

#[anyio::test]
async fn stream_io_anyio_methods_and_reads_share_the_buffer() {
    let (a, b) = memory_stream_pair();
    let mut io = StreamIo::new(a);
    b.send_all(b"hello world").await.unwrap();
    let mut head = [0; 5];
    io.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"hello");
    assert_eq!(io.buffered(), b" world");
    assert_eq!(io.receive(64).await.unwrap(), b" world");
    io.write_all(b"via io, ").await.unwrap();
    io.send_all(b"then send_all").await.unwrap();
    io.send_eof().await.unwrap();
    let mut received = Vec::new();
    while let Ok(bytes) = b.receive(64).await {
        received.extend(bytes);
    }
    assert_eq!(received, b"via io, then send_all");
    assert!(io.write(b"late").await.is_err(), "writing after the end");
}

#[anyio::test]
async fn futures_io_stream_poll_calls_in_a_cancelled_scope_take_nothing() {
    let stream = FuturesIoStream::new(futures::io::Cursor::new(b"data".to_vec()));
    let scope = CancelScope::new();
    scope.handle().cancel();
    let mut buf = [0; 16];
    let read = scope.run(poll_fn(|cx| stream.poll_receive_into(cx, &mut buf)));
    assert!(read.await.is_none());
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope
        .run(poll_fn(|cx| stream.poll_send(cx, b"never")))
        .await
        .is_none());
    assert_eq!(
        stream.receive(64).await.unwrap(),
        b"data",
        "nothing was taken"
    );
    let cursor = stream.into_inner().unwrap();
    assert_eq!(cursor.into_inner(), b"data", "nothing was written");
}

#[anyio::test]
async fn tokio_io_stream_send_eof_is_once_and_then_sends_fail() {
    let stream = TokioIoStream::new(std::io::Cursor::new(Vec::new()));
    assert_eq!(poll_fn(|cx| stream.poll_send(cx, b"ab")).await.unwrap(), 2);
    poll_fn(|cx| stream.poll_send_eof(cx)).await.unwrap();
    poll_fn(|cx| stream.poll_send_eof(cx)).await.unwrap();
    assert!(matches!(
        poll_fn(|cx| stream.poll_send(cx, b"c")).await,
        Err(StreamError::ClosedResource)
    ));
    assert!(matches!(
        stream.send_all(b"c").await,
        Err(StreamError::ClosedResource)
    ));
}

#[anyio::test]
async fn futures_io_stream_close_wakes_a_blocked_poll_receive() {
    let (a, _b) = memory_stream_pair();
    let stream = Arc::new(FuturesIoStream::new(StreamIo::new(a)));
    common::check_aclose_wakes(&stream, |stream| async move {
        let mut buf = [0; 4];
        poll_fn(|cx| stream.poll_receive_into(cx, &mut buf)).await
    })
    .await;
}

/// A writer waiting in `flush` and a reader driving the same send from another task: the
/// send wakes both, so neither loses its wake-up to the other.
#[anyio::test(autojump)]
async fn a_flushing_writer_and_a_reader_driving_the_same_send_both_wake() {
    let io = Arc::new(StreamIo::new(Loopback::default()));
    let finished = move_on_after(
        Duration::from_secs(60),
        anyio::task_group(|tg| {
            let io = io.clone();
            async move {
                let reader = io.clone();
                tg.start_soon(async move {
                    let mut answer = [0; 10];
                    (&*reader).read_exact(&mut answer).await.unwrap();
                    assert_eq!(&answer, b"0123456789");
                })?;
                let mut writer = &*io;
                writer.write_all(b"0123456789").await.unwrap();
                writer.flush().await.unwrap();
                Ok::<_, anyio::SpawnError>(())
            }
        }),
    )
    .await;
    finished.expect("both tasks finish").unwrap();
}

#[anyio::test]
async fn futures_io_stream_after_close_every_poll_is_closed_resource() {
    let stream = FuturesIoStream::new(futures::io::Cursor::new(Vec::new()));
    stream.aclose().await;
    let mut buf = [0; 4];
    for result in [
        poll_fn(|cx| stream.poll_receive_into(cx, &mut buf))
            .await
            .map(drop),
        poll_fn(|cx| stream.poll_send(cx, b"x")).await.map(drop),
        poll_fn(|cx| stream.poll_flush(cx)).await,
        poll_fn(|cx| stream.poll_send_eof(cx)).await,
    ] {
        assert!(
            matches!(result, Err(StreamError::ClosedResource)),
            "{result:?}"
        );
    }
}
