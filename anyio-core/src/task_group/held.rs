//! What a group keeps of its children on the spawning side: their backend handles, and the
//! identity of those that have no node yet.
//!
//! A detached backend task is freed by the executor thread that finishes it, far from the
//! spawning thread that allocated it, and the allocator pays for every such crossing (glibc
//! takes its arena lock). The group keeps its children's handles instead and drops the
//! finished ones on the spawning side: in a sweep once they could make up half of the list
//! (so it holds at most about twice the live children), and all of them when the group ends.
//!
//! The same entries list the children still without a node (see `listing`), so that spawning
//! one takes a single lock.

use super::listing::UnbornChild;
use crate::runtime::HeldTask;
use crate::sweep::SweepSchedule;
use crate::task::TaskInfo;

/// A list never sweeps below this length: sweeping tiny lists would cost more than it frees.
const MIN_SWEEP_LENGTH: usize = 64;

/// One child as its group keeps it.
#[derive(Debug)]
pub(crate) struct HeldChild {
    /// Its backend task, unless that is detached (a current-thread runtime frees it on the
    /// spawning thread anyway).
    pub(crate) task: Option<HeldTask>,
    /// Present while the child may still have no node.
    pub(crate) unborn: Option<UnbornChild>,
}

impl HeldChild {
    /// Drops what is no longer needed; `false` once nothing is left.
    fn retain(&mut self) -> bool {
        if self.task.as_mut().is_some_and(HeldTask::is_finished) {
            self.task = None;
        }
        if self
            .unborn
            .as_ref()
            .is_some_and(|unborn| !unborn.is_unborn())
        {
            self.unborn = None;
        }
        self.task.is_some() || self.unborn.is_some()
    }
}

#[derive(Debug, Default)]
pub(crate) struct HeldTasks {
    children: Vec<HeldChild>,
    sweep: SweepSchedule,
}

impl HeldTasks {
    pub(crate) fn hold(&mut self, child: HeldChild) {
        if child.task.is_none() && child.unborn.is_none() {
            return;
        }
        let children = &mut self.children;
        self.sweep
            .before_insert(children.len(), MIN_SWEEP_LENGTH, || {
                children.retain_mut(HeldChild::retain);
                children.len()
            });
        self.children.push(child);
    }

    /// Pushes the children that are listed here rather than by a node of their own.
    pub(crate) fn collect_unborn(&self, out: &mut Vec<TaskInfo>) {
        out.extend(
            self.children
                .iter()
                .filter_map(|child| child.unborn.as_ref())
                .filter(|unborn| unborn.is_unborn())
                .map(UnbornChild::info),
        );
    }

    /// Hands every entry over, for the group to drop once its children ended.
    pub(crate) fn take(&mut self) -> Vec<HeldChild> {
        self.sweep.reset();
        std::mem::take(&mut self.children)
    }
}
