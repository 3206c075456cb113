//! Files and paths without blocking the event loop: [`open_file`] and [`AsyncFile`], and an
//! async [`Path`] with the everyday `std::fs` operations.
//!
//! Every operation runs the blocking `std::fs` call on a worker thread through
//! [`to_thread::run_sync`](crate::to_thread::run_sync) (under the default thread limiter), as
//! AnyIO does, so it behaves the same on every backend. Errors are [`FsError`]s, which keep
//! the path (and the operation) alongside the operating system's error. Like every call that
//! needs a runtime, the async operations panic outside one (see [`NoRuntime`](crate::NoRuntime)).
//!
//! # Cancellation
//!
//! A blocking call cannot be interrupted. Inside an anyio cancel scope each operation is a
//! protected region: a cancellation that lands while the worker thread runs takes effect once
//! it is done, and the operation completes (a read has returned its bytes, a write has
//! written). Its result is not thrown away: like any future that is ready, it is returned, and
//! a scope whose whole body it was returns `Some(result)`; the cancellation then takes effect
//! at the caller's next cancellation point. In a scope already cancelled, an operation does not
//! start. If the future is dropped by other means (say a plain `select!`), the
//! worker thread still finishes the call in the background and its result is discarded: a
//! read then has consumed bytes (the file position moved past them) that nobody receives, and
//! a write may or may not have happened. Operations on one [`AsyncFile`] never overlap, even
//! then: the next one waits for the abandoned one.
//!
//! The streams ([`Lines`], [`ReadDir`]) work the other way round: a `next()` is not a
//! protected region, it is dropped at once, and the read it started stays with the stream,
//! whose next `next()` picks its result up. Nothing is lost, and a stream left unpolled never
//! holds up a cancellation.
//!
//! # Performance
//!
//! Each operation costs one round trip to a worker thread (the cost of
//! [`to_thread::run_sync`](crate::to_thread::run_sync)) on top of its system calls, and
//! copies the bytes once between the caller's buffer and the worker's. [`AsyncFile::lines`]
//! and [`Path::read_dir`] amortise the round trip over 64 KiB chunks and 128 entries; for many
//! small reads, prefer one large read ([`Path::read`], [`AsyncFile::read_to_end`]). There is
//! no benchmark of its own: the thread round trip is benchmarked with `to_thread`.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::fs::{open_file, OpenOptions, Path};
//!
//! let dir = Path::new(std::env::temp_dir()).join(format!("anyio-fs-doc-{}", std::process::id()));
//! dir.create_dir_all().await?;
//! let notes = dir.join("notes.txt");
//! notes.write("first line\nsecond line\n").await?;
//!
//! let mut file = open_file(&notes, OpenOptions::new().append(true)).await?;
//! file.write_all(b"third line\n").await?;
//! drop(file);
//! assert_eq!(notes.read_to_string().await?.lines().count(), 3);
//! dir.remove_dir_all().await?;
//! # Ok::<(), anyio_core::fs::FsError>(())
//! # }).unwrap();
//! ```

mod error;
mod file;
mod lines;
mod options;
mod path;
mod read_dir;

pub use error::FsError;
pub use file::{open_file, AsyncFile};
pub use lines::Lines;
pub use options::OpenOptions;
pub use path::Path;
pub use read_dir::ReadDir;

/// Runs blocking file-system work on a worker thread, as a protected region: the one place
/// the `fs` module's async functions reach the thread pool.
async fn blocking<F, R>(work: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    crate::to_thread::run_sync(work).await
}

/// Runs blocking work for a stream, which keeps the returned future across polls: no
/// protected region, since a stream left unpolled with work in flight would otherwise hold
/// off every enclosing scope's cancellation for good. The work still runs to completion and
/// its result waits in the stream for the next poll.
fn blocking_for_stream<F, R>(work: F) -> impl std::future::Future<Output = R> + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    crate::to_thread::ToThread::new()
        .abandon_on_cancel(true)
        .run_sync(work)
}
