use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::datagram::open;
use super::path::{path_of, with_path};
use crate::net::socket::{DatagramBuffer, Socket};
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, RawFd, RemoteAddress, SocketAddress, TypedAttributeProvider,
};
use crate::streams::{
    AsyncResource, ObjectSendError, StreamError, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};

/// A Unix datagram socket connected to one peer (AnyIO's `ConnectedUNIXDatagramSocket`):
/// it sends datagrams to that peer only and receives datagrams from that peer only.
///
/// Made by [`create_connected_unix_datagram_socket`] or
/// [`ConnectedUnixDatagramSocket::from_std`] (say, one end of
/// `std::os::unix::net::UnixDatagram::pair()`). As an object stream its items are payloads.
/// Methods take `&self`; a second concurrent receive (or send) fails with
/// [`StreamError::BusyResource`]. Its attributes: the local and remote address (as
/// [`SocketAddress::Unix`], `None` when unnamed) and the raw descriptor.
///
/// A datagram longer than 65536 bytes is cut to its first 65536. Once the peer's socket is
/// closed, a send fails with [`StreamError::BrokenResource`] (`ConnectionRefused`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::ConnectedUnixDatagramSocket;
/// let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
/// let a = ConnectedUnixDatagramSocket::from_std(a).unwrap();
/// let b = ConnectedUnixDatagramSocket::from_std(b).unwrap();
/// a.send(b"one").await.unwrap();
/// a.send(b"two").await.unwrap();
/// assert_eq!(b.receive().await.unwrap(), b"one");
/// assert_eq!(b.receive().await.unwrap(), b"two");
/// # });
/// ```
pub struct ConnectedUnixDatagramSocket {
    socket: Socket<std::os::unix::net::UnixDatagram>,
    buffer: DatagramBuffer,
    local: Option<PathBuf>,
    peer: Option<PathBuf>,
}

impl fmt::Debug for ConnectedUnixDatagramSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectedUnixDatagramSocket")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("socket", &self.socket)
            .finish()
    }
}

impl ConnectedUnixDatagramSocket {
    /// Adopts a connected std Unix datagram socket, making it non-blocking and registering
    /// it with the current runtime.
    ///
    /// # Errors
    ///
    /// When the socket is not connected (`NotConnected`), or outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`ConnectedUnixDatagramSocket`].
    pub fn from_std(
        socket: std::os::unix::net::UnixDatagram,
    ) -> io::Result<ConnectedUnixDatagramSocket> {
        let local = path_of(socket.local_addr())?;
        let peer = path_of(socket.peer_addr())?;
        Ok(ConnectedUnixDatagramSocket {
            socket: Socket::new(socket, "receiving from", "sending to")?,
            buffer: DatagramBuffer::default(),
            local,
            peer,
        })
    }

    /// The path the socket is bound to (`None` when unnamed).
    ///
    /// # Examples
    ///
    /// See [`create_connected_unix_datagram_socket`].
    pub fn local_addr(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    /// The path of the peer (`None` when unnamed, as in a socket pair).
    ///
    /// # Examples
    ///
    /// See [`create_connected_unix_datagram_socket`].
    pub fn peer_addr(&self) -> Option<&Path> {
        self.peer.as_deref()
    }

    /// Sends `data` as one datagram to the peer.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose);
    /// [`StreamError::BusyResource`] while another task sends; the system's refusal (such as
    /// `ConnectionRefused` once the peer is closed, or a datagram too long) as
    /// [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// A cancelled send sent the whole datagram or nothing.
    ///
    /// # Examples
    ///
    /// See [`ConnectedUnixDatagramSocket`].
    pub async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        self.socket.send_datagram(|socket| socket.send(data)).await
    }

    /// Receives the next datagram from the peer.
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
    /// See [`ConnectedUnixDatagramSocket`].
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

/// Creates a Unix datagram socket connected to the socket bound to `remote_path`, itself
/// bound to `local_path` when given (after removing a stale socket file there) so that the
/// peer can answer, unnamed otherwise (AnyIO's `create_connected_unix_datagram_socket`).
///
/// # Errors
///
/// As [`create_unix_datagram_socket`](crate::net::create_unix_datagram_socket) for the local
/// path; the connect's failure (`NotFound` when nothing is at the remote path,
/// `ConnectionRefused` when no socket is bound to it), with the path in the message; the
/// local socket file just bound is then removed.
///
/// # Cancellation
///
/// As [`create_unix_datagram_socket`](crate::net::create_unix_datagram_socket).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{create_connected_unix_datagram_socket, create_unix_datagram_socket};
/// let dir = std::env::temp_dir();
/// let server_path = dir.join(format!("anyio-doc-cdgram-server-{}.sock", std::process::id()));
/// let client_path = dir.join(format!("anyio-doc-cdgram-client-{}.sock", std::process::id()));
/// let server = create_unix_datagram_socket(Some(&server_path)).await.unwrap();
/// let client = create_connected_unix_datagram_socket(&server_path, Some(&client_path))
///     .await
///     .unwrap();
/// assert_eq!(client.peer_addr(), Some(server_path.as_path()));
/// assert_eq!(client.local_addr(), Some(client_path.as_path()));
/// client.send(b"ping").await.unwrap();
/// let (data, sender) = server.receive_from().await.unwrap();
/// assert_eq!(data, b"ping");
/// server.send_to(b"pong", sender.unwrap()).await.unwrap();
/// assert_eq!(client.receive().await.unwrap(), b"pong");
/// # std::fs::remove_file(&server_path).unwrap();
/// # std::fs::remove_file(&client_path).unwrap();
/// # });
/// ```
pub async fn create_connected_unix_datagram_socket(
    remote_path: impl AsRef<Path>,
    local_path: Option<&Path>,
) -> io::Result<ConnectedUnixDatagramSocket> {
    let remote_path = remote_path.as_ref();
    let address = socket2::SockAddr::unix(remote_path)
        .map_err(|error| with_path(error, "invalid path", remote_path))?;
    let socket = open(local_path).await?;
    if let Err(error) = socket.connect(&address) {
        // The socket file just bound is of no use to anyone.
        if let Some(local_path) = local_path {
            let _ = std::fs::remove_file(local_path);
        }
        return Err(with_path(error, "could not connect to", remote_path));
    }
    ConnectedUnixDatagramSocket::from_std(socket.into())
}

impl TypedAttributeProvider for ConnectedUnixDatagramSocket {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Unix(self.local.clone()))
            .provide::<RemoteAddress>(|| SocketAddress::Unix(self.peer.clone()))
            .provide_opt::<RawFd>(|| self.socket.raw_fd());
    }
}

impl AsyncResource for ConnectedUnixDatagramSocket {
    /// Closes the socket at once; a blocked receive or send wakes with
    /// [`StreamError::ClosedResource`]. The socket file stays.
    async fn aclose(&self) {
        self.socket.close();
    }
}

impl UnreliableObjectReceiveStream<Vec<u8>> for ConnectedUnixDatagramSocket {
    /// As [`ConnectedUnixDatagramSocket::receive`].
    async fn receive(&self) -> Result<Vec<u8>, StreamError> {
        ConnectedUnixDatagramSocket::receive(self).await
    }
}

impl UnreliableObjectSendStream<Vec<u8>> for ConnectedUnixDatagramSocket {
    /// As [`ConnectedUnixDatagramSocket::send`]; a failed send gives the datagram back.
    async fn send(&self, item: Vec<u8>) -> Result<(), ObjectSendError<Vec<u8>>> {
        match ConnectedUnixDatagramSocket::send(self, &item).await {
            Ok(()) => Ok(()),
            Err(error) => Err(ObjectSendError::new(error, item)),
        }
    }
}
