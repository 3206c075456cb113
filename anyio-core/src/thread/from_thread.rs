//! Calling back into the event loop from a worker thread started by
//! [`to_thread::run_sync`](super::to_thread::run_sync).

use std::future::Future;
use std::panic::resume_unwind;
use std::sync::mpsc;

use super::error::FromThreadError;
use super::worker;
use crate::cancel::node::Node;
use crate::runtime;
use crate::task::registry::RootRegistration;
use crate::task::runs::Straggler;
use crate::task::TaskIdentity;
use crate::task_group::child::{ChildTask, Root};
use crate::task_group::outcome::{Finish, Outcome};

/// Runs `future` on the event loop this worker thread came from and blocks the thread until it
/// completes.
///
/// The future runs as a task inside the calling task's cancel scope: when that scope is
/// cancelled, the future is dropped at its next `Pending` and this returns
/// [`FromThreadError::Cancelled`].
///
/// # Errors
///
/// [`FromThreadError::NotInWorkerThread`] outside threads started by `to_thread::run_sync`;
/// [`FromThreadError::Cancelled`]; [`FromThreadError::RuntimeStopped`] when the `run` call the
/// thread came from has returned (a thread abandoned by a cancelled
/// [`to_thread`](super::to_thread) call can outlive it): `future` is then dropped unpolled, on
/// every backend.
///
/// # Panics
///
/// A panic in `future` resumes here.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{from_thread, time::{sleep, Duration}, to_thread};
/// let slept = to_thread::run_sync(|| {
///     from_thread::run(async { sleep(Duration::from_millis(1)).await; "slept" })
/// })
/// .await;
/// assert_eq!(slept, Ok("slept"));
/// # });
/// ```
pub fn run<F>(future: F) -> Result<F::Output, FromThreadError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let context = worker::current().ok_or(FromThreadError::NotInWorkerThread)?;
    // A thread abandoned by its caller may call back after the run ended: the event loop it
    // came from is gone (smol's and async-std's executors would still run the task). While
    // the run lasts, it waits for this task before returning.
    let straggler = match context.runtime.run {
        Some(run) => Some(Straggler::join(run).ok_or(FromThreadError::RuntimeStopped)?),
        None => None,
    };
    let node = Node::task(TaskIdentity::new(
        Some("from_thread".to_owned()),
        context.task,
    ));
    node.set_parent(context.scope.clone());
    node.attach();
    // Called from a thread no anyio task started: nothing above this task lists it.
    let _registration = context
        .task
        .is_none()
        .then(|| RootRegistration::new(node.clone()));
    let (sender, receiver) = mpsc::sync_channel(1);
    let backend = context.runtime.backend;
    runtime::spawn(
        backend,
        ChildTask::new(
            context.runtime,
            Root::Born(node),
            future,
            SendOutcome {
                sender,
                _straggler: straggler,
            },
        ),
    );
    match receiver.recv() {
        Ok(Outcome::Completed(value)) => Ok(value),
        Ok(Outcome::Cancelled) => Err(FromThreadError::Cancelled),
        Ok(Outcome::Panicked(payload)) => resume_unwind(payload),
        Err(mpsc::RecvError) => Err(FromThreadError::RuntimeStopped),
    }
}

/// Runs the synchronous `work` on the event loop this worker thread came from and blocks the
/// thread until it returns (for code that must run on the event loop, such as touching
/// single-threaded state).
///
/// # Errors
///
/// As [`run`].
///
/// # Panics
///
/// A panic in `work` resumes here.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{from_thread, get_current_task, to_thread};
/// let name = to_thread::run_sync(|| {
///     from_thread::run_sync(|| get_current_task().and_then(|task| task.name))
/// })
/// .await;
/// assert_eq!(name, Ok(Some("from_thread".to_owned())));
/// # });
/// ```
pub fn run_sync<F, R>(work: F) -> Result<R, FromThreadError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    run(async move { work() })
}

/// Tells a worker thread whether the task that started it was cancelled, so long blocking work
/// can stop early.
///
/// # Errors
///
/// [`FromThreadError::Cancelled`] when the caller's scope is cancelled;
/// [`FromThreadError::NotInWorkerThread`] outside worker threads.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{from_thread, to_thread};
/// let checked = to_thread::run_sync(from_thread::check_cancelled).await;
/// assert_eq!(checked, Ok(()));
/// # });
/// ```
pub fn check_cancelled() -> Result<(), FromThreadError> {
    let context = worker::current().ok_or(FromThreadError::NotInWorkerThread)?;
    match context.scope {
        Some(scope) if scope.is_cancelled() => Err(FromThreadError::Cancelled),
        _ => Ok(()),
    }
}

/// Hands the callee's outcome to the blocked worker thread.
struct SendOutcome<T> {
    sender: mpsc::SyncSender<Outcome<T>>,
    /// Released once the outcome is handed over, letting the run end.
    _straggler: Option<Straggler>,
}

impl<T: Send + 'static> Finish<T> for SendOutcome<T> {
    fn finish(self, outcome: Outcome<T>) {
        // The thread may be gone only if it panicked meanwhile; nothing to deliver then.
        let _ = self.sender.send(outcome);
    }
}
