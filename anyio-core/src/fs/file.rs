use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{blocking, FsError, Lines, OpenOptions};

/// Opens the file at `path` with `options`, on a worker thread.
///
/// # Errors
///
/// An [`FsError`] naming the path when the file cannot be opened.
///
/// # Cancellation
///
/// See the [module documentation](super#cancellation): a file opened by a dropped call is
/// closed again.
///
/// # Panics
///
/// Panics outside an async runtime (see [`NoRuntime`](crate::NoRuntime)).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::{open_file, OpenOptions};
///
/// let path = std::env::temp_dir().join(format!("anyio-open-doc-{}", std::process::id()));
/// let mut file = open_file(&path, OpenOptions::new().write(true).create(true)).await?;
/// file.write_all(b"42").await?;
/// let mut file = open_file(&path, OpenOptions::new().read(true)).await?;
/// assert_eq!(file.read_to_string().await?, "42");
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), anyio_core::fs::FsError>(())
/// # }).unwrap();
/// ```
pub async fn open_file(
    path: impl AsRef<Path>,
    options: &OpenOptions,
) -> Result<AsyncFile, FsError> {
    let path = path.as_ref().to_owned();
    let options = options.to_std();
    blocking(move || match options.open(&path) {
        Ok(file) => Ok(AsyncFile::from_std(file, path)),
        Err(error) => Err(FsError::new("open", &path, error)),
    })
    .await
}

/// An open file whose operations run on worker threads; see [`open_file`].
///
/// Methods take `&mut self`: operations on one file run one at a time, at the file's current
/// position, like `std::fs::File`'s. The file is closed when the last handle is dropped (an
/// operation still running on a worker thread keeps it open until it ends).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::AsyncFile;
/// use std::io::SeekFrom;
///
/// let path = std::env::temp_dir().join(format!("anyio-file-doc-{}", std::process::id()));
/// let mut file = AsyncFile::create(&path).await?;
/// file.write_all(b"hello world").await?;
/// file.seek(SeekFrom::Start(6)).await?;
/// file.write_all(b"WORLD").await?;
/// drop(file);
///
/// let mut file = AsyncFile::open(&path).await?;
/// assert_eq!(file.read_to_end().await?, b"hello WORLD");
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), anyio_core::fs::FsError>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct AsyncFile {
    shared: Arc<Shared>,
}

/// The file and its path, shared with the worker threads running its operations.
#[derive(Debug)]
pub(super) struct Shared {
    file: Mutex<File>,
    path: PathBuf,
}

impl Shared {
    pub(super) fn path_buf(&self) -> &Path {
        &self.path
    }

    /// Runs `operation` on the file, after any operation still running on it.
    pub(super) fn with_file<R>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut File) -> io::Result<R>,
    ) -> Result<R, FsError> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut file).map_err(|error| FsError::new(operation, &self.path, error))
    }
}

impl AsyncFile {
    fn from_std(file: File, path: PathBuf) -> AsyncFile {
        AsyncFile {
            shared: Arc::new(Shared {
                file: Mutex::new(file),
                path,
            }),
        }
    }

    /// Opens an existing file for reading.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path when the file cannot be opened.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::AsyncFile;
    /// let error = AsyncFile::open("/anyio/missing").await.unwrap_err();
    /// assert_eq!(error.to_string(), "failed to open `/anyio/missing`");
    /// # });
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> Result<AsyncFile, FsError> {
        open_file(path, OpenOptions::new().read(true)).await
    }

    /// Creates a file for writing, emptying it if it exists.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path when the file cannot be created.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// See [`AsyncFile`].
    pub async fn create(path: impl AsRef<Path>) -> Result<AsyncFile, FsError> {
        open_file(
            path,
            OpenOptions::new().write(true).create(true).truncate(true),
        )
        .await
    }

    /// The path the file was opened with.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::AsyncFile;
    /// let file = AsyncFile::open("/dev/null").await.unwrap();
    /// assert_eq!(file.path(), std::path::Path::new("/dev/null"));
    /// # });
    /// ```
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    async fn run<R: Send + 'static>(
        &mut self,
        operation: &'static str,
        work: impl FnOnce(&mut File) -> io::Result<R> + Send + 'static,
    ) -> Result<R, FsError> {
        let shared = self.shared.clone();
        blocking(move || shared.with_file(operation, work)).await
    }

    /// Reads up to `buf.len()` bytes at the current position into `buf` and returns how many
    /// were read; `0` at end of file (or for an empty `buf`).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation): if the call is dropped by
    /// something other than an anyio scope, the bytes the worker read are lost and the
    /// position has moved past them.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::AsyncFile;
    /// let mut zeros = AsyncFile::open("/dev/zero").await?;
    /// let mut buf = [1u8; 4];
    /// assert_eq!(zeros.read(&mut buf).await?, 4);
    /// assert_eq!(buf, [0; 4]);
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError> {
        let capacity = buf.len();
        let bytes = self
            .run("read", move |file| {
                let mut bytes = vec![0; capacity];
                let read = loop {
                    match file.read(&mut bytes) {
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                bytes.truncate(read);
                Ok(bytes)
            })
            .await?;
        buf[..bytes.len()].copy_from_slice(&bytes);
        Ok(bytes.len())
    }

    /// Reads from the current position to the end of the file.
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
    /// See [`AsyncFile`].
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, FsError> {
        self.run("read", |file| {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            Ok(bytes)
        })
        .await
    }

    /// Reads from the current position to the end of the file as UTF-8 text.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path; of kind [`io::ErrorKind::InvalidData`] if the text is
    /// not UTF-8.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// See [`open_file`].
    pub async fn read_to_string(&mut self) -> Result<String, FsError> {
        self.run("read", |file| {
            let mut text = String::new();
            file.read_to_string(&mut text)?;
            Ok(text)
        })
        .await
    }

    /// Writes all of `data` at the current position (or at the end, if opened to append).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path.
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation): if the call is dropped by
    /// something other than an anyio scope, the write still completes (or fails) on the worker
    /// thread, before any later operation on this file.
    ///
    /// # Examples
    ///
    /// See [`AsyncFile`].
    pub async fn write_all(&mut self, data: &[u8]) -> Result<(), FsError> {
        let data = data.to_vec();
        self.run("write", move |file| file.write_all(&data)).await
    }

    /// Flushes buffered writes to the operating system (a plain file buffers nothing, so this
    /// is for symmetry with `std::io::Write`; see [`sync_all`](AsyncFile::sync_all) for the
    /// disk).
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
    /// use anyio_core::fs::{open_file, OpenOptions};
    /// let mut null = open_file("/dev/null", OpenOptions::new().write(true)).await?;
    /// null.write_all(b"gone").await?;
    /// null.flush().await?;
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> Result<(), FsError> {
        self.run("flush", |file| file.flush()).await
    }

    /// Moves the position and returns the new one, from the start of the file.
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance a position before the start).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::AsyncFile;
    /// use std::io::SeekFrom;
    /// let mut file = AsyncFile::open("/etc/passwd").await?;
    /// assert_eq!(file.seek(SeekFrom::Start(5)).await?, 5);
    /// assert_eq!(file.read_to_end().await?, std::fs::read("/etc/passwd").unwrap()[5..]);
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn seek(&mut self, position: SeekFrom) -> Result<u64, FsError> {
        self.run("seek in", move |file| file.seek(position)).await
    }

    /// Truncates or extends the file to `size` bytes (the position does not move).
    ///
    /// # Errors
    ///
    /// An [`FsError`] naming the path (for instance a file not opened for writing).
    ///
    /// # Cancellation
    ///
    /// See the [module documentation](super#cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::AsyncFile;
    /// let path = std::env::temp_dir().join(format!("anyio-set-len-doc-{}", std::process::id()));
    /// let mut file = AsyncFile::create(&path).await?;
    /// file.set_len(100).await?;
    /// assert_eq!(file.metadata().await?.len(), 100);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn set_len(&mut self, size: u64) -> Result<(), FsError> {
        self.run("resize", move |file| file.set_len(size)).await
    }

    /// Writes the file's data and metadata through to the disk (`fsync`).
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
    /// use anyio_core::fs::AsyncFile;
    /// let path = std::env::temp_dir().join(format!("anyio-sync-doc-{}", std::process::id()));
    /// let mut file = AsyncFile::create(&path).await?;
    /// file.write_all(b"durable").await?;
    /// file.sync_all().await?;
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn sync_all(&mut self) -> Result<(), FsError> {
        self.run("sync", |file| file.sync_all()).await
    }

    /// Writes the file's data through to the disk (`fdatasync`), not necessarily its
    /// metadata.
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
    /// use anyio_core::fs::AsyncFile;
    /// let path = std::env::temp_dir().join(format!("anyio-sync-data-doc-{}", std::process::id()));
    /// let mut file = AsyncFile::create(&path).await?;
    /// file.write_all(b"durable").await?;
    /// file.sync_data().await?;
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub async fn sync_data(&mut self) -> Result<(), FsError> {
        self.run("sync", |file| file.sync_data()).await
    }

    /// The file's metadata (size, type, permissions, times).
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
    /// See [`set_len`](AsyncFile::set_len).
    pub async fn metadata(&mut self) -> Result<Metadata, FsError> {
        self.run("read metadata of", |file| file.metadata()).await
    }

    /// The rest of the file, from the current position, as a [`Stream`](futures_core::Stream)
    /// of lines without their `\n` or `\r\n` endings (as `std::io::BufRead::lines`). The file
    /// is read in chunks of 64 KiB on worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::{AsyncFile, Path};
    /// use futures::TryStreamExt;
    ///
    /// let path = Path::new(std::env::temp_dir()).join(format!("anyio-lines-doc-{}", std::process::id()));
    /// path.write("one\ntwo\r\nthree").await?;
    /// let lines: Vec<String> = AsyncFile::open(&path).await?.lines().try_collect().await?;
    /// assert_eq!(lines, ["one", "two", "three"]);
    /// path.remove_file().await?;
    /// # Ok::<(), anyio_core::fs::FsError>(())
    /// # }).unwrap();
    /// ```
    pub fn lines(self) -> Lines {
        Lines::new(self.shared)
    }
}
