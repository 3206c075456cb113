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

thread_local! {
    static BACKEND: Cell<Option<Backend>> = const { Cell::new(None) };
    static CLOCK: RefCell<Option<Arc<VirtualClock>>> = const { RefCell::new(None) };
    static SCOPE: RefCell<Option<Arc<Node>>> = const { RefCell::new(None) };
    /// The root node of the task being polled, which holds its identity.
    static TASK: RefCell<Option<Arc<Node>>> = const { RefCell::new(None) };
}

/// The backend recorded by the enclosing anyio task or `run_with`, if any.
pub(crate) fn backend() -> Option<Backend> {
    BACKEND.with(Cell::get)
}

/// The virtual clock the current task runs on, if any.
pub(crate) fn clock() -> Option<Arc<VirtualClock>> {
    CLOCK.with(|clock| clock.borrow().clone())
}

/// Runs `f` with the virtual clock of the current task, without cloning it.
pub(crate) fn with_clock<R>(f: impl FnOnce(Option<&Arc<VirtualClock>>) -> R) -> R {
    CLOCK.with(|clock| f(clock.borrow().as_ref()))
}

/// The innermost cancel scope node of the task being polled.
pub(crate) fn current_scope() -> Option<Arc<Node>> {
    SCOPE.with(|scope| scope.borrow().clone())
}

/// Runs `f` with the innermost scope node, without cloning it.
pub(crate) fn with_current_scope<R>(f: impl FnOnce(Option<&Arc<Node>>) -> R) -> R {
    SCOPE.with(|scope| f(scope.borrow().as_ref()))
}

/// Runs `f` with the root node of the anyio task being polled, without cloning it.
pub(crate) fn with_current_task<R>(f: impl FnOnce(Option<&Arc<Node>>) -> R) -> R {
    TASK.with(|task| f(task.borrow().as_ref()))
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
    let previous = SCOPE.with(|scope| scope.replace(Some(node)));
    ScopeGuard { previous }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        SCOPE.with(|scope| *scope.borrow_mut() = previous);
    }
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
    TaskGuard {
        backend: BACKEND.with(|cell| cell.replace(Some(runtime.backend))),
        clock: CLOCK.with(|cell| cell.replace(runtime.clock.clone())),
        task: TASK.with(|cell| cell.replace(Some(root.clone()))),
        scope: SCOPE.with(|cell| cell.replace(Some(root.clone()))),
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        BACKEND.with(|cell| cell.set(self.backend));
        let clock = self.clock.take();
        CLOCK.with(|cell| *cell.borrow_mut() = clock);
        let task = self.task.take();
        TASK.with(|cell| *cell.borrow_mut() = task);
        let scope = self.scope.take();
        SCOPE.with(|cell| *cell.borrow_mut() = scope);
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
