use std::fmt;
use std::io;
use std::net::SocketAddr;

use crate::net::socket::{DatagramBuffer, Socket};
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, LocalPort, RawFd, RemoteAddress, RemotePort, SocketAddress,
    TypedAttributeProvider,
};
use crate::streams::{
    AsyncResource, ObjectSendError, StreamError, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};

/// A UDP socket connected to one peer (AnyIO's `ConnectedUDPSocket`): it sends datagrams
/// to that peer only and receives datagrams from that peer only.
///
/// Made by [`create_connected_udp_socket`](crate::net::create_connected_udp_socket),
/// [`UdpSocketOptions::connect`](crate::net::UdpSocketOptions::connect) or
/// [`ConnectedUdpSocket::from_std`]. As an object stream its items are payloads. Methods take
/// `&self`; a second concurrent receive (or send) fails with
/// [`StreamError::BusyResource`]. Its attributes: local and remote address and port, and the
/// raw descriptor.
///
/// A datagram longer than 65536 bytes is cut to its first 65536. When the peer has no
/// socket on its port, the system may report `ConnectionRefused` on a later send or receive:
/// a [`StreamError::BrokenResource`] that leaves the socket usable.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{create_connected_udp_socket, create_udp_socket};
/// let server = create_udp_socket("127.0.0.1", 0).await.unwrap();
/// let client = create_connected_udp_socket("127.0.0.1", server.local_addr().port())
///     .await
///     .unwrap();
/// client.send(b"ping").await.unwrap();
/// let (data, from) = server.receive_from().await.unwrap();
/// assert_eq!((data.as_slice(), from), (&b"ping"[..], client.local_addr()));
/// server.send_to(b"pong", from).await.unwrap();
/// assert_eq!(client.receive().await.unwrap(), b"pong");
/// # });
/// ```
pub struct ConnectedUdpSocket {
    socket: Socket<std::net::UdpSocket>,
    buffer: DatagramBuffer,
    local: SocketAddr,
    peer: SocketAddr,
}

impl fmt::Debug for ConnectedUdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectedUdpSocket")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("socket", &self.socket)
            .finish()
    }
}

impl ConnectedUdpSocket {
    /// Adopts a connected std UDP socket, making it non-blocking and registering it with the
    /// current runtime.
    ///
    /// # Errors
    ///
    /// When the socket is not connected (`NotConnected`), or outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::ConnectedUdpSocket;
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// std_socket.connect("127.0.0.1:9").unwrap();
    /// let socket = ConnectedUdpSocket::from_std(std_socket).unwrap();
    /// assert_eq!(socket.peer_addr().port(), 9);
    /// # });
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<ConnectedUdpSocket> {
        let local = socket.local_addr()?;
        let peer = socket.peer_addr()?;
        Ok(ConnectedUdpSocket {
            socket: Socket::new(socket, "receiving from", "sending to")?,
            buffer: DatagramBuffer::default(),
            local,
            peer,
        })
    }

    /// The address the socket is bound to.
    ///
    /// # Examples
    ///
    /// See [`ConnectedUdpSocket`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The address of the peer the socket is connected to.
    ///
    /// # Examples
    ///
    /// See [`ConnectedUdpSocket::from_std`].
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Sends `data` as one datagram to the peer.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose);
    /// [`StreamError::BusyResource`] while another task sends; the system's refusal (such as
    /// a datagram too long, or `ConnectionRefused`) as [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// A cancelled send sent the whole datagram or nothing.
    ///
    /// # Examples
    ///
    /// See [`ConnectedUdpSocket`].
    pub async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        self.socket.send_datagram(|socket| socket.send(data)).await
    }

    /// Receives the next datagram from the peer.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose), also when
    /// another task closes the socket during the receive; [`StreamError::BusyResource`] while
    /// another task receives; an error the system reports (such as `ConnectionRefused`) as
    /// [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled receive loses no datagram.
    ///
    /// # Examples
    ///
    /// See [`ConnectedUdpSocket`].
    pub async fn receive(&self) -> Result<Vec<u8>, StreamError> {
        let (data, ()) = self
            .socket
            .receive_datagram(&self.buffer, |socket, buf| {
                socket.recv(buf).map(|received| (received, ()))
            })
            .await?;
        Ok(data)
    }
}

impl TypedAttributeProvider for ConnectedUdpSocket {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Inet(self.local))
            .provide::<RemoteAddress>(|| SocketAddress::Inet(self.peer))
            .provide::<LocalPort>(|| self.local.port())
            .provide::<RemotePort>(|| self.peer.port())
            .provide_opt::<RawFd>(|| self.socket.raw_fd());
    }
}

impl AsyncResource for ConnectedUdpSocket {
    /// Closes the socket at once (the port is free again); a blocked receive or send wakes
    /// with [`StreamError::ClosedResource`].
    async fn aclose(&self) {
        self.socket.close();
    }
}

impl UnreliableObjectReceiveStream<Vec<u8>> for ConnectedUdpSocket {
    /// As [`ConnectedUdpSocket::receive`].
    async fn receive(&self) -> Result<Vec<u8>, StreamError> {
        ConnectedUdpSocket::receive(self).await
    }
}

impl UnreliableObjectSendStream<Vec<u8>> for ConnectedUdpSocket {
    /// As [`ConnectedUdpSocket::send`]; a failed send gives the datagram back.
    async fn send(&self, item: Vec<u8>) -> Result<(), ObjectSendError<Vec<u8>>> {
        match ConnectedUdpSocket::send(self, &item).await {
            Ok(()) => Ok(()),
            Err(error) => Err(ObjectSendError::new(error, item)),
        }
    }
}
