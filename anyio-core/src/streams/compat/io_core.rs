//! The shared poll core of the adapters from poll-based I/O objects to anyio byte streams.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};

use atomic_waker::AtomicWaker;

use crate::streams::error::{check_max_bytes, StreamError};
use crate::sync::waiters::poll_cancel_point;
use crate::sync::ResourceGuard;

/// An I/O object behind a mutex (locked only inside a poll, never across an await), with the
/// guards and close state of an anyio stream.
#[derive(Debug)]
pub(super) struct IoCore<IO> {
    /// `None` once `aclose` dropped it.
    io: Mutex<Option<IO>>,
    receiving: ResourceGuard,
    sending: ResourceGuard,
    /// The last reader and writer blocked in a poll: `aclose` wakes them so that they see
    /// the close (the I/O object, dropped, will never wake them).
    read_waker: AtomicWaker,
    write_waker: AtomicWaker,
    /// Set by `aclose`.
    closed: AtomicBool,
    /// Set at the first poll of `send_eof` (or by `aclose`): sends fail from then on.
    send_closed: AtomicBool,
    /// Set once the shutdown of the I/O object completed (or failed): later ends are no-ops.
    eof_done: AtomicBool,
}

/// Polls `op`, retrying (after a yield) when it was interrupted.
fn retry_interrupted<T>(poll: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
    match poll {
        Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        other => other,
    }
}

impl<IO: Unpin + Send> IoCore<IO> {
    pub(super) fn new(io: IO) -> IoCore<IO> {
        IoCore {
            io: Mutex::new(Some(io)),
            receiving: ResourceGuard::new("receiving from"),
            sending: ResourceGuard::new("sending to"),
            read_waker: AtomicWaker::new(),
            write_waker: AtomicWaker::new(),
            closed: AtomicBool::new(false),
            send_closed: AtomicBool::new(false),
            eof_done: AtomicBool::new(false),
        }
    }

    pub(super) fn into_inner(self) -> Option<IO> {
        self.io.into_inner().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Option<IO>> {
        self.io.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls `op` on the I/O object once, after registering `waker` so that `aclose` can
    /// wake this caller; `ClosedResource` once the stream is closed.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        waker: &AtomicWaker,
        op: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<Result<T, StreamError>> {
        waker.register(cx.waker());
        if self.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        let mut io = self.lock();
        let Some(io) = io.as_mut() else {
            return Poll::Ready(Err(StreamError::ClosedResource));
        };
        retry_interrupted(op(Pin::new(io), cx), cx).map_err(StreamError::from)
    }

    pub(super) fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        poll_read: impl FnOnce(Pin<&mut IO>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<Result<usize, StreamError>> {
        check_max_bytes(buf.len())?;
        ready!(poll_cancel_point(cx));
        match ready!(self.poll_io(cx, &self.read_waker, |io, cx| poll_read(io, cx, buf)))? {
            0 => Poll::Ready(Err(StreamError::EndOfStream)),
            n => Poll::Ready(Ok(n)),
        }
    }

    pub(super) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
        poll_write: impl FnOnce(Pin<&mut IO>, &mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<Result<usize, StreamError>> {
        if self.send_closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(poll_cancel_point(cx));
        match ready!(self.poll_io(cx, &self.write_waker, |io, cx| poll_write(io, cx, data)))? {
            0 => Poll::Ready(Err(StreamError::broken(io::ErrorKind::WriteZero.into()))),
            n => Poll::Ready(Ok(n)),
        }
    }

    pub(super) fn poll_flush(
        &self,
        cx: &mut Context<'_>,
        poll_flush: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>>,
    ) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        if self.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if self.eof_done.load(Ordering::Acquire) {
            // The shutdown flushed; the object may refuse anything after it.
            return Poll::Ready(Ok(()));
        }
        self.poll_io(cx, &self.write_waker, poll_flush)
    }

    /// Ends sending: sends fail from the first poll on, and the shutdown of the I/O object is
    /// driven until it completes once (a shutdown abandoned half-way resumes at the next
    /// call).
    pub(super) fn poll_send_eof(
        &self,
        cx: &mut Context<'_>,
        poll_shutdown: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>>,
    ) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        if self.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        self.send_closed.store(true, Ordering::Release);
        if self.eof_done.load(Ordering::Acquire) {
            return Poll::Ready(Ok(()));
        }
        let result = ready!(self.poll_io(cx, &self.write_waker, poll_shutdown));
        self.eof_done.store(true, Ordering::Release);
        Poll::Ready(result)
    }

    pub(super) async fn receive_into(
        &self,
        buf: &mut [u8],
        mut poll_read: impl FnMut(Pin<&mut IO>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>
            + Send,
    ) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        poll_fn(|cx| self.poll_receive_into(cx, buf, &mut poll_read)).await
    }

    pub(super) async fn send_all(
        &self,
        data: &[u8],
        mut poll_write: impl FnMut(Pin<&mut IO>, &mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>
            + Send,
        mut poll_flush: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>> + Send,
    ) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        if self.send_closed.load(Ordering::Acquire) {
            return Err(StreamError::ClosedResource);
        }
        let mut rest = data;
        while !rest.is_empty() {
            let sent = poll_fn(|cx| self.poll_send(cx, rest, &mut poll_write)).await?;
            rest = &rest[sent..];
        }
        poll_fn(|cx| self.poll_flush(cx, &mut poll_flush)).await
    }

    pub(super) async fn send_eof(
        &self,
        mut poll_shutdown: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>> + Send,
    ) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        poll_fn(|cx| self.poll_send_eof(cx, &mut poll_shutdown)).await
    }

    pub(super) async fn aclose(
        &self,
        mut poll_shutdown: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>> + Send,
    ) {
        /// Drops the I/O object when the close ends, also if it is cancelled.
        struct DropIo<'a, IO>(&'a Mutex<Option<IO>>);
        impl<IO> Drop for DropIo<'_, IO> {
            fn drop(&mut self) {
                let io = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
                drop(io);
            }
        }
        self.send_closed.store(true, Ordering::Release);
        let eof_done = self.eof_done.swap(true, Ordering::AcqRel);
        self.closed.store(true, Ordering::Release);
        self.read_waker.wake();
        self.write_waker.wake();
        let _drop_io = DropIo(&self.io);
        if !eof_done {
            // Best effort: tell the peer, without the closed check of `poll_io`.
            let _ = poll_fn(|cx| match self.lock().as_mut() {
                Some(io) => poll_shutdown(Pin::new(io), cx),
                None => Poll::Ready(Ok(())),
            })
            .await;
        }
    }
}
