//! `Event` (DESIGN §6): set/is_set/wait, waking every waiter, cancellation and statistics
//! (ported from AnyIO's and Trio's event tests).

use crate::common;

use common::wait_until;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::sync::Event;
use anyio::{move_on_after, sleep, task_group, CancelScope, Duration, SpawnError};

#[anyio::test]
async fn set_is_idempotent_and_wait_after_set_returns_at_once() {
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    event.set();
    assert!(event.is_set());
    event.wait().await;
    event.wait().await;
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn a_child_sets_the_event_the_parent_waits_for() {
    let event = Arc::new(Event::new());
    task_group(|tg| {
        let event = event.clone();
        async move {
            let setter = event.clone();
            tg.start_soon(async move {
                assert!(!setter.is_set());
                setter.set();
            })?;
            event.wait().await;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(event.is_set());
}

#[anyio::test]
async fn set_wakes_every_waiter() {
    let event = Arc::new(Event::new());
    let woken = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (event, woken) = (event.clone(), woken.clone());
        async move {
            for i in 1..=3 {
                let (event_, woken) = (event.clone(), woken.clone());
                tg.start_soon(async move {
                    event_.wait().await;
                    woken.fetch_add(1, Ordering::SeqCst);
                })?;
                wait_until("the waiter is queued", || {
                    event.statistics().tasks_waiting == i
                })
                .await;
            }
            sleep(Duration::from_millis(2)).await;
            assert_eq!(woken.load(Ordering::SeqCst), 0, "nobody woke before set");
            event.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), 3);
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn a_cancelled_wait_withdraws_itself() {
    let event = Event::new();
    assert_eq!(
        move_on_after(Duration::from_millis(2), event.wait()).await,
        None
    );
    assert_eq!(event.statistics().tasks_waiting, 0);
    event.set();
    event.wait().await;
}

#[anyio::test]
async fn a_wait_cancelled_before_the_set_does_not_complete() {
    // AnyIO's test_event_cancel: the waiter's scope is cancelled, then the event is set before
    // the waiter runs again. The cancelled wait must not complete.
    let event = Arc::new(Event::new());
    let scope = CancelScope::new();
    let handle = scope.handle();
    let reached = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (event, reached) = (event.clone(), reached.clone());
        async move {
            let (waiter_event, waiter_reached) = (event.clone(), reached.clone());
            tg.start_soon(async move {
                scope
                    .run(async move {
                        waiter_event.wait().await;
                        waiter_reached.fetch_add(1, Ordering::SeqCst);
                    })
                    .await;
            })?;
            wait_until("the waiter is queued", || {
                event.statistics().tasks_waiting == 1
            })
            .await;
            handle.cancel();
            event.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(reached.load(Ordering::SeqCst), 0);
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn set_before_cancel_lets_the_waiter_finish() {
    // AnyIO's test_event_wait_before_set_before_cancel: the setter sets the event and then
    // cancels the group the waiter (the body) belongs to; the body still sees the event.
    let event = Arc::new(Event::new());
    let result = task_group(|tg| {
        let event = event.clone();
        async move {
            let setter_event = event.clone();
            let setter_tg = tg.clone();
            tg.start_soon(async move {
                setter_event.set();
                setter_tg.cancel();
            })?;
            event.wait().await;
            Ok::<_, SpawnError>("woke")
        }
    })
    .await;
    assert!(event.is_set());
    // The body either completed (it saw the event when it was polled) or was cancelled at its
    // wait; it never hangs.
    assert!(matches!(
        result,
        Ok("woke") | Err(anyio::TaskGroupError::Cancelled)
    ));
}

#[anyio::test]
async fn statistics_count_waiters() {
    let event = Arc::new(Event::new());
    task_group(|tg| {
        let event = event.clone();
        async move {
            assert_eq!(event.statistics().tasks_waiting, 0);
            for i in 1..=2 {
                let waiter = event.clone();
                tg.start_soon(async move { waiter.wait().await })?;
                wait_until("the waiter is counted", || {
                    event.statistics().tasks_waiting == i
                })
                .await;
            }
            event.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn works_from_plain_threads_outside_anyio() {
    let event = Arc::new(Event::new());
    let setter = event.clone();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(2));
        setter.set();
    });
    event.wait().await;
    thread.join().unwrap();
    // And a plain executor can wait on it too.
    futures::executor::block_on(event.wait());
}
