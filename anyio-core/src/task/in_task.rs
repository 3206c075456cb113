use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::registry::RootRegistration;
use super::TaskIdentity;
use crate::cancel::node::Node;
use crate::context::{self, Runtime};
use crate::time::virtual_clock::{poll_tracked, TrackedTask};

pin_project! {
    /// Polls a future as a root task (one no task group owns, such as `"main"` of
    /// `anyio::run`): in its own context, under its own root node, registered as a top of the
    /// scope tree for [`get_running_tasks`](crate::get_running_tasks).
    #[derive(Debug)]
    pub(crate) struct InTask<F> {
        runtime: Runtime,
        // Present on a virtual clock, where it counts this task as runnable or blocked.
        tracked: Option<Arc<TrackedTask>>,
        root: Arc<Node>,
        registration: RootRegistration,
        #[pin]
        future: F,
    }

    impl<F> PinnedDrop for InTask<F> {
        fn drop(this: Pin<&mut Self>) {
            this.root.end_task();
            if let Some(tracked) = this.tracked.as_ref() {
                tracked.exit_done();
            }
        }
    }
}

impl<F> InTask<F> {
    /// A root task named `name`.
    pub(crate) fn new(runtime: Runtime, name: &str, future: F) -> InTask<F> {
        let root = Node::task(TaskIdentity::new(Some(name.to_owned()), None));
        InTask {
            tracked: runtime.clock.clone().map(TrackedTask::new),
            runtime,
            registration: RootRegistration::new(root.clone()),
            root,
            future,
        }
    }
}

impl<F: Future> Future for InTask<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = context::enter_task(this.runtime, this.root);
        let future = this.future;
        poll_tracked(this.tracked.as_ref(), cx, |cx| future.poll(cx))
    }
}
