//! Running blocking code on a worker thread.
//!
//! Every call goes through a [`CapacityLimiter`]: by default the process-wide limiter of the
//! backend, with 40 tokens ([`current_default_thread_limiter`]), so at most that many worker
//! threads run anyio jobs at once.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::OnceLock;

use super::handoff;
use super::worker::{self, WorkerContext};
use crate::backend::Backend;
use crate::cancel::checkpoint_if_cancelled;
use crate::cancel::node::Protection;
use crate::context::{self, Runtime};
use crate::runtime;
use crate::sync::{Borrower, CapacityLimiter};
use crate::time::virtual_clock::BusyGuard;

/// How many worker threads the default limiter lets run at once (AnyIO's default).
pub const DEFAULT_THREAD_LIMIT: usize = 40;

static DEFAULT_LIMITERS: [OnceLock<CapacityLimiter>; 3] =
    [OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// The limiter `run_sync` uses unless told otherwise: one per backend for the whole process,
/// starting at [`DEFAULT_THREAD_LIMIT`] tokens. Change its size with
/// [`CapacityLimiter::set_total_tokens`].
///
/// # Panics
///
/// Panics outside any async runtime.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::to_thread::{current_default_thread_limiter, DEFAULT_THREAD_LIMIT};
/// assert_eq!(current_default_thread_limiter().total_tokens(), DEFAULT_THREAD_LIMIT);
/// # });
/// ```
#[track_caller]
pub fn current_default_thread_limiter() -> &'static CapacityLimiter {
    default_limiter(Runtime::current().backend)
}

fn default_limiter(backend: Backend) -> &'static CapacityLimiter {
    let index = Backend::ALL
        .iter()
        .position(|candidate| *candidate == backend)
        .unwrap_or_default();
    DEFAULT_LIMITERS[index].get_or_init(|| CapacityLimiter::new(DEFAULT_THREAD_LIMIT))
}

/// Runs `work` on a worker thread and waits for its result, without blocking the event loop.
///
/// Shorthand for `ToThread::new().run_sync(work)`; see [`ToThread`] for the options and the
/// cancellation rules.
///
/// # Panics
///
/// A panic in `work` resumes in the caller. Panics outside any async runtime.
///
/// # Cancellation
///
/// Inside an already-cancelled scope `work` never starts. Once it runs, the call is protected:
/// a cancellation of the caller's scope waits for `work` to return, and the call then returns
/// its value as if nothing happened (as in AnyIO and Trio, where a call that does not abandon
/// its thread completes). The cancellation takes effect at the caller's next blocking point;
/// if the scope's body ends first, the scope returns the value:
/// `move_on_after(10 ms, run_sync(80 ms of work))` gives `Some(..)` after 80 ms. Meanwhile
/// [`from_thread::check_cancelled`](super::from_thread::check_cancelled) tells `work` that its
/// caller was cancelled, so it can stop early. To release the caller at once instead, see
/// [`ToThread::abandon_on_cancel`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let digest = anyio_core::to_thread::run_sync(|| (1..=10u64).product::<u64>()).await;
/// assert_eq!(digest, 3_628_800);
/// # });
/// ```
#[track_caller]
pub fn run_sync<F, R>(work: F) -> impl Future<Output = R> + Send
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    ToThread::new().run_sync_for(Location::caller(), work)
}

/// Options for running blocking code on a worker thread: the limiter, and whether a cancelled
/// caller waits for the thread.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::CapacityLimiter, to_thread::ToThread};
/// let limiter = CapacityLimiter::new(2);
/// let sum = ToThread::new().limiter(&limiter).run_sync(|| 2 + 2).await;
/// assert_eq!(sum, 4);
/// # });
/// ```
#[derive(Debug, Default, Clone, Copy)]
#[must_use = "options do nothing until `run_sync` is called"]
pub struct ToThread<'a> {
    limiter: Option<&'a CapacityLimiter>,
    abandon_on_cancel: bool,
}

impl<'a> ToThread<'a> {
    /// The default options: the default limiter, and a caller that waits for the thread.
    ///
    /// # Examples
    ///
    /// See [`ToThread`].
    pub fn new() -> ToThread<'a> {
        ToThread::default()
    }

    /// Takes the token for the thread from `limiter` instead of the default one.
    ///
    /// # Examples
    ///
    /// See [`ToThread`].
    pub fn limiter(mut self, limiter: &'a CapacityLimiter) -> ToThread<'a> {
        self.limiter = Some(limiter);
        self
    }

    /// With `true`, a cancelled caller does not wait: it is released at once (the scope returns
    /// `None`), the thread runs on in the background and its result is discarded. With `false`
    /// (the default) the call is a protected region that the cancellation waits for: the call
    /// returns the value of `work`, and the cancellation takes effect at the caller's next
    /// blocking point.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{move_on_after, time::Duration, to_thread::ToThread};
    /// let outcome = move_on_after(
    ///     Duration::from_millis(5),
    ///     ToThread::new()
    ///         .abandon_on_cancel(true)
    ///         .run_sync(|| std::thread::sleep(std::time::Duration::from_millis(200))),
    /// )
    /// .await;
    /// assert_eq!(outcome, None); // released after 5 ms, not 200
    /// # });
    /// ```
    pub fn abandon_on_cancel(mut self, abandon: bool) -> ToThread<'a> {
        self.abandon_on_cancel = abandon;
        self
    }

    /// Runs `work` on a worker thread and waits for its result.
    ///
    /// The thread has an anyio context: [`from_thread`](super::from_thread) calls inside
    /// `work` run on this runtime, inside the caller's cancel scope.
    ///
    /// # Panics
    ///
    /// A panic in `work` resumes in the caller. Panics outside any async runtime.
    ///
    /// # Cancellation
    ///
    /// Inside an already-cancelled scope `work` never starts, and a call cancelled while
    /// waiting for a limiter token leaves no token behind. Once `work` runs, see
    /// [`abandon_on_cancel`](ToThread::abandon_on_cancel): without it the call waits for `work`
    /// and returns its value (the cancellation lands at the caller's next blocking point); with
    /// it the caller is released at once. The cancellation of the caller's scope never becomes
    /// a value of this call: `run_sync` returns `work`'s own value or does not return. With
    /// abandon, the token is given back when the caller is released, as in AnyIO, so the
    /// abandoned thread no longer counts against the limiter.
    ///
    /// # Examples
    ///
    /// See [`ToThread`].
    // Not an `async fn`: the caller's location is taken here, where `#[track_caller]` sees it.
    #[track_caller]
    pub fn run_sync<F, R>(self, work: F) -> impl Future<Output = R> + Send + 'a
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.run_sync_for(Location::caller(), work)
    }

    /// [`run_sync`](ToThread::run_sync), its panic outside any runtime naming `caller`.
    async fn run_sync_for<F, R>(self, caller: &'static Location<'static>, work: F) -> R
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        checkpoint_if_cancelled().await;
        let runtime = Runtime::current_for(caller);
        let limiter = self
            .limiter
            .unwrap_or_else(|| default_limiter(runtime.backend));
        // A fresh borrower per call: one task may run several calls at once (say in a join).
        let _token = limiter
            .acquire_on_behalf_of(Borrower::new())
            .await
            .expect("a fresh borrower holds no token");
        checkpoint_if_cancelled().await;

        let scope = context::current_scope();
        let job_context = WorkerContext {
            runtime: runtime.clone(),
            scope: scope.clone(),
            task: context::current_task_id(),
        };
        // On virtual time the work counts as busy, so time does not jump while it runs. The
        // caller holds the count until it has the result: a guard dropped by the thread itself
        // would end before the join wakes the caller, leaving an instant where every task looks
        // blocked. An abandoned thread keeps a count of its own for as long as it runs.
        let _caller_busy = runtime.clock.clone().map(BusyGuard::new);
        let thread_busy = runtime
            .clock
            .clone()
            .filter(|_| self.abandon_on_cancel)
            .map(BusyGuard::new);
        let outcome = match scope.filter(|_| !self.abandon_on_cancel) {
            // The thread, not the caller, holds the protection: it ends exactly when the work
            // does, even if the caller's future sits unpolled (say, stored inside a stream
            // nobody reads). The result then travels through a handoff slot, so that it is in
            // place before the end of the protection wakes the caller's scopes.
            Some(scope) => {
                let protection = Protection::from(Some(scope));
                let (sender, receiver) = handoff::channel();
                let job = move || {
                    let outcome = {
                        let _worker = worker::enter(job_context);
                        catch_unwind(AssertUnwindSafe(work))
                    };
                    sender.send(outcome, protection);
                };
                let task = runtime::spawn_blocking(runtime.backend, job);
                receiver.receive(task).await
            }
            // Nothing to protect (no enclosing scope, or abandon): the backend's own join
            // handle carries the result.
            None => {
                let job = move || {
                    let _busy = thread_busy;
                    let _worker = worker::enter(job_context);
                    catch_unwind(AssertUnwindSafe(work))
                };
                runtime::spawn_blocking(runtime.backend, job).await
            }
        };
        match outcome {
            Ok(value) => value,
            Err(payload) => resume_unwind(payload),
        }
    }
}
