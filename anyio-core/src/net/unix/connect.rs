use std::io;
use std::path::Path;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket as RawSocket, Type};

use super::path::{path_of, with_path};
use super::UnixStream;
use crate::checkpoint_if_cancelled;
use crate::net::stream::SocketStream;

/// The first and the longest wait before trying again to connect to a listener whose
/// backlog is full.
const FIRST_RETRY: Duration = Duration::from_millis(1);
const LAST_RETRY: Duration = Duration::from_millis(100);

/// Connects to the Unix stream listener at `path` (AnyIO's `connect_unix`).
///
/// The connect does not block the thread. Where the system makes a connect wait (BSD,
/// macOS), it waits for the socket to turn writable; where it refuses at once while the
/// listener's backlog is full (Linux, `EAGAIN`), with no way to wait for room, it tries again
/// after 1 ms, then after twice as long each time, up to 100 ms between attempts.
///
/// # Errors
///
/// The connect's failure with the path in the message: `NotFound` when nothing is at the
/// path, `ConnectionRefused` when no one listens on it, `InvalidInput` for a path too long
/// for a socket address. Outside a runtime.
///
/// # Cancellation
///
/// Cancel-safe: a cancelled connect closes its socket. In an already-cancelled scope it
/// does nothing.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{connect_unix, create_unix_listener};
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, Listener};
/// let path = std::env::temp_dir().join(format!("anyio-doc-connect-{}.sock", std::process::id()));
/// let listener = create_unix_listener(&path).await.unwrap();
/// let client = connect_unix(&path).await.unwrap();
/// let server = listener.accept().await.unwrap();
/// assert_eq!(client.peer_addr(), Some(path.as_path()));
/// assert_eq!(server.local_addr(), Some(path.as_path()));
/// client.send_all(b"hi").await.unwrap();
/// assert_eq!(server.receive(64).await.unwrap(), b"hi");
/// # std::fs::remove_file(&path).unwrap();
/// # });
/// ```
pub async fn connect_unix(path: impl AsRef<Path>) -> io::Result<UnixStream> {
    let path = path.as_ref();
    checkpoint_if_cancelled().await;
    connect_path(path)
        .await
        .map_err(|error| with_path(error, "could not connect to", path))
}

async fn connect_path(path: &Path) -> io::Result<UnixStream> {
    let address = SockAddr::unix(path)?;
    let socket = RawSocket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    let mut retry = FIRST_RETRY;
    loop {
        match socket.connect(&address) {
            Ok(()) => break,
            Err(error)
                if rustix::io::Errno::from_io_error(&error)
                    == Some(rustix::io::Errno::INPROGRESS) =>
            {
                break
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                crate::sleep(retry).await;
                retry = (retry * 2).min(LAST_RETRY);
            }
            Err(error) => return Err(error),
        }
    }
    let stream = SocketStream::new(std::os::unix::net::UnixStream::from(socket))?;
    stream.finish_connect().await?;
    let (local, peer) = stream
        .socket()
        .with(|socket| {
            Ok::<_, io::Error>((path_of(socket.local_addr())?, path_of(socket.peer_addr())?))
        })
        .unwrap_or(Err(io::ErrorKind::NotConnected.into()))?;
    Ok(UnixStream::from_parts(stream, local, peer))
}
