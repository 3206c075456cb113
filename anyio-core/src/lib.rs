//! The runtime-neutral core of [anyio](https://docs.rs/anyio): every semantic of the library
//! (cancel scopes, task groups, time, backend dispatch) is written once here, on top of a few
//! runtime primitives that the backend crates provide, so every backend behaves the same.
//!
//! Applications and libraries use the `anyio` facade crate, which re-exports this one; see its
//! documentation for the guide.
//!
//! # Features
//!
//! Backends:
//!
//! - `tokio`: the tokio backend.
//! - `smol`: the smol backend.
//! - `async-std`: the async-std backend.
//!
//! Capabilities, each turning on in each backend compiled in only the runtime features it
//! needs:
//!
//! - `net`: the `net` module (Unix).
//! - `process`: the `process` module (Unix).
//! - `signal`: the `signal` module's receiver (Unix).
//! - `fs`: the `fs` module.
//! - `tls`: the `tls` module.
//! - `tokio-io`: `tokio::io::{AsyncRead, AsyncWrite}` on every byte stream.
//! - `hyper`: `hyper::rt::{Read, Write}` on every byte stream, and `hyper_rt`: hyper's
//!   executor and timer on anyio.
//!
//! Features are additive; the backend in force is chosen at run time (see [`current_backend`]).
//!
//! # Model checking with loom
//!
//! The wait-queue, permit, capacity-limiter and memory-stream cores and a task group's child
//! count build on a small shim (`sync::shim`) that swaps `std`'s mutex, atomics and `Arc` for
//! [loom](https://docs.rs/loom)'s under `--cfg loom`. The models in `anyio-core/tests/loom_*.rs`
//! and the crate's `loom_tests` modules explore their interleavings (no backend is needed):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p anyio-core --release --test loom_channel --test loom_limiter
//! RUSTFLAGS="--cfg loom" cargo test -p anyio-core --release --lib loom_tests
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` overrides the models' default preemption bound of 3. Use a separate
//! `CARGO_TARGET_DIR` to avoid rebuilding the normal build's dependencies.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]
// On docs.rs every feature is on, and each feature-gated item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without any backend the crate still builds (every runtime call reports the missing feature),
// but the dispatch code is then unreachable.
#![cfg_attr(
    not(any(feature = "tokio", feature = "smol", feature = "async-std")),
    allow(unreachable_code, unused_variables)
)]

mod backend;
pub mod cancel;
mod context;
#[cfg(feature = "fs")]
pub mod fs;
#[cfg(feature = "hyper")]
pub mod hyper_rt;
#[cfg(all(unix, feature = "net"))]
pub mod net;
#[cfg(all(unix, feature = "process"))]
pub mod process;
mod run;
mod runtime;
// `process` needs the `Signal` type to signal its children; the receiver needs `signal`.
#[cfg(all(unix, any(feature = "signal", feature = "process")))]
pub mod signal;
pub mod streams;
pub mod supervise;
mod sweep;
pub mod sync;
pub mod task;
pub mod task_group;
pub mod testing;
pub mod thread;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;

pub use backend::{current_backend, Backend, BackendUnavailable, NoRuntime};
pub use cancel::{
    cancelled, checkpoint, checkpoint_if_cancelled, current_effective_deadline, fail_after,
    fail_at, finally, move_on_after, move_on_at, CancelHandle, CancelScope, Scoped, TimeoutError,
};
#[cfg(feature = "fs")]
pub use fs::open_file;
#[cfg(all(unix, feature = "process"))]
pub use process::{open_process, run_process};
pub use run::{run, run_with, try_run_with};
#[cfg(all(unix, feature = "signal"))]
pub use signal::open_signal_receiver;
pub use streams::memory::{create_memory_object_stream, MemoryReceiveStream, MemorySendStream};
#[cfg(loom)]
#[doc(hidden)]
pub use sync::shim::loom_model;
pub use sync::{CapacityLimiter, Condition, Event, Lock, Mutex, ResourceGuard, Semaphore};
pub use task::{get_current_task, get_running_tasks, TaskId, TaskInfo};
pub use task_group::{
    is_shutdown_requested, race, race_ok, shutdown_requested, task_group, with_graceful_shutdown,
    RaceError, SpawnError, StartError, TaskError, TaskGroup, TaskGroupError, TaskHandle,
    TaskOutput, TaskResult, TaskSet, TaskStatus,
};
pub use thread::{
    from_thread, start_blocking_portal, to_thread, BlockingPortal, FromThreadError, PortalError,
    PortalStartError, PortalTask,
};
pub use time::{current_time, sleep, sleep_forever, sleep_until, Duration, Instant};
