//! Socket paths: binding, removing stale socket files, and the paths of addresses.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use socket2::{Domain, SockAddr, Socket as RawSocket, Type};

/// Whether `path` names a Linux abstract socket (a leading NUL byte), which has no file.
fn is_abstract(path: &Path) -> bool {
    path.as_os_str().as_bytes().first() == Some(&0)
}

/// `error` with `what` and the path in its message, its kind kept.
pub(super) fn with_path(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{what} {}: {error}", path.display()))
}

/// Removes a socket file left at `path` by an earlier socket, as AnyIO does (even if a
/// process still listens on it); anything else at the path is refused, never removed.
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_socket() => std::fs::remove_file(path)
            .map_err(|error| with_path(error, "could not remove the stale socket", path)),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not a socket: refusing to replace it",
                path.display()
            ),
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(with_path(error, "could not inspect", path)),
    }
}

/// A Unix socket of type `kind` bound to `path` (after removing a stale socket file there),
/// the file's permissions then set to `mode`. The calls may block on a slow file system: see
/// [`blocking`].
pub(super) fn bind(kind: Type, path: &Path, mode: Option<u32>) -> io::Result<RawSocket> {
    let named = !is_abstract(path);
    if named {
        remove_stale_socket(path)?;
    }
    let socket = RawSocket::new(Domain::UNIX, kind, None)?;
    let address = SockAddr::unix(path).map_err(|error| with_path(error, "invalid path", path))?;
    socket
        .bind(&address)
        .map_err(|error| with_path(error, "could not bind a Unix socket to", path))?;
    if let (Some(mode), true) = (mode, named) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|error| with_path(error, "could not set the permissions of", path))?;
    }
    Ok(socket)
}

/// Runs `work` (file-system calls) on a worker thread; a cancelled caller waits for it.
pub(super) async fn blocking<R: Send + 'static>(
    work: impl FnOnce() -> io::Result<R> + Send + 'static,
) -> io::Result<R> {
    crate::to_thread::run_sync(work).await
}

/// The path of a Unix socket address: `None` when the socket is unnamed (or abstract).
pub(super) fn path_of(
    address: io::Result<std::os::unix::net::SocketAddr>,
) -> io::Result<Option<PathBuf>> {
    Ok(address?.as_pathname().map(Path::to_path_buf))
}
