//! The cooperative yield budget of operations that complete without blocking.
//!
//! An uncontended `Lock::acquire` (or a wait on a set `Event`, ...) completes on its first
//! poll. A loop of them would never return `Pending`, so on a single-threaded executor neither
//! the deadline that should end it nor a sibling task would ever run. Yielding on every call
//! (Trio's rule) makes the uncontended path several times slower; instead each thread has a
//! budget of [`BUDGET`] such completions, and the call that finds it spent yields once (wakes
//! itself and returns `Pending`), refilling it.
//!
//! The counter is per thread, not per task: it needs no hook where a task is entered, so it
//! works the same on every backend and in code outside anyio tasks (a plain `tokio::spawn`, a
//! `block_on`). The cost is that tasks sharing a thread share the budget, so a task may yield
//! a little earlier than its own count says; an extra yield every [`BUDGET`] completions is
//! harmless. The budget is deliberately not refilled when some operation blocks: a
//! `select!` loop that polls a blocking branch before an uncontended one would otherwise
//! refill it on every turn and never yield.

#[cfg(not(loom))]
use std::cell::Cell;
use std::task::{Context, Poll};

/// How many operations may complete without blocking, on one thread, between two forced
/// yields. Like tokio's coop budget (128), small enough that a deadline or a sibling task
/// waits only microseconds, large enough that the yield costs a fraction of a nanosecond per
/// operation.
pub(crate) const BUDGET: u32 = 128;

#[cfg(not(loom))]
thread_local! {
    static REMAINING: Cell<u32> = const { Cell::new(BUDGET) };
}

/// Spends one unit of the thread's budget: `Ready` while some is left; when it is spent,
/// refills it, wakes the caller and returns `Pending` (one yield to the scheduler).
///
/// Call it on the path where an operation would complete without having blocked, before it
/// takes anything (a lock, a token, an item), so that the yield holds nothing.
#[cfg(not(loom))]
#[inline]
pub(crate) fn poll_budget(cx: &mut Context<'_>) -> Poll<()> {
    let spent = REMAINING.with(|remaining| match remaining.get() {
        0 => {
            remaining.set(BUDGET);
            true
        }
        left => {
            remaining.set(left - 1);
            false
        }
    });
    if spent {
        cx.waker().wake_by_ref();
        Poll::Pending
    } else {
        Poll::Ready(())
    }
}

/// Under loom the budget is off: a counter that lives across model runs would make them
/// differ (a yield in one run and not the next), and the models check the primitives' state
/// machines, not fairness.
#[cfg(loom)]
#[inline]
pub(crate) fn poll_budget(_cx: &mut Context<'_>) -> Poll<()> {
    Poll::Ready(())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn yields_once_every_budget_completions() {
        let mut cx = Context::from_waker(Waker::noop());
        // Start from a full budget whatever ran on this thread before.
        while poll_budget(&mut cx).is_ready() {}
        for _ in 0..3 {
            let ready = (0..=BUDGET)
                .take_while(|_| poll_budget(&mut cx).is_ready())
                .count();
            assert_eq!(ready, BUDGET as usize);
        }
    }
}
