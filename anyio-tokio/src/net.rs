//! Readiness-driven sockets on tokio's reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::task::{ready, Context, Poll};

use tokio::io::Interest;
use tokio::net::UnixStream;

/// A non-blocking socket registered with tokio's I/O driver.
///
/// anyio-core performs the socket calls itself (on `T`, a `std` socket type); this type only
/// waits for readiness, so one code path serves TCP, UDP and Unix sockets alike.
///
/// tokio's only way to register a descriptor it does not own, `AsyncFd::register`, is
/// `unsafe` (the safe `AsyncFd::new` is deprecated as unsound). So the registration is made
/// through a safe owning type instead: a duplicate of the socket's descriptor, held by a
/// `tokio::net::UnixStream` that is used only for its readiness and never reads or writes.
/// Readiness belongs to the open socket both descriptors refer to, so it is the socket's.
/// Each side owns and closes its own descriptor, which is what keeps this sound for any `T`
/// that owns its descriptor (`T: Into<OwnedFd>`), at the cost of one descriptor per socket.
pub struct Registration<T> {
    socket: T,
    readiness: UnixStream,
}

impl<T: AsFd> fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Registration")
            .field(&self.socket.as_fd().as_raw_fd())
            .finish()
    }
}

impl<T: AsFd + Into<OwnedFd>> Registration<T> {
    /// Registers `socket`, which must already be in non-blocking mode.
    ///
    /// # Errors
    ///
    /// When the descriptor cannot be duplicated (the process is out of descriptors), or the
    /// I/O driver refuses the registration (or the runtime has no I/O driver).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime; anyio-core calls it only from a task of one.
    pub fn new(socket: T) -> io::Result<Registration<T>> {
        let duplicate = socket.as_fd().try_clone_to_owned()?;
        // Any descriptor converts to a std `UnixStream` safely; tokio only registers it with
        // the reactor, whatever kind of socket it is.
        let readiness = UnixStream::from_std(StdUnixStream::from(duplicate))?;
        Ok(Registration { socket, readiness })
    }

    /// The registered socket.
    pub fn get_ref(&self) -> &T {
        &self.socket
    }

    /// Runs `op` once the socket is readable, until it stops failing with `WouldBlock`.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(cx, Interest::READABLE, op)
    }

    /// Runs `op` once the socket is writable, until it stops failing with `WouldBlock`.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(cx, Interest::WRITABLE, op)
    }

    fn poll_with<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            if interest.is_readable() {
                ready!(self.readiness.poll_read_ready(cx))?;
            } else {
                ready!(self.readiness.poll_write_ready(cx))?;
            }
            // `try_io` clears the readiness when `op` would block, so the next poll waits.
            match self.readiness.try_io(interest, || op(&self.socket)) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }

    /// Deregisters the socket and gives it back.
    pub fn into_inner(self) -> T {
        // The duplicate is deregistered and closed here; the socket stays open.
        drop(self.readiness);
        self.socket
    }
}
