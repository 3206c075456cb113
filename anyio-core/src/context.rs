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
use crate::task::runs::RunId;
use crate::task::{TaskId, TaskIdentity, TaskInfo, UnbornIdentity};
use crate::time::virtual_clock::VirtualClock;

/// Everything a poll needs to know, in one thread-local so that entering and leaving a task
/// looks the thread-local up once, not once per part.
struct TaskContext {
    backend: Cell<Option<Backend>>,
    /// The `run` call that owns the task.
    run: Cell<Option<RunId>>,
    clock: RefCell<Option<Arc<VirtualClock>>>,
    /// The innermost scope node.
    scope: RefCell<Option<Arc<Node>>>,
    /// The innermost scope when it was entered without a node (see [`poll_in_new_scope`]).
    nodeless: RefCell<Option<Nodeless>>,
    /// The task being polled.
    task: RefCell<Option<CurrentTask>>,
}

/// The task being polled: its root node, which holds its identity, or the identity alone while
/// it has no node (see [`poll_in_unborn_task`]).
#[derive(Debug)]
enum CurrentTask {
    Root(Arc<Node>),
    Unborn(UnbornIdentity),
}

thread_local! {
    static CONTEXT: TaskContext = const {
        TaskContext {
            backend: Cell::new(None),
            run: Cell::new(None),
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
    /// The innermost scope is the root of a task that has no node yet; `scope` is the node
    /// that root is to hang under.
    UnbornTask(UnbornIdentity),
    /// The node was created during this poll and is now `scope`; `enclosing` is the node it
    /// replaced there, put back when the poll ends.
    Born { enclosing: Option<Arc<Node>> },
}

impl TaskContext {
    /// Gives an unborn innermost scope its node, so that `scope` is the innermost scope.
    /// Returns the node when it is a task's root, which the caller attaches (outside this
    /// borrow: attaching may wake a parent's waker).
    #[inline]
    #[must_use]
    fn create_nodeless(&self) -> Option<Arc<Node>> {
        let mut nodeless = self.nodeless.borrow_mut();
        let (node, task_root) = match *nodeless {
            Some(Nodeless::Unborn { deadline, shield }) => {
                let enclosing = self.scope.borrow().clone();
                (Node::entered_scope(deadline, shield, enclosing), None)
            }
            Some(Nodeless::UnbornTask(identity)) => {
                let identity = TaskIdentity::from(identity);
                let node = Node::entered_task(identity, self.scope.borrow().clone());
                self.task.replace(Some(CurrentTask::Root(node.clone())));
                (node.clone(), Some(node))
            }
            _ => return None,
        };
        let enclosing = self.scope.replace(Some(node));
        *nodeless = Some(Nodeless::Born { enclosing });
        task_root
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

/// The `run` call that owns the current task, if any.
pub(crate) fn run() -> Option<RunId> {
    CONTEXT.with(|context| context.run.get())
}

/// The virtual clock the current task runs on, if any.
pub(crate) fn clock() -> Option<Arc<VirtualClock>> {
    CONTEXT.with(|context| context.clock.borrow().clone())
}

/// Runs `f` with the virtual clock and the backend of the current task, reading the
/// thread-local once.
#[inline]
pub(crate) fn with_clock_and_backend<R>(
    f: impl FnOnce(Option<&Arc<VirtualClock>>, Option<Backend>) -> R,
) -> R {
    CONTEXT.with(|context| f(context.clock.borrow().as_ref(), context.backend.get()))
}

/// The innermost cancel scope node of the task being polled (created if the scope has none
/// yet).
pub(crate) fn current_scope() -> Option<Arc<Node>> {
    let (scope, task_root) = CONTEXT.with(|context| {
        let task_root = context.create_nodeless();
        (context.scope.borrow().clone(), task_root)
    });
    if let Some(root) = task_root {
        root.attach();
    }
    scope
}

/// Whether the innermost cancel scope is effectively cancelled.
pub(crate) fn current_scope_cancelled() -> bool {
    CONTEXT.with(TaskContext::innermost_cancelled)
}

/// The id of the anyio task being polled.
pub(crate) fn current_task_id() -> Option<TaskId> {
    CONTEXT.with(|context| match context.task.borrow().as_ref()? {
        CurrentTask::Root(node) => node.task_id(),
        CurrentTask::Unborn(identity) => Some(identity.id),
    })
}

/// The root node of the anyio task being polled, if it has one (never creates it).
pub(crate) fn current_task_root() -> Option<Arc<Node>> {
    CONTEXT.with(|context| match context.task.borrow().as_ref()? {
        CurrentTask::Root(node) => Some(node.clone()),
        CurrentTask::Unborn(_) => None,
    })
}

/// What introspection shows of the anyio task being polled.
pub(crate) fn current_task_info() -> Option<TaskInfo> {
    CONTEXT.with(|context| match context.task.borrow().as_ref()? {
        CurrentTask::Root(node) => node.task_info(),
        CurrentTask::Unborn(identity) => Some(identity.info()),
    })
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
    let (outer, task_root) = CONTEXT.with(|context| {
        let task_root = context.create_nodeless();
        let outer = context
            .nodeless
            .replace(Some(Nodeless::Unborn { deadline, shield }));
        (outer, task_root)
    });
    if let Some(root) = task_root {
        root.attach();
    }
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
    run: Option<RunId>,
    clock: Option<Arc<VirtualClock>>,
    task: Option<CurrentTask>,
    outer: Outer,
}

/// Enters the context of a task: its runtime, and its root node as both the task (its
/// identity) and the innermost scope.
pub(crate) fn enter_task(runtime: &Runtime, root: &Arc<Node>) -> TaskGuard {
    CONTEXT.with(|context| TaskGuard {
        backend: context.backend.replace(Some(runtime.backend)),
        run: context.run.replace(runtime.run),
        clock: context.clock.replace(runtime.clock.clone()),
        task: context.task.replace(Some(CurrentTask::Root(root.clone()))),
        outer: Outer::replace_in(context, Some(root.clone())),
    })
}

/// Runs `poll` in the context of a task that has no root node yet: it is `identity` to
/// introspection, its innermost scope is its root, which is cancelled exactly when `parent` is
/// (a task's root is never shielded, and without a node nobody can cancel it alone), and code
/// inside that needs the node creates it under `parent` (see [`Nodeless`]). The context is
/// restored afterwards, also when `poll` unwinds. Returns the root node if it was created.
pub(crate) fn poll_in_unborn_task<R>(
    runtime: &Runtime,
    identity: UnbornIdentity,
    parent: Option<Arc<Node>>,
    poll: impl FnOnce() -> R,
) -> (R, Option<Arc<Node>>) {
    struct Restore<'a> {
        created: &'a mut Option<Arc<Node>>,
        backend: Option<Backend>,
        run: Option<RunId>,
        clock: Option<Arc<VirtualClock>>,
        task: Option<CurrentTask>,
        outer: Outer,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let (clock, task) = (self.clock.take(), self.task.take());
            let (outer_scope, outer_nodeless) =
                (self.outer.scope.take(), self.outer.nodeless.take());
            let (ours, scope, nodeless) = CONTEXT.with(|context| {
                context.backend.set(self.backend);
                context.run.set(self.run);
                (
                    (context.clock.replace(clock), context.task.replace(task)),
                    context.scope.replace(outer_scope),
                    context.nodeless.replace(outer_nodeless),
                )
            });
            let parent = match nodeless {
                Some(Nodeless::Born { enclosing }) => {
                    *self.created = scope;
                    enclosing
                }
                _ => scope,
            };
            // Dropped outside the thread-local's borrow.
            drop((ours, parent));
        }
    }
    let mut created = None;
    let polled = {
        let _restore = CONTEXT.with(|context| Restore {
            backend: context.backend.replace(Some(runtime.backend)),
            run: context.run.replace(runtime.run),
            clock: context.clock.replace(runtime.clock.clone()),
            task: context.task.replace(Some(CurrentTask::Unborn(identity))),
            outer: Outer {
                scope: context.scope.replace(parent),
                nodeless: context
                    .nodeless
                    .replace(Some(Nodeless::UnbornTask(identity))),
            },
            created: &mut created,
        });
        poll()
    };
    (polled, created)
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let (clock, task) = (self.clock.take(), self.task.take());
        let ours = CONTEXT.with(|context| {
            context.backend.set(self.backend);
            context.run.set(self.run);
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
    /// The `run` call that owns the task; `None` in a runtime anyio did not start (a plain
    /// `#[tokio::main]`), which then owns the task itself.
    pub(crate) run: Option<RunId>,
}

impl Runtime {
    /// The runtime of the calling code; panics with the [`NoRuntime`](crate::NoRuntime)
    /// message outside any.
    #[track_caller]
    pub(crate) fn current() -> Runtime {
        Runtime::current_for(std::panic::Location::caller())
    }

    /// [`current`](Runtime::current), its panic naming `caller`: the public call that built
    /// the future now being polled.
    #[track_caller]
    pub(crate) fn current_for(caller: &'static std::panic::Location<'static>) -> Runtime {
        Runtime {
            backend: crate::backend::require_backend_for(caller),
            clock: clock(),
            run: run(),
        }
    }
}
