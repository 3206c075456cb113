use std::io;
use std::path::{Path, PathBuf};

/// A file-system operation failed: the operation, the path (and the destination of a rename
/// or copy), and the operating system's error as the [source](std::error::Error::source).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::Path;
/// use std::io::ErrorKind;
///
/// let error = Path::new("/anyio/no/such/file").read().await.unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::NotFound);
/// assert_eq!(error.path(), std::path::Path::new("/anyio/no/such/file"));
/// assert_eq!(error.to_string(), "failed to read `/anyio/no/such/file`");
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[error("failed to {operation} `{}`{}", path.display(), destination(.to))]
pub struct FsError {
    operation: &'static str,
    path: PathBuf,
    to: Option<PathBuf>,
    #[source]
    source: io::Error,
}

fn destination(to: &Option<PathBuf>) -> String {
    match to {
        Some(to) => format!(" to `{}`", to.display()),
        None => String::new(),
    }
}

impl FsError {
    pub(super) fn new(operation: &'static str, path: &Path, source: io::Error) -> FsError {
        FsError {
            operation,
            path: path.to_owned(),
            to: None,
            source,
        }
    }

    pub(super) fn with_destination(
        operation: &'static str,
        path: &Path,
        to: &Path,
        source: io::Error,
    ) -> FsError {
        FsError {
            operation,
            path: path.to_owned(),
            to: Some(to.to_owned()),
            source,
        }
    }

    /// The path the operation was on (the source of a rename or copy).
    ///
    /// # Examples
    ///
    /// See [`FsError`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The destination of a failed rename or copy.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let error = Path::new("/anyio/missing").rename("/anyio/elsewhere").await.unwrap_err();
    /// assert_eq!(error.destination(), Some(std::path::Path::new("/anyio/elsewhere")));
    /// assert_eq!(error.to_string(), "failed to rename `/anyio/missing` to `/anyio/elsewhere`");
    /// # });
    /// ```
    pub fn destination(&self) -> Option<&Path> {
        self.to.as_deref()
    }

    /// The kind of the operating system's error.
    ///
    /// # Examples
    ///
    /// See [`FsError`].
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The operating system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let error = Path::new("/anyio/no/such/file").metadata().await.unwrap_err();
    /// assert_eq!(error.io_error().raw_os_error(), Some(2)); // ENOENT
    /// # });
    /// ```
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// The operating system's error, without the path.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let error = Path::new("/anyio/no/such/file").read().await.unwrap_err();
    /// assert_eq!(error.into_io_error().kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
}

impl From<FsError> for io::Error {
    /// An `io::Error` of the same kind whose message names the path.
    fn from(error: FsError) -> io::Error {
        io::Error::new(error.kind(), error)
    }
}
