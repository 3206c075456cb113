use std::fmt;
use std::io;
use std::net::SocketAddr;

use crate::net::stream::SocketStream;
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, LocalPort, RawFd, RemoteAddress, RemotePort, SocketAddress,
    TypedAttributeProvider,
};
use std::task::{Context, Poll};

use crate::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
use crate::streams::{PollByteReceive, PollByteSend};

/// A TCP connection as an anyio [`ByteStream`] (AnyIO's `SocketStream` over TCP).
///
/// Made by [`connect_tcp`](crate::net::connect_tcp), [`TcpStream::connect`] or a
/// [`TcpListener`](crate::net::TcpListener). `TCP_NODELAY` is on. Methods take `&self`: share
/// the stream (say, in an `Arc`) to receive in one task while another sends. Its attributes:
/// local and remote address and port, and the raw descriptor.
///
/// A receive after the peer closed its side fails with [`StreamError::EndOfStream`]; an
/// operation after our own [`aclose`](AsyncResource::aclose) with
/// [`StreamError::ClosedResource`]; a send to a peer that reset the connection with
/// [`StreamError::BrokenResource`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{connect_tcp, create_tcp_listener};
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, Listener};
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_addrs()[0].port();
/// let client = connect_tcp("127.0.0.1", port).await.unwrap();
/// let server = listener.accept().await.unwrap();
/// client.send_all(b"hello").await.unwrap();
/// assert_eq!(server.receive(64).await.unwrap(), b"hello");
/// assert_eq!(server.peer_addr(), client.local_addr());
/// # });
/// ```
pub struct TcpStream {
    inner: SocketStream<std::net::TcpStream>,
    local: SocketAddr,
    peer: SocketAddr,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("socket", self.inner.socket())
            .finish()
    }
}

impl TcpStream {
    /// Connects to one address (no name resolution, no Happy Eyeballs): see
    /// [`connect_tcp`](crate::net::connect_tcp) for host names.
    ///
    /// # Errors
    ///
    /// The connection's failure, such as `ConnectionRefused`, with the address in the
    /// message; outside a runtime.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled connect closes its socket. In an already-cancelled scope no
    /// socket is made.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::{create_tcp_listener, TcpStream};
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let stream = TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
    /// assert_eq!(stream.peer_addr(), listener.local_addrs()[0]);
    /// # });
    /// ```
    pub async fn connect(address: SocketAddr) -> io::Result<TcpStream> {
        super::connect::connect_address(address, None)
            .await
            .map_err(|error| {
                io::Error::new(error.kind(), format!("connecting to {address}: {error}"))
            })
    }

    /// Adopts a connected std stream (say, from a blocking API), making it non-blocking
    /// and registering it with the current runtime. `TCP_NODELAY` is left as it is.
    ///
    /// # Errors
    ///
    /// When the stream is not connected, or outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::{create_tcp_listener, TcpStream};
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addrs()[0]).unwrap();
    /// let stream = TcpStream::from_std(std_stream).unwrap();
    /// assert_eq!(stream.peer_addr(), listener.local_addrs()[0]);
    /// # });
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let local = stream.local_addr()?;
        let peer = stream.peer_addr()?;
        Ok(TcpStream {
            inner: SocketStream::new(stream)?,
            local,
            peer,
        })
    }

    pub(crate) fn from_parts(
        inner: SocketStream<std::net::TcpStream>,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> TcpStream {
        TcpStream { inner, local, peer }
    }

    /// The local address of the connection.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The peer's address.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Turns Nagle's algorithm off (`true`, the default here) or on.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose); the system's
    /// refusal as [`StreamError::BrokenResource`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// # let listener = anyio_core::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let stream = anyio_core::net::TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
    /// stream.set_nodelay(false).unwrap();
    /// assert!(!stream.nodelay().unwrap());
    /// # });
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> Result<(), StreamError> {
        self.inner
            .socket()
            .with(|socket| socket.set_nodelay(nodelay))
            .ok_or(StreamError::ClosedResource)?
            .map_err(StreamError::broken)
    }

    /// Whether Nagle's algorithm is off.
    ///
    /// # Errors
    ///
    /// As [`set_nodelay`](TcpStream::set_nodelay).
    ///
    /// # Examples
    ///
    /// See [`set_nodelay`](TcpStream::set_nodelay).
    pub fn nodelay(&self) -> Result<bool, StreamError> {
        self.inner
            .socket()
            .with(|socket| socket.nodelay())
            .ok_or(StreamError::ClosedResource)?
            .map_err(StreamError::broken)
    }
}

impl TypedAttributeProvider for TcpStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Inet(self.local))
            .provide::<RemoteAddress>(|| SocketAddress::Inet(self.peer))
            .provide::<LocalPort>(|| self.local.port())
            .provide::<RemotePort>(|| self.peer.port())
            .provide_opt::<RawFd>(|| self.inner.socket().raw_fd());
    }
}

impl AsyncResource for TcpStream {
    /// Closes the socket at once (the peer sees the end of the stream).
    async fn aclose(&self) {
        self.inner.close();
    }
}

impl ByteReceiveStream for TcpStream {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.inner.receive_into(buf).await
    }
}

impl ByteSendStream for TcpStream {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.inner.send_all(data).await
    }
}

impl ByteStream for TcpStream {
    /// Shuts the sending side down (`shutdown(SHUT_WR)`): the peer receives the end of the
    /// stream.
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.inner.send_eof().await
    }
}

impl PollByteReceive for TcpStream {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.inner.poll_receive_into(cx, buf)
    }
}

impl PollByteSend for TcpStream {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.inner.poll_send(cx, data)
    }

    /// Shuts the sending side down, as [`send_eof`](ByteStream::send_eof).
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.inner.poll_send_eof(cx)
    }
}

crate::streams::io::impl_io_traits!([] TcpStream);
