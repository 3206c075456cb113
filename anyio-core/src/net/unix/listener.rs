use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use socket2::Type;

use super::path::{bind, blocking, path_of, with_path};
use super::UnixStream;
use crate::checkpoint_if_cancelled;
use crate::net::socket::Socket;
use crate::net::stream::SocketStream;
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, RawFd, SocketAddress, TypedAttributeProvider,
};
use crate::streams::{AsyncResource, Listener, StreamError};

/// Listens for Unix stream connections on a path, handing them out as [`UnixStream`]s
/// (AnyIO's `UNIXSocketListener`).
///
/// Made by [`create_unix_listener`] or [`UnixListenerOptions::bind`]. Its attributes: the
/// local address (its path, as [`SocketAddress::Unix`]) and the raw descriptor. Closing it
/// leaves the socket file in place (the next listener on the path removes it).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{connect_unix, create_unix_listener};
/// use anyio_core::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, Listener};
/// use anyio_core::task_group;
///
/// let path = std::env::temp_dir().join(format!("anyio-doc-listener-{}.sock", std::process::id()));
/// let listener = create_unix_listener(&path).await.unwrap();
/// task_group(|tg| async move {
///     tg.start_soon(async move {
///         let stream = listener.accept().await.unwrap();
///         let request = stream.receive(64).await.unwrap();
///         stream.send_all(&request).await.unwrap();
///     })?;
///     let client = connect_unix(&path).await.unwrap();
///     client.send_all(b"echo").await.unwrap();
///     assert_eq!(client.receive(64).await.unwrap(), b"echo");
///     # std::fs::remove_file(&path).unwrap();
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct UnixListener {
    socket: Socket<std::os::unix::net::UnixListener>,
    path: PathBuf,
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("path", &self.path)
            .field("socket", &self.socket)
            .finish()
    }
}

/// Whether an accept failure concerns only the one connection (which is then skipped).
fn skip_connection(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::ConnectionAborted
        || rustix::io::Errno::from_io_error(error) == Some(rustix::io::Errno::PROTO)
}

impl UnixListener {
    /// The path listened on.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-path-{}.sock", std::process::id()));
    /// let listener = anyio_core::net::create_unix_listener(&path).await.unwrap();
    /// assert_eq!(listener.local_addr(), path);
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn local_addr(&self) -> &Path {
        &self.path
    }
}

impl TypedAttributeProvider for UnixListener {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalAddress>(|| SocketAddress::Unix(Some(self.path.clone())))
            .provide_opt::<RawFd>(|| self.socket.raw_fd());
    }
}

impl AsyncResource for UnixListener {
    /// Closes the socket at once; a blocked `accept` wakes with
    /// [`StreamError::ClosedResource`]. The socket file stays.
    async fn aclose(&self) {
        self.socket.close();
    }
}

impl Listener for UnixListener {
    type Connection = UnixStream;

    async fn accept(&self) -> Result<UnixStream, StreamError> {
        let _accepting = self.socket.receiving.enter()?;
        checkpoint_if_cancelled().await;
        let (stream, peer) = self
            .socket
            .read(|listener| loop {
                match listener.accept() {
                    Err(error) if skip_connection(&error) => continue,
                    result => return result,
                }
            })
            .await
            .map_err(|failure| failure.into_stream_error())?;
        let local = path_of(stream.local_addr()).map_err(StreamError::broken)?;
        let peer = path_of(Ok(peer)).map_err(StreamError::broken)?;
        let stream = SocketStream::new(stream).map_err(StreamError::broken)?;
        Ok(UnixStream::from_parts(stream, local, peer))
    }
}

/// Creates a Unix stream listener on `path`, with the defaults of [`UnixListenerOptions`]
/// (AnyIO's `create_unix_listener`).
///
/// # Errors
///
/// As [`UnixListenerOptions::bind`].
///
/// # Cancellation
///
/// As [`UnixListenerOptions::bind`].
///
/// # Examples
///
/// See [`UnixListener`].
pub async fn create_unix_listener(path: impl AsRef<Path>) -> io::Result<UnixListener> {
    UnixListenerOptions::new(path.as_ref()).bind().await
}

/// How to create a [`UnixListener`] (AnyIO's `create_unix_listener` parameters): the path,
/// the backlog, and the permissions of the socket file.
///
/// A socket file already at the path, left by an earlier listener, is removed first (as
/// AnyIO does, even when a process still listens on it: that process stops receiving new
/// connections). Anything else at the path is refused with an error naming it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::UnixListenerOptions;
/// use std::os::unix::fs::PermissionsExt;
/// let path = std::env::temp_dir().join(format!("anyio-doc-options-{}.sock", std::process::id()));
/// let listener = UnixListenerOptions::new(&path).backlog(16).mode(0o600).bind().await.unwrap();
/// let mode = std::fs::metadata(&path).unwrap().permissions().mode();
/// assert_eq!(mode & 0o777, 0o600);
/// # std::fs::remove_file(&path).unwrap();
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct UnixListenerOptions {
    path: PathBuf,
    backlog: u32,
    mode: Option<u32>,
}

impl UnixListenerOptions {
    /// Listens on `path`, with a backlog of 65536 (the system caps it) and the socket file's
    /// permissions left to the umask.
    ///
    /// # Examples
    ///
    /// See [`UnixListenerOptions`].
    pub fn new(path: impl Into<PathBuf>) -> UnixListenerOptions {
        UnixListenerOptions {
            path: path.into(),
            backlog: 65536,
            mode: None,
        }
    }

    /// The length of the queue of connections not accepted yet (at most 65536, as in AnyIO;
    /// the system may cap it lower).
    ///
    /// # Examples
    ///
    /// See [`UnixListenerOptions`].
    pub fn backlog(mut self, backlog: u32) -> UnixListenerOptions {
        self.backlog = backlog.min(65536);
        self
    }

    /// Sets the permissions of the socket file to `mode` (such as `0o600`: only this user
    /// may connect) once it is bound.
    ///
    /// # Examples
    ///
    /// See [`UnixListenerOptions`].
    pub fn mode(mut self, mode: u32) -> UnixListenerOptions {
        self.mode = Some(mode);
        self
    }

    /// Removes a stale socket file at the path, then binds, sets the mode and listens. The
    /// file-system calls run in a worker thread.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` when something other than a socket is at the path; the bind's
    /// failure (such as `NotFound` for a missing directory, `PermissionDenied`, or
    /// `InvalidInput` for a path too long for a socket address), with the path in the
    /// message. Outside a runtime.
    ///
    /// # Cancellation
    ///
    /// The file-system calls are not interrupted: a cancelled call waits for them, then
    /// closes the socket (its file stays).
    ///
    /// # Examples
    ///
    /// See [`UnixListenerOptions`].
    pub async fn bind(&self) -> io::Result<UnixListener> {
        let (path, backlog, mode) = (self.path.clone(), self.backlog, self.mode);
        let listener = blocking(move || {
            let socket = bind(Type::STREAM, &path, mode)?;
            let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
            socket
                .listen(backlog)
                .map_err(|error| with_path(error, "could not listen on", &path))?;
            Ok(std::os::unix::net::UnixListener::from(socket))
        })
        .await?;
        Ok(UnixListener {
            socket: Socket::new(listener, "accepting from", "accepting from")?,
            path: self.path.clone(),
        })
    }
}
