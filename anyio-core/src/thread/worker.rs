//! The anyio context of a worker thread, for the time it runs one `to_thread` job.

use std::cell::RefCell;
use std::sync::Arc;

use crate::cancel::node::Node;
use crate::context::Runtime;

/// What a worker thread knows about the task that started it.
#[derive(Debug, Clone)]
pub(crate) struct WorkerContext {
    pub(crate) runtime: Runtime,
    /// The innermost cancel scope of the calling task.
    pub(crate) scope: Option<Arc<Node>>,
    pub(crate) task: Option<crate::task::TaskId>,
}

thread_local! {
    static WORKER: RefCell<Option<WorkerContext>> = const { RefCell::new(None) };
}

/// The context of the job this thread runs, if it is an anyio worker thread.
pub(crate) fn current() -> Option<WorkerContext> {
    WORKER.with(|worker| worker.borrow().clone())
}

/// The backend of the task whose job this thread runs: blocking pools (async-std's) need not
/// be inside their runtime, so the job's code finds it here.
pub(crate) fn backend() -> Option<crate::Backend> {
    WORKER.with(|worker| Some(worker.borrow().as_ref()?.runtime.backend))
}

/// Clears the context when the job ends: pool threads go on to run other work.
#[derive(Debug)]
pub(crate) struct WorkerGuard {
    previous: Option<WorkerContext>,
}

pub(crate) fn enter(context: WorkerContext) -> WorkerGuard {
    WorkerGuard {
        previous: WORKER.with(|worker| worker.replace(Some(context))),
    }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        WORKER.with(|worker| *worker.borrow_mut() = previous);
    }
}
