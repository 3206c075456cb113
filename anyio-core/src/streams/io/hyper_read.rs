//! `hyper::rt::Read` over the poll core, without `unsafe`.

use std::cell::RefCell;
use std::io;
use std::task::{ready, Context, Poll};

use crate::streams::traits::PollByteReceive;

/// The most a single hyper read asks of the stream (hyper's own read buffer grows to about
/// this much for bulk transfers).
const SCRATCH_SIZE: usize = 64 * 1024;

thread_local! {
    /// hyper hands out its buffer as possibly uninitialised memory, which safe code cannot
    /// read into. Each thread keeps one zeroed scratch buffer instead: a read lands there and
    /// is copied into hyper's buffer, one copy and no allocation per read.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn poll_hyper_read<S: PollByteReceive + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    mut buf: hyper::rt::ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    let wanted = buf.remaining().min(SCRATCH_SIZE);
    if wanted == 0 {
        return Poll::Ready(Ok(()));
    }
    let mut read_into = |scratch: &mut Vec<u8>| -> Poll<io::Result<()>> {
        if scratch.len() < wanted {
            scratch.resize(wanted, 0);
        }
        let received = ready!(super::poll_read(stream, cx, &mut scratch[..wanted]))?;
        buf.put_slice(&scratch[..received]);
        Poll::Ready(Ok(()))
    };
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => read_into(&mut scratch),
        // A stream whose own read goes through hyper on this thread: a buffer of its own.
        Err(_) => read_into(&mut Vec::new()),
    })
}
