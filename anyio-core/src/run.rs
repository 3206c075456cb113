use std::future::Future;

use std::sync::Arc;

use crate::backend::{Backend, BackendUnavailable};
use crate::context::Runtime;
use crate::runtime;
use crate::task::runs::RunGuard;
use crate::task::InTask;
use crate::time::virtual_clock::VirtualClock;

/// Runs `future` to completion on the default backend (the first compiled in of tokio, smol,
/// async-std) and returns its output. The future runs as the root anyio task, named `"main"`.
///
/// No anyio task outlives this call: it returns once `future` and every task started inside
/// it have ended, including the children of a task group whose future foreign code dropped
/// (they are cancelled then, and may still run their cleanup) and tasks started for worker
/// threads by [`from_thread::run`](crate::from_thread::run).
///
/// # Panics
///
/// Panics when anyio was built without any backend feature, or (as the backends do) when
/// called from inside a running async runtime: await the future there instead.
///
/// # Examples
///
/// ```
/// let answer = anyio_core::run(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    let Some(backend) = Backend::default_backend() else {
        panic!(
            "anyio was built without a backend: enable one of the cargo features \
             `tokio`, `smol` or `async-std`"
        );
    };
    run_with(backend, future)
}

/// Runs `future` to completion on `backend`; as [`run`], it returns once every task started
/// inside has ended.
///
/// # Panics
///
/// Panics with the message of [`BackendUnavailable`] when `backend`'s cargo feature is not
/// enabled; [`try_run_with`] returns that as an error instead.
///
/// # Examples
///
/// ```
/// use anyio_core::{current_backend, run_with, Backend};
/// for backend in Backend::available() {
///     assert_eq!(run_with(backend, async { current_backend() }), Some(backend));
/// }
/// ```
pub fn run_with<F: Future>(backend: Backend, future: F) -> F::Output {
    try_run_with(backend, future).unwrap_or_else(|error| panic!("{error}"))
}

/// Runs `future` to completion on `backend`, or fails if that backend was not compiled in.
///
/// # Errors
///
/// [`BackendUnavailable`], naming the cargo feature to enable.
///
/// # Examples
///
/// ```
/// use anyio_core::{try_run_with, Backend};
/// match try_run_with(Backend::AsyncStd, async { 1 }) {
///     Ok(value) => assert_eq!(value, 1),
///     Err(error) => assert!(error.to_string().contains("async-std")),
/// }
/// ```
pub fn try_run_with<F: Future>(
    backend: Backend,
    future: F,
) -> Result<F::Output, BackendUnavailable> {
    run_in(backend, None, future)
}

/// Runs `future` as the root task `"main"` on `backend`, on a virtual clock if one is given.
pub(crate) fn run_in<F: Future>(
    backend: Backend,
    clock: Option<Arc<VirtualClock>>,
    future: F,
) -> Result<F::Output, BackendUnavailable> {
    let backend = backend.ensure_available()?;
    let run = RunGuard::begin();
    let runtime = Runtime {
        backend,
        clock,
        run: Some(run.id()),
    };
    let main = InTask::new(runtime, "main", future);
    Ok(runtime::block_on(backend, async {
        let output = main.await;
        // Tasks whose owner did not wait for them (see `task::runs`) end before the run does.
        run.stragglers_ended().await;
        output
    }))
}
