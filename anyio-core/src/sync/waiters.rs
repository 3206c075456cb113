//! The FIFO wait queue behind every primitive of [`sync`](super) and the memory object streams.
//!
//! A [`WaitList`] is a doubly linked list threaded through a [`Slab`]: O(1) to enqueue, to
//! dequeue the front and to unlink any waiter, with no `unsafe` and no allocation per wait once
//! the slab has grown. Each waiter has a per-primitive state `S` (granted, notified, the item
//! handed to a receiver...) and a waker.
//!
//! The protocol, the same everywhere:
//!
//! - The list lives under the primitive's mutex; nothing here locks.
//! - A future enqueues itself with [`WaitList::push_back`] and keeps the returned key. **Only
//!   that future removes its entry** ([`WaitList::remove`]), when it completes or is dropped, so
//!   a key is never reused while its future holds it.
//! - Whoever grants a waiter (a release, a send, a notify) unlinks it with
//!   [`WaitList::pop_front`] or [`WaitList::unlink`], records the outcome in its state and wakes
//!   it *after* releasing the mutex. The entry stays in the slab until its future reads the
//!   outcome. A dropped future that finds an outcome it did not consume passes it on (the next
//!   waiter gets the token, the lock, the item or the notification): nothing is ever lost.

use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::cancel::budget;
use crate::context;

const NIL: usize = usize::MAX;

#[derive(Debug)]
struct Entry<S> {
    state: S,
    waker: Option<Waker>,
    prev: usize,
    next: usize,
    queued: bool,
}

/// A FIFO queue of waiters; see the module docs.
#[derive(Debug)]
pub(crate) struct WaitList<S> {
    entries: Slab<Entry<S>>,
    head: usize,
    tail: usize,
    len: usize,
}

impl<S> Default for WaitList<S> {
    fn default() -> Self {
        WaitList::new()
    }
}

impl<S> WaitList<S> {
    pub(crate) const fn new() -> WaitList<S> {
        WaitList {
            entries: Slab::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// How many waiters are queued (granted ones that have not yet been removed by their
    /// future do not count).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues a waiter at the back; the key identifies it until [`WaitList::remove`].
    pub(crate) fn push_back(&mut self, state: S, waker: &Waker) -> usize {
        let key = self.entries.insert(Entry {
            state,
            waker: Some(waker.clone()),
            prev: self.tail,
            next: NIL,
            queued: true,
        });
        if self.tail == NIL {
            self.head = key;
        } else {
            self.entries[self.tail].next = key;
        }
        self.tail = key;
        self.len += 1;
        key
    }

    /// The first queued waiter.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// The queued waiter after `key` (which must be queued).
    pub(crate) fn next(&self, key: usize) -> Option<usize> {
        let next = self.entries[key].next;
        (next != NIL).then_some(next)
    }

    /// Dequeues the first waiter, returning its key and its waker; its entry stays until
    /// its future removes it.
    pub(crate) fn pop_front(&mut self) -> Option<(usize, Option<Waker>)> {
        let key = self.front()?;
        let waker = self.unlink(key);
        Some((key, waker))
    }

    /// Dequeues `key` if it is queued, returning its waker.
    pub(crate) fn unlink(&mut self, key: usize) -> Option<Waker> {
        let entry = &mut self.entries[key];
        if !entry.queued {
            return None;
        }
        entry.queued = false;
        let (prev, next) = (entry.prev, entry.next);
        entry.prev = NIL;
        entry.next = NIL;
        let waker = entry.waker.take();
        if prev == NIL {
            self.head = next;
        } else {
            self.entries[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.entries[next].prev = prev;
        }
        self.len -= 1;
        waker
    }

    pub(crate) fn state(&self, key: usize) -> &S {
        &self.entries[key].state
    }

    pub(crate) fn state_mut(&mut self, key: usize) -> &mut S {
        &mut self.entries[key].state
    }

    /// Records the waker to wake for `key`, replacing the old one only if it would wake a
    /// different task.
    pub(crate) fn register(&mut self, key: usize, waker: &Waker) {
        let slot = &mut self.entries[key].waker;
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// Removes `key` for good (dequeuing it first if needed) and returns its state.
    pub(crate) fn remove(&mut self, key: usize) -> S {
        // The waker, if any, is dropped here: it belongs to the future removing itself.
        drop(self.unlink(key));
        self.entries.remove(key).state
    }

    /// Dequeues every queued waiter for which `select` returns true, letting `update` record its
    /// outcome, and collects their wakers into `wakers`.
    pub(crate) fn unlink_where(
        &mut self,
        mut select: impl FnMut(&S) -> bool,
        mut update: impl FnMut(&mut S),
        wakers: &mut Vec<Waker>,
    ) {
        let mut cursor = self.front();
        while let Some(key) = cursor {
            cursor = self.next(key);
            if select(&self.entries[key].state) {
                update(&mut self.entries[key].state);
                wakers.extend(self.unlink(key));
            }
        }
    }

    /// The states of the queued waiters, front first.
    pub(crate) fn queued(&self) -> impl Iterator<Item = &S> + '_ {
        let mut cursor = self.front();
        std::iter::from_fn(move || {
            let key = cursor?;
            cursor = self.next(key);
            Some(&self.entries[key].state)
        })
    }
}

/// Wakes every waker, after the caller has released its lock.
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

/// Whether the innermost cancel scope of the current task is effectively cancelled.
///
/// Operations that must not complete inside a cancelled scope (a receive would hand over an
/// item the scope then drops) check this on every poll and return `Pending` without doing
/// anything: the scope drops them at once, as [`checkpoint`](crate::checkpoint) does.
pub(crate) fn scope_cancelled() -> bool {
    context::current_scope_cancelled()
}

/// The cancellation point at the start of every blocking operation (Trio's
/// `checkpoint_if_cancelled` plus a cooperative yield), polled before its fast path:
///
/// - in an effectively cancelled scope, `Pending` without waking anyone: the operation takes
///   nothing and never completes; the scope, woken by the cancellation, drops it;
/// - otherwise one unit of the thread's [yield budget](crate::cancel::budget): `Pending` once
///   (after waking the caller) every [`BUDGET`](crate::cancel::budget::BUDGET) calls, so that
///   a loop of operations that never block still lets deadlines and other tasks run.
///
/// Costs a thread-local lookup, a few atomic loads and a counter decrement; never allocates
/// (it does not give a nodeless scope its node).
#[inline]
pub(crate) fn poll_cancel_point(cx: &mut Context<'_>) -> Poll<()> {
    if scope_cancelled() {
        return Poll::Pending;
    }
    budget::poll_budget(cx)
}

/// The id of the anyio task being polled, if any.
pub(crate) fn current_task_id() -> Option<crate::TaskId> {
    context::current_task_id()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn fifo_and_unlink_in_the_middle() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let a = list.push_back('a', waker);
        let b = list.push_back('b', waker);
        let c = list.push_back('c', waker);
        assert_eq!(list.len(), 3);
        assert!(list.unlink(b).is_some());
        assert_eq!(list.queued().copied().collect::<String>(), "ac");
        assert_eq!(list.pop_front().map(|(key, _)| key), Some(a));
        assert!(list.unlink(a).is_none(), "already dequeued");
        assert_eq!(list.remove(a), 'a');
        assert_eq!(list.remove(b), 'b');
        let d = list.push_back('d', waker);
        assert_eq!(list.queued().copied().collect::<String>(), "cd");
        assert_eq!(list.front(), Some(c));
        assert_eq!(list.next(c), Some(d));
        assert_eq!(list.remove(c), 'c');
        assert_eq!(list.remove(d), 'd');
        assert!(list.is_empty());
        assert_eq!(list.front(), None);
    }

    #[test]
    fn unlink_where_selects_and_updates() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..5).map(|i| list.push_back((i, false), waker)).collect();
        let mut wakers = Vec::new();
        list.unlink_where(|s| s.0 % 2 == 0, |s| s.1 = true, &mut wakers);
        assert_eq!(wakers.len(), 3);
        assert_eq!(list.queued().map(|s| s.0).collect::<Vec<_>>(), [1, 3]);
        for key in keys {
            let (i, flagged) = list.remove(key);
            assert_eq!(flagged, i % 2 == 0);
        }
        assert!(list.is_empty());
    }
}
