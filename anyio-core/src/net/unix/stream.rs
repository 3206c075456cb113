use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::path::path_of;
use crate::net::stream::SocketStream;
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, RawFd, RemoteAddress, SocketAddress, TypedAttributeProvider,
};
use std::task::{Context, Poll};

use crate::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
use crate::streams::{PollByteReceive, PollByteSend};

/// A Unix stream socket connection as an anyio [`ByteStream`] (AnyIO's `UNIXSocketStream`).
///
/// Made by [`connect_unix`](crate::net::connect_unix), a
/// [`UnixListener`](crate::net::UnixListener), or [`UnixStream::from_std`] (say, one end of
/// `std::os::unix::net::UnixStream::pair()`). Methods take `&self`: share the stream (say, in
/// an `Arc`) to receive in one task while another sends. It can also pass file descriptors
/// ([`send_fds`](UnixStream::send_fds), [`receive_fds`](UnixStream::receive_fds)). Its
/// attributes: the local and remote address (as [`SocketAddress::Unix`], `None` for an
/// unnamed socket), and the raw descriptor.
///
/// A receive after the peer closed its side fails with [`StreamError::EndOfStream`]; an
/// operation after our own [`aclose`](AsyncResource::aclose) with
/// [`StreamError::ClosedResource`]; a send to a peer that is gone with
/// [`StreamError::BrokenResource`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::UnixStream;
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, ByteStream};
/// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
/// let (a, b) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
/// a.send_all(b"hello").await.unwrap();
/// a.send_eof().await.unwrap();
/// assert_eq!(b.receive(64).await.unwrap(), b"hello");
/// assert!(b.receive(64).await.unwrap_err().is_end_of_stream());
/// assert_eq!(b.peer_addr(), None); // a socket pair is unnamed
/// # });
/// ```
pub struct UnixStream {
    inner: SocketStream<std::os::unix::net::UnixStream>,
    local: Option<PathBuf>,
    peer: Option<PathBuf>,
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("socket", self.inner.socket())
            .finish()
    }
}

impl UnixStream {
    /// Adopts a connected std Unix stream (say, one end of a `pair()`, or one inherited from
    /// a parent process), making it non-blocking and registering it with the current runtime.
    ///
    /// # Errors
    ///
    /// When the stream is not connected (`NotConnected`), or outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        let local = path_of(stream.local_addr())?;
        let peer = path_of(stream.peer_addr())?;
        Ok(UnixStream {
            inner: SocketStream::new(stream)?,
            local,
            peer,
        })
    }

    pub(super) fn from_parts(
        inner: SocketStream<std::os::unix::net::UnixStream>,
        local: Option<PathBuf>,
        peer: Option<PathBuf>,
    ) -> UnixStream {
        UnixStream { inner, local, peer }
    }

    pub(super) fn inner(&self) -> &SocketStream<std::os::unix::net::UnixStream> {
        &self.inner
    }

    /// The path the stream is bound to: the listener's path on an accepted stream, usually
    /// `None` (unnamed) on a connecting one.
    ///
    /// # Examples
    ///
    /// See [`connect_unix`](crate::net::connect_unix).
    pub fn local_addr(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    /// The path of the peer: the listener's path on a connecting stream, usually `None`
    /// (unnamed) on an accepted one.
    ///
    /// # Examples
    ///
    /// See [`connect_unix`](crate::net::connect_unix).
    pub fn peer_addr(&self) -> Option<&Path> {
        self.peer.as_deref()
    }
}

impl TypedAttributeProvider for UnixStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Unix(self.local.clone()))
            .provide::<RemoteAddress>(|| SocketAddress::Unix(self.peer.clone()))
            .provide_opt::<RawFd>(|| self.inner.socket().raw_fd());
    }
}

impl AsyncResource for UnixStream {
    /// Closes the socket at once (the peer sees the end of the stream).
    async fn aclose(&self) {
        self.inner.close();
    }
}

impl ByteReceiveStream for UnixStream {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.inner.receive_into(buf).await
    }
}

impl ByteSendStream for UnixStream {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.inner.send_all(data).await
    }
}

impl ByteStream for UnixStream {
    /// Shuts the sending side down (`shutdown(SHUT_WR)`): the peer receives the end of the
    /// stream.
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.inner.send_eof().await
    }
}

impl PollByteReceive for UnixStream {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.inner.poll_receive_into(cx, buf)
    }
}

impl PollByteSend for UnixStream {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.inner.poll_send(cx, data)
    }

    /// Shuts the sending side down, as [`send_eof`](ByteStream::send_eof).
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.inner.poll_send_eof(cx)
    }
}

crate::streams::io::impl_io_traits!([] UnixStream);
