use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use socket2::{Domain, Socket as RawSocket, Type};

use super::path::{bind, blocking, path_of};
use crate::net::socket::{DatagramBuffer, Socket};
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, RawFd, SocketAddress, TypedAttributeProvider,
};
use crate::streams::{
    AsyncResource, ObjectSendError, StreamError, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};

/// An unconnected Unix datagram socket (AnyIO's `UNIXDatagramSocket`): it sends datagrams
/// to any socket path and receives them from any sender.
///
/// Made by [`create_unix_datagram_socket`] or [`UnixDatagramSocket::from_std`]. As an object
/// stream it receives `(payload, sender)` pairs, the sender `None` when its socket is
/// unnamed (not bound to a path, so it cannot be answered), and sends `(payload, path)`
/// pairs. Methods take `&self`; a second concurrent receive (or send) fails with
/// [`StreamError::BusyResource`]. Its attributes: the local address (as
/// [`SocketAddress::Unix`]) and the raw descriptor.
///
/// A datagram longer than 65536 bytes is cut to its first 65536 (as in AnyIO).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::create_unix_datagram_socket;
/// let dir = std::env::temp_dir();
/// let server_path = dir.join(format!("anyio-doc-dgram-server-{}.sock", std::process::id()));
/// let client_path = dir.join(format!("anyio-doc-dgram-client-{}.sock", std::process::id()));
/// let server = create_unix_datagram_socket(Some(&server_path)).await.unwrap();
/// let client = create_unix_datagram_socket(Some(&client_path)).await.unwrap();
/// client.send_to(b"ping", &server_path).await.unwrap();
/// let (data, sender) = server.receive_from().await.unwrap();
/// assert_eq!((data.as_slice(), sender.as_deref()), (&b"ping"[..], Some(client_path.as_path())));
/// server.send_to(b"pong", sender.unwrap()).await.unwrap();
/// assert_eq!(client.receive_from().await.unwrap().0, b"pong");
/// # std::fs::remove_file(&server_path).unwrap();
/// # std::fs::remove_file(&client_path).unwrap();
/// # });
/// ```
pub struct UnixDatagramSocket {
    socket: Socket<std::os::unix::net::UnixDatagram>,
    buffer: DatagramBuffer,
    local: Option<PathBuf>,
}

impl fmt::Debug for UnixDatagramSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagramSocket")
            .field("local", &self.local)
            .field("socket", &self.socket)
            .finish()
    }
}

impl UnixDatagramSocket {
    /// Adopts a std Unix datagram socket, bound or not, making it non-blocking and
    /// registering it with the current runtime.
    ///
    /// # Errors
    ///
    /// When the system cannot tell the socket's address, or outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::UnixDatagramSocket;
    /// let std_socket = std::os::unix::net::UnixDatagram::unbound().unwrap();
    /// let socket = UnixDatagramSocket::from_std(std_socket).unwrap();
    /// assert_eq!(socket.local_addr(), None);
    /// # });
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagramSocket> {
        let local = path_of(socket.local_addr())?;
        Ok(UnixDatagramSocket {
            socket: Socket::new(socket, "receiving from", "sending to")?,
            buffer: DatagramBuffer::default(),
            local,
        })
    }

    /// The path the socket is bound to (`None` when unnamed).
    ///
    /// # Examples
    ///
    /// See [`UnixDatagramSocket::from_std`].
    pub fn local_addr(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    /// Sends `data` as one datagram to the socket bound to `path`.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose);
    /// [`StreamError::BusyResource`] while another task sends; the system's refusal (such as
    /// `NotFound` or `ConnectionRefused` when no socket is bound to the path, or a datagram
    /// too long) as [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// A cancelled send sent the whole datagram or nothing.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagramSocket`].
    pub async fn send_to(&self, data: &[u8], path: impl AsRef<Path>) -> Result<(), StreamError> {
        let path = path.as_ref();
        self.socket
            .send_datagram(|socket| socket.send_to(data, path))
            .await
    }

    /// Receives the next datagram, with the path of its sender (`None` for an unnamed
    /// sender).
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
    /// See [`UnixDatagramSocket`].
    pub async fn receive_from(&self) -> Result<(Vec<u8>, Option<PathBuf>), StreamError> {
        self.socket
            .receive_datagram(&self.buffer, |socket, buf| {
                let (received, sender) = socket.recv_from(buf)?;
                Ok((received, path_of(Ok(sender))?))
            })
            .await
    }
}

/// Creates a Unix datagram socket, bound to `local_path` when given (after removing a
/// stale socket file there), unnamed otherwise (AnyIO's `create_unix_datagram_socket`).
/// An unnamed socket can send, but no one can answer it.
///
/// # Errors
///
/// With a path: `AlreadyExists` when something other than a socket is at the path; the
/// bind's failure (such as `NotFound` for a missing directory), with the path in the
/// message. Outside a runtime.
///
/// # Cancellation
///
/// The file-system calls are not interrupted: a cancelled call waits for them, then closes
/// the socket (its file stays).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::create_unix_datagram_socket;
/// let path = std::env::temp_dir().join(format!("anyio-doc-dgram-{}.sock", std::process::id()));
/// let server = create_unix_datagram_socket(Some(&path)).await.unwrap();
/// assert_eq!(server.local_addr(), Some(path.as_path()));
/// let client = create_unix_datagram_socket(None).await.unwrap();
/// client.send_to(b"anonymous", &path).await.unwrap();
/// assert_eq!(server.receive_from().await.unwrap(), (b"anonymous".to_vec(), None));
/// # std::fs::remove_file(&path).unwrap();
/// # });
/// ```
pub async fn create_unix_datagram_socket(
    local_path: Option<&Path>,
) -> io::Result<UnixDatagramSocket> {
    let socket = open(local_path).await?;
    UnixDatagramSocket::from_std(socket.into())
}

/// A Unix datagram socket bound to `local_path`, or unnamed.
pub(super) async fn open(local_path: Option<&Path>) -> io::Result<RawSocket> {
    match local_path {
        Some(path) => {
            let path = path.to_path_buf();
            blocking(move || bind(Type::DGRAM, &path, None)).await
        }
        None => RawSocket::new(Domain::UNIX, Type::DGRAM, None),
    }
}

impl TypedAttributeProvider for UnixDatagramSocket {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Unix(self.local.clone()))
            .provide_opt::<RawFd>(|| self.socket.raw_fd());
    }
}

impl AsyncResource for UnixDatagramSocket {
    /// Closes the socket at once; a blocked receive or send wakes with
    /// [`StreamError::ClosedResource`]. The socket file stays.
    async fn aclose(&self) {
        self.socket.close();
    }
}

impl UnreliableObjectReceiveStream<(Vec<u8>, Option<PathBuf>)> for UnixDatagramSocket {
    /// As [`UnixDatagramSocket::receive_from`].
    async fn receive(&self) -> Result<(Vec<u8>, Option<PathBuf>), StreamError> {
        self.receive_from().await
    }
}

impl UnreliableObjectSendStream<(Vec<u8>, PathBuf)> for UnixDatagramSocket {
    /// As [`UnixDatagramSocket::send_to`]; a failed send gives the datagram and path back.
    async fn send(
        &self,
        item: (Vec<u8>, PathBuf),
    ) -> Result<(), ObjectSendError<(Vec<u8>, PathBuf)>> {
        match self.send_to(&item.0, &item.1).await {
            Ok(()) => Ok(()),
            Err(error) => Err(ObjectSendError::new(error, item)),
        }
    }
}
