use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::error::StartError;
use super::outcome::{Finish, Outcome};
use super::route::{handle, FailureHandler, FailureRoute};
use super::shared::{Failure, GroupShared};
use super::task_result::TaskResult;
use crate::cancel::node::{lock, Node};
use crate::context;

enum StartState<V, E> {
    Waiting,
    Started(V),
    /// `started` was called and the value taken by the caller.
    Delivered,
    Ended(StartEnd<E>),
    /// The caller went away before the task started; the task was cancelled then.
    Abandoned,
}

enum StartEnd<E> {
    Failed(E),
    NotStarted,
    Cancelled,
    Panicked(Box<dyn std::any::Any + Send>),
}

/// Meeting point of a task being started and the caller of `start`.
pub(crate) struct StartSlot<V, E> {
    state: Mutex<StartState<V, E>>,
    waker: AtomicWaker,
    /// The task's failure handler, while a failure left for the caller waits there: if the
    /// caller goes away without taking it, the handler gets it, not the group.
    handler: Mutex<Option<FailureHandler<E>>>,
}

impl<V, E> StartSlot<V, E> {
    pub(crate) fn new() -> Arc<StartSlot<V, E>> {
        Arc::new(StartSlot {
            state: Mutex::new(StartState::Waiting),
            waker: AtomicWaker::new(),
            handler: Mutex::new(None),
        })
    }

    fn is_started(&self) -> bool {
        matches!(
            *lock(&self.state),
            StartState::Started(_) | StartState::Delivered
        )
    }

    /// A failure nobody will take from the slot: the parked handler's if there is one (what
    /// is left is a panic of the handler), else the group's.
    fn route_unclaimed(&self, failure: Option<Failure<E>>) -> Option<Failure<E>> {
        let failure = failure?;
        match lock(&self.handler).take() {
            Some(handler) => handle(handler, failure),
            None => Some(failure),
        }
    }

    /// Hands the end of a task that never started to its caller; gives it back when the
    /// caller went away.
    fn end(&self, end: StartEnd<E>) -> Option<StartEnd<E>> {
        {
            let mut state = lock(&self.state);
            if let StartState::Abandoned = *state {
                return Some(end);
            }
            *state = StartState::Ended(end);
        }
        self.waker.wake();
        None
    }
}

/// Handed to a task started with [`TaskGroup::start`](super::TaskGroup::start): the task calls
/// [`started`](TaskStatus::started) once it is ready, which hands a value to the caller of
/// `start` and moves the task into its group.
///
/// `started` consumes the status, so calling it twice cannot compile:
///
/// ```compile_fail
/// # fn check(status: anyio_core::TaskStatus<()>) {
/// status.started(());
/// status.started(());
/// # }
/// ```
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, TaskStatus, time::sleep_forever};
/// task_group(|tg| async move {
///     let port = tg
///         .start(|status: TaskStatus<u16>| async move {
///             status.started(8080);
///             sleep_forever().await;
///         })
///         .await
///         .unwrap();
///     assert_eq!(port, 8080);
///     tg.cancel();
///     Ok::<_, ()>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct TaskStatus<V> {
    deliver: Box<dyn FnOnce(V) + Send>,
}

impl<V> TaskStatus<V> {
    pub(crate) fn new<E: Send + 'static>(
        slot: Arc<StartSlot<V, E>>,
        task: Arc<Node>,
        group: Arc<Node>,
    ) -> TaskStatus<V>
    where
        V: Send + 'static,
    {
        TaskStatus {
            deliver: Box::new(move |value| {
                {
                    let mut state = lock(&slot.state);
                    match *state {
                        StartState::Waiting => *state = StartState::Started(value),
                        // Nobody waits for the value; the task, cancelled, stays the caller's.
                        StartState::Abandoned => return,
                        _ => {}
                    }
                }
                // From now on the task belongs to its group: the group's cancellation reaches
                // it, the caller's no longer does.
                task.reparent(group);
                slot.waker.wake();
            }),
        }
    }

    /// Reports that the task has started, handing `value` to the caller of `start`.
    ///
    /// # Examples
    ///
    /// See [`TaskStatus`].
    pub fn started(self, value: V) {
        (self.deliver)(value);
    }
}

impl<V> fmt::Debug for TaskStatus<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskStatus").finish_non_exhaustive()
    }
}

/// Routes the outcome of a started task: to the caller of `start` before `started`, to the
/// group after.
pub(crate) struct StartFinisher<V, E, Route> {
    pub(crate) slot: Arc<StartSlot<V, E>>,
    pub(crate) shared: Arc<GroupShared<E>>,
    /// Where a failure after `started` goes, or one the caller went away before seeing.
    pub(crate) route: Route,
}

impl<R, V, E, Route> Finish<R> for StartFinisher<V, E, Route>
where
    R: TaskResult<E>,
    V: Send + 'static,
    E: Send + 'static,
    Route: FailureRoute<E>,
{
    fn finish(self, outcome: Outcome<R>) {
        if self.slot.is_started() {
            let failure = match outcome {
                Outcome::Completed(result) => result.into_result().err().map(Failure::Error),
                Outcome::Cancelled => None,
                Outcome::Panicked(payload) => Some(Failure::Panic(payload)),
            };
            self.route.child_done(&self.shared, failure);
            return;
        }
        let end = match outcome {
            Outcome::Completed(result) => match result.into_result() {
                Ok(_) => StartEnd::NotStarted,
                Err(error) => StartEnd::Failed(error),
            },
            Outcome::Cancelled => StartEnd::Cancelled,
            Outcome::Panicked(payload) => StartEnd::Panicked(payload),
        };
        let mut route = self.route;
        // Parked before the end is published, so a caller dropped right after it finds it.
        if let Some(handler) = route.take_handler() {
            *lock(&self.slot.handler) = Some(handler);
        }
        let unclaimed = self.slot.end(end);
        // The caller went away: a failure is not lost, it goes to the handler or the group.
        let failure = unclaimed.and_then(StartEnd::into_failure);
        route.child_done(&self.shared, self.slot.route_unclaimed(failure));
    }
}

impl<E> StartEnd<E> {
    fn into_failure(self) -> Option<Failure<E>> {
        match self {
            StartEnd::Failed(error) => Some(Failure::Error(error)),
            StartEnd::Panicked(payload) => Some(Failure::Panic(payload)),
            StartEnd::NotStarted | StartEnd::Cancelled => None,
        }
    }
}

/// Waits for a started task's value.
///
/// The task hangs under the caller's scope until it starts, so a cancellation of the caller
/// reaches it too, and it may end as cancelled before the caller is polled again. That end is
/// the caller's own cancellation, which the scope that caught it delivers: the wait stays
/// pending then, rather than resolve to [`StartError::Cancelled`] depending on which of the two
/// was polled first.
pub(crate) struct StartWait<V, E> {
    pub(crate) slot: Arc<StartSlot<V, E>>,
    /// The task's root node, cancelled if the caller goes away before the task started.
    pub(crate) task: Arc<Node>,
    pub(crate) shared: Arc<GroupShared<E>>,
}

impl<V, E> Drop for StartWait<V, E> {
    fn drop(&mut self) {
        let unclaimed = {
            let mut state = lock(&self.slot.state);
            match std::mem::replace(&mut *state, StartState::Abandoned) {
                StartState::Waiting => None,
                StartState::Ended(end) => Some(end),
                // Started: the task is its group's now, and goes on there.
                other => {
                    *state = other;
                    return;
                }
            }
        };
        match unclaimed {
            // Dropped by foreign code (a caller's scope cancels the task by itself): the task
            // can hand its value to nobody.
            None => self.task.cancel(),
            Some(end) => {
                if let Some(failure) = self.slot.route_unclaimed(end.into_failure()) {
                    self.shared.fail(failure);
                }
            }
        }
    }
}

impl<V, E> Future for StartWait<V, E> {
    type Output = Result<V, StartError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.waker.register(cx.waker());
        let mut state = lock(&self.slot.state);
        match std::mem::replace(&mut *state, StartState::Delivered) {
            StartState::Started(value) => Poll::Ready(Ok(value)),
            StartState::Ended(StartEnd::Cancelled) if context::current_scope_cancelled() => {
                // The caller's cancellation; its scope drops us.
                *state = StartState::Ended(StartEnd::Cancelled);
                Poll::Pending
            }
            StartState::Ended(end) => {
                drop(state);
                match end {
                    StartEnd::Failed(error) => Poll::Ready(Err(StartError::Failed(error))),
                    StartEnd::NotStarted => Poll::Ready(Err(StartError::NotStarted)),
                    StartEnd::Cancelled => Poll::Ready(Err(StartError::Cancelled)),
                    StartEnd::Panicked(payload) => resume_unwind(payload),
                }
            }
            other => {
                *state = other;
                Poll::Pending
            }
        }
    }
}
