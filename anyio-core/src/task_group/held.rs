//! The backend handles of a group's children.
//!
//! A detached backend task is freed by the executor thread that finishes it, far from the
//! spawning thread that allocated it, and the allocator pays for every such crossing (glibc
//! takes its arena lock). The group keeps its children's handles instead and drops the
//! finished ones on the spawning side: in a sweep once they could make up half of the list
//! (so it holds at most about twice the live children), and all of them when the group ends.

use crate::runtime::HeldTask;

/// A list never sweeps below this length: sweeping tiny lists would cost more than it frees.
const MIN_SWEEP_LENGTH: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct HeldTasks {
    tasks: Vec<HeldTask>,
    /// Sweep finished tasks once `tasks` is this long.
    sweep_at: usize,
}

impl HeldTasks {
    pub(crate) fn hold(&mut self, task: HeldTask) {
        if self.tasks.len() >= self.sweep_at.max(MIN_SWEEP_LENGTH) {
            self.tasks.retain_mut(|task| !task.is_finished());
            self.sweep_at = 2 * self.tasks.len();
        }
        self.tasks.push(task);
    }

    /// Hands every handle over, for the group to drop once its children ended.
    pub(crate) fn take(&mut self) -> Vec<HeldTask> {
        self.sweep_at = 0;
        std::mem::take(&mut self.tasks)
    }
}
