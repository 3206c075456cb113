//! Reads and writes through the I/O traits of the in-memory, stapled and buffered streams
//! allocate nothing per operation once warmed up.
//!
//! A plain `#[test]`, alone in its binary: the allocation count is process-wide, so no runtime
//! (and no other test) may run beside it. The streams need none: each call is polled by hand.

use std::alloc::System;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use anyio::streams::{BufferedByteReceiveStream, StapledByteStream};
use anyio::testing::{lockstep_stream_pair, memory_stream_pair};
use futures::io::{AsyncRead, AsyncWrite};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Polls until ready; the cooperative budget may force one `Pending` in a row.
fn ready<T>(mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>) -> T {
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..2 {
        if let Poll::Ready(output) = poll(&mut cx) {
            return output;
        }
    }
    panic!("not ready after a forced yield")
}

fn round_trips<W: AsyncWrite + Unpin, R: AsyncRead + Unpin>(
    writer: &mut W,
    reader: &mut R,
    reader_first: bool,
) {
    let data = [7; 48];
    let mut buf = [0; 64];
    for _ in 0..1000 {
        let mut cx = Context::from_waker(Waker::noop());
        if reader_first {
            // Lockstep: a write hands its bytes only to a waiting read.
            let _ = Pin::new(&mut *reader).poll_read(&mut cx, &mut buf);
            let _ = Pin::new(&mut *reader).poll_read(&mut cx, &mut buf);
        }
        let written = ready(|cx| Pin::new(&mut *writer).poll_write(cx, &data)).unwrap();
        let read = ready(|cx| Pin::new(&mut *reader).poll_read(cx, &mut buf)).unwrap();
        assert_eq!((written, read), (48, 48));
    }
}

#[test]
fn io_trait_reads_and_writes_do_not_allocate_once_warmed_up() {
    let (a, b) = memory_stream_pair();
    let (c, d) = lockstep_stream_pair();
    let (e, f) = memory_stream_pair();
    let (g, h) = memory_stream_pair();
    let mut stapled = StapledByteStream::new(e, BufferedByteReceiveStream::new(h));
    let (mut a, mut b, mut c, mut d, mut f, mut g) = (&a, &b, &c, &d, f, g);
    // Warm up: buffers reach their working capacity, wakers are registered.
    round_trips(&mut a, &mut b, false);
    round_trips(&mut c, &mut d, true);
    round_trips(&mut stapled, &mut f, false);
    round_trips(&mut g, &mut stapled, false);

    let region = Region::new(GLOBAL);
    round_trips(&mut a, &mut b, false);
    round_trips(&mut c, &mut d, true);
    round_trips(&mut stapled, &mut f, false);
    round_trips(&mut g, &mut stapled, false);
    let stats = region.change();
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
}
