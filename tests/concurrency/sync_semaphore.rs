//! `Semaphore` (DESIGN §6): counting, bounded releases, FIFO hand-off without barging, and
//! cancel-safe acquisition (ported from AnyIO's and Trio's semaphore tests).

use crate::common;

use common::wait_until;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::Poll;

use anyio::sync::{Semaphore, SemaphoreFullError, WouldBlock};
use anyio::{checkpoint, sleep, task_group, CancelScope, Duration, SpawnError};
use futures::poll;

#[anyio::test]
async fn permits_count_down_and_come_back() {
    let semaphore = Semaphore::new(2);
    assert_eq!(semaphore.value(), 2);
    assert_eq!(semaphore.max_value(), None);
    let a = semaphore.acquire().await;
    assert_eq!(semaphore.value(), 1);
    let b = semaphore.try_acquire().unwrap();
    assert_eq!(semaphore.value(), 0);
    assert_eq!(semaphore.try_acquire().unwrap_err(), WouldBlock);
    drop(a);
    assert_eq!(semaphore.value(), 1);
    drop(b);
    assert_eq!(semaphore.value(), 2);
}

#[anyio::test]
async fn trio_style_acquire_and_release() {
    // Trio's test_Semaphore: release() adds a token; forget() keeps one taken.
    let semaphore = Semaphore::new(1);
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 2);
    semaphore.try_acquire().unwrap().forget();
    assert_eq!(semaphore.value(), 1);
    semaphore.acquire().await.forget();
    assert_eq!(semaphore.value(), 0);
    assert_eq!(semaphore.try_acquire().unwrap_err(), WouldBlock);
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn a_bounded_semaphore_refuses_to_exceed_its_maximum() {
    // Trio's test_Semaphore_bounded and AnyIO's test_max_value_exceeded.
    let bounded = Semaphore::with_max(1, 1);
    assert_eq!(bounded.max_value(), Some(1));
    assert_eq!(bounded.release(), Err(SemaphoreFullError));
    assert_eq!(bounded.value(), 1);
    bounded.try_acquire().unwrap().forget();
    assert_eq!(bounded.value(), 0);
    assert_eq!(bounded.release(), Ok(()));
    assert_eq!(bounded.value(), 1);

    let semaphore = Semaphore::with_max(1, 2);
    semaphore.release().unwrap();
    assert_eq!(semaphore.release(), Err(SemaphoreFullError));

    // A permit still out counts: it will come back when dropped.
    let semaphore = Semaphore::with_max(1, 1);
    let permit = semaphore.try_acquire().unwrap();
    assert_eq!(semaphore.release(), Err(SemaphoreFullError));
    drop(permit);
    assert_eq!(semaphore.value(), 1);
    assert_eq!(
        SemaphoreFullError.to_string(),
        "semaphore released too many times"
    );
}

#[test]
#[should_panic(expected = "must be >= its initial value")]
fn a_maximum_below_the_initial_value_panics() {
    let _ = Semaphore::with_max(2, 1);
}

#[anyio::test]
async fn at_most_n_holders_at_a_time() {
    let semaphore = Arc::new(Semaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (semaphore, inside, peak) = (semaphore.clone(), inside.clone(), peak.clone());
        async move {
            for _ in 0..8 {
                let (semaphore, inside, peak) = (semaphore.clone(), inside.clone(), peak.clone());
                tg.start_soon(async move {
                    for _ in 0..10 {
                        let _permit = semaphore.acquire().await;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        assert!(now <= 3, "{now} holders of a 3-token semaphore");
                        sleep(Duration::from_micros(100)).await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 3);
    assert_eq!(semaphore.value(), 3);
}

#[anyio::test]
async fn waiters_are_served_in_fifo_order() {
    let semaphore = Arc::new(Semaphore::new(0));
    let order = Arc::new(StdMutex::new(Vec::new()));
    task_group(|tg| {
        let (semaphore, order) = (semaphore.clone(), order.clone());
        async move {
            for i in 0..5 {
                let (waiter, order) = (semaphore.clone(), order.clone());
                tg.start_soon(async move {
                    waiter.acquire().await.forget();
                    order.lock().unwrap().push(i);
                })?;
                wait_until("the waiter is queued", || {
                    semaphore.statistics().tasks_waiting == i + 1
                })
                .await;
            }
            for served in 1..=5 {
                semaphore.release().unwrap();
                wait_until("the next waiter ran", || {
                    order.lock().unwrap().len() == served
                })
                .await;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
}

#[anyio::test]
async fn a_release_goes_to_the_waiter_not_to_a_late_try() {
    // AnyIO's test_acquire_race and Trio's fairness check.
    let semaphore = Semaphore::new(1);
    semaphore.try_acquire().unwrap().forget();
    let mut waiter = Box::pin(semaphore.acquire());
    assert!(poll!(waiter.as_mut()).is_pending());
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 0, "handed to the waiter, not counted");
    assert_eq!(semaphore.try_acquire().unwrap_err(), WouldBlock);
    let Poll::Ready(permit) = poll!(waiter.as_mut()) else {
        panic!("the waiter did not get the token");
    };
    drop(permit);
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn a_cancelled_acquire_never_leaks_a_token() {
    // AnyIO's test_cancel_during_acquire (both orders) and test_cancel_after_release.
    for release_first in [true, false] {
        let semaphore = Semaphore::new(1);
        let held = semaphore.acquire().await;
        let scope = CancelScope::new();
        let handle = scope.handle();
        let acquired = AtomicBool::new(false);
        let mut waiter = Box::pin(scope.run(async {
            let _permit = semaphore.acquire().await;
            acquired.store(true, Ordering::SeqCst);
        }));
        assert!(poll!(waiter.as_mut()).is_pending());
        if release_first {
            drop(held);
            handle.cancel();
        } else {
            handle.cancel();
            drop(held);
        }
        assert_eq!(poll!(waiter.as_mut()), Poll::Ready(None));
        assert!(!acquired.load(Ordering::SeqCst));
        assert_eq!(semaphore.value(), 1, "release_first={release_first}");
        assert_eq!(semaphore.statistics().tasks_waiting, 0);
        drop(semaphore.try_acquire().unwrap());
    }
}

#[anyio::test]
async fn a_dropped_waiter_that_was_handed_a_token_passes_it_to_the_next() {
    let semaphore = Semaphore::with_max(0, 1);
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    assert!(poll!(first.as_mut()).is_pending());
    assert!(poll!(second.as_mut()).is_pending());
    semaphore.release().unwrap();
    drop(first);
    let Poll::Ready(permit) = poll!(second.as_mut()) else {
        panic!("the token was not passed on");
    };
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
    drop(permit);
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn a_waiter_task_cancelled_while_queued_is_skipped() {
    // AnyIO's test_cancelled_after_acquire: after the cancelled waiter is gone, the next
    // acquire must not hang.
    let semaphore = Arc::new(Semaphore::with_max(1, 1));
    semaphore.try_acquire().unwrap().forget();
    task_group(|tg| {
        let semaphore = semaphore.clone();
        async move {
            let waiter = semaphore.clone();
            let handle = tg.spawn(async move {
                drop(waiter.acquire().await);
                Ok(())
            })?;
            wait_until("the waiter is queued", || {
                semaphore.statistics().tasks_waiting == 1
            })
            .await;
            handle.cancel();
            wait_until("the waiter left", || {
                semaphore.statistics().tasks_waiting == 0
            })
            .await;
            semaphore.release().unwrap();
            let permit = anyio::fail_after(Duration::from_secs(3), semaphore.acquire())
                .await
                .expect("the token was not lost");
            drop(permit);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn statistics_count_waiters() {
    let semaphore = Arc::new(Semaphore::new(1));
    task_group(|tg| {
        let semaphore = semaphore.clone();
        async move {
            assert_eq!(semaphore.statistics().tasks_waiting, 0);
            let permit = semaphore.acquire().await;
            for i in 1..=2 {
                let waiter = semaphore.clone();
                tg.start_soon(async move {
                    let _permit = waiter.acquire().await;
                    checkpoint().await;
                })?;
                wait_until("the waiter is counted", || {
                    semaphore.statistics().tasks_waiting == i
                })
                .await;
            }
            let statistics = semaphore.statistics();
            assert_eq!((statistics.value, statistics.max_value), (0, None));
            drop(permit);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
    assert_eq!(semaphore.value(), 1);
}
