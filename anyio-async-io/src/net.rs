//! Readiness-driven sockets on async-io's reactor (shared with async-std, whose own sockets
//! are async-io's).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::task::{ready, Context, Poll};

use async_io::Async;

/// A socket registered with async-io's reactor.
///
/// anyio-core performs the socket calls itself (on `T`, a `std` socket type); this type only
/// waits for readiness, so one code path serves TCP, UDP and Unix sockets alike. Only types
/// that own their descriptor (`T: Into<OwnedFd>`, as std's sockets) can be registered, so the
/// descriptor the reactor watches stays the socket's for as long as it is registered.
pub struct Registration<T: AsFd>(Async<T>);

impl<T: AsFd> fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Registration")
            .field(&self.0.as_fd().as_raw_fd())
            .finish()
    }
}

impl<T: AsFd + Into<OwnedFd>> Registration<T> {
    /// Registers `socket`, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// When the reactor refuses the registration.
    pub fn new(socket: T) -> io::Result<Registration<T>> {
        Async::new(socket).map(Registration)
    }

    /// The registered socket.
    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    /// Runs `op`, waiting for readability whenever it fails with `WouldBlock`.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            match op(self.0.get_ref()) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
            ready!(self.0.poll_readable(cx))?;
        }
    }

    /// Runs `op`, waiting for writability whenever it fails with `WouldBlock`.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            match op(self.0.get_ref()) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
            ready!(self.0.poll_writable(cx))?;
        }
    }

    /// Deregisters the socket and gives it back.
    ///
    /// # Errors
    ///
    /// When the reactor fails to deregister it.
    pub fn into_inner(self) -> io::Result<T> {
        self.0.into_inner()
    }
}
