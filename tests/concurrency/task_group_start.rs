//! `TaskGroup::start` and the caller's cancellation: the caller's own cancellation is caught by
//! the caller's scope in every interleaving (never `StartError::Cancelled`), `start` in a
//! cancelled scope starts nothing, a task that started is never started twice by a retrying
//! caller, and a `start` dropped by foreign code loses neither its task nor its task's error.

use crate::common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use anyio::testing::wait_all_tasks_blocked;
use anyio::{
    run_with, sleep, sleep_forever, task_group, Backend, CancelScope, Duration, Event,
    TaskGroupError, TaskStatus,
};
use common::Flag;

fn poll_by_hand<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// The task ends as cancelled before the caller is polled again: the caller's scope still
/// catches the cancellation.
#[anyio::test(autojump)]
async fn a_caller_cancelled_after_its_task_ended_as_cancelled_is_caught_by_its_scope() {
    let result = task_group(|tg| async move {
        let scope = CancelScope::new();
        let handle = scope.handle();
        let mut caller = pin!(scope.run(tg.start(|status: TaskStatus<()>| async move {
            sleep_forever().await;
            status.started(());
        })));
        assert!(
            poll_by_hand(caller.as_mut()).is_pending(),
            "the task is spawned"
        );
        handle.cancel();
        // The task catches the cancellation and ends before the caller looks again.
        wait_all_tasks_blocked().await;
        let outcome = poll_by_hand(caller.as_mut());
        assert!(
            matches!(outcome, Poll::Ready(None)),
            "the caller's scope did not catch its cancellation: {outcome:?}"
        );
        Ok::<_, ()>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

/// The caller is polled before the task saw its cancellation: same result.
#[anyio::test(autojump)]
async fn a_caller_cancelled_before_its_task_ran_is_caught_by_its_scope() {
    let result = task_group(|tg| async move {
        let scope = CancelScope::new();
        let handle = scope.handle();
        let mut caller = pin!(scope.run(tg.start(|status: TaskStatus<()>| async move {
            sleep_forever().await;
            status.started(());
        })));
        assert!(poll_by_hand(caller.as_mut()).is_pending());
        handle.cancel();
        assert!(matches!(poll_by_hand(caller.as_mut()), Poll::Ready(None)));
        Ok::<_, ()>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

/// A task that called `started` belongs to the group; the caller gets its value although its
/// scope was cancelled before it looked, so it never starts the task a second time.
#[anyio::test(autojump)]
async fn a_task_that_started_before_the_callers_cancellation_hands_over_its_value() {
    let started = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(Event::new());
    let result = task_group(|tg| {
        let (started, go) = (started.clone(), go.clone());
        async move {
            let scope = CancelScope::new();
            let handle = scope.handle();
            let task_go = go.clone();
            let mut caller = pin!(scope.run(tg.start(|status: TaskStatus<u8>| async move {
                task_go.wait().await;
                started.fetch_add(1, Ordering::SeqCst);
                status.started(7);
                sleep_forever().await;
            })));
            assert!(poll_by_hand(caller.as_mut()).is_pending());
            go.set();
            wait_all_tasks_blocked().await;
            handle.cancel();
            assert!(matches!(
                poll_by_hand(caller.as_mut()),
                Poll::Ready(Some(Ok(7)))
            ));
            tg.cancel();
            Ok::<_, ()>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(started.load(Ordering::SeqCst), 1);
}

#[anyio::test(autojump)]
async fn start_in_a_cancelled_group_starts_nothing_and_the_caller_does_not_resume() {
    let (ran, resumed) = (Flag::new(), Flag::new());
    let result = task_group(|tg| {
        let (ran, resumed) = (ran.clone(), resumed.clone());
        async move {
            tg.cancel();
            let _ = tg
                .start(|status: TaskStatus<()>| async move {
                    ran.set();
                    status.started(());
                })
                .await;
            resumed.set();
            Ok::<_, ()>(())
        }
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Cancelled));
    assert!(!ran.is_set(), "a task started in a cancelled scope");
    assert!(!resumed.is_set(), "the caller resumed after start");
}

#[anyio::test(autojump)]
async fn start_in_a_cancelled_scope_is_caught_by_that_scope() {
    let ran = Flag::new();
    let result = task_group(|tg| {
        let ran = ran.clone();
        async move {
            let scope = CancelScope::new();
            scope.handle().cancel();
            let outcome = scope
                .run(tg.start(|status: TaskStatus<()>| async move {
                    ran.set();
                    status.started(());
                }))
                .await;
            assert!(outcome.is_none());
            Ok::<_, ()>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(!ran.is_set());
}

/// Dropped by foreign code before the task started: the task is cancelled, and an error it
/// ends with reaches the group.
#[anyio::test(autojump)]
async fn a_dropped_start_cancels_its_task_and_its_error_reaches_the_group() {
    let (dropped, started) = (Flag::new(), Flag::new());
    let result = task_group(|tg| {
        let (dropped, started) = (dropped.clone(), started.clone());
        async move {
            let starting = tg.start(|status: TaskStatus<()>| async move {
                let _guard = dropped.on_drop();
                sleep_forever().await;
                started.set();
                status.started(());
                Ok(())
            });
            drop_after_a_moment(starting).await;
            Ok::<_, &str>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(dropped.is_set(), "the abandoned task was not cancelled");
    assert!(!started.is_set());

    let result = task_group(|tg| async move {
        let starting = tg.start(|_status: TaskStatus<()>| async move {
            // Shielded, it outlives the cancellation its abandonment brings, then fails.
            CancelScope::new()
                .shielded(true)
                .run(sleep(Duration::from_millis(5)))
                .await;
            Err("failed after its caller left")
        });
        drop_after_a_moment(starting).await;
        Ok::<_, &str>(())
    })
    .await;
    assert_eq!(
        result,
        Err(TaskGroupError::Failed(vec!["failed after its caller left"]))
    );
}

/// Lets `starting` run for a moment, then drops it as a foreign `select` would.
async fn drop_after_a_moment<F: Future>(starting: F) {
    let outcome = futures::future::select(
        Box::pin(starting),
        Box::pin(sleep(Duration::from_millis(1))),
    )
    .await;
    assert!(
        matches!(outcome, futures::future::Either::Right(_)),
        "the start completed"
    );
}

/// Real time and real threads: the caller's scope is cancelled at every moment around the
/// task's start; the caller sees its own cancellation (`None`) or the value, never
/// `StartError::Cancelled`, and a task is started at most once.
#[test]
fn stress_cancelling_the_caller_of_start_at_any_moment() {
    for backend in Backend::available() {
        for round in 0..200u64 {
            let started = Arc::new(AtomicUsize::new(0));
            let outcome = run_with(backend, {
                let started = started.clone();
                async move {
                    task_group(|tg| async move {
                        let scope = CancelScope::new();
                        let handle = scope.handle();
                        let ready = Arc::new(Event::new());
                        tg.start_soon({
                            let ready = ready.clone();
                            async move {
                                ready.wait().await;
                                for _ in 0..round % 3 {
                                    anyio::checkpoint().await;
                                }
                                spin(round % 23);
                                handle.cancel();
                            }
                        })
                        .unwrap();
                        let outcome = scope
                            .run(tg.start(|status: TaskStatus<u64>| async move {
                                ready.set();
                                for _ in 0..round % 5 {
                                    anyio::checkpoint().await;
                                }
                                spin((round % 40) * 5);
                                started.fetch_add(1, Ordering::SeqCst);
                                status.started(round);
                                sleep_forever().await;
                            }))
                            .await;
                        tg.cancel();
                        Ok::<_, ()>(format!("{outcome:?}"))
                    })
                    .await
                }
            });
            let outcome = outcome.unwrap();
            let expected_value = format!("Some(Ok({round}))");
            assert!(
                outcome == "None" || outcome == expected_value,
                "{backend:?}, round {round}: {outcome}"
            );
            assert!(started.load(Ordering::SeqCst) <= 1);
        }
    }
}

/// Busy work of about `units` microseconds, to spread the interleavings.
fn spin(units: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_micros(units);
    while std::time::Instant::now() < until {
        std::hint::spin_loop();
    }
}
