//! The thread-local context of the anyio task being polled on this thread.
//!
//! Polls of one task nest on one thread, so a thread-local set for the duration of a poll is
//! how code deep inside a task finds its backend, its task's root node and its innermost cancel
//! scope. Every anyio task wrapper and every scope sets its part on entry and restores the
//! previous value on exit (also when unwinding), so foreign executors that nest polls (a
//! `block_on` inside a poll) see a consistent context.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Instant;

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
    /// The innermost scope when it was entered without a node (see [`poll_in_new_scope`]).
    nodeless: RefCell<Option<Nodeless>>,
    /// The root node of the task being polled, which holds its identity.
    task: RefCell<Option<Arc<Node>>>,
}

thread_local! {
    static CONTEXT: TaskContext = const {
        TaskContext {
            backend: Cell::new(None),
            clock: RefCell::new(None),
            scope: RefCell::new(None),
            nodeless: RefCell::new(None),
            task: RefCell::new(None),
        }
    };
}

/// A cancel scope entered without a node. Most scopes end on their first poll without anyone
/// asking for them (a timeout around an operation that is ready at once), so a scope creates
/// its node only when code inside asks for the current scope, or when its body first returns
/// `Pending`.
#[derive(Debug)]
enum Nodeless {
    /// No node yet: what it is to be created with. `scope` is still the enclosing node.
    Unborn {
        deadline: Option<Instant>,
        shield: bool,
    },
    /// The node was created during this poll and is now `scope`; `enclosing` is the node it
    /// replaced there, put back when the poll ends.
    Born { enclosing: Option<Arc<Node>> },
}

impl TaskContext {
    /// Gives an unborn innermost scope its node, so that `scope` is the innermost scope.
    #[inline]
    fn create_nodeless(&self) {
        let mut nodeless = self.nodeless.borrow_mut();
        if let Some(Nodeless::Unborn { deadline, shield }) = *nodeless {
            let enclosing = self.scope.borrow().clone();
            let node = Node::entered_scope(deadline, shield, enclosing.clone());
            self.scope.replace(Some(node));
            *nodeless = Some(Nodeless::Born { enclosing });
        }
    }

    /// Whether the innermost scope is effectively cancelled, without creating its node: an
    /// unborn scope is cancelled exactly when its enclosing scope is and it is not shielded
    /// (its own deadline is later than its entry, and only its owner can cancel it).
    fn innermost_cancelled(&self) -> bool {
        let unborn_shield = match *self.nodeless.borrow() {
            Some(Nodeless::Unborn { shield, .. }) => shield,
            _ => false,
        };
        !unborn_shield
            && self
                .scope
                .borrow()
                .as_ref()
                .is_some_and(|node| node.is_cancelled())
    }
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
#[inline]
pub(crate) fn with_clock<R>(f: impl FnOnce(Option<&Arc<VirtualClock>>) -> R) -> R {
    CONTEXT.with(|context| f(context.clock.borrow().as_ref()))
}

/// The innermost cancel scope node of the task being polled (created if the scope has none
/// yet).
pub(crate) fn current_scope() -> Option<Arc<Node>> {
    CONTEXT.with(|context| {
        context.create_nodeless();
        context.scope.borrow().clone()
    })
}

/// Whether the innermost cancel scope is effectively cancelled.
pub(crate) fn current_scope_cancelled() -> bool {
    CONTEXT.with(TaskContext::innermost_cancelled)
}

/// Runs `f` with the root node of the anyio task being polled, without cloning it.
pub(crate) fn with_current_task<R>(f: impl FnOnce(Option<&Arc<Node>>) -> R) -> R {
    CONTEXT.with(|context| f(context.task.borrow().as_ref()))
}

/// The id of the anyio task being polled.
pub(crate) fn current_task_id() -> Option<crate::task::TaskId> {
    with_current_task(|task| task.and_then(|node| node.task_id()))
}

/// The innermost scope as it was before a node was made current, restored afterwards.
///
/// A nodeless scope enclosing the new one is hidden meanwhile: the new node's parent was fixed
/// when it was entered, so code inside must not give the nodeless scope a node under it.
#[derive(Debug)]
struct Outer {
    scope: Option<Arc<Node>>,
    nodeless: Option<Nodeless>,
}

impl Outer {
    fn replace_with(node: Option<Arc<Node>>) -> Outer {
        CONTEXT.with(|context| Outer::replace_in(context, node))
    }

    /// Makes `node` the innermost scope of `context`, keeping what it replaces.
    fn replace_in(context: &TaskContext, node: Option<Arc<Node>>) -> Outer {
        Outer {
            scope: context.scope.replace(node),
            nodeless: context.nodeless.take(),
        }
    }

    /// Puts the outer scope back and returns the node that was current.
    fn restore(&mut self) -> Option<Arc<Node>> {
        let (scope, nodeless) = (self.scope.take(), self.nodeless.take());
        let (ours, inner) = CONTEXT.with(|context| {
            (
                context.scope.replace(scope),
                context.nodeless.replace(nodeless),
            )
        });
        debug_assert!(inner.is_none(), "a nodeless scope outlived its poll");
        ours
    }
}

/// Restores the scope that was current before [`enter_scope`] when dropped.
#[derive(Debug)]
pub(crate) struct ScopeGuard {
    outer: Outer,
}

/// Makes `node` the innermost scope until the guard drops.
pub(crate) fn enter_scope(node: Arc<Node>) -> ScopeGuard {
    ScopeGuard {
        outer: Outer::replace_with(Some(node)),
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        // Dropped outside the thread-local's borrow: the last reference to a node may go.
        drop(self.outer.restore());
    }
}

/// Runs `poll` with the node in `slot` as the innermost scope. The node is moved into the
/// thread-local for the call rather than cloned, and back into `slot` afterwards, also when
/// `poll` unwinds.
pub(crate) fn poll_in_scope<R>(slot: &mut Option<Arc<Node>>, poll: impl FnOnce() -> R) -> R {
    struct Restore<'a> {
        slot: &'a mut Option<Arc<Node>>,
        outer: Outer,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            *self.slot = self.outer.restore();
        }
    }
    let outer = Outer::replace_with(slot.take());
    let _restore = Restore { slot, outer };
    poll()
}

/// Runs `poll` inside a new scope that has no node yet, and returns the node if code inside
/// asked for one (see [`Nodeless`]). A nodeless scope enclosing this one gets its node first:
/// it would be this one's parent.
pub(crate) fn poll_in_new_scope<R>(
    deadline: Option<Instant>,
    shield: bool,
    poll: impl FnOnce() -> R,
) -> (R, Option<Arc<Node>>) {
    struct Restore<'a> {
        created: &'a mut Option<Arc<Node>>,
        outer: Option<Nodeless>,
    }
    impl Drop for Restore<'_> {
        #[inline]
        fn drop(&mut self) {
            let outer = self.outer.take();
            *self.created = CONTEXT.with(|context| match context.nodeless.replace(outer) {
                Some(Nodeless::Born { enclosing }) => context.scope.replace(enclosing),
                _ => None,
            });
        }
    }
    let outer = CONTEXT.with(|context| {
        context.create_nodeless();
        context
            .nodeless
            .replace(Some(Nodeless::Unborn { deadline, shield }))
    });
    let mut created = None;
    let polled = {
        let _restore = Restore {
            created: &mut created,
            outer,
        };
        poll()
    };
    (polled, created)
}

/// Restores the whole previous task context when dropped.
#[derive(Debug)]
pub(crate) struct TaskGuard {
    backend: Option<Backend>,
    clock: Option<Arc<VirtualClock>>,
    task: Option<Arc<Node>>,
    outer: Outer,
}

/// Enters the context of a task: its runtime, and its root node as both the task (its
/// identity) and the innermost scope.
pub(crate) fn enter_task(runtime: &Runtime, root: &Arc<Node>) -> TaskGuard {
    CONTEXT.with(|context| TaskGuard {
        backend: context.backend.replace(Some(runtime.backend)),
        clock: context.clock.replace(runtime.clock.clone()),
        task: context.task.replace(Some(root.clone())),
        outer: Outer::replace_in(context, Some(root.clone())),
    })
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let (clock, task) = (self.clock.take(), self.task.take());
        let ours = CONTEXT.with(|context| {
            context.backend.set(self.backend);
            (context.clock.replace(clock), context.task.replace(task))
        });
        let scope = self.outer.restore();
        // Dropped outside the thread-local's borrow: the last reference to a node may go.
        drop((ours, scope));
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
