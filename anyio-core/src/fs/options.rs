use std::path::Path;

use super::{open_file, AsyncFile, FsError};

/// How to open a file: `std::fs::OpenOptions`, for [`open_file`].
///
/// The builder methods take and return `&mut OpenOptions`, as the standard library's do.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::{open_file, OpenOptions};
///
/// let path = std::env::temp_dir().join(format!("anyio-options-doc-{}", std::process::id()));
/// let mut file = open_file(&path, OpenOptions::new().write(true).create(true).truncate(true)).await?;
/// file.write_all(b"hello").await?;
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), anyio_core::fs::FsError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Options with every flag off (set at least `read`, `write` or `append`).
    ///
    /// # Examples
    ///
    /// See [`OpenOptions`].
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::OpenOptions;
    /// let mut options = OpenOptions::new();
    /// options.read(true);
    /// ```
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing (at the start, overwriting, unless `append`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::OpenOptions;
    /// let mut options = OpenOptions::new();
    /// options.write(true);
    /// ```
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for writing at the end of the file.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::OpenOptions;
    /// let mut options = OpenOptions::new();
    /// options.append(true);
    /// ```
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Empty the file when opening it (needs `write`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::OpenOptions;
    /// let mut options = OpenOptions::new();
    /// options.write(true).truncate(true);
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::OpenOptions;
    /// let mut options = OpenOptions::new();
    /// options.write(true).create(true);
    /// ```
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing if it exists (needs `write` or `append`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::fs::OpenOptions;
    /// let mut options = OpenOptions::new();
    /// options.write(true).create_new(true);
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// Opens `path` with these options; the same as [`open_file`].
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
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::fs::OpenOptions;
    /// let error = OpenOptions::new().read(true).open("/anyio/missing").await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> Result<AsyncFile, FsError> {
        open_file(path, self).await
    }

    pub(super) fn to_std(&self) -> std::fs::OpenOptions {
        self.0.clone()
    }
}
