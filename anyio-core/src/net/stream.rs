//! The byte-stream logic shared by TCP and Unix stream sockets.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use super::socket::{Failure, Socket};
use crate::checkpoint_if_cancelled;
use crate::streams::StreamError;

/// What a connected stream socket must offer (`std`'s TCP and Unix streams do).
pub(crate) trait StreamSocket: AsFd + AsRawFd + Send + Sync + 'static {
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

    pub(crate) async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        crate::streams::check_max_bytes(buf.len())?;
        let _receiving = self.socket.receiving.enter()?;
        checkpoint_if_cancelled().await;
        match self.socket.read(|socket| socket.receive(buf)).await {
            Ok(0) => Err(StreamError::EndOfStream),
            Ok(received) => Ok(received),
            Err(failure) => Err(failure.into_stream_error()),
        }
    }

    pub(crate) async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        let _sending = self.socket.sending.enter()?;
        if self.socket.is_closed() || self.eof_sent.load(Ordering::Acquire) {
            return Err(StreamError::ClosedResource);
        }
        checkpoint_if_cancelled().await;
        let mut rest = data;
        while !rest.is_empty() {
            let sent = self
                .socket
                .write(|socket| socket.send(rest))
                .await
                .map_err(Failure::into_stream_error)?;
            rest = &rest[sent..];
        }
        Ok(())
    }

    pub(crate) async fn send_eof(&self) -> Result<(), StreamError> {
        let _sending = self.socket.sending.enter()?;
        if self.eof_sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match self.socket.with(|socket| socket.shutdown(Shutdown::Write)) {
            None => Err(StreamError::ClosedResource),
            // The peer already reset the connection: nothing more can be sent anyway.
            Some(Err(error)) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
            Some(result) => result.map_err(StreamError::broken),
        }
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
