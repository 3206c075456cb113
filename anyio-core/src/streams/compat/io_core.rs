//! The shared core of the adapters from poll-based I/O objects to anyio byte streams.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use crate::streams::error::{check_max_bytes, StreamError};
use crate::sync::{Event, ResourceGuard};

/// An I/O object behind a mutex (locked only inside a poll, never across an await), with the
/// guards and close state of an anyio stream.
#[derive(Debug)]
pub(super) struct IoCore<IO> {
    /// `None` once `aclose` dropped it.
    io: Mutex<Option<IO>>,
    receiving: ResourceGuard,
    sending: ResourceGuard,
    /// Set by `aclose`: wakes blocked calls.
    closed: Event,
    /// Set by `send_eof` or `aclose`.
    send_closed: AtomicBool,
}

impl<IO: Unpin + Send> IoCore<IO> {
    pub(super) fn new(io: IO) -> IoCore<IO> {
        IoCore {
            io: Mutex::new(Some(io)),
            receiving: ResourceGuard::new("receiving from"),
            sending: ResourceGuard::new("sending to"),
            closed: Event::new(),
            send_closed: AtomicBool::new(false),
        }
    }

    pub(super) fn into_inner(self) -> Option<IO> {
        self.io.into_inner().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Option<IO>> {
        self.io.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls `op` on the I/O object until it is ready, or fails with `ClosedResource` as soon
    /// as the stream is closed.
    async fn run<T>(
        &self,
        mut op: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Result<T, StreamError> {
        let mut closed = pin!(self.closed.wait());
        poll_fn(|cx| {
            if closed.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(StreamError::ClosedResource));
            }
            let mut io = self.lock();
            let Some(io) = io.as_mut() else {
                return Poll::Ready(Err(StreamError::ClosedResource));
            };
            match op(Pin::new(io), cx) {
                Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Poll::Ready(result) => Poll::Ready(result.map_err(StreamError::from)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    pub(super) async fn receive_into(
        &self,
        buf: &mut [u8],
        mut poll_read: impl FnMut(Pin<&mut IO>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>
            + Send,
    ) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        if self.closed.is_set() {
            return Err(StreamError::ClosedResource);
        }
        match self.run(|io, cx| poll_read(io, cx, buf)).await? {
            0 => Err(StreamError::EndOfStream),
            n => Ok(n),
        }
    }

    pub(super) async fn send_all(
        &self,
        data: &[u8],
        mut poll_write: impl FnMut(Pin<&mut IO>, &mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>
            + Send,
        mut poll_flush: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>> + Send,
    ) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        let mut written = 0;
        loop {
            if self.send_closed.load(Ordering::Acquire) {
                return Err(StreamError::ClosedResource);
            }
            if written == data.len() {
                break;
            }
            match self
                .run(|io, cx| poll_write(io, cx, &data[written..]))
                .await?
            {
                0 => return Err(StreamError::broken(io::ErrorKind::WriteZero.into())),
                n => written += n,
            }
        }
        self.run(|io, cx| poll_flush(io, cx)).await
    }

    pub(super) async fn send_eof(
        &self,
        poll_shutdown: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>> + Send,
    ) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        if self.send_closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.run(poll_shutdown).await
    }

    pub(super) async fn aclose(
        &self,
        poll_shutdown: impl FnMut(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<()>> + Send,
    ) {
        /// Drops the I/O object when the close ends, also if it is cancelled.
        struct DropIo<'a, IO>(&'a Mutex<Option<IO>>);
        impl<IO> Drop for DropIo<'_, IO> {
            fn drop(&mut self) {
                let io = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
                drop(io);
            }
        }
        let was_send_closed = self.send_closed.swap(true, Ordering::AcqRel);
        self.closed.set();
        let _drop_io = DropIo(&self.io);
        if !was_send_closed {
            // Best effort: tell the peer, without the closed check of `run`.
            let mut poll_shutdown = poll_shutdown;
            let _ = poll_fn(|cx| match self.lock().as_mut() {
                Some(io) => poll_shutdown(Pin::new(io), cx),
                None => Poll::Ready(Ok(())),
            })
            .await;
        }
    }
}
