//! What a group keeps of its children on the spawning side: their backend handles, and the
//! identity of those spawned without a node.
//!
//! A detached backend task is freed by the executor thread that finishes it, far from the
//! spawning thread that allocated it, and the allocator pays for every such crossing (glibc
//! takes its arena lock). The group keeps its children's handles instead and drops the
//! finished ones on the spawning side: in a sweep once they could make up half of the list
//! (so it holds at most about twice the live children), and all of them when the group ends.
//!
//! A child spawned with `start_soon` gets its root node only when it needs one (see
//! `child::Root`), yet introspection must list it from its spawn. Its entry here keeps its
//! identity, and the entry's handle tells when it ended, so the child itself writes nothing
//! the spawning thread reads: a flag per child, written by the executor thread and read by
//! the spawning one, cost more than the rest of anyio's share of a spawn. A child that got
//! its node meanwhile is listed by that node too; introspection keeps one of the two.
//!
//! The backend marks a task finished a moment after its body ended. Nothing tells user code
//! that a `start_soon` child ended, except its group's end (the group then takes its whole
//! list) and, on a [`MockClock`](crate::testing::MockClock),
//! [`wait_all_tasks_blocked`](crate::testing::wait_all_tasks_blocked). That one counts on the
//! clock's accounting of each task, so there the list asks that accounting too.

use std::sync::Arc;

use crate::runtime::HeldTask;
use crate::sweep::SweepSchedule;
use crate::task::{TaskInfo, UnbornIdentity};
use crate::time::virtual_clock::TrackedTask;

/// A list never sweeps below this length: sweeping tiny lists would cost more than it frees.
const MIN_SWEEP_LENGTH: usize = 64;

/// One child as its group keeps it.
#[derive(Debug)]
pub(crate) struct HeldChild {
    /// Its backend task, until it was seen finished.
    task: Option<HeldTask>,
    /// Present when it was spawned without a node.
    unborn: Option<Unborn>,
}

/// What lists a child spawned without a node.
#[derive(Debug)]
pub(crate) struct Unborn {
    identity: UnbornIdentity,
    /// Its accounting on a virtual clock, which knows it ended before its backend does.
    tracked: Option<Arc<TrackedTask>>,
}

impl Unborn {
    pub(crate) fn new(identity: UnbornIdentity, tracked: Option<Arc<TrackedTask>>) -> Unborn {
        Unborn { identity, tracked }
    }
}

impl HeldChild {
    /// A child running as `task`; `unborn` if it has no node to list it.
    pub(crate) fn new(task: HeldTask, unborn: Option<Unborn>) -> HeldChild {
        HeldChild {
            task: Some(task),
            unborn,
        }
    }

    /// Whether its task still runs; drops the task once it finished.
    fn is_running(&mut self) -> bool {
        if self.task.as_mut().is_some_and(HeldTask::is_finished) {
            self.task = None;
        }
        self.task.is_some()
    }
}

#[derive(Debug, Default)]
pub(crate) struct HeldTasks {
    children: Vec<HeldChild>,
    sweep: SweepSchedule,
}

impl HeldTasks {
    pub(crate) fn hold(&mut self, child: HeldChild) {
        let children = &mut self.children;
        self.sweep
            .before_insert(children.len(), MIN_SWEEP_LENGTH, || {
                children.retain_mut(HeldChild::is_running);
                children.len()
            });
        self.children.push(child);
    }

    /// Pushes the running children spawned without a node.
    pub(crate) fn collect_unborn(&mut self, out: &mut Vec<TaskInfo>) {
        for child in &mut self.children {
            let Some(unborn) = &child.unborn else {
                continue;
            };
            let exited = unborn
                .tracked
                .as_ref()
                .is_some_and(|task| task.has_exited());
            let identity = unborn.identity;
            if !exited && child.is_running() {
                out.push(identity.info());
            }
        }
    }

    /// Hands every entry over, for the group to drop once its children ended.
    pub(crate) fn take(&mut self) -> Vec<HeldChild> {
        self.sweep.reset();
        std::mem::take(&mut self.children)
    }
}
