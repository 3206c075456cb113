use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::outcome::{Finish, Outcome};
use crate::backend::Backend;
use crate::cancel::node::Node;
use crate::cancel::DeadlineTimer;
use crate::context;
use crate::task::TaskRecord;

pin_project! {
    /// A task group child as spawned on the backend: polls the task's future in its own anyio
    /// context under its root node, which catches any cancellation that reaches the task, and
    /// reports how the future ended exactly once (also when the runtime drops the task).
    pub(crate) struct ChildTask<F: Future, K: Finish<F::Output>> {
        backend: Backend,
        record: Arc<TaskRecord>,
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
                end(this.record, this.node, finisher, Outcome::Cancelled);
            }
        }
    }
}

impl<F: Future, K: Finish<F::Output>> ChildTask<F, K> {
    pub(crate) fn new(
        backend: Backend,
        record: Arc<TaskRecord>,
        node: Arc<Node>,
        body: F,
        finisher: K,
    ) -> Self {
        ChildTask {
            backend,
            record,
            node,
            finisher: Some(finisher),
            deadline: DeadlineTimer::new(),
            body: Some(body),
        }
    }
}

fn end<T, K: Finish<T>>(record: &TaskRecord, node: &Node, finisher: K, outcome: Outcome<T>) {
    node.detach();
    record.unregister();
    finisher.finish(outcome);
}

impl<F, K> Future for ChildTask<F, K>
where
    F: Future,
    K: Finish<F::Output>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let node: &Arc<Node> = this.node;
        let _entered =
            context::enter_task(*this.backend, Some(this.record.clone()), Some(node.clone()));
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
            end(this.record, node, finisher, outcome);
        }
        Poll::Ready(())
    }
}
