//! The counting core of [`Lock`](super::Lock) and [`Semaphore`](super::Semaphore): an atomic
//! word for the uncontended paths and a [`WaitList`] for the rest.
//!
//! The word packs three fields: bit 0 is `WAITERS` (the wait list is not empty), bits 1..32 the
//! free permits (`value`), bits 32..64 the permits held through guards (`held`, which bounded
//! semaphores need to refuse releases past their maximum).
//!
//! Invariants, at every point where the wait-list mutex is free:
//! - `WAITERS` is set exactly when the list is non-empty; it only changes under the mutex.
//! - `WAITERS` implies `value == 0`: a waiter queues only when nothing is free, and while anyone
//!   waits every released permit is handed to the front waiter instead of being counted.
//!
//! So the fast paths are single CAS operations that only succeed while `WAITERS` is clear (no
//! barging past a queued waiter), and everything that sees `WAITERS` takes the mutex.

use std::task::{Context, Poll, Waker};

use super::shim::{AtomicU64, Mutex, Ordering};
use super::waiters::WaitList;

const WAITERS: u64 = 1;
const VALUE_ONE: u64 = 1 << 1;
const VALUE_MASK: u64 = ((1 << 31) - 1) << 1;
const HELD_ONE: u64 = 1 << 32;

/// The largest number of permits a semaphore can have.
pub(crate) const MAX_PERMITS: usize = (1 << 31) - 1;

/// A waiter for a permit; `tag` is whatever the primitive needs to know at hand-off (the
/// lock's owner word).
#[derive(Debug)]
pub(crate) struct PermitWaiter {
    granted: bool,
    tag: u64,
}

/// What a primitive does when a permit changes hands under the mutex.
pub(crate) trait Handoff {
    /// A queued waiter with `tag` was granted a permit.
    fn granted(&self, tag: u64);
    /// A granted-but-cancelled waiter is about to give its permit back.
    fn abandoned(&self);
}

impl Handoff for () {
    fn granted(&self, _tag: u64) {}
    fn abandoned(&self) {}
}

/// Where a released permit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A guard (or a granted waiter) gives its permit back: `held - 1`.
    Held,
    /// A new permit is added (an explicit release): `held` unchanged.
    New,
}

#[derive(Debug)]
pub(crate) struct Permits {
    state: AtomicU64,
    waiters: Mutex<WaitList<PermitWaiter>>,
}

fn value_of(state: u64) -> usize {
    ((state & VALUE_MASK) >> 1) as usize
}

fn held_of(state: u64) -> usize {
    (state >> 32) as usize
}

impl Permits {
    pub(crate) fn new(value: usize) -> Permits {
        assert!(
            value <= MAX_PERMITS,
            "a semaphore can have at most {MAX_PERMITS} permits"
        );
        Permits {
            state: AtomicU64::new((value as u64) << 1),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Free permits.
    pub(crate) fn value(&self) -> usize {
        value_of(self.state.load(Ordering::Acquire))
    }

    /// Queued waiters.
    pub(crate) fn waiting(&self) -> usize {
        self.waiters.lock().len()
    }

    /// Takes a permit if one is free and nobody is queued.
    pub(crate) fn try_acquire(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & WAITERS != 0 || state & VALUE_MASK == 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state - VALUE_ONE + HELD_ONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Polls an acquisition; `slot` holds the waiter's key between polls and is `None` again
    /// once the permit is ours. A future that drops with `Some` key must call
    /// [`Permits::cancel`].
    pub(crate) fn poll_acquire(
        &self,
        slot: &mut Option<usize>,
        tag: u64,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        if let Some(key) = *slot {
            let mut waiters = self.waiters.lock();
            if waiters.state(key).granted {
                waiters.remove(key);
                *slot = None;
                return Poll::Ready(());
            }
            waiters.register(key, cx.waker());
            return Poll::Pending;
        }
        if self.try_acquire() {
            return Poll::Ready(());
        }
        let mut waiters = self.waiters.lock();
        let mut state = self.state.load(Ordering::Acquire);
        while state & WAITERS == 0 {
            let (next, acquired) = if state & VALUE_MASK != 0 {
                (state - VALUE_ONE + HELD_ONE, true)
            } else {
                (state | WAITERS, false)
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if acquired => return Poll::Ready(()),
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        *slot = Some(waiters.push_back(
            PermitWaiter {
                granted: false,
                tag,
            },
            cx.waker(),
        ));
        Poll::Pending
    }

    /// Withdraws the waiter `key` of a dropped acquisition; a permit it was already granted is
    /// passed on.
    pub(crate) fn cancel(&self, key: usize, handoff: &impl Handoff) {
        let waker = {
            let mut waiters = self.waiters.lock();
            let waiter = waiters.remove(key);
            if waiter.granted {
                handoff.abandoned();
                self.release_locked(&mut waiters, Source::Held, handoff)
            } else {
                if waiters.is_empty() {
                    self.state.fetch_and(!WAITERS, Ordering::AcqRel);
                }
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Gives back a permit held through a guard: to the front waiter, or to the free count.
    pub(crate) fn release(&self, handoff: &impl Handoff) {
        let mut state = self.state.load(Ordering::Relaxed);
        while state & WAITERS == 0 {
            match self.state.compare_exchange_weak(
                state,
                state + VALUE_ONE - HELD_ONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
        let waker = {
            let mut waiters = self.waiters.lock();
            self.release_locked(&mut waiters, Source::Held, handoff)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Adds a permit (an explicit release), refusing when free plus held permits would exceed
    /// `max`.
    pub(crate) fn add(&self, max: Option<usize>, handoff: &impl Handoff) -> Result<(), ()> {
        let fits = |state: u64| {
            let total = value_of(state) + held_of(state);
            match max {
                Some(max) => total < max,
                None => value_of(state) < MAX_PERMITS,
            }
        };
        let mut state = self.state.load(Ordering::Relaxed);
        while state & WAITERS == 0 {
            if !fits(state) {
                return Err(());
            }
            match self.state.compare_exchange_weak(
                state,
                state + VALUE_ONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => state = actual,
            }
        }
        let waker = {
            let mut waiters = self.waiters.lock();
            if !fits(self.state.load(Ordering::Acquire)) {
                return Err(());
            }
            self.release_locked(&mut waiters, Source::New, handoff)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Stops counting one held permit (its guard was forgotten on purpose); the permit stays
    /// taken until [`Permits::add`] gives it back.
    pub(crate) fn forget(&self) {
        self.state.fetch_sub(HELD_ONE, Ordering::AcqRel);
    }

    /// Releases one permit with the wait-list mutex held, returning the waker of the waiter
    /// that got it, if any.
    fn release_locked(
        &self,
        waiters: &mut WaitList<PermitWaiter>,
        source: Source,
        handoff: &impl Handoff,
    ) -> Option<Waker> {
        let mut state = self.state.load(Ordering::Acquire);
        while state & WAITERS == 0 {
            let next = match source {
                Source::Held => state + VALUE_ONE - HELD_ONE,
                Source::New => state + VALUE_ONE,
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return None,
                Err(actual) => state = actual,
            }
        }
        let (key, waker) = waiters
            .pop_front()
            .expect("the WAITERS bit is set only while someone waits");
        let waiter = waiters.state_mut(key);
        waiter.granted = true;
        handoff.granted(waiter.tag);
        // The permit changes hands: `held` is unchanged for a returned permit and grows by one
        // for a new one; `WAITERS` clears with the last waiter.
        let clear = if waiters.is_empty() { WAITERS } else { 0 };
        let add = match source {
            Source::Held => 0,
            Source::New => HELD_ONE,
        };
        if clear != 0 || add != 0 {
            let mut state = self.state.load(Ordering::Acquire);
            loop {
                match self.state.compare_exchange_weak(
                    state,
                    (state + add) & !clear,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(actual) => state = actual,
                }
            }
        }
        waker
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[test]
    fn fifo_handoff_and_cancel_of_a_granted_waiter() {
        let permits = Permits::new(1);
        assert!(permits.try_acquire());
        let (mut a, mut b) = (None, None);
        assert!(permits.poll_acquire(&mut a, 1, &mut cx()).is_pending());
        assert!(permits.poll_acquire(&mut b, 2, &mut cx()).is_pending());
        assert_eq!(permits.waiting(), 2);
        // No barging while someone waits.
        permits.release(&());
        assert!(!permits.try_acquire());
        assert_eq!(permits.value(), 0);
        // `a` was granted but is dropped: the permit goes on to `b`.
        permits.cancel(a.unwrap(), &());
        assert!(permits.poll_acquire(&mut b, 2, &mut cx()).is_ready());
        assert_eq!(b, None);
        permits.release(&());
        assert_eq!(permits.value(), 1);
        assert_eq!(permits.waiting(), 0);
        assert!(permits.try_acquire());
    }

    #[test]
    fn add_respects_the_maximum_counting_held_permits() {
        let permits = Permits::new(1);
        assert!(permits.try_acquire());
        assert_eq!(permits.add(Some(1), &()), Err(()));
        permits.forget();
        assert_eq!(permits.add(Some(1), &()), Ok(()));
        assert_eq!(permits.value(), 1);
        assert_eq!(permits.add(Some(1), &()), Err(()));
    }
}
