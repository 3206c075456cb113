//! Cancellation of owned acquisitions (`acquire_owned`, `lock_owned`): a cancellation point
//! that takes nothing, and an abandoned waiter that was already handed the lock or token
//! passes it on and wakes the next waiter, exactly as the borrowed futures do.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use anyio::sync::{CapacityLimiter, Lock, Mutex, Semaphore};
use anyio::CancelScope;
use futures::poll;
use futures::task::{waker, ArcWake};

#[anyio::test]
async fn a_dropped_owned_acquire_passes_the_hand_off_on() {
    let lock = Arc::new(Lock::new());
    let semaphore = Arc::new(Semaphore::new(1));
    let limiter = Arc::new(CapacityLimiter::new(1));
    let held = (
        lock.acquire_owned().await,
        semaphore.acquire_owned().await,
        limiter.acquire_owned().await.unwrap(),
    );
    let mut lock_first = Box::pin(lock.acquire_owned());
    let mut lock_next = Box::pin(lock.acquire_owned());
    let mut permit_first = Box::pin(semaphore.acquire_owned());
    let mut permit_next = Box::pin(semaphore.acquire_owned());
    let mut token_first = Box::pin(limiter.acquire_owned());
    let mut token_next = Box::pin(limiter.acquire_owned());
    assert!(poll!(lock_first.as_mut()).is_pending());
    assert!(poll!(lock_next.as_mut()).is_pending());
    assert!(poll!(permit_first.as_mut()).is_pending());
    assert!(poll!(permit_next.as_mut()).is_pending());
    assert!(poll!(token_first.as_mut()).is_pending());
    assert!(poll!(token_next.as_mut()).is_pending());
    // The releases hand everything to the first waiters, which are abandoned unpolled.
    drop(held);
    drop((lock_first, permit_first, token_first));
    let (Poll::Ready(guard), Poll::Ready(permit), Poll::Ready(token)) = (
        poll!(lock_next.as_mut()),
        poll!(permit_next.as_mut()),
        poll!(token_next.as_mut()),
    ) else {
        panic!("an abandoned waiter kept what it was handed");
    };
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    drop((guard, permit, token.unwrap()));
    assert!(!lock.locked());
    assert_eq!(semaphore.value(), 1);
    assert_eq!(limiter.available_tokens(), 1);
}

#[anyio::test]
async fn an_owned_acquire_in_a_cancelled_scope_takes_nothing() {
    let lock = Arc::new(Lock::new());
    let mutex = Arc::new(Mutex::new(()));
    let semaphore = Arc::new(Semaphore::new(1));
    let limiter = Arc::new(CapacityLimiter::new(1));
    let scope = CancelScope::new();
    scope.handle().cancel();
    let outcome = scope
        .run(async {
            let _guard = lock.acquire_owned().await;
            let _value = mutex.lock_owned().await;
            let _permit = semaphore.acquire_owned().await;
            limiter.acquire_owned().await.unwrap()
        })
        .await;
    assert!(outcome.is_none());
    assert!(!lock.locked() && !mutex.is_locked());
    assert_eq!((semaphore.value(), limiter.borrowed_tokens()), (1, 0));
}

#[anyio::test]
async fn a_waiter_cancelled_after_the_hand_off_passes_it_on() {
    let semaphore = Arc::new(Semaphore::new(1));
    let held = semaphore.acquire_owned().await;
    let scope = CancelScope::new();
    let handle = scope.handle();
    let mut cancelled = Box::pin(scope.run(semaphore.acquire_owned()));
    let mut next = Box::pin(semaphore.acquire_owned());
    assert!(poll!(cancelled.as_mut()).is_pending());
    assert!(poll!(next.as_mut()).is_pending());
    drop(held);
    handle.cancel();
    assert!(matches!(poll!(cancelled.as_mut()), Poll::Ready(None)));
    assert!(
        poll!(next.as_mut()).is_ready(),
        "the token was not passed on"
    );
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
}

/// Counts the wake-ups of the future polled with it.
struct CountingWaker(AtomicUsize);

impl ArcWake for CountingWaker {
    fn wake_by_ref(this: &Arc<Self>) {
        this.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `future` once with a waker that counts its wake-ups.
fn poll_counting<F: Future + Unpin>(future: &mut F) -> (Poll<F::Output>, Arc<CountingWaker>) {
    let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = waker(count.clone());
    let poll = Pin::new(future).poll(&mut Context::from_waker(&waker));
    (poll, count)
}

#[anyio::test]
async fn dropping_an_abandoned_owned_acquire_wakes_the_next_waiter() {
    let lock = Arc::new(Lock::new());
    let semaphore = Arc::new(Semaphore::new(1));
    let limiter = Arc::new(CapacityLimiter::new(1));
    let held = (
        lock.try_acquire_owned().unwrap(),
        semaphore.try_acquire_owned().unwrap(),
        limiter.try_acquire_owned().unwrap(),
    );
    let mut firsts = (
        lock.acquire_owned(),
        semaphore.acquire_owned(),
        limiter.acquire_owned(),
    );
    let mut nexts = (
        lock.acquire_owned(),
        semaphore.acquire_owned(),
        limiter.acquire_owned(),
    );
    assert!(poll!(&mut firsts.0).is_pending());
    assert!(poll!(&mut firsts.1).is_pending());
    assert!(poll!(&mut firsts.2).is_pending());
    let (lock_poll, lock_wakes) = poll_counting(&mut nexts.0);
    let (permit_poll, permit_wakes) = poll_counting(&mut nexts.1);
    let (token_poll, token_wakes) = poll_counting(&mut nexts.2);
    assert!(lock_poll.is_pending() && permit_poll.is_pending() && token_poll.is_pending());
    drop(held);
    let wakes =
        || [&lock_wakes, &permit_wakes, &token_wakes].map(|count| count.0.load(Ordering::SeqCst));
    assert_eq!(wakes(), [0, 0, 0], "the releases go to the first waiters");
    drop(firsts);
    assert_eq!(
        wakes(),
        [1, 1, 1],
        "the abandoned hand-offs woke the next waiters"
    );
    assert!(poll!(&mut nexts.0).is_ready());
    assert!(poll!(&mut nexts.1).is_ready());
    assert!(poll!(&mut nexts.2).is_ready());
}
