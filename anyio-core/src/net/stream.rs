//! The byte-stream logic shared by TCP and Unix stream sockets.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{ready, Context, Poll};

use super::socket::{Failure, Socket};
use crate::streams::StreamError;
use crate::sync::waiters::poll_cancel_point;

/// What a connected stream socket must offer (`std`'s TCP and Unix streams do).
pub(crate) trait StreamSocket:
    AsFd + AsRawFd + Into<OwnedFd> + Send + Sync + 'static
{
    fn receive(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn send(&self, data: &[u8]) -> io::Result<usize>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

impl StreamSocket for std::net::TcpStream {
    fn receive(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
    fn send(&self, data: &[u8]) -> io::Result<usize> {
        // std sends with MSG_NOSIGNAL, so a closed peer is EPIPE, never SIGPIPE.
        (&*self).write(data)
    }
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::net::TcpStream::shutdown(self, how)
    }
}

impl StreamSocket for std::os::unix::net::UnixStream {
    fn receive(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn send(&self, data: &[u8]) -> io::Result<usize> {
        // std writes Unix streams with write(2): a closed peer would raise SIGPIPE in a host
        // program that does not ignore it (Rust binaries do; C or Python hosts may not).
        rustix::net::send(self, data, rustix::net::SendFlags::NOSIGNAL).map_err(io::Error::from)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn send(&self, data: &[u8]) -> io::Result<usize> {
        (&*self).write(data)
    }
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::os::unix::net::UnixStream::shutdown(self, how)
    }
}

/// A connected stream socket with anyio's stream semantics.
pub(crate) struct SocketStream<T: StreamSocket> {
    socket: Socket<T>,
    eof_sent: AtomicBool,
}

impl<T: StreamSocket> fmt::Debug for SocketStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketStream")
            .field("socket", &self.socket)
            .field("eof_sent", &self.eof_sent.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T: StreamSocket> SocketStream<T> {
    pub(crate) fn new(socket: T) -> io::Result<SocketStream<T>> {
        Ok(SocketStream {
            socket: Socket::new(socket, "receiving from", "sending to")?,
            eof_sent: AtomicBool::new(false),
        })
    }

    pub(crate) fn socket(&self) -> &Socket<T> {
        &self.socket
    }

    /// Whether this side can no longer send: closed, or shut down by `send_eof`.
    pub(crate) fn is_send_closed(&self) -> bool {
        self.socket.is_closed() || self.eof_sent.load(Ordering::Acquire)
    }

    /// The poll core of receiving: a cancellation point, then one `recv` when readable.
    pub(crate) fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        crate::streams::check_max_bytes(buf.len())?;
        ready!(poll_cancel_point(cx));
        match ready!(self.socket.poll_read(cx, |socket| socket.receive(buf))) {
            Ok(0) => Poll::Ready(Err(StreamError::EndOfStream)),
            Ok(received) => Poll::Ready(Ok(received)),
            Err(failure) => Poll::Ready(Err(failure.into_stream_error())),
        }
    }

    /// The poll core of sending: a cancellation point, then one `send` when writable.
    pub(crate) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<Result<usize, StreamError>> {
        if self.is_send_closed() {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(poll_cancel_point(cx));
        self.socket
            .poll_write(cx, |socket| socket.send(data))
            .map_err(Failure::into_stream_error)
    }

    /// The poll core of `send_eof`: a cancellation point, then `shutdown(SHUT_WR)` once.
    pub(crate) fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        if self.eof_sent.swap(true, Ordering::AcqRel) {
            return Poll::Ready(Ok(()));
        }
        Poll::Ready(
            match self.socket.with(|socket| socket.shutdown(Shutdown::Write)) {
                None => Err(StreamError::ClosedResource),
                // The peer already reset the connection: nothing more can be sent anyway.
                Some(Err(error)) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
                Some(result) => result.map_err(StreamError::broken),
            },
        )
    }

    pub(crate) async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        crate::streams::check_max_bytes(buf.len())?;
        let _receiving = self.socket.receiving.enter()?;
        poll_fn(|cx| self.poll_receive_into(cx, buf)).await
    }

    pub(crate) async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        let _sending = self.socket.sending.enter()?;
        if self.is_send_closed() {
            return Err(StreamError::ClosedResource);
        }
        // Even an empty send is a cancellation point.
        poll_fn(poll_cancel_point).await;
        let mut rest = data;
        while !rest.is_empty() {
            let sent = poll_fn(|cx| self.poll_send(cx, rest)).await?;
            rest = &rest[sent..];
        }
        Ok(())
    }

    pub(crate) async fn send_eof(&self) -> Result<(), StreamError> {
        let _sending = self.socket.sending.enter()?;
        poll_fn(|cx| self.poll_send_eof(cx)).await
    }

    /// Waits for the non-blocking `connect` made on this socket to complete: the socket turns
    /// writable, and `SO_ERROR` tells whether it connected. A connected socket is writable at
    /// once.
    pub(crate) async fn finish_connect(&self) -> io::Result<()> {
        self.socket
            .write(|socket| {
                let socket = socket2::SockRef::from(socket);
                match socket.take_error()? {
                    Some(error) => Err(error),
                    None => match socket.peer_addr() {
                        Ok(_) => Ok(()),
                        Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(error) => Err(error),
                    },
                }
            })
            .await
            .map_err(|failure| match failure {
                Failure::Io(error) => error,
                Failure::Closed => io::ErrorKind::NotConnected.into(),
            })
    }

    pub(crate) fn close(&self) {
        self.socket.close();
    }
}
