//! `Lock` and `Mutex<T>` (DESIGN §6): exclusion, FIFO hand-off, no barging, owner tracking,
//! explicit release, and cancel-safety of `acquire` even after the lock was handed over
//! (ported from AnyIO's and Trio's lock tests).

use crate::common;

use common::wait_until;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use anyio::sync::{Event, Lock, Mutex, ReleaseError, WouldBlock};
use anyio::{checkpoint, sleep, sleep_forever, task_group, CancelScope, Duration, SpawnError};
use futures::poll;

#[anyio::test]
async fn the_guard_releases_on_drop() {
    let lock = Lock::new();
    assert!(!lock.locked());
    let guard = lock.acquire().await;
    assert!(lock.locked());
    assert_eq!(lock.try_acquire().unwrap_err(), WouldBlock);
    drop(guard);
    assert!(!lock.locked());
    let guard = lock.try_acquire().unwrap();
    assert!(std::ptr::eq(guard.lock(), &lock));
}

#[anyio::test]
async fn only_one_task_at_a_time_is_inside() {
    let lock = Arc::new(Lock::new());
    let inside = Arc::new(AtomicBool::new(false));
    let entries = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (lock, inside, entries) = (lock.clone(), inside.clone(), entries.clone());
        async move {
            for _ in 0..4 {
                let (lock, inside, entries) = (lock.clone(), inside.clone(), entries.clone());
                tg.start_soon(async move {
                    for _ in 0..25 {
                        let _guard = lock.acquire().await;
                        assert!(!inside.swap(true, Ordering::SeqCst), "two tasks inside");
                        checkpoint().await;
                        entries.fetch_add(1, Ordering::SeqCst);
                        inside.store(false, Ordering::SeqCst);
                    }
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(entries.load(Ordering::SeqCst), 100);
    assert!(!lock.locked());
}

#[anyio::test]
async fn waiters_get_the_lock_in_fifo_order() {
    let lock = Arc::new(Lock::new());
    let order = Arc::new(StdMutex::new(Vec::new()));
    let guard = lock.acquire().await;
    task_group(|tg| {
        let (lock, order) = (lock.clone(), order.clone());
        async move {
            for i in 0..5 {
                let (waiter_lock, order) = (lock.clone(), order.clone());
                tg.start_soon(async move {
                    let _guard = waiter_lock.acquire().await;
                    order.lock().unwrap().push(i);
                    checkpoint().await;
                })?;
                wait_until("the waiter is queued", || {
                    lock.statistics().tasks_waiting == i + 1
                })
                .await;
            }
            drop(guard);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
}

#[anyio::test]
async fn try_acquire_never_barges_past_a_waiter() {
    let lock = Arc::new(Lock::new());
    let release_waiter = Arc::new(Event::new());
    let guard = lock.acquire().await;
    task_group(|tg| {
        let (lock, release_waiter) = (lock.clone(), release_waiter.clone());
        async move {
            let (waiter_lock, waiter_release) = (lock.clone(), release_waiter.clone());
            tg.task().name("waiter").start_soon(async move {
                let _guard = waiter_lock.acquire().await;
                waiter_release.wait().await;
            })?;
            wait_until("the waiter is queued", || {
                lock.statistics().tasks_waiting == 1
            })
            .await;
            // Held, with a waiter queued: a try fails.
            assert_eq!(lock.try_acquire().unwrap_err(), WouldBlock);
            drop(guard);
            // The release handed the lock straight to the waiter: still locked, and its owner
            // is the waiter before it even ran.
            assert!(lock.locked());
            assert_eq!(lock.try_acquire().unwrap_err(), WouldBlock);
            let owner = lock.statistics().owner.expect("owned by the waiter");
            assert_eq!(owner.name.as_deref(), Some("waiter"));
            release_waiter.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

#[anyio::test]
async fn a_dropped_acquire_that_was_handed_the_lock_passes_it_on() {
    let lock = Lock::new();
    let guard = lock.acquire().await;
    let mut first = Box::pin(lock.acquire());
    let mut second = Box::pin(lock.acquire());
    assert!(poll!(first.as_mut()).is_pending());
    assert!(poll!(second.as_mut()).is_pending());
    assert_eq!(lock.statistics().tasks_waiting, 2);
    drop(guard); // handed to `first`...
    assert_eq!(lock.statistics().tasks_waiting, 1);
    drop(first); // ...which is dropped before it saw it: `second` gets it.
    let guard = match poll!(second.as_mut()) {
        std::task::Poll::Ready(guard) => guard,
        std::task::Poll::Pending => panic!("the lock was not passed on"),
    };
    assert_eq!(lock.statistics().tasks_waiting, 0);
    drop(guard);
    drop(second);
    assert!(!lock.locked());
    // And with nobody left to pass it to, the lock ends up free.
    let guard = lock.acquire().await;
    let mut only = Box::pin(lock.acquire());
    assert!(poll!(only.as_mut()).is_pending());
    drop(guard);
    drop(only);
    assert!(!lock.locked());
    assert!(lock.try_acquire().is_ok());
}

#[anyio::test]
async fn a_waiter_cancelled_after_the_handoff_does_not_take_the_lock() {
    // AnyIO's test_cancel_during_acquire (release first): the lock is handed to the waiter, then
    // its scope is cancelled before it runs. It must not acquire, and must pass the lock on.
    for release_first in [true, false] {
        let lock = Lock::new();
        let guard = lock.acquire().await;
        let scope = CancelScope::new();
        let handle = scope.handle();
        let acquired = AtomicBool::new(false);
        let mut waiter = Box::pin(scope.run(async {
            let _guard = lock.acquire().await;
            acquired.store(true, Ordering::SeqCst);
        }));
        assert!(poll!(waiter.as_mut()).is_pending());
        if release_first {
            drop(guard);
            handle.cancel();
        } else {
            handle.cancel();
            drop(guard);
        }
        assert_eq!(poll!(waiter.as_mut()), std::task::Poll::Ready(None));
        assert!(!acquired.load(Ordering::SeqCst));
        assert!(!lock.locked(), "release_first={release_first}");
        assert_eq!(lock.statistics().tasks_waiting, 0);
        assert_eq!(lock.statistics().owner, None);
    }
}

#[anyio::test]
async fn a_cancelled_waiter_task_is_skipped() {
    let lock = Arc::new(Lock::new());
    let got = Arc::new(StdMutex::new(Vec::new()));
    let guard = lock.acquire().await;
    task_group(|tg| {
        let (lock, got) = (lock.clone(), got.clone());
        async move {
            let scope = CancelScope::new();
            let cancel_first = scope.handle();
            for (i, scope) in [(0, Some(scope)), (1, None)] {
                let (waiter_lock, got) = (lock.clone(), got.clone());
                tg.start_soon(async move {
                    let body = async {
                        let _guard = waiter_lock.acquire().await;
                        got.lock().unwrap().push(i);
                    };
                    match scope {
                        Some(scope) => drop(scope.run(body).await),
                        None => body.await,
                    }
                })?;
                wait_until("the waiter is queued", || {
                    lock.statistics().tasks_waiting == i + 1
                })
                .await;
            }
            cancel_first.cancel();
            wait_until("the cancelled waiter left", || {
                lock.statistics().tasks_waiting == 1
            })
            .await;
            drop(guard);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*got.lock().unwrap(), [1]);
    assert!(!lock.locked());
}

#[anyio::test]
async fn the_lock_is_released_when_its_holder_is_cancelled() {
    let lock = Arc::new(Lock::new());
    let holding = Arc::new(Event::new());
    task_group(|tg| {
        let (lock, holding) = (lock.clone(), holding.clone());
        async move {
            let (holder_lock, holder_holding) = (lock.clone(), holding.clone());
            tg.start_soon(async move {
                let _guard = holder_lock.acquire().await;
                holder_holding.set();
                sleep_forever().await;
            })?;
            holding.wait().await;
            assert!(lock.locked());
            tg.cancel(); // cancels the holder, which sleeps forever holding the guard
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(
        !lock.locked(),
        "the cancelled holder's guard released the lock"
    );
}

#[anyio::test]
async fn statistics_report_owner_and_waiters() {
    let lock = Arc::new(Lock::new());
    let statistics = lock.statistics();
    assert!(!statistics.locked);
    assert_eq!(statistics.owner, None);
    assert_eq!(statistics.tasks_waiting, 0);
    let me = anyio::get_current_task().unwrap();
    task_group(|tg| {
        let lock = lock.clone();
        async move {
            let guard = lock.acquire().await;
            let statistics = lock.statistics();
            assert!(statistics.locked);
            assert_eq!(statistics.owner.map(|task| task.id), Some(me.id));
            for i in 1..=2 {
                let waiter = lock.clone();
                tg.start_soon(async move { drop(waiter.acquire().await) })?;
                wait_until("the waiter is counted", || {
                    lock.statistics().tasks_waiting == i
                })
                .await;
            }
            drop(guard);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let statistics = lock.statistics();
    assert!(!statistics.locked);
    assert_eq!(statistics.tasks_waiting, 0);
}

#[anyio::test]
async fn the_owner_is_the_next_task_right_after_a_release() {
    // AnyIO's test_owner_after_release, Trio style: acquire, detach, release explicitly.
    let lock = Arc::new(Lock::new());
    let go = Arc::new(Event::new());
    let task2_may_finish = Arc::new(Event::new());
    task_group(|tg| {
        let (lock, go, task2_may_finish) = (lock.clone(), go.clone(), task2_may_finish.clone());
        async move {
            let (task1_lock, task1_go, task1_done) =
                (lock.clone(), go.clone(), task2_may_finish.clone());
            tg.task().name("task1").start_soon(async move {
                task1_lock.acquire().await.detach();
                let owner = task1_lock.statistics().owner.unwrap();
                assert_eq!(owner.name.as_deref(), Some("task1"));
                task1_go.wait().await;
                task1_lock.release().unwrap();
                let owner = task1_lock.statistics().owner.unwrap();
                assert_eq!(owner.name.as_deref(), Some("task2"));
                task1_done.set();
            })?;
            wait_until("task1 holds the lock", || lock.locked()).await;
            let (task2_lock, task2_wait) = (lock.clone(), task2_may_finish.clone());
            tg.task().name("task2").start_soon(async move {
                let _guard = task2_lock.acquire().await;
                task2_wait.wait().await;
            })?;
            wait_until("task2 is queued", || lock.statistics().tasks_waiting == 1).await;
            go.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

#[anyio::test]
async fn explicit_release_checks_ownership() {
    let lock = Arc::new(Lock::new());
    assert_eq!(lock.release(), Err(ReleaseError::NotLocked));
    let guard = lock.acquire().await;
    assert_eq!(lock.release(), Err(ReleaseError::Guarded));
    assert!(lock.locked(), "a refused release leaves the lock held");
    drop(guard);

    // Held (detached) by another task: not ours to release.
    let held = Arc::new(Event::new());
    let done = Arc::new(Event::new());
    task_group(|tg| {
        let (lock, held, done) = (lock.clone(), held.clone(), done.clone());
        async move {
            let (other_lock, other_held, other_done) = (lock.clone(), held.clone(), done.clone());
            tg.start_soon(async move {
                other_lock.acquire().await.detach();
                other_held.set();
                other_done.wait().await;
                other_lock.release().unwrap();
            })?;
            held.wait().await;
            assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
            assert!(lock.locked());
            done.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(!lock.locked());

    // Detached by this task: releasable exactly once.
    lock.acquire().await.detach();
    assert_eq!(lock.release(), Ok(()));
    assert_eq!(lock.release(), Err(ReleaseError::NotLocked));
}

#[anyio::test]
async fn outside_anyio_tasks_the_owner_is_anonymous() {
    let lock = Arc::new(Lock::new());
    let thread_lock = lock.clone();
    std::thread::spawn(move || {
        futures::executor::block_on(async {
            thread_lock.acquire().await.detach();
            let statistics = thread_lock.statistics();
            assert!(statistics.locked);
            assert_eq!(statistics.owner, None, "no anyio task owns it");
        })
    })
    .join()
    .unwrap();
    // An anyio task is not the anonymous owner...
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    // ...but other code outside anyio tasks counts as it.
    let thread_lock = lock.clone();
    let released = std::thread::spawn(move || thread_lock.release())
        .join()
        .unwrap();
    assert_eq!(released, Ok(()));
    assert!(!lock.locked());
}

#[anyio::test]
async fn concurrent_futures_of_one_task_take_the_lock_in_turn() {
    // Owner tracking is per task, but two futures of one task (a `join!`) are not a
    // re-entrant acquisition: the second simply waits for the first to release.
    let lock = Lock::new();
    let order = StdMutex::new(Vec::new());
    futures::join!(
        async {
            let _guard = lock.acquire().await;
            order.lock().unwrap().push("first in");
            sleep(Duration::from_millis(2)).await;
            order.lock().unwrap().push("first out");
        },
        async {
            checkpoint().await;
            let _guard = lock.acquire().await;
            order.lock().unwrap().push("second in");
        }
    );
    assert_eq!(
        *order.lock().unwrap(),
        ["first in", "first out", "second in"]
    );
}

#[anyio::test]
async fn mutex_protects_its_value() {
    let counter = Arc::new(Mutex::new(0_u64));
    task_group(|tg| {
        let counter = counter.clone();
        async move {
            for _ in 0..4 {
                let counter = counter.clone();
                tg.start_soon(async move {
                    for _ in 0..50 {
                        let mut value = counter.lock().await;
                        let seen = *value;
                        checkpoint().await;
                        *value = seen + 1;
                    }
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*counter.lock().await, 200);
    assert!(!counter.is_locked());
    let mut counter = Arc::try_unwrap(counter).unwrap();
    *counter.get_mut() += 1;
    assert_eq!(counter.into_inner(), 201);
}

#[anyio::test]
async fn mutex_try_lock_and_cancelled_lock() {
    let mutex = Mutex::new(String::from("a"));
    let mut guard = mutex.try_lock().unwrap();
    guard.push('b');
    assert_eq!(mutex.try_lock().unwrap_err(), WouldBlock);
    let mut waiting = Box::pin(mutex.lock());
    assert!(poll!(waiting.as_mut()).is_pending());
    assert_eq!(mutex.statistics().tasks_waiting, 1);
    drop(guard); // handed to `waiting`, which is then dropped: the value must come back.
    drop(waiting);
    assert!(!mutex.is_locked());
    assert_eq!(*mutex.lock().await, "ab");
}

#[anyio::test]
async fn a_guard_dropped_by_a_panic_unlocks() {
    let mutex = Arc::new(Mutex::new(vec![1]));
    let panicking = mutex.clone();
    let outcome = std::thread::spawn(move || {
        futures::executor::block_on(async {
            let mut guard = panicking.lock().await;
            guard.push(2);
            panic!("while holding the mutex");
        })
    })
    .join();
    assert!(outcome.is_err());
    assert!(!mutex.is_locked());
    assert_eq!(*mutex.lock().await, [1, 2]);
}
