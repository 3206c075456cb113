//! The tokio backend of [anyio](https://docs.rs/anyio).
//!
//! This crate holds only the runtime primitives that anyio-core builds on: spawning a detached
//! task, spawning blocking work, a timer, `block_on`, detecting an ambient tokio runtime, and
//! on Unix, behind the features of the same names, child processes (`process`:
//! `tokio::process`), signals (`signal`: `tokio::signal::unix`) and socket readiness (`net`:
//! tokio's I/O driver). Each feature turns on only the tokio features it needs.
//! All semantics (cancel scopes, task groups, ...) live in anyio-core, so that every backend
//! behaves identically. Applications use the `anyio` crate, not this one.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

#[cfg(all(unix, feature = "net"))]
mod net;
#[cfg(all(unix, feature = "process"))]
mod process;
#[cfg(all(unix, feature = "signal"))]
mod signal;

#[cfg(all(unix, feature = "net"))]
pub use net::Registration;
#[cfg(all(unix, feature = "process"))]
pub use process::{spawn_child, Child, ChildReader, ChildStdin};
#[cfg(all(unix, feature = "signal"))]
pub use signal::{signals, Signals};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Spawns `future` as a detached task on the current tokio runtime.
///
/// # Panics
///
/// Panics if called outside a tokio runtime; anyio-core checks [`is_ambient`] first.
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    // Dropping the handle detaches the task.
    drop(spawn_held(future));
}

/// A task spawned with [`spawn_held`]. Dropping it detaches the task.
pub type HeldTask = tokio::task::JoinHandle<()>;

/// Spawns `future` and keeps a handle to it, so that the spawning side can drop the finished
/// task itself: a task's memory is freed where its last handle drops, and freeing on the
/// thread that allocated is much cheaper than on an executor thread.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as [`spawn`].
pub fn spawn_held<F>(future: F) -> HeldTask
where
    F: Future<Output = ()> + Send + 'static,
{
    tokio::runtime::Handle::current().spawn(future)
}

/// Whether the task has finished.
pub fn is_finished(task: &mut HeldTask) -> bool {
    task.is_finished()
}

/// Runs `work` on tokio's blocking thread pool and resolves to its result.
///
/// The closure must not panic: anyio-core catches unwinding before handing work over.
pub fn spawn_blocking<F, R>(work: F) -> BlockingTask<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    BlockingTask {
        handle: tokio::runtime::Handle::current().spawn_blocking(work),
    }
}

/// The result of [`spawn_blocking`].
#[derive(Debug)]
pub struct BlockingTask<R> {
    handle: tokio::task::JoinHandle<R>,
}

impl<R> Future for BlockingTask<R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        Pin::new(&mut self.handle)
            .poll(cx)
            .map(|result| match result {
                Ok(value) => value,
                // Work handed to us never unwinds, so the only failure is the runtime shutting down
                // underneath the caller.
                Err(error) => panic!("tokio blocking task did not complete: {error}"),
            })
    }
}

/// A timer that fires at a given instant.
pub type Sleep = tokio::time::Sleep;

/// Creates a timer that fires at `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    tokio::time::sleep_until(tokio::time::Instant::from_std(deadline))
}

/// The current time on tokio's clock, as a `std` instant.
///
/// This is the clock tokio's timers fire on: with tokio's `test-util` feature,
/// `tokio::time::pause`, `advance` and `start_paused` move it, on the runtime of the calling
/// thread. Without `test-util`, or outside a tokio runtime, it reads `Instant::now()`.
///
/// # Examples
///
/// ```
/// let before = std::time::Instant::now();
/// assert!(anyio_tokio::now() >= before);
/// ```
#[inline]
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Whether the calling thread is inside a tokio runtime.
pub fn is_ambient() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// Runs `future` to completion on a new tokio runtime with every driver enabled: a
/// multi-threaded one with the `multi-thread` feature, else a current-thread one.
///
/// # Panics
///
/// Panics if the runtime cannot be built (the OS refused threads or an I/O driver).
pub fn block_on<F: Future>(future: F) -> F::Output {
    #[cfg(feature = "multi-thread")]
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    #[cfg(not(feature = "multi-thread"))]
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder
        .enable_all()
        .build()
        .expect("failed to build a tokio runtime")
        .block_on(future)
}
