use std::fmt;
use std::io;
use std::net::SocketAddr;

use crate::net::socket::{DatagramBuffer, Socket};
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, LocalPort, RawFd, SocketAddress, TypedAttributeProvider,
};
use crate::streams::{
    AsyncResource, ObjectSendError, StreamError, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};

/// An unconnected UDP socket (AnyIO's `UDPSocket`): it sends datagrams to any address and
/// receives them from any sender.
///
/// Made by [`create_udp_socket`](crate::net::create_udp_socket),
/// [`UdpSocketOptions::bind`](crate::net::UdpSocketOptions::bind) or
/// [`UdpSocket::from_std`]. As an object stream its items are `(payload, address)` pairs.
/// Methods take `&self`; one task may receive while another sends, and a second concurrent
/// receive (or send) fails with [`StreamError::BusyResource`]. Its attributes: the local
/// address and port, and the raw descriptor.
///
/// A datagram longer than 65536 bytes is cut to its first 65536 (as in AnyIO; UDP carries at
/// most 65507 bytes over IPv4). An error the system reports for one datagram, such as
/// `ConnectionRefused` after an ICMP "port unreachable", is a
/// [`StreamError::BrokenResource`] that leaves the socket usable.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::create_udp_socket;
/// let a = create_udp_socket("127.0.0.1", 0).await.unwrap();
/// let b = create_udp_socket("127.0.0.1", 0).await.unwrap();
/// a.send_to(b"ping", b.local_addr()).await.unwrap();
/// let (data, from) = b.receive_from().await.unwrap();
/// assert_eq!(data, b"ping");
/// assert_eq!(from, a.local_addr());
/// # });
/// ```
pub struct UdpSocket {
    socket: Socket<std::net::UdpSocket>,
    buffer: DatagramBuffer,
    local: SocketAddr,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local)
            .field("socket", &self.socket)
            .finish()
    }
}

impl UdpSocket {
    /// Adopts a bound std UDP socket (say, from a blocking API), making it non-blocking and
    /// registering it with the current runtime.
    ///
    /// # Errors
    ///
    /// When the socket has no local address, or outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::UdpSocket;
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let address = std_socket.local_addr().unwrap();
    /// let socket = UdpSocket::from_std(std_socket).unwrap();
    /// assert_eq!(socket.local_addr(), address);
    /// # });
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let local = socket.local_addr()?;
        Ok(UdpSocket {
            socket: Socket::new(socket, "receiving from", "sending to")?,
            buffer: DatagramBuffer::default(),
            local,
        })
    }

    /// The address the socket is bound to.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sends `data` as one datagram to `address`.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose);
    /// [`StreamError::BusyResource`] while another task sends; the system's refusal (such as
    /// a datagram too long, or an address of the other family) as
    /// [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// A cancelled send sent the whole datagram or nothing.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    pub async fn send_to(&self, data: &[u8], address: SocketAddr) -> Result<(), StreamError> {
        self.socket
            .send_datagram(|socket| socket.send_to(data, address))
            .await
    }

    /// Receives the next datagram, with its sender's address.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose), also when
    /// another task closes the socket during the receive; [`StreamError::BusyResource`] while
    /// another task receives; an error the system reports as [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled receive loses no datagram.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    pub async fn receive_from(&self) -> Result<(Vec<u8>, SocketAddr), StreamError> {
        self.socket
            .receive_datagram(&self.buffer, |socket, buf| socket.recv_from(buf))
            .await
    }
}

impl TypedAttributeProvider for UdpSocket {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Inet(self.local))
            .provide::<LocalPort>(|| self.local.port())
            .provide_opt::<RawFd>(|| self.socket.raw_fd());
    }
}

impl AsyncResource for UdpSocket {
    /// Closes the socket at once (the port is free again); a blocked receive or send wakes
    /// with [`StreamError::ClosedResource`].
    async fn aclose(&self) {
        self.socket.close();
    }
}

impl UnreliableObjectReceiveStream<(Vec<u8>, SocketAddr)> for UdpSocket {
    /// As [`UdpSocket::receive_from`].
    async fn receive(&self) -> Result<(Vec<u8>, SocketAddr), StreamError> {
        self.receive_from().await
    }
}

impl UnreliableObjectSendStream<(Vec<u8>, SocketAddr)> for UdpSocket {
    /// As [`UdpSocket::send_to`]; a failed send gives the datagram and address back.
    async fn send(
        &self,
        item: (Vec<u8>, SocketAddr),
    ) -> Result<(), ObjectSendError<(Vec<u8>, SocketAddr)>> {
        match self.send_to(&item.0, item.1).await {
            Ok(()) => Ok(()),
            Err(error) => Err(ObjectSendError::new(error, item)),
        }
    }
}
