//! The backend handles of a group's children.
//!
//! A detached backend task is freed by the executor thread that finishes it, far from the
//! spawning thread that allocated it, and the allocator pays for every such crossing (glibc
//! takes its arena lock). The group keeps its children's handles instead and drops the
//! finished ones on the spawning side: in a sweep once they could make up half of the list
//! (so it holds at most about twice the live children), and all of them when the group ends.

use crate::runtime::HeldTask;
use crate::sweep::SweepSchedule;

/// A list never sweeps below this length: sweeping tiny lists would cost more than it frees.
const MIN_SWEEP_LENGTH: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct HeldTasks {
    tasks: Vec<HeldTask>,
    sweep: SweepSchedule,
}

impl HeldTasks {
    pub(crate) fn hold(&mut self, task: HeldTask) {
        let tasks = &mut self.tasks;
        self.sweep.before_insert(tasks.len(), MIN_SWEEP_LENGTH, || {
            tasks.retain_mut(|task| !task.is_finished());
            tasks.len()
        });
        self.tasks.push(task);
    }

    /// Hands every handle over, for the group to drop once its children ended.
    pub(crate) fn take(&mut self) -> Vec<HeldTask> {
        self.sweep.reset();
        std::mem::take(&mut self.tasks)
    }
}
