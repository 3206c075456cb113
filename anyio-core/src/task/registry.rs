//! The tops of the scope tree, from which [`get_running_tasks`] finds every live task.
//!
//! A task spawned into a task group is listed by the group's node from the moment it is
//! spawned (as a child node, or in the group's own list while it has no node), and the group
//! hangs under the scopes of the task that runs it, so only what has no anyio task above it
//! needs registering: root tasks (`"main"` of `anyio::run`, a
//! `from_thread` call from a thread no anyio task started) and task groups run outside any
//! anyio task (in a plain tokio task, say). Those are few, so one lock is enough.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use slab::Slab;

use super::TaskInfo;
use crate::cancel::node::{lock, Node};

static ROOTS: Mutex<Slab<Arc<Node>>> = Mutex::new(Slab::new());

/// Keeps a node among the tops of the tree until dropped.
#[derive(Debug)]
pub(crate) struct RootRegistration {
    key: usize,
}

impl RootRegistration {
    pub(crate) fn new(node: Arc<Node>) -> RootRegistration {
        RootRegistration {
            key: lock(&ROOTS).insert(node),
        }
    }
}

impl Drop for RootRegistration {
    fn drop(&mut self) {
        let removed = lock(&ROOTS).try_remove(self.key);
        // Dropped outside the lock: a node's drop may drop its parent chain.
        drop(removed);
    }
}

/// Every live anyio task in the process, in no particular order.
///
/// A task is listed from the moment it is spawned (before it first runs) until it ends.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let me = anyio_core::get_current_task().unwrap();
/// assert!(anyio_core::get_running_tasks().iter().any(|task| task.id == me.id));
/// # });
/// ```
pub fn get_running_tasks() -> Vec<TaskInfo> {
    let mut pending: Vec<Arc<Node>> = lock(&ROOTS).iter().map(|(_, node)| node.clone()).collect();
    // A group run outside any anyio task inside another such group is registered itself and
    // also found under the outer one: visit each node once.
    let mut visited = HashSet::new();
    let mut tasks = Vec::new();
    while let Some(node) = pending.pop() {
        if !visited.insert(Arc::as_ptr(&node)) {
            continue;
        }
        if node.is_task_root() {
            // An ended task's scopes have ended too: nothing live below it.
            let Some(info) = node.task_info() else {
                continue;
            };
            tasks.push(info);
        }
        if let Some(held) = node.held() {
            lock(held).collect_unborn(&mut tasks);
        }
        node.collect_children(&mut pending);
    }
    // A child that got its node a moment ago can be found both ways.
    let mut seen = HashSet::new();
    tasks.retain(|task| seen.insert(task.id));
    tasks
}
