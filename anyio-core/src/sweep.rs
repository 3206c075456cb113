//! When to clean a list whose entries end on their own, away from the list's lock.
//!
//! A group's child nodes and its children's backend handles both end on executor threads;
//! rather than leave their list there (taking the lock the spawner takes), they stay until a
//! sweep. Sweeping once the list doubles since the last sweep keeps the cost amortised O(1) per
//! insertion and the list at most about twice its live entries.

/// The sweep point of one list.
#[derive(Debug, Default)]
pub(crate) struct SweepSchedule {
    at: usize,
}

impl SweepSchedule {
    /// Before an insertion into a list of `len` entries: runs `sweep` (which removes the ended
    /// entries and returns how many remain) once `len` reaches the sweep point, which is never
    /// below `minimum`, since sweeping tiny lists costs more than it frees.
    pub(crate) fn before_insert(
        &mut self,
        len: usize,
        minimum: usize,
        sweep: impl FnOnce() -> usize,
    ) {
        if len >= self.at.max(minimum) {
            self.at = 2 * sweep();
        }
    }

    /// The list was emptied: start over.
    pub(crate) fn reset(&mut self) {
        self.at = 0;
    }
}
