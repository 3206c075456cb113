//! What a [`BlockingPortal`](super::BlockingPortal) hands back to its callers: the handle of a
//! portal task, the errors, and the wrapper that keeps a task's panic away from the portal.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};

use crate::cancel::{CancelHandle, CancelScope};

/// Why a [`BlockingPortal`](super::BlockingPortal) call did not return a value.
///
/// # Examples
///
/// ```
/// use anyio_core::{thread::start_blocking_portal, Backend, PortalError};
/// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
/// portal.stop(false);
/// assert_eq!(portal.call(async { 1 }), Err(PortalError::Stopped));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// The portal was stopped; it runs nothing more.
    #[error("the blocking portal was stopped")]
    Stopped,
    /// The task was cancelled on the portal's side before it completed: by
    /// [`PortalTask::cancel`], or by [`stop(true)`](super::BlockingPortal::stop) or dropping the
    /// portal. This is the portal's cancellation, not the caller's (a plain thread has no cancel
    /// scope), so it is an error value.
    #[error("the portal task was cancelled")]
    Cancelled,
    /// A blocking portal call was made from async code, where it would block the event loop.
    #[error(
        "blocking portal calls block the calling thread: make them from plain threads, not from \
         async code running on an event loop"
    )]
    CalledFromEventLoop,
}

/// Why [`BlockingPortal::start_task`](super::BlockingPortal::start_task) did not start its
/// task.
///
/// # Examples
///
/// ```
/// use anyio_core::{thread::{start_blocking_portal, PortalStartError}, Backend, TaskStatus};
/// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
/// let outcome = portal.start_task(|_status: TaskStatus<u16>| async { Err::<(), _>("no port") });
/// assert_eq!(outcome.map(|(port, _)| port), Err(PortalStartError::NotStarted(Err("no port"))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortalStartError<T> {
    /// The task returned without calling [`TaskStatus::started`](crate::TaskStatus::started);
    /// here is what it returned (an error it returned comes back to this caller only).
    #[error("the portal task returned without calling `TaskStatus::started`")]
    NotStarted(T),
    /// The portal could not run the task, or cancelled it before it started.
    #[error(transparent)]
    Portal(#[from] PortalError),
}

/// What a portal task hands back: its value, `None` when it was cancelled, or its panic.
pub(super) type Delivery<T> = std::thread::Result<Option<T>>;

/// Runs `future` in `scope` as the body of a portal task and sends its outcome to `sender`.
///
/// A panic while polling or dropping `future` is caught and sent too: a panic that reached
/// the portal's task group would cancel every other task and end the portal. The caller may
/// be gone (a dropped [`PortalTask`]); the outcome is then dropped here, and a panic of that
/// drop is swallowed for the same reason.
pub(super) async fn deliver<F: Future>(
    scope: CancelScope,
    future: F,
    sender: mpsc::SyncSender<Delivery<F::Output>>,
) {
    let outcome = CatchPanic::new(scope.run(future)).await;
    if let Err(mpsc::SendError(unsent)) = sender.send(outcome) {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsent)));
    }
}

/// A future that turns a panic of its inner future, in `poll` or in its destructor, into an
/// `Err` (or, in the destructor, into nothing).
struct CatchPanic<F> {
    inner: Option<Pin<Box<F>>>,
}

impl<F> CatchPanic<F> {
    fn new(inner: F) -> CatchPanic<F> {
        CatchPanic {
            inner: Some(Box::pin(inner)),
        }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            panic!("CatchPanic polled after completion");
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(payload),
        };
        // Dropped now, under the same guard as in `drop`.
        if let Some(inner) = self.inner.take() {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(inner)));
        }
        Poll::Ready(outcome)
    }
}

impl<F> Drop for CatchPanic<F> {
    fn drop(&mut self) {
        // Dropped unpolled or mid-flight (the task was cancelled): its destructors run here,
        // on the portal's event loop, where a panic must not escape.
        if let Some(inner) = self.inner.take() {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(inner)));
        }
    }
}

/// A task started through [`BlockingPortal::start_task_soon`](super::BlockingPortal::start_task_soon)
/// or [`BlockingPortal::start_task`](super::BlockingPortal::start_task).
///
/// Dropping the handle leaves the task running (it still ends when the portal stops); its
/// value, or its panic, is then dropped with nobody to receive it.
pub struct PortalTask<T> {
    pub(super) result: mpsc::Receiver<Delivery<T>>,
    pub(super) cancel: CancelHandle,
}

impl<T> PortalTask<T> {
    /// Blocks until the task ends and returns its value.
    ///
    /// # Errors
    ///
    /// [`PortalError::Cancelled`] when the task was cancelled on the portal's side (by
    /// [`cancel`](Self::cancel), `stop(true)` or dropping the portal).
    ///
    /// # Panics
    ///
    /// A panic of the task resumes here, and only here: the portal goes on serving other calls.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal`](super::BlockingPortal).
    pub fn join(self) -> Result<T, PortalError> {
        match self.result.recv() {
            Ok(Ok(Some(value))) => Ok(value),
            // No value: the task was cancelled, or dropped unpolled by its cancelled group.
            Ok(Ok(None)) | Err(mpsc::RecvError) => Err(PortalError::Cancelled),
            Ok(Err(payload)) => resume_unwind(payload),
        }
    }

    /// Cancels the task.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal::start_task_soon`](super::BlockingPortal::start_task_soon).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl<T> fmt::Debug for PortalTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalTask").finish_non_exhaustive()
    }
}
