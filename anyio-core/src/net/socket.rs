//! The state every anyio socket shares: the registration, closing, and one-user-per-direction.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::registration::Registered;
use crate::checkpoint_if_cancelled;
use crate::streams::StreamError;
use crate::sync::ResourceGuard;

/// Why a socket operation did not complete.
#[derive(Debug)]
pub(crate) enum Failure {
    /// This socket was closed by [`Socket::close`], before or during the operation.
    Closed,
    /// The operating system refused it.
    Io(io::Error),
}

impl Failure {
    /// The stream error for a data operation: our own close is `ClosedResource`, anything
    /// the system reports is `BrokenResource` with the cause.
    pub(crate) fn into_stream_error(self) -> StreamError {
        match self {
            Failure::Closed => StreamError::ClosedResource,
            Failure::Io(error) => StreamError::broken(error),
        }
    }
}

/// A registered socket that `aclose` can close while other tasks wait on it.
///
/// Operations poll the registration under a read lock that is never held across an await;
/// closing takes the write lock, drops the registration (deregistering and closing the
/// descriptor at once, so a listener's port is free again) and wakes whoever waits, who then
/// see [`Failure::Closed`]. At most one task waits per direction (the resource guards see to
/// that), so one waker slot per direction is enough.
pub(crate) struct Socket<T: AsFd + AsRawFd + Into<OwnedFd>> {
    io: RwLock<Option<Registered<T>>>,
    closed: AtomicBool,
    read_waker: AtomicWaker,
    write_waker: AtomicWaker,
    pub(crate) receiving: ResourceGuard,
    pub(crate) sending: ResourceGuard,
}

impl<T: AsFd + AsRawFd + Into<OwnedFd>> fmt::Debug for Socket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("fd", &self.raw_fd())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T: AsFd + AsRawFd + Into<OwnedFd>> Socket<T> {
    /// Registers `socket` with the current backend; `receiving` and `sending` name the
    /// actions for [`BusyResource`](StreamError::BusyResource) errors.
    pub(crate) fn new(
        socket: T,
        receiving: &'static str,
        sending: &'static str,
    ) -> io::Result<Socket<T>> {
        Ok(Socket {
            io: RwLock::new(Some(Registered::new(socket)?)),
            closed: AtomicBool::new(false),
            read_waker: AtomicWaker::new(),
            write_waker: AtomicWaker::new(),
            receiving: ResourceGuard::new(receiving),
            sending: ResourceGuard::new(sending),
        })
    }

    /// Runs `f` on the socket unless it was closed.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let io = self.io.read().unwrap_or_else(PoisonError::into_inner);
        io.as_ref().map(|registered| f(registered.get_ref()))
    }

    /// The descriptor, while open.
    pub(crate) fn raw_fd(&self) -> Option<RawFd> {
        self.with(|socket| socket.as_raw_fd())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closes the socket and wakes every waiting operation. Idempotent.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let registered = self
            .io
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(registered);
        self.read_waker.wake();
        self.write_waker.wake();
    }

    fn poll_op<R>(
        &self,
        cx: &mut Context<'_>,
        write: bool,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<Result<R, Failure>> {
        let poll = {
            let io = self.io.read().unwrap_or_else(PoisonError::into_inner);
            let Some(registered) = io.as_ref() else {
                return Poll::Ready(Err(Failure::Closed));
            };
            if write {
                registered.poll_write_with(cx, op)
            } else {
                registered.poll_read_with(cx, op)
            }
        };
        match poll {
            Poll::Ready(result) => Poll::Ready(result.map_err(Failure::Io)),
            Poll::Pending => {
                // Registered before the flag is read again, so a close in between still
                // wakes us.
                let waker = if write {
                    &self.write_waker
                } else {
                    &self.read_waker
                };
                waker.register(cx.waker());
                if self.is_closed() {
                    Poll::Ready(Err(Failure::Closed))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    /// Polls `op` whenever the socket is readable, until it stops failing with `WouldBlock`.
    pub(crate) fn poll_read<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<Result<R, Failure>> {
        self.poll_op(cx, false, op)
    }

    /// Runs `op` once the socket is readable (see [`Socket::poll_read`]).
    pub(crate) async fn read<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Result<R, Failure> {
        poll_fn(|cx| self.poll_op(cx, false, &mut op)).await
    }

    /// Polls `op` whenever the socket is writable, until it stops failing with `WouldBlock`.
    pub(crate) fn poll_write<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<Result<R, Failure>> {
        self.poll_op(cx, true, op)
    }

    /// Runs `op` once the socket is writable, until it stops failing with `WouldBlock`.
    pub(crate) async fn write<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Result<R, Failure> {
        poll_fn(|cx| self.poll_op(cx, true, &mut op)).await
    }
}

/// The size of a datagram socket's receive buffer, so the largest datagram received whole
/// (AnyIO's); the rest of a longer one is discarded.
pub(crate) const DATAGRAM_BUFFER_SIZE: usize = 65536;

/// A datagram socket's receive buffer: allocated at its first receive, then reused, so that
/// each datagram costs one allocation of its own size.
#[derive(Debug, Default)]
pub(crate) struct DatagramBuffer(Mutex<Vec<u8>>);

impl DatagramBuffer {
    /// Runs `receive` on the buffer; it returns how many bytes it received, and from whom.
    fn fill<A>(
        &self,
        receive: impl FnOnce(&mut [u8]) -> io::Result<(usize, A)>,
    ) -> io::Result<(Vec<u8>, A)> {
        let mut buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if buffer.is_empty() {
            buffer.resize(DATAGRAM_BUFFER_SIZE, 0);
        }
        let (received, from) = receive(&mut buffer)?;
        Ok((buffer[..received.min(buffer.len())].to_vec(), from))
    }
}

impl<T: AsFd + AsRawFd + Into<OwnedFd>> Socket<T> {
    /// Receives one datagram with `op` (which fills the buffer and says how many bytes came,
    /// and from whom), one receiver at a time, nothing in a cancelled scope.
    pub(crate) async fn receive_datagram<A>(
        &self,
        buffer: &DatagramBuffer,
        mut op: impl FnMut(&T, &mut [u8]) -> io::Result<(usize, A)>,
    ) -> Result<(Vec<u8>, A), StreamError> {
        let _receiving = self.receiving.enter()?;
        checkpoint_if_cancelled().await;
        self.read(|socket| buffer.fill(|buf| op(socket, buf)))
            .await
            .map_err(Failure::into_stream_error)
    }

    /// Sends one datagram with `op`, one sender at a time, nothing in a cancelled scope.
    pub(crate) async fn send_datagram(
        &self,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        if self.is_closed() {
            return Err(StreamError::ClosedResource);
        }
        checkpoint_if_cancelled().await;
        self.write(op)
            .await
            .map(drop)
            .map_err(Failure::into_stream_error)
    }
}
