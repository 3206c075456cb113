//! The thread-local context of the anyio task being polled on this thread.
//!
//! Polls of one task nest on one thread, so a thread-local set for the duration of a poll is
//! how code deep inside a task finds its backend, its task's root node and its innermost cancel
//! scope. Every anyio task wrapper and every scope sets its part on entry and restores the
//! previous value on exit (also when unwinding), so foreign executors that nest polls (a
//! `block_on` inside a poll) see a consistent context.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::backend::Backend;
use crate::cancel::node::Node;
use crate::time::virtual_clock::VirtualClock;

/// Everything a poll needs to know, in one thread-local so that entering and leaving a task
/// looks the thread-local up once, not once per part.
struct TaskContext {
    backend: Cell<Option<Backend>>,
    clock: RefCell<Option<Arc<VirtualClock>>>,
    /// The innermost scope node.
    scope: RefCell<Option<Arc<Node>>>,
    /// The root node of the task being polled, which holds its identity.
    task: RefCell<Option<Arc<Node>>>,
}

thread_local! {
    static CONTEXT: TaskContext = const {
        TaskContext {
            backend: Cell::new(None),
            clock: RefCell::new(None),
            scope: RefCell::new(None),
            task: RefCell::new(None),
        }
    };
}

/// The backend recorded by the enclosing anyio task or `run_with`, if any.
pub(crate) fn backend() -> Option<Backend> {
    CONTEXT.with(|context| context.backend.get())
}

/// The virtual clock the current task runs on, if any.
pub(crate) fn clock() -> Option<Arc<VirtualClock>> {
    CONTEXT.with(|context| context.clock.borrow().clone())
}

/// Runs `f` with the virtual clock of the current task, without cloning it.
pub(crate) fn with_clock<R>(f: impl FnOnce(Option<&Arc<VirtualClock>>) -> R) -> R {
    CONTEXT.with(|context| f(context.clock.borrow().as_ref()))
}

/// The innermost cancel scope node of the task being polled.
pub(crate) fn current_scope() -> Option<Arc<Node>> {
    CONTEXT.with(|context| context.scope.borrow().clone())
}

/// Runs `f` with the innermost scope node, without cloning it.
pub(crate) fn with_current_scope<R>(f: impl FnOnce(Option<&Arc<Node>>) -> R) -> R {
    CONTEXT.with(|context| f(context.scope.borrow().as_ref()))
}

/// Runs `f` with the root node of the anyio task being polled, without cloning it.
pub(crate) fn with_current_task<R>(f: impl FnOnce(Option<&Arc<Node>>) -> R) -> R {
    CONTEXT.with(|context| f(context.task.borrow().as_ref()))
}

/// The id of the anyio task being polled.
pub(crate) fn current_task_id() -> Option<crate::task::TaskId> {
    with_current_task(|task| task.and_then(|node| node.task_id()))
}

/// Restores the scope that was current before [`enter_scope`] when dropped.
#[derive(Debug)]
pub(crate) struct ScopeGuard {
    previous: Option<Arc<Node>>,
}

/// Makes `node` the innermost scope until the guard drops.
pub(crate) fn enter_scope(node: Arc<Node>) -> ScopeGuard {
    let previous = CONTEXT.with(|context| context.scope.replace(Some(node)));
    ScopeGuard { previous }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let ours = CONTEXT.with(|context| context.scope.replace(previous));
        // Dropped outside the thread-local's borrow: the last reference to a node may go.
        drop(ours);
    }
}

/// Runs `poll` with the node in `slot` as the innermost scope. The node is moved into the
/// thread-local for the call rather than cloned, and back into `slot` afterwards, also when
/// `poll` unwinds.
pub(crate) fn poll_in_scope<R>(slot: &mut Option<Arc<Node>>, poll: impl FnOnce() -> R) -> R {
    struct Restore<'a> {
        slot: &'a mut Option<Arc<Node>>,
        previous: Option<Arc<Node>>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let previous = self.previous.take();
            *self.slot = CONTEXT.with(|context| context.scope.replace(previous));
        }
    }
    let previous = CONTEXT.with(|context| context.scope.replace(slot.take()));
    let _restore = Restore { slot, previous };
    poll()
}

/// Restores the whole previous task context when dropped.
#[derive(Debug)]
pub(crate) struct TaskGuard {
    backend: Option<Backend>,
    clock: Option<Arc<VirtualClock>>,
    task: Option<Arc<Node>>,
    scope: Option<Arc<Node>>,
}

/// Enters the context of a task: its runtime, and its root node as both the task (its
/// identity) and the innermost scope.
pub(crate) fn enter_task(runtime: &Runtime, root: &Arc<Node>) -> TaskGuard {
    CONTEXT.with(|context| TaskGuard {
        backend: context.backend.replace(Some(runtime.backend)),
        clock: context.clock.replace(runtime.clock.clone()),
        task: context.task.replace(Some(root.clone())),
        scope: context.scope.replace(Some(root.clone())),
    })
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let (clock, task, scope) = (self.clock.take(), self.task.take(), self.scope.take());
        let ours = CONTEXT.with(|context| {
            context.backend.set(self.backend);
            (
                context.clock.replace(clock),
                context.task.replace(task),
                context.scope.replace(scope),
            )
        });
        // Dropped outside the thread-local's borrow: the last reference to a node may go.
        drop(ours);
    }
}

/// What an anyio task runs on: its backend and, in tests, a virtual clock. Tasks inherit it
/// from the task group they are spawned into.
#[derive(Debug, Clone)]
pub(crate) struct Runtime {
    pub(crate) backend: Backend,
    pub(crate) clock: Option<Arc<VirtualClock>>,
}

impl Runtime {
    /// The runtime of the calling code; panics with the [`NoRuntime`](crate::NoRuntime)
    /// message outside any.
    #[track_caller]
    pub(crate) fn current() -> Runtime {
        Runtime {
            backend: crate::backend::require_backend(),
            clock: clock(),
        }
    }
}
