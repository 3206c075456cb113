//! Generic conformance checks for byte streams, in the spirit of Trio's
//! `check_one_way_stream`, `check_two_way_stream` and `check_half_closeable_stream`.
//!
//! Each check takes a *maker*: an async function returning a fresh connected pair. The checks
//! drive both ends from the calling task (joining futures, no spawning), so they need no
//! `'static` streams and no virtual clock, and they panic (with a message naming the broken
//! rule) on the first violation.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;

use crate::cancel::CancelScope;
use crate::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};

/// Polls both futures until both are done (in order: `a` first at each wake-up).
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(value) = a.as_mut().poll(cx) {
                out_a = Some(value);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(value) = b.as_mut().poll(cx) {
                out_b = Some(value);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Polls `future` once; whether it completed.
async fn poll_once<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// Lets the other joined futures run.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// Runs `future` in an already-cancelled scope.
async fn cancelled<F: Future>(future: F) -> Option<F::Output> {
    let scope = CancelScope::new();
    scope.handle().cancel();
    scope.run(future).await
}

/// Closes `resource` inside a cancelled scope (Trio's `aclose_forcefully`).
async fn aclose_forcefully(resource: &impl AsyncResource) {
    cancelled(resource.aclose()).await;
}

#[track_caller]
fn expect(
    result: Result<impl std::fmt::Debug, StreamError>,
    what: &str,
    ok: fn(&StreamError) -> bool,
) {
    match result {
        Err(error) if ok(&error) => {}
        other => panic!("{what}: got {other:?}"),
    }
}

fn is_closed(error: &StreamError) -> bool {
    matches!(error, StreamError::ClosedResource)
}

fn is_broken(error: &StreamError) -> bool {
    matches!(error, StreamError::BrokenResource(_))
}

fn is_busy(error: &StreamError) -> bool {
    matches!(error, StreamError::BusyResource(_))
}

fn is_end(error: &StreamError) -> bool {
    matches!(error, StreamError::EndOfStream)
}

async fn send_until_broken(s: &impl ByteSendStream) {
    for _ in 0..100_000 {
        if let Err(error) = s.send_all(&[b'x'; 100]).await {
            assert!(
                is_broken(&error),
                "sending to a closed receiver: got {error:?}"
            );
            return;
        }
        yield_now().await;
    }
    panic!("sending to a closed receiver never failed with BrokenResource");
}

/// Checks a one-way stream: `maker` returns a connected (sender, receiver) pair.
///
/// It checks: data sent arrives; empty sends are allowed; `max_bytes == 0` is
/// [`StreamError::InvalidMaxBytes`]; concurrent receives are [`StreamError::BusyResource`];
/// closing the receiver makes sends fail with [`StreamError::BrokenResource`] (and keep
/// failing) and its own receives with [`StreamError::ClosedResource`]; closing the sender
/// makes its sends (even empty ones) fail with `ClosedResource`; closing twice is fine; data
/// sent before a close is received, then [`StreamError::EndOfStream`]; a close in a cancelled
/// scope still closes; operations cancelled at once leave a stream that closes gracefully; a
/// receive blocked when its stream is closed wakes with `ClosedResource`.
///
/// # Panics
///
/// On the first rule the stream breaks, with a message naming it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::testing::{check_one_way_stream, memory_stream_pair};
/// check_one_way_stream(|| async { memory_stream_pair() }).await;
/// # });
/// ```
pub async fn check_one_way_stream<M, Fut, S, R>(mut maker: M)
where
    M: FnMut() -> Fut,
    Fut: Future<Output = (S, R)>,
    S: ByteSendStream,
    R: ByteReceiveStream,
{
    let (s, r) = maker().await;
    // Simple sending and receiving, and empty sends meaning nothing.
    join(async { s.send_all(b"x").await.unwrap() }, async {
        assert_eq!(r.receive(1).await.unwrap(), b"x", "data sent arrives");
    })
    .await;
    join(
        async {
            s.send_all(b"").await.unwrap();
            s.send_all(b"y").await.unwrap();
        },
        async {
            assert_eq!(
                r.receive(1).await.unwrap(),
                b"y",
                "empty sends mean nothing"
            )
        },
    )
    .await;
    // max_bytes must be positive.
    expect(r.receive(0).await, "receive(0)", |e| {
        matches!(e, StreamError::InvalidMaxBytes { max_bytes: 0 })
    });
    expect(
        r.receive_into(&mut []).await,
        "receive_into(empty buffer)",
        |e| matches!(e, StreamError::InvalidMaxBytes { max_bytes: 0 }),
    );
    // Concurrent receives are refused.
    {
        let mut blocked = pin!(r.receive(1));
        assert!(
            poll_once(blocked.as_mut()).await.is_pending(),
            "receive with nothing sent blocks"
        );
        expect(r.receive(1).await, "a second concurrent receive", is_busy);
    }
    // Closing the receiver breaks the sender, for good.
    join(send_until_broken(&s), r.aclose()).await;
    expect(
        s.send_all(&[b'x'; 100]).await,
        "send after the receiver closed",
        is_broken,
    );
    expect(r.receive(4096).await, "receive after aclose", is_closed);
    r.aclose().await;
    r.aclose().await;
    s.aclose().await;
    expect(s.send_all(b"x").await, "send after aclose", is_closed);
    expect(s.send_all(b"").await, "empty send after aclose", is_closed);
    s.aclose().await;
    s.aclose().await;

    // Data sent before a graceful close arrives, then the end of the stream.
    let (s, r) = maker().await;
    join(
        async {
            s.send_all(b"y").await.unwrap();
            s.aclose().await;
        },
        async {
            assert_eq!(
                r.receive(1).await.unwrap(),
                b"y",
                "data sent before aclose arrives"
            );
            expect(
                r.receive(1).await,
                "receive after the sender closed",
                is_end,
            );
            r.aclose().await;
        },
    )
    .await;

    // Forceful close of the receiver.
    let (s, r) = maker().await;
    aclose_forcefully(&r).await;
    send_until_broken(&s).await;
    expect(
        r.receive(4096).await,
        "receive after a forceful close",
        is_closed,
    );
    aclose_forcefully(&s).await;

    // Forceful close of the sender: the receiver sees the end or a broken stream, no data.
    let (s, r) = maker().await;
    aclose_forcefully(&s).await;
    expect(
        s.send_all(b"123").await,
        "send after a forceful close",
        is_closed,
    );
    expect(
        r.receive(1).await,
        "receive after the sender's forceful close",
        |e| is_end(e) || is_broken(e),
    );
    aclose_forcefully(&r).await;

    // A cancelled aclose still closes.
    let (s, r) = maker().await;
    cancelled(r.aclose()).await;
    cancelled(s.aclose()).await;
    expect(
        s.send_all(b"123").await,
        "send after a cancelled aclose",
        is_closed,
    );
    expect(
        r.receive(4096).await,
        "receive after a cancelled aclose",
        is_closed,
    );

    // Operations cancelled at once leave the stream closable.
    let (s, r) = maker().await;
    let (sent, received) = cancelled(join(s.send_all(b"x"), r.receive(1)))
        .await
        .unzip();
    assert!(
        sent.is_none() && received.is_none(),
        "operations in a cancelled scope are cancelled"
    );
    join(s.aclose(), r.aclose()).await;

    // A receive blocked when its stream is closed wakes with ClosedResource.
    let (s, r) = maker().await;
    join(
        async {
            expect(
                r.receive(10).await,
                "receive blocked during aclose",
                is_closed,
            )
        },
        aclose_forcefully(&r),
    )
    .await;
    aclose_forcefully(&s).await;
}

/// Checks a one-way stream whose `send_all` blocks until the receiver receives (such as
/// [`lockstep_stream_pair`](super::lockstep_stream_pair)): concurrent sends are
/// [`StreamError::BusyResource`]; a send blocked when its stream is closed wakes with
/// [`StreamError::ClosedResource`]; a send blocked when the receiver closes fails with
/// [`StreamError::BrokenResource`].
///
/// # Panics
///
/// On the first rule the stream breaks, with a message naming it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::testing::{check_clogged_one_way_stream, lockstep_stream_pair};
/// check_clogged_one_way_stream(|| async { lockstep_stream_pair() }).await;
/// # });
/// ```
pub async fn check_clogged_one_way_stream<M, Fut, S, R>(mut maker: M)
where
    M: FnMut() -> Fut,
    Fut: Future<Output = (S, R)>,
    S: ByteSendStream,
    R: ByteReceiveStream,
{
    let (s, r) = maker().await;
    {
        let mut blocked = pin!(s.send_all(b"123"));
        assert!(
            poll_once(blocked.as_mut()).await.is_pending(),
            "a clogged send blocks"
        );
        expect(
            s.send_all(b"123").await,
            "a second concurrent send",
            is_busy,
        );
    }
    aclose_forcefully(&s).await;
    aclose_forcefully(&r).await;

    let (s, r) = maker().await;
    join(
        async {
            expect(
                s.send_all(b"xyzzy").await,
                "send blocked during aclose",
                is_closed,
            )
        },
        aclose_forcefully(&s),
    )
    .await;
    aclose_forcefully(&r).await;

    let (s, r) = maker().await;
    join(
        async {
            expect(
                s.send_all(b"xyzzy").await,
                "send blocked when the receiver closes",
                is_broken,
            )
        },
        aclose_forcefully(&r),
    )
    .await;
    aclose_forcefully(&s).await;
}

/// Checks a two-way stream: `maker` returns two connected streams. Runs
/// [`check_one_way_stream`] in both directions, then a full-duplex transfer of 256 KiB each
/// way in random chunk sizes, then that closing one end gives the other
/// [`StreamError::EndOfStream`].
///
/// # Panics
///
/// On the first rule the stream breaks, with a message naming it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::testing::{check_two_way_stream, memory_stream_pair};
/// check_two_way_stream(|| async { memory_stream_pair() }).await;
/// # });
/// ```
pub async fn check_two_way_stream<M, Fut, S>(mut maker: M)
where
    M: FnMut() -> Fut,
    Fut: Future<Output = (S, S)>,
    S: ByteReceiveStream + ByteSendStream,
{
    check_one_way_stream(&mut maker).await;
    check_one_way_stream(|| {
        let pair = maker();
        async move {
            let (a, b) = pair.await;
            (b, a)
        }
    })
    .await;

    let (s1, s2) = maker().await;
    let data = random_bytes(256 * 1024, 0);
    let reversed: Vec<u8> = data.iter().rev().copied().collect();
    join(
        join(send_chunks(&s1, &data, 1), send_chunks(&s2, &reversed, 2)),
        join(
            receive_chunks(&s1, &reversed, 3),
            receive_chunks(&s2, &data, 4),
        ),
    )
    .await;
    join(
        async {
            expect(
                s2.receive(10).await,
                "receive after the peer's aclose",
                is_end,
            );
            s2.aclose().await;
        },
        s1.aclose(),
    )
    .await;
}

/// Checks a half-closeable stream ([`ByteStream`]): everything of [`check_two_way_stream`],
/// then that after `send_eof` the peer receives the data and then
/// [`StreamError::EndOfStream`], further sends fail with [`StreamError::ClosedResource`],
/// `send_eof` may be repeated, and the other direction still works.
///
/// # Panics
///
/// On the first rule the stream breaks, with a message naming it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::testing::{check_half_closeable_stream, memory_stream_pair};
/// check_half_closeable_stream(|| async { memory_stream_pair() }).await;
/// # });
/// ```
pub async fn check_half_closeable_stream<M, Fut, S>(mut maker: M)
where
    M: FnMut() -> Fut,
    Fut: Future<Output = (S, S)>,
    S: ByteStream,
{
    check_two_way_stream(&mut maker).await;

    async fn send_x_then_eof(s: &impl ByteStream) {
        s.send_all(b"x").await.unwrap();
        s.send_eof().await.unwrap();
    }
    async fn expect_x_then_eof(r: &impl ByteStream) {
        assert_eq!(
            r.receive(10).await.unwrap(),
            b"x",
            "data sent before send_eof arrives"
        );
        expect(
            r.receive(10).await,
            "receive after the peer's send_eof",
            is_end,
        );
    }
    let (s1, s2) = maker().await;
    join(send_x_then_eof(&s1), expect_x_then_eof(&s2)).await;
    expect(s1.send_all(b"y").await, "send after send_eof", is_closed);
    s1.send_eof().await.expect("send_eof may be repeated");
    join(send_x_then_eof(&s2), expect_x_then_eof(&s1)).await;
    aclose_forcefully(&s1).await;
    aclose_forcefully(&s2).await;
}

/// Checks a half-closeable stream whose `send_all` blocks until the peer receives:
/// [`check_clogged_one_way_stream`] in both directions, and that `send_eof` during a blocked
/// send is [`StreamError::BusyResource`].
///
/// # Panics
///
/// On the first rule the stream breaks, with a message naming it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::testing::{check_clogged_half_closeable_stream, lockstep_stream_pair};
/// check_clogged_half_closeable_stream(|| async { lockstep_stream_pair() }).await;
/// # });
/// ```
pub async fn check_clogged_half_closeable_stream<M, Fut, S>(mut maker: M)
where
    M: FnMut() -> Fut,
    Fut: Future<Output = (S, S)>,
    S: ByteStream,
{
    check_clogged_one_way_stream(&mut maker).await;
    check_clogged_one_way_stream(|| {
        let pair = maker();
        async move {
            let (a, b) = pair.await;
            (b, a)
        }
    })
    .await;
    let (s1, s2) = maker().await;
    {
        let mut blocked = pin!(s1.send_all(b"x"));
        assert!(
            poll_once(blocked.as_mut()).await.is_pending(),
            "a clogged send blocks"
        );
        expect(s1.send_eof().await, "send_eof during a send", is_busy);
    }
    aclose_forcefully(&s1).await;
    aclose_forcefully(&s2).await;
}

/// A small deterministic generator (xorshift64*), so the checks need no `rand`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn chunk(&mut self) -> usize {
        1 + (self.next() % (16 * 1024)) as usize
    }
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_add(0x9E37_79B9_7F4A_7C15));
    (0..len).map(|_| rng.next() as u8).collect()
}

async fn send_chunks(s: &impl ByteSendStream, mut data: &[u8], seed: u64) {
    let mut rng = Rng(seed.wrapping_add(0x9E37_79B9_7F4A_7C15));
    while !data.is_empty() {
        let (chunk, rest) = data.split_at(rng.chunk().min(data.len()));
        s.send_all(chunk).await.unwrap();
        data = rest;
    }
}

async fn receive_chunks(r: &impl ByteReceiveStream, expected: &[u8], seed: u64) {
    let mut rng = Rng(seed.wrapping_add(0x9E37_79B9_7F4A_7C15));
    let mut got = Vec::with_capacity(expected.len());
    while got.len() < expected.len() {
        let chunk = r.receive(rng.chunk()).await.unwrap();
        assert!(!chunk.is_empty(), "a receive returned no data");
        got.extend_from_slice(&chunk);
    }
    assert!(got == expected, "duplex data arrived intact");
}
