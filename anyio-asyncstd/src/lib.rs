//! The async-std backend of [anyio](https://docs.rs/anyio).
//!
//! async-std is deprecated upstream in favour of smol, but many programs still run on it.
//! This crate holds only the runtime primitives anyio-core builds on: spawning on async-std's
//! executor, its blocking pool, timers and `block_on`. async-std has no stable process or
//! signal API, so on Unix (behind the features of the same names) it takes child processes,
//! signals and socket readiness from anyio-async-io, which the smol backend shares: they are
//! built on the executor-agnostic async-process, async-signal and async-io (async-std's own
//! sockets are async-io's).
//! All semantics live in anyio-core. Applications use the `anyio` crate, not this one.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

#[cfg(all(unix, feature = "net"))]
pub use anyio_async_io::Registration;
#[cfg(all(unix, feature = "signal"))]
pub use anyio_async_io::{signals, Signals};
#[cfg(all(unix, feature = "process"))]
pub use anyio_async_io::{spawn_child, Child, ChildReader, ChildStdin};

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Waker};
use std::time::Instant;

/// Spawns `future` as a detached task on async-std's executor.
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    // Dropping the handle detaches the task.
    drop(spawn_held(future));
}

/// A task spawned with [`spawn_held`]. Dropping it detaches the task.
pub type HeldTask = async_std::task::JoinHandle<()>;

/// Spawns `future` on async-std's executor and keeps a handle to it, so that the spawning
/// side can drop the finished task itself: a task's memory is freed where its last handle
/// drops, and freeing on the thread that allocated is much cheaper than on an executor thread.
pub fn spawn_held<F>(future: F) -> HeldTask
where
    F: Future<Output = ()> + Send + 'static,
{
    async_std::task::spawn(future)
}

/// Whether the task has finished. async-std's handle can only tell by being polled; a
/// finished task is never polled again, so the caller must drop it once this returns `true`.
pub fn is_finished(task: &mut HeldTask) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    // A task the executor dropped without running to the end has no output, and its handle
    // panics when polled: it has finished too.
    catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(&mut cx).is_ready())).unwrap_or(true)
}

/// The result of [`spawn_blocking`].
pub type BlockingTask<R> = async_std::task::JoinHandle<R>;

/// Runs `work` on async-std's blocking thread pool and resolves to its result.
pub fn spawn_blocking<F, R>(work: F) -> BlockingTask<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    async_std::task::spawn_blocking(work)
}

/// A timer that fires at a given instant (async-std's own timers are async-io's).
pub type Sleep = async_io::Timer;

/// Creates a timer that fires at `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    async_io::Timer::at(deadline)
}

/// Whether the calling code runs inside an async-std task: one spawned on async-std's
/// executor, or the future of `async_std::task::block_on` (and so `#[async_std::main]`).
pub fn is_ambient() -> bool {
    async_std::task::try_current().is_some()
}

/// Runs `future` to completion on the calling thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}
