use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::outcome::{Finish, Outcome};
use crate::cancel::node::Node;
use crate::cancel::DeadlineTimer;
use crate::context::{self, Runtime};
use crate::time::virtual_clock::{poll_tracked, TrackedTask};

pin_project! {
    /// A task group child as spawned on the backend: polls the task's future in its own anyio
    /// context under its root node, which catches any cancellation that reaches the task, and
    /// reports how the future ended exactly once (also when the runtime drops the task).
    #[project = ChildTaskProjection]
    pub(crate) struct ChildTask<F: Future, K: Finish<F::Output>> {
        runtime: Runtime,
        // Present on a virtual clock, where it counts this task as runnable or blocked.
        tracked: Option<Arc<TrackedTask>>,
        node: Arc<Node>,
        finisher: Option<K>,
        // A task's deadline can be set through its handle.
        #[pin]
        deadline: DeadlineTimer,
        #[pin]
        body: Option<F>,
    }

    impl<F: Future, K: Finish<F::Output>> PinnedDrop for ChildTask<F, K> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let Some(finisher) = this.finisher.take() {
                // The runtime dropped us before the body ended (it is shutting down).
                this.body.set(None);
                end(this.node, finisher, Outcome::Cancelled);
            }
            if let Some(tracked) = this.tracked.as_ref() {
                tracked.exit_done();
            }
        }
    }
}

impl<F: Future, K: Finish<F::Output>> ChildTask<F, K> {
    pub(crate) fn new(runtime: Runtime, node: Arc<Node>, body: F, finisher: K) -> Self {
        ChildTask {
            // Counted as runnable from the spawn on, so time cannot jump before it first runs.
            tracked: runtime.clock.clone().map(TrackedTask::new),
            runtime,
            node,
            finisher: Some(finisher),
            deadline: DeadlineTimer::new(),
            body: Some(body),
        }
    }
}

/// Reports how the task ended. Its root node stays in its parent's list until swept (see
/// `cancel::node`): leaving it would take the lock its group's spawner takes.
fn end<T, K: Finish<T>>(node: &Node, finisher: K, outcome: Outcome<T>) {
    node.end_task();
    finisher.finish(outcome);
}

impl<F, K> Future for ChildTask<F, K>
where
    F: Future,
    K: Finish<F::Output>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let _entered = context::enter_task(this.runtime, this.node);
        let tracked = this.tracked.clone();
        poll_tracked(tracked.as_ref(), cx, |cx| poll_child(this, cx))
    }
}

fn poll_child<F, K>(mut this: ChildTaskProjection<'_, F, K>, cx: &mut Context<'_>) -> Poll<()>
where
    F: Future,
    K: Finish<F::Output>,
{
    let node: &Arc<Node> = this.node;
    this.deadline.as_mut().poll(node, cx);
    let Some(body) = this.body.as_mut().as_pin_mut() else {
        return Poll::Ready(());
    };
    let outcome = match catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
        Ok(Poll::Ready(value)) => Outcome::Completed(value),
        Err(payload) => Outcome::Panicked(payload),
        Ok(Poll::Pending) => {
            node.register_waker(cx.waker());
            this.deadline.as_mut().poll(node, cx);
            // The root of a task catches every cancellation that reaches it.
            if !node.is_cancelled() || node.is_protected() {
                return Poll::Pending;
            }
            node.mark_caught();
            Outcome::Cancelled
        }
    };
    // The body (and whatever it holds) is gone before the group hears that we ended.
    this.body.set(None);
    if let Some(finisher) = this.finisher.take() {
        end(node, finisher, outcome);
    }
    Poll::Ready(())
}
