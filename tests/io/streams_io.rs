//! The poll core and the ecosystem's I/O traits on the in-memory byte streams and the stapled
//! and buffered wrappers, on every backend.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use anyio::streams::{
    AsyncResource, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream,
    PollByteReceive, PollByteSend, StapledByteStream, StreamError,
};
use anyio::testing::{lockstep_stream_pair, memory_stream_pair, MemoryByteStream};
use anyio::CancelScope;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// A seeded xorshift generator: the same sizes on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Polls `future` once with a no-op waker.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls up to twice: a poll may be `Pending` once when the thread's cooperative budget
/// forces a yield (taking nothing), never twice in a row.
fn poll_twice<T>(mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let mut cx = Context::from_waker(Waker::noop());
    match poll(&mut cx) {
        Poll::Pending => poll(&mut cx),
        ready => ready,
    }
}

/// Polls `future` until it is ready, allowing one forced yield.
fn poll_ready<F: Future + Unpin>(future: &mut F) -> F::Output {
    match poll_twice(|cx| std::pin::Pin::new(&mut *future).poll(cx)) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("not ready after a forced yield"),
    }
}

/// Asserts that `future` waits (polled twice, so it registered itself even if the first
/// poll was a forced yield).
fn assert_waits<F: Future + Unpin>(future: &mut F) {
    assert!(poll_twice(|cx| std::pin::Pin::new(&mut *future).poll(cx)).is_pending());
}

fn pairs() -> [(&'static str, (MemoryByteStream, MemoryByteStream)); 2] {
    [
        ("unbuffered", memory_stream_pair()),
        ("lockstep", lockstep_stream_pair()),
    ]
}

#[anyio::test]
async fn memory_pairs_round_trip_random_sizes_through_futures_io() {
    for (kind, (mut a, mut b)) in pairs() {
        let data = payload(100_000);
        let mut rng = Rng(0x5eed);
        let mut read_sizes = Rng(0xfeed);
        let write = async {
            let mut rest = &data[..];
            while !rest.is_empty() {
                let n = (1 + rng.below(5000)).min(rest.len());
                a.write_all(&rest[..n]).await.unwrap();
                rest = &rest[n..];
            }
            a.close().await.unwrap();
        };
        let read = async {
            let mut received = Vec::new();
            let mut buf = vec![0; 6000];
            loop {
                let size = 1 + read_sizes.below(buf.len());
                match b.read(&mut buf[..size]).await.unwrap() {
                    0 => return received,
                    n => received.extend_from_slice(&buf[..n]),
                }
            }
        };
        let ((), received) = futures::join!(write, read);
        assert!(received == data, "{kind}: the bytes came through in order");
    }
}

#[cfg(feature = "tokio-io")]
#[anyio::test]
async fn memory_pairs_round_trip_random_sizes_through_tokio_io() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for (kind, (a, b)) in pairs() {
        let data = payload(100_000);
        let mut rng = Rng(0xabcd);
        let write = async {
            // Through a shared reference: the stream itself stays usable.
            let mut writer = &a;
            let mut rest = &data[..];
            while !rest.is_empty() {
                let n = (1 + rng.below(5000)).min(rest.len());
                AsyncWriteExt::write_all(&mut writer, &rest[..n])
                    .await
                    .unwrap();
                rest = &rest[n..];
            }
            AsyncWriteExt::shutdown(&mut writer).await.unwrap();
        };
        let read = async {
            let mut received = Vec::new();
            AsyncReadExt::read_to_end(&mut &b, &mut received)
                .await
                .unwrap();
            received
        };
        let ((), received) = futures::join!(write, read);
        assert!(received == data, "{kind}: the bytes came through in order");
        assert!(matches!(
            a.send_all(b"x").await,
            Err(StreamError::ClosedResource)
        ));
    }
}

/// The bug this guards against: an abandoned `write_all` left its bytes in flight, and a
/// later 1-byte `write` returned the abandoned write's count.
#[anyio::test]
async fn a_write_after_an_abandoned_write_all_accepts_only_its_own_bytes() {
    // Lockstep: a receive with room for 4 takes the first bytes, then the write waits.
    let (a, b) = lockstep_stream_pair();
    let mut buf = [0; 4];
    let mut first_read = Box::pin(b.receive_into(&mut buf));
    assert_waits(&mut first_read);
    let mut writer = &a;
    let mut abandoned = writer.write_all(b"abcdefgh");
    assert_waits(&mut abandoned);
    drop(abandoned);
    assert_eq!(poll_ready(&mut first_read).unwrap(), 4);
    drop(first_read);
    assert_eq!(&buf, b"abcd");
    let mut write = pin!(async { (&a).write(b"Z").await });
    let mut buf = [0; 16];
    let mut second_read = Box::pin(b.receive_into(&mut buf));
    assert_waits(&mut second_read);
    assert_eq!(poll_ready(&mut write).unwrap(), 1);
    assert_eq!(poll_ready(&mut second_read).unwrap(), 1);
    drop(second_read);
    assert_eq!(
        &buf[..1],
        b"Z",
        "exactly the new write, nothing of the abandoned one"
    );

    // Unbuffered: the whole write is accepted at once, then exactly the new byte.
    let (a, b) = memory_stream_pair();
    let big = payload(1 << 20);
    let abandoned = futures::FutureExt::now_or_never((&a).write_all(&big));
    assert!(matches!(abandoned, Some(Ok(()))));
    assert_eq!((&a).write(b"Z").await.unwrap(), 1);
    a.send_eof().await.unwrap();
    let mut received = Vec::new();
    (&b).read_to_end(&mut received).await.unwrap();
    assert_eq!(received.len(), big.len() + 1);
    assert!(received[..big.len()] == big[..] && received[big.len()..] == *b"Z");
}

/// Stress: writes abandoned after a random number of polls, with a reader taking random
/// amounts; what the reader sees is always a prefix of each write, then exactly the next.
#[anyio::test]
async fn abandoned_lockstep_writes_deliver_a_prefix_then_exactly_the_next_write() {
    let (a, b) = lockstep_stream_pair();
    let mut rng = Rng(42);
    for round in 0..200 {
        let data = payload(1 + rng.below(64));
        let mut expected = Vec::new();
        let mut received = Vec::new();
        let mut buf = [0; 64];
        {
            let mut writer = &a;
            let mut write = writer.write_all(&data);
            for _ in 0..rng.below(4) {
                let size = 1 + rng.below(16);
                let taken = {
                    let mut read = pin!(b.receive_into(&mut buf[..size]));
                    assert_waits(&mut read);
                    let _ = poll_once(&mut write);
                    poll_twice(|cx| read.as_mut().poll(cx))
                };
                if let Poll::Ready(n) = taken {
                    received.extend_from_slice(&buf[..n.unwrap()]);
                }
            }
        }
        expected.extend_from_slice(&data[..received.len()]);
        assert_eq!(received, expected, "round {round}: a prefix of the write");
        let mut read = Box::pin(b.receive_into(&mut buf));
        assert_waits(&mut read);
        assert_eq!(poll_ready(&mut (&a).write(b"Z")).unwrap(), 1);
        assert_eq!(poll_ready(&mut read).unwrap(), 1);
        drop(read);
        assert_eq!(buf[0], b'Z', "round {round}: then exactly the next write");
    }
}

#[anyio::test]
async fn a_lockstep_poll_send_waits_for_a_receive_and_hands_over_at_most_its_room() {
    let (a, b) = lockstep_stream_pair();
    assert!(
        poll_twice(|cx| a.poll_send(cx, b"hello")).is_pending(),
        "nobody receives"
    );
    let mut buf = [0; 3];
    assert!(poll_twice(|cx| b.poll_receive_into(cx, &mut buf)).is_pending());
    assert!(matches!(
        poll_twice(|cx| a.poll_send(cx, b"hello")),
        Poll::Ready(Ok(3))
    ));
    assert!(
        poll_twice(|cx| a.poll_send(cx, b"lo")).is_pending(),
        "handed over once per waiting receive"
    );
    assert!(matches!(
        poll_twice(|cx| b.poll_receive_into(cx, &mut buf)),
        Poll::Ready(Ok(3))
    ));
    assert_eq!(&buf, b"hel");
}

/// Each poll call in a cancelled scope is `Pending` and takes nothing.
#[anyio::test]
async fn poll_calls_in_a_cancelled_scope_are_pending_and_take_nothing() {
    for (kind, (a, b)) in pairs() {
        let (c, d) = memory_stream_pair();
        c.send_all(b"for the stapled stream").await.unwrap();
        let stapled = StapledByteStream::new(a, d);
        let buffered = BufferedByteReceiveStream::new(b);
        buffered.feed_data(b"buffered");
        let scope = CancelScope::new();
        scope.handle().cancel();
        let pending = scope
            .run(async {
                let mut cx = Context::from_waker(Waker::noop());
                let mut buf = [0; 64];
                [
                    stapled.poll_receive_into(&mut cx, &mut buf).is_pending(),
                    buffered.poll_receive_into(&mut cx, &mut buf).is_pending(),
                    stapled.poll_send(&mut cx, b"not sent").is_pending(),
                    stapled.poll_send_eof(&mut cx).is_pending(),
                ]
            })
            .await;
        assert_eq!(pending, Some([true; 4]), "{kind}");
        // Nothing was taken, sent or ended.
        assert_eq!(
            stapled.receive(64).await.unwrap(),
            b"for the stapled stream"
        );
        assert_eq!(buffered.receive_exactly(8).await.unwrap(), b"buffered");
        let (a, _d) = stapled.into_inner();
        let mut buf = [0; 64];
        let mut read = pin!(buffered.receive_into(&mut buf));
        assert_waits(&mut read);
        let mut send = pin!(a.send_all(b"later"));
        // Unbuffered, the send completes at once; lockstep, once the bytes are received.
        let sent = poll_twice(|cx| send.as_mut().poll(cx));
        assert_eq!(poll_ready(&mut read).unwrap(), 5, "{kind}: not ended");
        match sent {
            Poll::Ready(sent) => sent.unwrap(),
            Poll::Pending => poll_ready(&mut send).unwrap(),
        }
    }
}

#[anyio::test]
async fn stapled_streams_read_and_write_through_the_io_traits() {
    let (a, b) = memory_stream_pair();
    let (c, d) = memory_stream_pair();
    let mut stapled = StapledByteStream::new(a, d);
    stapled.write_all(b"out").await.unwrap();
    stapled.flush().await.unwrap();
    assert_eq!(b.receive(8).await.unwrap(), b"out");
    c.send_all(b"in").await.unwrap();
    c.send_eof().await.unwrap();
    let mut text = String::new();
    (&stapled).read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "in");
    // Closing ends the send half only.
    stapled.close().await.unwrap();
    assert!(matches!(b.receive(8).await, Err(StreamError::EndOfStream)));
    b.send_all(b"still open").await.unwrap();
    stapled.aclose().await;
}

#[cfg(feature = "tokio-io")]
#[anyio::test]
async fn stapled_and_buffered_streams_work_through_tokio_io() {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _};
    let (a, b) = memory_stream_pair();
    let (c, d) = memory_stream_pair();
    let mut stapled = StapledByteStream::new(a, BufferedByteReceiveStream::new(d));
    tokio::io::AsyncWriteExt::write_all(&mut stapled, b"out")
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut stapled)
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut &b, &mut out)
        .await
        .unwrap();
    assert_eq!(out, b"out");
    c.send_all(b"one\ntwo").await.unwrap();
    c.send_eof().await.unwrap();
    let mut reader = tokio::io::BufReader::new(&stapled);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "one\n");
    let mut rest = String::new();
    reader.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "two");
}

#[anyio::test]
async fn buffered_async_buf_read_shares_the_buffer_with_receive_until_and_exactly() {
    let (a, b) = memory_stream_pair();
    a.send_all(b"line one\nkey=value;1234rest").await.unwrap();
    a.send_eof().await.unwrap();
    let mut reader = BufferedByteReceiveStream::new(b);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "line one\n");
    assert_eq!(
        reader.buffer(),
        b"key=value;1234rest",
        "the rest stays buffered"
    );
    assert_eq!(reader.receive_until(b"=", 64).await.unwrap(), b"key");
    let filled = reader.fill_buf().await.unwrap();
    assert_eq!(filled, b"value;1234rest");
    reader.consume_unpin(6);
    assert_eq!(reader.receive_exactly(4).await.unwrap(), b"1234");
    let mut buf = [0; 2];
    reader.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"re");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"st");
    assert!(reader.fill_buf().await.unwrap().is_empty(), "end of stream");
}

#[anyio::test]
async fn a_buffered_poll_receive_while_receive_until_waits_is_busy() {
    let (a, b) = memory_stream_pair();
    a.send_all(b"partial").await.unwrap();
    let reader = BufferedByteReceiveStream::new(b);
    let mut line = pin!(reader.receive_until(b"\n", 64));
    assert_waits(&mut line);
    let mut buf = [0; 8];
    assert!(matches!(
        poll_twice(|cx| reader.poll_receive_into(cx, &mut buf)),
        Poll::Ready(Err(StreamError::BusyResource(_)))
    ));
    a.send_all(b" line\n").await.unwrap();
    assert_eq!(poll_ready(&mut line).unwrap(), b"partial line");
}

#[anyio::test]
async fn memory_stream_io_errors_follow_the_stream_contract() {
    let (mut a, b) = memory_stream_pair();
    let mut buf = [0; 4];
    assert_eq!(
        futures::AsyncReadExt::read(&mut &b, &mut []).await.unwrap(),
        0
    );
    b.aclose().await;
    let error = a.write_all(b"x").await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
    a.close().await.unwrap();
    a.close().await.unwrap();
    let error = a.write(b"x").await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
    assert_eq!(
        a.read(&mut buf).await.unwrap(),
        0,
        "the peer is gone: end of stream"
    );
}
