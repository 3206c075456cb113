use std::ffi::OsStr;
use std::fmt;
use std::fs::Metadata;
use std::ops::Deref;
use std::path::PathBuf;

use super::{blocking, open_file, AsyncFile, FsError, OpenOptions, ReadDir};

/// A file-system path whose operations run on worker threads: AnyIO's `anyio.Path`, a
/// wrapper around [`PathBuf`].
///
/// It dereferences to [`std::path::Path`] for the pure path methods (`file_name`,
/// `extension`, `components`, `display`...), while the methods that touch the file system
/// (`exists`, `metadata`, `read_dir`...) are async here and shadow the blocking ones. It
/// converts from and to `PathBuf`, and can be passed wherever `AsRef<std::path::Path>` is
/// taken.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::Path;
///
/// let dir = Path::new(std::env::temp_dir()).join(format!("anyio-path-doc-{}", std::process::id()));
/// dir.join("a/b").create_dir_all().await?;
/// let file = dir.join("a/b/hello.txt");
/// file.write("hello").await?;
/// assert!(file.is_file().await);
/// assert_eq!(file.extension().unwrap(), "txt"); // std's, through Deref
/// assert_eq!(file.read_to_string().await?, "hello");
/// dir.remove_dir_all().await?;
/// assert!(!dir.exists().await);
/// # Ok::<(), anyio_core::fs::FsError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Path(PathBuf);

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Deref for Path {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for Path {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<OsStr> for Path {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl From<PathBuf> for Path {
    fn from(path: PathBuf) -> Path {
        Path(path)
    }
}

impl From<&std::path::Path> for Path {
    fn from(path: &std::path::Path) -> Path {
        Path(path.to_owned())
    }
}

impl From<&str> for Path {
    fn from(path: &str) -> Path {
        Path(path.into())
    }
}

impl From<String> for Path {
    fn from(path: String) -> Path {
        Path(path.into())
    }
}

impl From<Path> for PathBuf {
    fn from(path: Path) -> PathBuf {
        path.0
    }
}

/// Runs `work` on `path` on a worker thread, naming the path and `operation` in its error.
async fn on_thread<R: Send + 'static>(
    operation: &'static str,
    path: &Path,
    work: impl FnOnce(&std::path::Path) -> std::io::Result<R> + Send + 'static,
) -> Result<R, FsError> {
    let path = path.0.clone();
    blocking(move || work(&path).map_err(|error| FsError::new(operation, &path, error))).await
}

/// Runs `work` from `path` to `to` on a worker thread, naming both in its error.
async fn on_thread_to<R: Send + 'static>(
    operation: &'static str,
    path: &Path,
    to: &std::path::Path,
    work: impl FnOnce(&std::path::Path, &std::path::Path) -> std::io::Result<R> + Send + 'static,
) -> Result<R, FsError> {
    let (path, to) = (path.0.clone(), to.to_owned());
    blocking(move || {
        work(&path, &to).map_err(|error| FsError::with_destination(operation, &path, &to, error))
    })
    .await
}

impl Path {
    /// A path, from anything path-like.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::Path;
    /// assert_eq!(Path::new("/etc").join("hosts").as_std_path(), std::path::Path::new("/etc/hosts"));
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Path {
        Path(path.into())
    }

    /// The standard library path.
    ///
    /// # Examples
    ///
    /// See [`Path::new`].
    pub fn as_std_path(&self) -> &std::path::Path {
        &self.0
    }

    /// The `PathBuf` inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::Path;
    /// let path: std::path::PathBuf = Path::new("/tmp").into_path_buf();
    /// assert_eq!(path, std::path::PathBuf::from("/tmp"));
    /// ```
    pub fn into_path_buf(self) -> PathBuf {
        self.0
    }

    /// This path with `path` appended (`path` replaces it if absolute).
    ///
    /// # Examples
    ///
    /// See [`Path::new`].
    pub fn join(&self, path: impl AsRef<std::path::Path>) -> Path {
        Path(self.0.join(path))
    }

    /// The path without its last component, if it has one.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::Path;
    /// assert_eq!(Path::new("/etc/hosts").parent(), Some(Path::new("/etc")));
    /// assert_eq!(Path::new("/").parent(), None);
    /// ```
    pub fn parent(&self) -> Option<Path> {
        self.0.parent().map(Path::from)
    }

    /// This path with its extension replaced (or added, or removed if empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::Path;
    /// assert_eq!(Path::new("notes.txt").with_extension("md"), Path::new("notes.md"));
    /// ```
    pub fn with_extension(&self, extension: impl AsRef<OsStr>) -> Path {
        Path(self.0.with_extension(extension))
    }

    /// This path with its file name replaced.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::Path;
    /// assert_eq!(Path::new("/tmp/a.txt").with_file_name("b.txt"), Path::new("/tmp/b.txt"));
    /// ```
    pub fn with_file_name(&self, file_name: impl AsRef<OsStr>) -> Path {
        Path(self.0.with_file_name(file_name))
    }

    /// Whether the path points at an existing entry (following symlinks); `false` when that
    /// cannot be determined, as `std::path::Path::exists`.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/").exists().await);
    /// assert!(!Path::new("/anyio/missing").exists().await);
    /// # });
    /// ```
    pub async fn exists(&self) -> bool {
        self.try_exists().await.unwrap_or(false)
    }

    /// Whether the path points at an existing entry, or the error that prevented telling.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (say, a permission error on a parent directory).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(!Path::new("/anyio/missing").try_exists().await?);
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn try_exists(&self) -> Result<bool, FsError> {
        on_thread("check the existence of", self, |path| path.try_exists()).await
    }

    /// Whether the path is an existing regular file (following symlinks).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/etc/passwd").is_file().await);
    /// assert!(!Path::new("/etc").is_file().await);
    /// # });
    /// ```
    pub async fn is_file(&self) -> bool {
        self.metadata().await.is_ok_and(|meta| meta.is_file())
    }

    /// Whether the path is an existing directory (following symlinks).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/etc").is_dir().await);
    /// # });
    /// ```
    pub async fn is_dir(&self) -> bool {
        self.metadata().await.is_ok_and(|meta| meta.is_dir())
    }

    /// Whether the path is a symbolic link (not following it).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(!Path::new("/etc/passwd").is_symlink().await);
    /// # });
    /// ```
    pub async fn is_symlink(&self) -> bool {
        self.symlink_metadata()
            .await
            .is_ok_and(|meta| meta.file_type().is_symlink())
    }

    /// The metadata of the entry (following symlinks).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/etc").metadata().await?.is_dir());
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn metadata(&self) -> Result<Metadata, FsError> {
        on_thread("read metadata of", self, |path| std::fs::metadata(path)).await
    }

    /// The metadata of the entry itself, not following a symlink.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/etc").symlink_metadata().await?.is_dir());
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn symlink_metadata(&self) -> Result<Metadata, FsError> {
        on_thread("read metadata of", self, |path| {
            std::fs::symlink_metadata(path)
        })
        .await
    }

    /// The absolute path with every symlink, `.` and `..` resolved.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance, it does not exist).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert_eq!(Path::new("/etc/../etc").canonicalize().await?, Path::new("/etc"));
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn canonicalize(&self) -> Result<Path, FsError> {
        on_thread("canonicalize", self, |path| std::fs::canonicalize(path))
            .await
            .map(Path)
    }

    /// The target of a symbolic link.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance, it is not a symlink).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/etc").read_link().await.is_err()); // not a symlink
    /// # });
    /// ```
    pub async fn read_link(&self) -> Result<Path, FsError> {
        on_thread("read the link", self, |path| std::fs::read_link(path))
            .await
            .map(Path)
    }

    /// The whole file as bytes (AnyIO's `read_bytes`).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let bytes = Path::new("/etc/passwd").read().await?;
    /// assert!(bytes.starts_with(b"root:"));
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&self) -> Result<Vec<u8>, FsError> {
        on_thread("read", self, |path| std::fs::read(path)).await
    }

    /// The whole file as UTF-8 text (AnyIO's `read_text`).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path; of kind [`std::io::ErrorKind::InvalidData`] if the
    /// file is not UTF-8.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// See [`Path`].
    pub async fn read_to_string(&self) -> Result<String, FsError> {
        on_thread("read", self, |path| std::fs::read_to_string(path)).await
    }

    /// Writes `contents` as the whole file, creating it or replacing what it held (AnyIO's
    /// `write_bytes`/`write_text`).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation): dropped by something other than an
    /// anyio scope, the write still completes or fails on the worker thread.
    ///
    /// # Examples
    ///
    /// See [`Path`].
    pub async fn write(&self, contents: impl AsRef<[u8]>) -> Result<(), FsError> {
        let contents = contents.as_ref().to_vec();
        on_thread("write", self, move |path| std::fs::write(path, contents)).await
    }

    /// Creates a directory; its parent must exist.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance, it exists already).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let error = Path::new("/anyio/missing/child").create_dir().await.unwrap_err();
    /// assert_eq!(error.to_string(), "failed to create directory `/anyio/missing/child`");
    /// # });
    /// ```
    pub async fn create_dir(&self) -> Result<(), FsError> {
        on_thread("create directory", self, |path| std::fs::create_dir(path)).await
    }

    /// Creates a directory and any missing parents; an existing directory is fine.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// See [`Path`].
    pub async fn create_dir_all(&self) -> Result<(), FsError> {
        on_thread("create directory", self, |path| {
            std::fs::create_dir_all(path)
        })
        .await
    }

    /// Removes a file (or symlink).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance, it does not exist).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let error = Path::new("/anyio/missing").remove_file().await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn remove_file(&self) -> Result<(), FsError> {
        on_thread("remove", self, |path| std::fs::remove_file(path)).await
    }

    /// Removes an empty directory.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance, it is not empty).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// assert!(Path::new("/etc").remove_dir().await.is_err()); // not empty
    /// # });
    /// ```
    pub async fn remove_dir(&self) -> Result<(), FsError> {
        on_thread("remove directory", self, |path| std::fs::remove_dir(path)).await
    }

    /// Removes a directory and everything in it.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation): dropped by something other than an
    /// anyio scope, the removal goes on in the background until done.
    ///
    /// # Examples
    ///
    /// See [`Path`].
    pub async fn remove_dir_all(&self) -> Result<(), FsError> {
        on_thread("remove directory", self, |path| {
            std::fs::remove_dir_all(path)
        })
        .await
    }

    /// Renames (moves) the entry to `to`, replacing a file there.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming both paths.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let from = Path::new(std::env::temp_dir()).join(format!("anyio-rename-doc-{}", std::process::id()));
    /// from.write("moving").await?;
    /// let to = from.with_extension("moved");
    /// from.rename(&to).await?;
    /// assert!(!from.exists().await);
    /// assert_eq!(to.read_to_string().await?, "moving");
    /// to.remove_file().await?;
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn rename(&self, to: impl AsRef<std::path::Path>) -> Result<(), FsError> {
        on_thread_to("rename", self, to.as_ref(), |from, to| {
            std::fs::rename(from, to)
        })
        .await
    }

    /// Copies the file's contents and permissions to `to`, and returns the number of bytes
    /// copied.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming both paths.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// let to = Path::new(std::env::temp_dir()).join(format!("anyio-copy-doc-{}", std::process::id()));
    /// let copied = Path::new("/etc/passwd").copy(&to).await?;
    /// assert_eq!(copied, to.metadata().await?.len());
    /// to.remove_file().await?;
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn copy(&self, to: impl AsRef<std::path::Path>) -> Result<u64, FsError> {
        on_thread_to("copy", self, to.as_ref(), |from, to| {
            std::fs::copy(from, to)
        })
        .await
    }

    /// The entries of the directory, as a [`Stream`](futures_core::Stream) of their paths
    /// (AnyIO's `iterdir`), read in batches on worker threads. `.` and `..` are not included;
    /// the order is the file system's.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path when the directory cannot be opened; the stream yields
    /// an error for an entry that cannot be read.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::Path;
    /// use futures::TryStreamExt;
    ///
    /// let entries: Vec<Path> = Path::new("/etc").read_dir().await?.try_collect().await?;
    /// assert!(entries.contains(&Path::new("/etc/passwd")));
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_dir(&self) -> Result<ReadDir, FsError> {
        let entries = on_thread("read directory", self, |path| std::fs::read_dir(path)).await?;
        Ok(ReadDir::new(self.0.clone(), entries))
    }

    /// Opens the file at this path with `options` (AnyIO's `Path.open`).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::{OpenOptions, Path};
    /// let mut file = Path::new("/etc/passwd").open(OpenOptions::new().read(true)).await?;
    /// assert!(file.read_to_string().await?.starts_with("root:"));
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn open(&self, options: &OpenOptions) -> Result<AsyncFile, FsError> {
        open_file(self, options).await
    }
}
