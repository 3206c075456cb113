use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::error::TaskGroupError;
use super::handle::TaskGroup;
use super::orphan;
use super::shared::{Failure, GroupShared};
use crate::cancel::node::{Node, Protection};
use crate::cancel::DeadlineTimer;
use crate::context;
use crate::task::registry::RootRegistration;

/// Runs `body` with a [`TaskGroup`] to spawn children into, and resolves once the body and
/// every child have ended: no child outlives its group.
///
/// - `Ok(value)`: the body returned `Ok(value)` and nothing failed. A cancellation that reaches
///   the group only after that, while it waits for its children, cancels them but does not
///   take the value away (a Trio nursery likewise ignores it).
/// - `Err(TaskGroupError::Failed(errors))`: the body or children failed. The first failure
///   cancels the group (body and children); every error is collected, including errors
///   children return while being cancelled.
/// - `Err(TaskGroupError::Cancelled)`: the group's own scope was cancelled
///   ([`TaskGroup::cancel`], its deadline) before the body produced a value.
///
/// A panic in the body or a child cancels the group too, and resumes here once every child
/// has ended.
///
/// # Cancellation
///
/// When an enclosing scope is cancelled, the group cancels its children and **waits for them**
/// (it is a protected region) before the enclosing scope drops it. Collected errors are still
/// returned in that case, so nothing is lost.
///
/// Dropping the group future by other means (outside any anyio scope, say in a plain
/// `tokio::select!` or `futures::future::select`) cancels the children but cannot wait for
/// them: each is dropped at its next `Pending` on its executor (a `finally` cleanup or
/// shielded scope inside it still runs to its end first). They stay listed by
/// [`get_running_tasks`](crate::get_running_tasks) until they ended, and the
/// [`run`](crate::run) call that owns them returns only after that.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, time::{sleep, Duration}};
///
/// let result = task_group(|tg| async move {
///     for delay in [3, 1, 2] {
///         tg.start_soon(async move {
///             sleep(Duration::from_millis(delay)).await;
///             println!("child {delay} done");
///         })?;
///     }
///     Ok::<_, anyio_core::SpawnError>("all spawned")
/// })
/// .await;
/// assert_eq!(result, Ok("all spawned"));
/// # });
/// ```
#[track_caller]
pub fn task_group<F, Fut, T, E>(body: F) -> TaskGroupFuture<Fut, T, E>
where
    F: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Send + 'static,
{
    let shared = GroupShared::new();
    let body = body(TaskGroup::new(shared.clone()));
    TaskGroupFuture {
        shared,
        abandon: orphan::abandon::<E>,
        started: false,
        waited: false,
        finished: false,
        protection: None,
        registration: None,
        value: None,
        deadline: DeadlineTimer::new(),
        body: Some(body),
    }
}

pin_project! {
    /// The future returned by [`task_group`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct TaskGroupFuture<Fut, T, E> {
        shared: Arc<GroupShared<E>>,
        // What a drop before the end does; a function pointer because `Drop` cannot ask for
        // the `E: Send + 'static` that watching the children needs.
        abandon: fn(&Arc<GroupShared<E>>),
        started: bool,
        // Whether the group ever returned `Pending`: one that never did yields once before it
        // ends, so that a loop of groups with nothing to wait for lets other tasks and timers
        // run (an empty nursery is a schedule point in Trio too).
        waited: bool,
        finished: bool,
        // Held from the first poll until every child ended: enclosing scopes must not drop the
        // group while it still has children to wait for.
        protection: Option<Protection>,
        // Present while the group runs outside any anyio task, where nothing above it would
        // lead introspection to its children.
        registration: Option<RootRegistration>,
        value: Option<T>,
        #[pin]
        deadline: DeadlineTimer,
        #[pin]
        body: Option<Fut>,
    }

    impl<Fut, T, E> PinnedDrop for TaskGroupFuture<Fut, T, E> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if *this.finished {
                this.shared.node.detach();
            } else {
                // Dropped from outside anyio's scopes: the children are cancelled, and
                // watched until they ended since this cannot wait for them.
                (this.abandon)(this.shared);
            }
        }
    }
}

impl<Fut, T, E> fmt::Debug for TaskGroupFuture<Fut, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupFuture")
            .field("body_done", &self.body.is_none())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<Fut, T, E> Future for TaskGroupFuture<Fut, T, E>
where
    Fut: Future<Output = Result<T, E>>,
    E: Send + 'static,
{
    type Output = Result<T, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let shared: &GroupShared<E> = this.shared;
        let node: &Arc<Node> = &shared.node;
        if *this.finished {
            // Cancelled through an enclosing scope that is about to drop us, or that was
            // shielded meanwhile: then there is no value to give.
            return if node.inherits_cancellation() {
                Poll::Pending
            } else {
                Poll::Ready(Err(TaskGroupError::Cancelled))
            };
        }
        if !*this.started {
            *this.started = true;
            shared.runtime_for(this.deadline.caller());
            let enclosing = context::current_scope();
            node.set_parent(enclosing.clone());
            node.attach();
            *this.protection = Some(Protection::from(enclosing));
            if context::current_task_id().is_none() {
                *this.registration = Some(RootRegistration::new(node.clone()));
            }
        }
        this.deadline.as_mut().poll(node, cx);

        // As in a cancel scope (see `cancel::scope::settle`): a body is dropped for a
        // cancellation only after a poll that saw it, so an operation that completed in the
        // meantime is not reported as cancelled.
        let seen = node.is_cancelled();
        poll_body(this.body.as_mut(), this.value, shared, cx);
        node.register_waker(cx.waker());
        this.deadline.as_mut().poll(node, cx);
        if this.body.is_some() {
            if !node.is_cancelled() || node.is_protected() {
                *this.waited = true;
                return Poll::Pending;
            }
            if !seen {
                poll_body(this.body.as_mut(), this.value, shared, cx);
                if this.body.is_some() && node.is_protected() {
                    *this.waited = true;
                    return Poll::Pending;
                }
            }
            this.body.set(None);
        }

        if !*this.waited {
            *this.waited = true;
            if !shared.ever_spawned() {
                // Nothing to wait for: a cancelled enclosing scope may drop the group during
                // its yield, as it would drop any other.
                *this.protection = None;
            }
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let Some((errors, panic)) = shared.try_close() else {
            return Poll::Pending;
        };
        *this.finished = true;
        // Waking the enclosing scopes lets one that is cancelled drop us now.
        *this.protection = None;
        *this.registration = None;
        node.detach();
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
        if !errors.is_empty() {
            return Poll::Ready(Err(TaskGroupError::Failed(errors)));
        }
        if let Some(value) = this.value.take() {
            return Poll::Ready(Ok(value));
        }
        if node.inherits_cancellation() {
            return Poll::Pending;
        }
        node.mark_caught();
        Poll::Ready(Err(TaskGroupError::Cancelled))
    }
}

/// Polls the body inside the group's scope, if it is still there, and keeps its outcome.
fn poll_body<Fut, T, E>(
    mut slot: Pin<&mut Option<Fut>>,
    value: &mut Option<T>,
    shared: &GroupShared<E>,
    cx: &mut Context<'_>,
) where
    Fut: Future<Output = Result<T, E>>,
{
    let Some(body) = slot.as_mut().as_pin_mut() else {
        return;
    };
    let polled = {
        let _entered = context::enter_scope(shared.node.clone());
        catch_unwind(AssertUnwindSafe(|| body.poll(cx)))
    };
    match polled {
        Ok(Poll::Pending) => {}
        Ok(Poll::Ready(Ok(ready))) => {
            *value = Some(ready);
            slot.set(None);
        }
        Ok(Poll::Ready(Err(error))) => {
            slot.set(None);
            shared.fail(Failure::Error(error));
        }
        Err(payload) => {
            slot.set(None);
            shared.fail(Failure::Panic(payload));
        }
    }
}
