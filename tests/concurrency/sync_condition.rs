//! `Condition` (DESIGN §6): wait/notify under the lock, FIFO notification, `wait_for`, and
//! notification hand-over when a notified waiter is cancelled (ported from AnyIO's and Trio's
//! condition tests).

use crate::common;

use common::wait_until;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::Poll;

use anyio::sync::{Condition, WouldBlock};
use anyio::{fail_after, sleep, task_group, CancelScope, Duration, SpawnError};
use futures::poll;

#[anyio::test]
async fn acquire_and_try_acquire_take_the_lock() {
    let condition = Condition::new();
    assert!(!condition.locked());
    let guard = condition.acquire().await;
    assert!(condition.locked());
    assert_eq!(condition.try_acquire().unwrap_err(), WouldBlock);
    drop(guard);
    let guard = condition.try_acquire().unwrap();
    assert_eq!(guard.notify(1), 0, "nobody waits");
    assert_eq!(guard.notify_all(), 0);
}

#[anyio::test]
async fn wait_releases_the_lock_and_takes_it_back() {
    let condition = Condition::new();
    let guard = condition.acquire().await;
    let mut wait = Box::pin(guard.wait());
    assert!(poll!(wait.as_mut()).is_pending());
    assert!(!condition.locked(), "waiting releases the lock");
    assert_eq!(condition.statistics().tasks_waiting, 1);

    let notifier = condition.try_acquire().unwrap();
    assert_eq!(notifier.notify(1), 1);
    // Notified, but the notifier still holds the lock: the waiter must wait for it.
    assert!(poll!(wait.as_mut()).is_pending());
    drop(notifier);
    let Poll::Ready(guard) = poll!(wait.as_mut()) else {
        panic!("the notified waiter did not get the lock back");
    };
    assert!(condition.locked());
    assert_eq!(condition.statistics().tasks_waiting, 0);
    drop(guard);
    assert!(!condition.locked());
}

#[anyio::test]
async fn notify_wakes_waiters_in_fifo_order() {
    let condition = Arc::new(Condition::new());
    let order = Arc::new(StdMutex::new(Vec::new()));
    task_group(|tg| {
        let (condition, order) = (condition.clone(), order.clone());
        async move {
            for i in 0..3 {
                let (waiter, order) = (condition.clone(), order.clone());
                tg.start_soon(async move {
                    let guard = waiter.acquire().await;
                    let _guard = guard.wait().await;
                    order.lock().unwrap().push(i);
                })?;
                wait_until("the waiter is queued", || {
                    condition.statistics().tasks_waiting == i + 1
                })
                .await;
            }
            for woken in 1..=3 {
                assert_eq!(condition.acquire().await.notify(1), 1);
                wait_until("the notified waiter ran", || {
                    order.lock().unwrap().len() == woken
                })
                .await;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
}

#[anyio::test]
async fn notify_all_wakes_everyone_and_notify_n_at_most_n() {
    let condition = Arc::new(Condition::new());
    let woken = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (condition, woken) = (condition.clone(), woken.clone());
        async move {
            for i in 1..=4 {
                let (waiter, woken) = (condition.clone(), woken.clone());
                tg.start_soon(async move {
                    let _guard = waiter.acquire().await.wait().await;
                    woken.fetch_add(1, Ordering::SeqCst);
                })?;
                wait_until("the waiter is queued", || {
                    condition.statistics().tasks_waiting == i
                })
                .await;
            }
            assert_eq!(condition.acquire().await.notify(2), 2);
            wait_until("two woke", || woken.load(Ordering::SeqCst) == 2).await;
            sleep(Duration::from_millis(2)).await;
            assert_eq!(woken.load(Ordering::SeqCst), 2, "only two were notified");
            assert_eq!(condition.statistics().tasks_waiting, 2);
            assert_eq!(condition.acquire().await.notify_all(), 2);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), 4);
}

#[anyio::test]
async fn a_cancelled_wait_is_not_notified() {
    // AnyIO's test_wait_cancel.
    let condition = Arc::new(Condition::new());
    let notified = Arc::new(AtomicBool::new(false));
    task_group(|tg| {
        let (condition, notified) = (condition.clone(), notified.clone());
        async move {
            let (waiter, waiter_notified) = (condition.clone(), notified.clone());
            tg.start_soon(async move {
                let _guard = waiter.acquire().await.wait().await;
                waiter_notified.store(true, Ordering::SeqCst);
            })?;
            wait_until("the waiter is queued", || {
                condition.statistics().tasks_waiting == 1
            })
            .await;
            tg.cancel();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(!notified.load(Ordering::SeqCst));
    assert_eq!(condition.statistics().tasks_waiting, 0);
    assert!(!condition.locked());
}

#[anyio::test]
async fn a_notification_to_a_cancelled_waiter_goes_to_the_next() {
    // AnyIO's test_notification_handover_on_cancel: the first waiter is cancelled and notified
    // at once; the notification must reach the second waiter.
    let condition = Arc::new(Condition::new());
    let second_woke = Arc::new(AtomicBool::new(false));
    let first_woke = Arc::new(AtomicBool::new(false));
    task_group(|tg| {
        let (condition, first_woke, second_woke) =
            (condition.clone(), first_woke.clone(), second_woke.clone());
        async move {
            let scope = CancelScope::new();
            let first = scope.handle();
            let (waiter, woke) = (condition.clone(), first_woke.clone());
            tg.start_soon(async move {
                scope
                    .run(async move {
                        let _guard = waiter.acquire().await.wait().await;
                        woke.store(true, Ordering::SeqCst);
                    })
                    .await;
            })?;
            wait_until("the first waiter is queued", || {
                condition.statistics().tasks_waiting == 1
            })
            .await;
            let (waiter, woke) = (condition.clone(), second_woke.clone());
            tg.start_soon(async move {
                fail_after(Duration::from_secs(3), async move {
                    let _guard = waiter.acquire().await.wait().await;
                    woke.store(true, Ordering::SeqCst);
                })
                .await
                .expect("the notification was lost");
            })?;
            wait_until("the second waiter is queued", || {
                condition.statistics().tasks_waiting == 2
            })
            .await;
            let guard = condition.acquire().await;
            first.cancel();
            assert_eq!(guard.notify(1), 1);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(!first_woke.load(Ordering::SeqCst));
    assert!(second_woke.load(Ordering::SeqCst));
}

#[anyio::test]
async fn a_dropped_wait_passes_its_notification_on_in_every_phase() {
    for drop_while_reacquiring in [false, true] {
        let condition = Condition::new();
        let mut first = Box::pin(condition.try_acquire().unwrap().wait());
        assert!(poll!(first.as_mut()).is_pending());
        let mut second = Box::pin(condition.try_acquire().unwrap().wait());
        assert!(poll!(second.as_mut()).is_pending());
        let notifier = condition.try_acquire().unwrap();
        assert_eq!(notifier.notify(1), 1);
        if drop_while_reacquiring {
            // Sees the notification and queues for the lock the notifier still holds.
            assert!(poll!(first.as_mut()).is_pending());
        }
        drop(first);
        drop(notifier);
        let Poll::Ready(guard) = poll!(second.as_mut()) else {
            panic!("the notification was swallowed (reacquiring: {drop_while_reacquiring})");
        };
        drop(guard);
        assert!(!condition.locked());
        assert_eq!(condition.statistics().tasks_waiting, 0);
    }
}

#[anyio::test]
async fn wait_for_returns_once_the_predicate_holds() {
    // AnyIO's test_wait_for.
    let condition = Arc::new(Condition::new());
    let value = Arc::new(AtomicUsize::new(0));
    let result = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (condition, value, result) = (condition.clone(), value.clone(), result.clone());
        async move {
            let (waiter, waiter_value, waiter_result) =
                (condition.clone(), value.clone(), result.clone());
            tg.start_soon(async move {
                let guard = waiter.acquire().await;
                let _guard = guard
                    .wait_for(|| waiter_value.load(Ordering::SeqCst) != 0)
                    .await;
                waiter_result.store(waiter_value.load(Ordering::SeqCst), Ordering::SeqCst);
            })?;
            wait_until("the waiter is queued", || {
                condition.statistics().tasks_waiting == 1
            })
            .await;
            condition.acquire().await.notify_all();
            // The predicate is still false: the waiter queues again.
            wait_until("the waiter re-queued", || {
                condition.statistics().tasks_waiting == 1
            })
            .await;
            assert_eq!(result.load(Ordering::SeqCst), 0);
            let guard = condition.acquire().await;
            value.store(7, Ordering::SeqCst);
            guard.notify_all();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(result.load(Ordering::SeqCst), 7);
}

#[anyio::test]
async fn statistics_count_waiters_and_report_the_lock() {
    let condition = Arc::new(Condition::new());
    task_group(|tg| {
        let condition = condition.clone();
        async move {
            let statistics = condition.statistics();
            assert!(!statistics.lock_statistics.locked);
            assert_eq!(statistics.tasks_waiting, 0);
            {
                let _guard = condition.acquire().await;
                assert!(condition.statistics().lock_statistics.locked);
            }
            for i in 1..=2 {
                let waiter = condition.clone();
                tg.start_soon(async move {
                    drop(waiter.acquire().await.wait().await);
                })?;
                wait_until("the waiter is counted", || {
                    condition.statistics().tasks_waiting == i
                })
                .await;
            }
            for left in [1, 0] {
                condition.acquire().await.notify(1);
                wait_until("one waiter left", || {
                    condition.statistics().tasks_waiting == left
                })
                .await;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let statistics = condition.statistics();
    assert!(!statistics.lock_statistics.locked);
    assert_eq!(statistics.tasks_waiting, 0);
}
