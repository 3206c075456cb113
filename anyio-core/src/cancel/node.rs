//! A node of the cancel-scope tree.
//!
//! Every cancel scope, task group and anyio task owns one node. A node is *effectively
//! cancelled* when it was cancelled itself (by `cancel()` or its deadline), or when its parent
//! is effectively cancelled and it is not shielded. The parent's status is cached in each child
//! (`parent_cancelled`) and pushed down by [`Node::propagate`] whenever it changes, so checking
//! a node is three atomic loads, with no walk and no lock on the poll path.
//!
//! Locks are only taken to change the tree's shape or to push a change down, always parent
//! before child (`link` of a node, then `children` of its parent; `children` of a parent, then
//! `children` of a child), so they cannot deadlock.
//!
//! A parent holds its children weakly. A node that ends explicitly (a scope, a task group)
//! leaves its parent's list at once; a task's root node does not: a task often ends on another
//! thread than the one spawning its siblings, and taking the group's lock there would make
//! every spawn contend with every exit. Its entry dies with it instead, and [`Node::attach`]
//! sweeps dead entries out once they could make up half of the list, so a list never holds more
//! than about twice its live children.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use atomic_waker::AtomicWaker;
use slab::Slab;

use crate::sweep::SweepSchedule;
use crate::sync::Event;
use crate::task::{TaskId, TaskIdentity, TaskInfo};
use crate::task_group::held::HeldTasks;
use crate::time::current_time;

const NOT_CANCELLED: u8 = 0;
const CANCELLED_BY_CALL: u8 = 1;
const CANCELLED_BY_DEADLINE: u8 = 2;

/// Locks `mutex`, ignoring poisoning: the critical sections that use it (here, in task groups,
/// TLS sessions and `StreamIo`) leave their data consistent before anything that can panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A list never sweeps below this length: sweeping tiny lists would cost more than it frees.
const MIN_SWEEP_LENGTH: usize = 32;

#[derive(Debug, Default)]
struct Children {
    nodes: Slab<Weak<Node>>,
    sweep: SweepSchedule,
}

impl Children {
    fn insert(&mut self, child: Weak<Node>) -> usize {
        let nodes = &mut self.nodes;
        self.sweep.before_insert(nodes.len(), MIN_SWEEP_LENGTH, || {
            nodes.retain(|_, child| child.strong_count() > 0);
            nodes.len()
        });
        self.nodes.insert(child)
    }
}

#[derive(Debug, Default)]
struct Link {
    parent: Option<Arc<Node>>,
    /// Our key in the parent's `children` while attached.
    key: Option<usize>,
}

/// One node of the scope tree; see the module docs.
#[derive(Debug)]
pub(crate) struct Node {
    link: Mutex<Link>,
    /// Mirrors `link.key.is_some()`, written under the `link` lock: lets `attach` and `detach`
    /// skip the lock when there is nothing to do (a scope detaches up to three times as it ends).
    attached: AtomicBool,
    children: Mutex<Children>,
    cancel_state: AtomicU8,
    parent_cancelled: AtomicBool,
    shield: AtomicBool,
    caught: AtomicBool,
    /// How many protected regions enclose-or-are-inside this node in its task: while non-zero
    /// the node's owner must not drop its body.
    protect: AtomicUsize,
    deadline: Mutex<Option<Instant>>,
    /// Bumped on every deadline change so owners re-arm their timer without taking the lock.
    deadline_version: AtomicU64,
    /// The waker of the future that owns this node.
    waker: AtomicWaker,
    /// Present in a task's root node: the boundary of "enclosing nodes in the same task".
    task: Option<TaskIdentity>,
    /// Set when the task of this root node ended: introspection no longer lists it.
    task_ended: AtomicBool,
    /// Present in a task group's node (see [`GroupParts`]); one box, so that the nodes of
    /// scopes and tasks pay one pointer for it.
    group: Option<Box<GroupParts>>,
}

/// What a task group's node has beyond a scope's.
#[derive(Debug, Default)]
struct GroupParts {
    /// What the group keeps of its children, among them the ones listed there because they
    /// have no node yet.
    held: Mutex<HeldTasks>,
    /// Set when the group was asked to shut down gracefully.
    shutdown: Event,
}

impl Node {
    /// A detached node for a cancel scope or a task group.
    pub(crate) fn scope() -> Arc<Node> {
        Arc::new(Node::new(None, None, false))
    }

    /// A detached node for a task group.
    pub(crate) fn group() -> Arc<Node> {
        let mut node = Node::new(None, None, false);
        node.group = Some(Box::default());
        Arc::new(node)
    }

    /// A detached node for a cancel scope with this deadline and shield.
    pub(crate) fn scope_with(deadline: Option<Instant>, shield: bool) -> Arc<Node> {
        Arc::new(Node::new(None, deadline, shield))
    }

    /// The node of a cancel scope being entered under `parent` (see [`Node::set_parent`]).
    pub(crate) fn entered_scope(
        deadline: Option<Instant>,
        shield: bool,
        parent: Option<Arc<Node>>,
    ) -> Arc<Node> {
        let mut node = Node::new(None, deadline, shield);
        node.set_parent_mut(parent);
        Arc::new(node)
    }

    /// A detached root node for the task `identity`.
    pub(crate) fn task(identity: TaskIdentity) -> Arc<Node> {
        Arc::new(Node::new(Some(identity), None, false))
    }

    /// The root node of the task `identity`, created while the task runs under `parent`; the
    /// caller attaches it (see [`Node::set_parent`]).
    pub(crate) fn entered_task(identity: TaskIdentity, parent: Option<Arc<Node>>) -> Arc<Node> {
        let mut node = Node::new(Some(identity), None, false);
        node.set_parent_mut(parent);
        Arc::new(node)
    }

    fn new(task: Option<TaskIdentity>, deadline: Option<Instant>, shield: bool) -> Node {
        Node {
            link: Mutex::new(Link::default()),
            attached: AtomicBool::new(false),
            children: Mutex::new(Children::default()),
            cancel_state: AtomicU8::new(NOT_CANCELLED),
            parent_cancelled: AtomicBool::new(false),
            shield: AtomicBool::new(shield),
            caught: AtomicBool::new(false),
            protect: AtomicUsize::new(0),
            deadline: Mutex::new(deadline),
            // Version 0 means "never set": `deadline` then skips its lock.
            deadline_version: AtomicU64::new(u64::from(deadline.is_some())),
            waker: AtomicWaker::new(),
            task,
            task_ended: AtomicBool::new(false),
            group: None,
        }
    }

    /// Whether this is the root node of a task.
    pub(crate) fn is_task_root(&self) -> bool {
        self.task.is_some()
    }

    /// The id of the task this is the root node of.
    pub(crate) fn task_id(&self) -> Option<TaskId> {
        self.task.as_ref().map(TaskIdentity::id)
    }

    /// What introspection shows of the task this is the root node of, while it runs.
    pub(crate) fn task_info(&self) -> Option<TaskInfo> {
        if self.task_ended.load(Ordering::Acquire) {
            return None;
        }
        self.task.as_ref().map(TaskIdentity::info)
    }

    /// Marks the task of this root node as ended (see [`Node::task_info`]).
    pub(crate) fn end_task(&self) {
        self.task_ended.store(true, Ordering::Release);
    }

    /// What the task group owning this node keeps of its children.
    pub(crate) fn held(&self) -> Option<&Mutex<HeldTasks>> {
        self.group.as_deref().map(|group| &group.held)
    }

    /// The graceful shutdown signal of the task group owning this node.
    pub(crate) fn shutdown_signal(&self) -> Option<&Event> {
        self.group.as_deref().map(|group| &group.shutdown)
    }

    /// Pushes the live children of this node onto `out`.
    pub(crate) fn collect_children(&self, out: &mut Vec<Arc<Node>>) {
        let children = lock(&self.children);
        out.extend(
            children
                .nodes
                .iter()
                .filter_map(|(_, child)| child.upgrade()),
        );
    }

    /// Whether this node is effectively cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancel_called()
            || (self.parent_cancelled.load(Ordering::Acquire)
                && !self.shield.load(Ordering::Acquire))
    }

    /// Whether cancellation reaches this node from its parent (as opposed to only itself).
    pub(crate) fn inherits_cancellation(&self) -> bool {
        self.parent_cancelled.load(Ordering::Acquire) && !self.shield.load(Ordering::Acquire)
    }

    /// Whether this node, effectively cancelled, is the one that catches its cancellation: the
    /// outermost cancelled node of its task.
    pub(crate) fn catches(&self) -> bool {
        self.is_cancelled() && (self.is_task_root() || !self.inherits_cancellation())
    }

    pub(crate) fn cancel_called(&self) -> bool {
        self.cancel_state.load(Ordering::Acquire) != NOT_CANCELLED
    }

    pub(crate) fn cancel(&self) {
        self.cancel_because(CANCELLED_BY_CALL);
    }

    pub(crate) fn cancel_for_deadline(&self) {
        self.cancel_because(CANCELLED_BY_DEADLINE);
    }

    fn cancel_because(&self, cause: u8) {
        if self
            .cancel_state
            .compare_exchange(NOT_CANCELLED, cause, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.waker.wake();
            self.propagate();
        }
    }

    pub(crate) fn shield(&self) -> bool {
        self.shield.load(Ordering::Acquire)
    }

    pub(crate) fn set_shield(&self, shield: bool) {
        if self.shield.swap(shield, Ordering::AcqRel) != shield {
            self.waker.wake();
            self.propagate();
        }
    }

    pub(crate) fn mark_caught(&self) {
        self.caught.store(true, Ordering::Release);
    }

    pub(crate) fn caught(&self) -> bool {
        self.caught.load(Ordering::Acquire)
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        // Never set: no need for the lock. (A concurrent first `set_deadline` that has not
        // bumped the version yet is ordered after this read.)
        if self.deadline_version() == 0 {
            return None;
        }
        *lock(&self.deadline)
    }

    pub(crate) fn deadline_version(&self) -> u64 {
        self.deadline_version.load(Ordering::Acquire)
    }

    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        *lock(&self.deadline) = deadline;
        self.deadline_version.fetch_add(1, Ordering::AcqRel);
        self.waker.wake();
    }

    pub(crate) fn register_waker(&self, waker: &std::task::Waker) {
        self.waker.register(waker);
    }

    /// Wakes the future that owns this node.
    pub(crate) fn wake(&self) {
        self.waker.wake();
    }

    pub(crate) fn is_protected(&self) -> bool {
        self.protect.load(Ordering::Acquire) > 0
    }

    fn protect(&self) {
        self.protect.fetch_add(1, Ordering::AcqRel);
    }

    fn unprotect(&self) {
        if self.protect.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.waker.wake();
        }
    }

    pub(crate) fn parent(&self) -> Option<Arc<Node>> {
        lock(&self.link).parent.clone()
    }

    /// Records `parent` without attaching: until [`Node::attach`] the parent does not push
    /// cancellation to this node. Scopes attach lazily, when their body first returns
    /// `Pending`, so a scope around a ready future never touches its parent's lock.
    pub(crate) fn set_parent(&self, parent: Option<Arc<Node>>) {
        let mut link = lock(&self.link);
        debug_assert!(link.key.is_none(), "set_parent on an attached node");
        self.seed_parent_cancelled(parent.as_deref());
        link.parent = parent;
    }

    /// Until it attaches, a node is not told of its parent's changes; seeding the cached flag
    /// now makes a check during the first poll (`checkpoint_if_cancelled` in a fresh scope)
    /// see a cancellation that already reached the parent. `attach` re-reads it under the
    /// parent's lock.
    fn seed_parent_cancelled(&self, parent: Option<&Node>) {
        self.parent_cancelled
            .store(parent.is_some_and(Node::is_cancelled), Ordering::Release);
    }

    /// [`Node::set_parent`] through exclusive access: no lock.
    pub(crate) fn set_parent_mut(&mut self, parent: Option<Arc<Node>>) {
        self.seed_parent_cancelled(parent.as_deref());
        let link = self.link.get_mut().unwrap_or_else(PoisonError::into_inner);
        debug_assert!(link.key.is_none(), "set_parent on an attached node");
        link.parent = parent;
    }

    /// Joins the parent's children so that its cancellation reaches this node, and the
    /// parent's own parent likewise if it has not joined yet (a scope joins lazily, but a task
    /// spawned inside it must be reachable from the top of the tree at once, for
    /// introspection).
    pub(crate) fn attach(self: &Arc<Self>) {
        if self.attached.load(Ordering::Acquire) {
            return;
        }
        let (changed, unattached_parent) = {
            let mut link = lock(&self.link);
            let Link { parent, key } = &mut *link;
            let Some(parent) = parent.as_ref() else {
                return;
            };
            if key.is_some() {
                return;
            }
            let mut siblings = lock(&parent.children);
            *key = Some(siblings.insert(Arc::downgrade(self)));
            self.attached.store(true, Ordering::Release);
            let before = self.is_cancelled();
            // Read under the parent's lock: a later change of the parent pushes to us.
            self.parent_cancelled
                .store(parent.is_cancelled(), Ordering::Release);
            // A task's root node without a parent is a top of the tree: nothing to join.
            let unattached_parent = (!parent.attached.load(Ordering::Acquire)
                && !parent.is_task_root())
            .then(|| parent.clone());
            (before != self.is_cancelled(), unattached_parent)
        };
        if changed {
            self.waker.wake();
            self.propagate();
        }
        if let Some(parent) = unattached_parent {
            parent.attach();
        }
    }

    /// Leaves the parent's children; the parent link itself stays for deadline walks.
    pub(crate) fn detach(&self) {
        if !self.attached.load(Ordering::Acquire) {
            return;
        }
        let mut link = lock(&self.link);
        self.attached.store(false, Ordering::Release);
        if let (Some(key), Some(parent)) = (link.key.take(), link.parent.as_ref()) {
            let mut siblings = lock(&parent.children);
            // Only a dead entry is ever swept, so ours is still there.
            debug_assert!(siblings
                .nodes
                .get(key)
                .is_some_and(|entry| std::ptr::eq(entry.as_ptr(), self)));
            siblings.nodes.try_remove(key);
        }
    }

    /// Moves this node under `parent` (used when `TaskGroup::start` hands a task to its group).
    pub(crate) fn reparent(self: &Arc<Self>, parent: Arc<Node>) {
        self.detach();
        self.set_parent(Some(parent));
        self.attach();
    }

    /// Pushes this node's effective status to its children, recursing where a child's own
    /// status changes, and wakes every node whose status changed.
    pub(crate) fn propagate(&self) {
        let children = lock(&self.children);
        // Computed under the lock: the last propagation to run sees the latest flags.
        let cancelled = self.is_cancelled();
        for (_, child) in children.nodes.iter() {
            let Some(child) = child.upgrade() else {
                continue;
            };
            let before = child.is_cancelled();
            child.parent_cancelled.store(cancelled, Ordering::Release);
            if child.is_cancelled() != before {
                child.waker.wake();
                child.propagate();
            }
        }
    }

    /// The earliest deadline over this node and its ancestors up to the first shield, or "now"
    /// when the node is already effectively cancelled.
    pub(crate) fn effective_deadline(self: &Arc<Self>) -> Option<Instant> {
        if self.is_cancelled() {
            return Some(current_time());
        }
        let mut earliest: Option<Instant> = None;
        let mut node = Some(self.clone());
        while let Some(current) = node {
            if let Some(deadline) = current.deadline() {
                earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
            }
            if current.shield() {
                break;
            }
            node = current.parent();
        }
        earliest
    }
}

/// A protected region: while it lives, the enclosing nodes of its task do not drop their bodies
/// (DESIGN §4). Ending it wakes every node whose last protection it was.
#[derive(Debug)]
pub(crate) struct Protection {
    nodes: Vec<Arc<Node>>,
}

impl Protection {
    /// Protects `start` and every enclosing node of the same task above it.
    pub(crate) fn from(start: Option<Arc<Node>>) -> Protection {
        let mut nodes = Vec::new();
        let mut node = start;
        while let Some(current) = node {
            current.protect();
            let task_root = current.is_task_root();
            node = if task_root { None } else { current.parent() };
            nodes.push(current);
        }
        Protection { nodes }
    }
}

impl Drop for Protection {
    fn drop(&mut self) {
        for node in self.nodes.drain(..) {
            node.unprotect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(node: &Node) -> usize {
        lock(&node.children).nodes.len()
    }

    #[test]
    fn ended_task_nodes_are_swept_so_a_list_stays_within_twice_its_live_children() {
        let group = Node::scope();
        let mut live = Vec::new();
        for round in 0..1_000 {
            let child = Node::task(TaskIdentity::new(None, None));
            child.set_parent(Some(group.clone()));
            child.attach();
            // Every third child lives on; the others end without leaving the list.
            if round % 3 == 0 {
                live.push(child);
            }
            assert!(
                listed(&group) <= 2 * live.len() + MIN_SWEEP_LENGTH + 1,
                "{} entries for {} live children",
                listed(&group),
                live.len()
            );
        }
        let mut children = Vec::new();
        group.collect_children(&mut children);
        assert_eq!(children.len(), live.len());
    }

    #[test]
    fn a_sweep_keeps_the_keys_of_live_children_so_they_can_still_detach() {
        let group = Node::scope();
        let survivor = Node::scope();
        survivor.set_parent(Some(group.clone()));
        survivor.attach();
        for _ in 0..10 * MIN_SWEEP_LENGTH {
            let ended = Node::task(TaskIdentity::new(None, None));
            ended.set_parent(Some(group.clone()));
            ended.attach();
        }
        survivor.detach();
        let mut children = Vec::new();
        group.collect_children(&mut children);
        assert!(children.is_empty());
    }

    #[test]
    fn attaching_under_a_scope_that_has_not_joined_joins_it_too() {
        let task = Node::task(TaskIdentity::new(None, None));
        let scope = Node::scope();
        scope.set_parent(Some(task.clone()));
        let group = Node::scope();
        group.set_parent(Some(scope.clone()));
        group.attach();
        assert_eq!(listed(&task), 1);
        assert_eq!(listed(&scope), 1);
    }
}
