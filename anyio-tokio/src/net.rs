//! Readiness-driven sockets on tokio's reactor.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;

/// A non-blocking socket registered with tokio's I/O driver.
///
/// anyio-core performs the socket calls itself (on `T`, a `std` socket type); this type only
/// waits for readiness, so one code path serves TCP, UDP and Unix sockets alike.
pub struct Registration<T: AsRawFd>(AsyncFd<T>);

impl<T: AsRawFd> fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Registration")
            .field(&self.0.get_ref().as_raw_fd())
            .finish()
    }
}

impl<T: AsRawFd> Registration<T> {
    /// Registers `socket`, which must already be in non-blocking mode.
    ///
    /// # Errors
    ///
    /// When the I/O driver refuses the registration (or the runtime has no I/O driver).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime; anyio-core calls it only from a task of one.
    pub fn new(socket: T) -> io::Result<Registration<T>> {
        // `AsyncFd::new` is deprecated because an arbitrary `T` could change the descriptor
        // `as_raw_fd` returns while registered. anyio registers only std socket types, which
        // own one descriptor for their whole life, so the safe constructor's contract holds
        // without an `unsafe` block of our own.
        #[allow(deprecated)]
        AsyncFd::new(socket).map(Registration)
    }

    /// The registered socket.
    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    /// Runs `op` once the socket is readable, until it stops failing with `WouldBlock`.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let mut guard = ready!(self.0.poll_read_ready(cx))?;
            if let Ok(result) = guard.try_io(|socket| op(socket.get_ref())) {
                return Poll::Ready(result);
            }
        }
    }

    /// Runs `op` once the socket is writable, until it stops failing with `WouldBlock`.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let mut guard = ready!(self.0.poll_write_ready(cx))?;
            if let Ok(result) = guard.try_io(|socket| op(socket.get_ref())) {
                return Poll::Ready(result);
            }
        }
    }

    /// Deregisters the socket and gives it back.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}
