//! Graceful shutdown: `TaskGroup::shutdown` asks the group's tasks to wind down, and cancels
//! what is still running when the grace period ends.

use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use anyio::time::current_time;
use anyio::{
    is_shutdown_requested, move_on_after, shutdown_requested, sleep, sleep_forever, task_group,
    with_graceful_shutdown, CancelScope, Duration, SpawnError, TaskGroupError,
};
use futures::FutureExt;

use crate::common::Flag;

#[anyio::test(autojump)]
async fn tasks_that_wind_down_end_the_group_before_the_grace_period() {
    let started = current_time();
    let finished_work = Flag::new();
    let finished = finished_work.clone();
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            shutdown_requested().await;
            // In-flight work takes 2 s more to finish.
            sleep(Duration::from_secs(2)).await;
            finished.set();
        })?;
        sleep(Duration::from_secs(1)).await;
        tg.shutdown(Duration::from_secs(5));
        Ok::<_, SpawnError>("body value")
    })
    .await;
    assert_eq!(result, Ok("body value"));
    assert!(finished_work.is_set());
    assert_eq!(current_time() - started, Duration::from_secs(3));
}

#[anyio::test(autojump)]
async fn a_task_that_ignores_the_request_is_cancelled_when_the_grace_period_ends() {
    let started = current_time();
    let cancelled = Flag::new();
    let dropped = cancelled.clone();
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            let _guard = dropped.on_drop();
            sleep_forever().await;
        })?;
        tg.shutdown(Duration::from_secs(5));
        Ok::<_, SpawnError>(())
    })
    .await;
    // The body had returned its value; the hard cancellation only ended the child.
    assert_eq!(result, Ok(()));
    assert!(cancelled.is_set());
    assert_eq!(current_time() - started, Duration::from_secs(5));
}

#[anyio::test(autojump)]
async fn a_body_still_running_at_the_end_of_the_grace_period_is_cancelled() {
    let started = current_time();
    let result = task_group(|tg| async move {
        tg.shutdown(Duration::from_secs(2));
        sleep_forever().await;
        Ok::<(), SpawnError>(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Cancelled));
    assert_eq!(current_time() - started, Duration::from_secs(2));
}

#[anyio::test(autojump)]
async fn the_request_reaches_nested_groups_and_shielded_scopes() {
    let seen = Arc::new(AtomicU32::new(0));
    let result = task_group(|outer| {
        let seen = seen.clone();
        async move {
            let in_nested = seen.clone();
            outer.start_soon(async move {
                task_group(|inner| async move {
                    inner.start_soon(async move {
                        shutdown_requested().await;
                        assert!(is_shutdown_requested());
                        in_nested.fetch_add(1, Ordering::SeqCst);
                    })?;
                    Ok::<_, SpawnError>(())
                })
                .await
                .unwrap();
            })?;
            let in_shield = seen.clone();
            outer.start_soon(async move {
                CancelScope::new()
                    .shielded(true)
                    .run(async move {
                        shutdown_requested().await;
                        in_shield.fetch_add(1, Ordering::SeqCst);
                    })
                    .await;
            })?;
            sleep(Duration::from_secs(1)).await;
            assert_eq!(seen.load(Ordering::SeqCst), 0, "nothing before the request");
            outer.shutdown(Duration::from_secs(10));
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[anyio::test(autojump)]
async fn a_shutdown_of_an_inner_group_does_not_reach_the_outer_one() {
    let result = task_group(|outer| async move {
        let outer_task = outer.spawn(async {
            sleep(Duration::from_secs(1)).await;
            is_shutdown_requested()
        })?;
        task_group(|inner| async move {
            inner.shutdown(Duration::from_secs(1));
            assert!(inner.is_shutting_down());
            assert!(is_shutdown_requested(), "the inner body sees it");
            Ok::<_, SpawnError>(())
        })
        .await
        .unwrap();
        assert!(!outer.is_shutting_down());
        assert!(!is_shutdown_requested());
        assert_eq!(outer_task.await, Ok(false));
        Ok::<_, SpawnError>(())
    })
    .await;
    assert!(result.is_ok());
}

#[anyio::test]
async fn outside_a_group_nothing_is_requested() {
    assert!(!is_shutdown_requested());
    assert_eq!(shutdown_requested().now_or_never(), None);
}

#[anyio::test(autojump)]
async fn an_earlier_deadline_stays_and_a_second_call_only_brings_it_closer() {
    let started = current_time();
    let result = task_group(|tg| async move {
        tg.cancel_handle()
            .set_deadline(current_time() + Duration::from_secs(3));
        tg.shutdown(Duration::from_secs(10));
        tg.shutdown(Duration::from_secs(20));
        sleep_forever().await;
        Ok::<(), SpawnError>(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Cancelled));
    assert_eq!(current_time() - started, Duration::from_secs(3));
    let started = current_time();
    let _ = task_group(|tg| async move {
        tg.shutdown(Duration::from_secs(10));
        tg.shutdown(Duration::from_secs(4));
        sleep_forever().await;
        Ok::<(), SpawnError>(())
    })
    .await;
    assert_eq!(current_time() - started, Duration::from_secs(4));
}

#[anyio::test(autojump)]
async fn an_abandoned_wait_for_the_request_loses_nothing() {
    let result = task_group(|tg| async move {
        let waiter = tg.spawn(async {
            // Cut off before the request, then asked again.
            let first = move_on_after(Duration::from_secs(1), shutdown_requested()).await;
            assert_eq!(first, None);
            shutdown_requested().await;
            is_shutdown_requested()
        })?;
        sleep(Duration::from_secs(2)).await;
        tg.shutdown(Duration::from_secs(1));
        assert_eq!(waiter.await, Ok(true));
        Ok::<_, SpawnError>(())
    })
    .await;
    assert!(result.is_ok());
}

#[anyio::test(autojump)]
async fn with_graceful_shutdown_tells_the_future_once_and_runs_it_to_its_end() {
    let told = Arc::new(AtomicU32::new(0));
    let started = current_time();
    let result = task_group(|tg| {
        let told = told.clone();
        async move {
            let handle = tg.spawn(async move {
                let finish_at = Arc::new(std::sync::Mutex::new(None));
                let deadline = finish_at.clone();
                let connection = async move {
                    loop {
                        sleep(Duration::from_millis(100)).await;
                        if let Some(at) = *deadline.lock().unwrap() {
                            if current_time() >= at {
                                return "closed cleanly";
                            }
                        }
                    }
                };
                with_graceful_shutdown(connection, move |_: Pin<&mut _>| {
                    told.fetch_add(1, Ordering::SeqCst);
                    // The protocol needs 1 s to say goodbye.
                    *finish_at.lock().unwrap() = Some(current_time() + Duration::from_secs(1));
                })
                .await
            })?;
            sleep(Duration::from_secs(2)).await;
            tg.shutdown(Duration::from_secs(10));
            assert_eq!(handle.await, Ok("closed cleanly"));
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(told.load(Ordering::SeqCst), 1);
    let took = current_time() - started;
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[anyio::test]
async fn stress_every_task_sees_a_request_made_while_they_start() {
    for round in 0..20u32 {
        let seen = Arc::new(AtomicU32::new(0));
        let counted = seen.clone();
        let result = task_group(|tg| async move {
            for index in 0..50u32 {
                let counted = counted.clone();
                tg.start_soon(async move {
                    if index % 3 == 0 {
                        anyio::checkpoint().await;
                    }
                    // Some in a nested group, started around the time of the request.
                    task_group(|inner| async move {
                        inner.start_soon(async move {
                            shutdown_requested().await;
                            counted.fetch_add(1, Ordering::SeqCst);
                        })?;
                        Ok::<_, SpawnError>(())
                    })
                    .await
                    .unwrap();
                })?;
                if index == round {
                    tg.shutdown(Duration::from_secs(60));
                }
            }
            Ok::<_, SpawnError>(())
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(seen.load(Ordering::SeqCst), 50, "round {round}");
    }
}
