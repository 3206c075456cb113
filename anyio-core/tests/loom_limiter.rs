//! loom models of the capacity limiter core (and of the lock/semaphore permit core it is
//! compared with): tokens handed to waiters that are dropped, raising the total while tasks
//! wait, and the atomic fast paths racing the wait queue. No token may leak, no two borrowers
//! may exceed the limit, and nobody may wait forever.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p anyio-core --test loom_limiter --release`.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use anyio_core::loom_model as model;
use anyio_core::sync::{Borrower, CapacityLimiter, Lock, Semaphore};
use loom::future::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// Polls `future` once, then drops it: a cancellation at the worst moment.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// One token, three borrowers, one of them dropped after one poll: never two holders at once,
/// and every token comes back.
#[test]
fn a_dropped_waiter_passes_its_token_on() {
    model(|| {
        let limiter = Arc::new(CapacityLimiter::new(1));
        let holders = Arc::new(AtomicUsize::new(0));
        let worker = |id: u64| {
            let (limiter, holders) = (limiter.clone(), holders.clone());
            thread::spawn(move || {
                let token = block_on(limiter.acquire_on_behalf_of(Borrower::from_id(id))).unwrap();
                assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                holders.fetch_sub(1, Ordering::SeqCst);
                drop(token);
            })
        };
        let a = worker(1);
        let cancelled = {
            let limiter = limiter.clone();
            thread::spawn(move || {
                if let Some(token) = poll_once(limiter.acquire_on_behalf_of(Borrower::from_id(2))) {
                    drop(token.unwrap());
                }
            })
        };
        let b = worker(3);
        a.join().unwrap();
        cancelled.join().unwrap();
        b.join().unwrap();
        assert_eq!(limiter.borrowed_tokens(), 0);
        assert_eq!(limiter.statistics().tasks_waiting, 0);
    });
}

/// Raising the total wakes a waiter (whether it queued before or after the change) while
/// another borrower holds the only other token.
#[test]
fn raising_the_total_wakes_a_waiter() {
    model(|| {
        let limiter = Arc::new(CapacityLimiter::new(1));
        let held = limiter
            .try_acquire_on_behalf_of(Borrower::from_id(0))
            .unwrap();
        let waiter = {
            let limiter = limiter.clone();
            thread::spawn(move || {
                let token = block_on(limiter.acquire_on_behalf_of(Borrower::from_id(1))).unwrap();
                assert!(limiter.borrowed_tokens() <= 2);
                drop(token);
            })
        };
        limiter.set_total_tokens(2);
        waiter.join().unwrap();
        assert_eq!(limiter.borrowed_tokens(), 1);
        drop(held);
        assert_eq!(limiter.borrowed_tokens(), 0);
        assert_eq!(limiter.statistics().tasks_waiting, 0);
    });
}

/// The lock's atomic fast path races a queued waiter and a dropped one: mutual exclusion holds
/// and the lock ends up free.
#[test]
fn lock_fast_path_and_queue() {
    model(|| {
        let lock = Arc::new(Lock::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let worker = || {
            let (lock, inside) = (lock.clone(), inside.clone());
            thread::spawn(move || {
                let guard = block_on(lock.acquire());
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                inside.fetch_sub(1, Ordering::SeqCst);
                drop(guard);
            })
        };
        let a = worker();
        let b = worker();
        if let Some(guard) = poll_once(lock.acquire()) {
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
            inside.fetch_sub(1, Ordering::SeqCst);
            drop(guard);
        }
        a.join().unwrap();
        b.join().unwrap();
        assert!(!lock.locked());
        assert_eq!(lock.statistics().tasks_waiting, 0);
    });
}

/// Releases race acquisitions (one dropped after a poll) on a semaphore: no token leaks.
#[test]
fn semaphore_tokens_never_leak() {
    model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let waiter = {
            let semaphore = semaphore.clone();
            thread::spawn(move || drop(block_on(semaphore.acquire())))
        };
        let dropped = {
            let semaphore = semaphore.clone();
            thread::spawn(move || drop(poll_once(semaphore.acquire())))
        };
        drop(block_on(semaphore.acquire()));
        waiter.join().unwrap();
        dropped.join().unwrap();
        assert_eq!(semaphore.value(), 1);
        assert_eq!(semaphore.statistics().tasks_waiting, 0);
    });
}
