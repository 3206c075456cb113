//! The smol backend of [anyio](https://docs.rs/anyio).
//!
//! This crate holds only the runtime primitives that anyio-core builds on: spawning a detached
//! task on a global executor, blocking work through the `blocking` pool, `async-io` timers and
//! `block_on`, and on Unix (behind the features of the same names) socket readiness, child
//! processes and signals from anyio-async-io, shared with the async-std backend. All
//! semantics live in anyio-core. Applications use the `anyio` crate, not this one.
//!
//! It is built on smol's component crates (async-executor, async-io, blocking), not on the
//! `smol` meta crate, so a smol build of anyio does not compile async-fs and async-net.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

mod executor;

#[cfg(all(unix, feature = "net"))]
pub use anyio_async_io::Registration;
#[cfg(all(unix, feature = "signal"))]
pub use anyio_async_io::{signals, Signals};
#[cfg(all(unix, feature = "process"))]
pub use anyio_async_io::{spawn_child, Child, ChildReader, ChildStdin};

use std::future::Future;
use std::time::Instant;

/// Spawns `future` as a detached task on the global executor.
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    executor::global().spawn(future).detach();
}

/// A task spawned with [`spawn_held`]. Dropping an unfinished one cancels it.
pub type HeldTask = async_executor::Task<()>;

/// Spawns `future` on the global executor and keeps a handle to it, so that the spawning
/// side can drop the finished task itself: a task's memory is freed where its last handle
/// drops, and freeing on the thread that allocated is much cheaper than on an executor thread.
pub fn spawn_held<F>(future: F) -> HeldTask
where
    F: Future<Output = ()> + Send + 'static,
{
    executor::global().spawn(future)
}

/// Whether the task has finished.
pub fn is_finished(task: &mut HeldTask) -> bool {
    task.is_finished()
}

/// The result of [`spawn_blocking`].
pub type BlockingTask<R> = blocking::Task<R>;

/// Runs `work` on the `blocking` thread pool and resolves to its result.
pub fn spawn_blocking<F, R>(work: F) -> BlockingTask<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    blocking::unblock(work)
}

/// A timer that fires at a given instant.
pub type Sleep = async_io::Timer;

/// Creates a timer that fires at `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    async_io::Timer::at(deadline)
}

/// Runs `future` to completion on the calling thread, driving the async-io reactor.
pub fn block_on<F: Future>(future: F) -> F::Output {
    async_io::block_on(future)
}
