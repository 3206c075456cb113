//! Task groups (DESIGN §5): results, error collection, panics, `start`, `spawn`, cancellation
//! and the guarantee that no child outlives its group.

use crate::common;

use std::sync::{Arc, Mutex};

use anyio::{
    cancelled, checkpoint, move_on_after, sleep, sleep_forever, task_group, CancelScope, Duration,
    SpawnError, StartError, TaskError, TaskGroupError, TaskStatus,
};
use common::{Counter, Flag};
use futures::FutureExt;

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(3600);

#[anyio::test(autojump)]
async fn two_children_finish_and_the_group_returns_the_body_value() {
    let finished = Counter::new();
    let result = task_group(|tg| {
        let finished = finished.clone();
        async move {
            for delay in [2, 1] {
                let finished = finished.clone();
                tg.start_soon(async move {
                    sleep(Duration::from_millis(delay)).await;
                    finished.add();
                })?;
            }
            Ok::<_, SpawnError>("body value")
        }
    })
    .await;
    assert_eq!(result, Ok("body value"));
    assert_eq!(finished.get(), 2, "the group waited for both children");
}

#[anyio::test(autojump)]
async fn a_child_error_cancels_siblings_and_body() {
    let sibling_dropped = Flag::new();
    let body_past_sleep = Flag::new();
    let result = task_group(|tg| {
        let (sibling_dropped, body_past_sleep) = (sibling_dropped.clone(), body_past_sleep.clone());
        async move {
            tg.start_soon(async move {
                let _guard = sibling_dropped.on_drop();
                sleep(LONG).await;
            })
            .unwrap();
            tg.start_soon(async {
                checkpoint().await;
                Err("child failed")
            })
            .unwrap();
            sleep(LONG).await;
            body_past_sleep.set();
            Ok(())
        }
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Failed(vec!["child failed"])));
    assert!(sibling_dropped.is_set());
    assert!(!body_past_sleep.is_set());
}

#[anyio::test(autojump)]
async fn every_error_is_collected() {
    let result = task_group(|tg| async move {
        for error in ["a", "b"] {
            tg.start_soon(async move {
                sleep(Duration::from_millis(1)).await;
                Err(error)
            })
            .unwrap();
        }
        // The body fails too, after the children.
        sleep(LONG).await;
        Ok(())
    })
    .await;
    let mut errors = result.unwrap_err().into_errors();
    errors.sort_unstable();
    // Both children may fail before the cancellation reaches the other one, or only one.
    assert!(
        errors == ["a"] || errors == ["b"] || errors == ["a", "b"],
        "{errors:?}"
    );
}

#[anyio::test(autojump)]
async fn a_body_error_is_returned_and_cancels_children() {
    let child_dropped = Flag::new();
    let result = task_group(|tg| {
        let child_dropped = child_dropped.clone();
        async move {
            tg.start_soon(async move {
                let _guard = child_dropped.on_drop();
                sleep_forever().await;
            })
            .unwrap();
            checkpoint().await;
            Err::<(), _>("body failed")
        }
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Failed(vec!["body failed"])));
    assert!(child_dropped.is_set());
}

#[anyio::test(autojump)]
async fn errors_raised_by_siblings_during_their_cancellation_are_collected() {
    let result = task_group(|tg| async move {
        // Notices the cancellation and fails while handling it.
        tg.start_soon(async {
            cancelled().await;
            Err("failed while cancelled")
        })
        .unwrap();
        // Fails right after a shielded region that the cancellation waited for.
        tg.start_soon(async {
            CancelScope::new().shielded(true).run(sleep(SHORT)).await;
            Err("failed after shield")
        })
        .unwrap();
        tg.start_soon(async {
            sleep(Duration::from_millis(2)).await;
            Err("first")
        })
        .unwrap();
        Ok(())
    })
    .await;
    let errors = result.unwrap_err().into_errors();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0], "first");
    assert!(errors.contains(&"failed while cancelled"));
    assert!(errors.contains(&"failed after shield"));
}

#[anyio::test(autojump)]
async fn a_child_panic_cancels_siblings_and_resumes_after_all_ended() {
    let sibling_cleaned_up = Flag::new();
    let group = task_group(|tg| {
        let sibling_cleaned_up = sibling_cleaned_up.clone();
        async move {
            tg.start_soon(anyio::finally(sleep(LONG), async move {
                sleep(SHORT).await;
                sibling_cleaned_up.set();
            }))
            .unwrap();
            tg.start_soon(async {
                checkpoint().await;
                if std::hint::black_box(true) {
                    panic!("child panicked");
                }
            })
            .unwrap();
            Ok::<_, ()>(())
        }
    });
    let payload = std::panic::AssertUnwindSafe(group)
        .catch_unwind()
        .await
        .expect_err("the panic resumes in the parent");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"child panicked"));
    assert!(
        sibling_cleaned_up.is_set(),
        "the sibling was cancelled and ended before the panic resumed"
    );
}

#[anyio::test(autojump)]
async fn a_body_panic_waits_for_children_then_resumes() {
    let child_dropped = Flag::new();
    let group = task_group(|tg| {
        let child_dropped = child_dropped.clone();
        async move {
            tg.start_soon(async move {
                let _guard = child_dropped.on_drop();
                sleep_forever().await;
            })
            .unwrap();
            checkpoint().await;
            if std::hint::black_box(true) {
                panic!("body panicked");
            }
            Ok::<_, ()>(())
        }
    });
    let payload = std::panic::AssertUnwindSafe(group)
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"body panicked"));
    assert!(child_dropped.is_set());
}

#[anyio::test(autojump)]
async fn start_returns_the_started_value() {
    let result = task_group(|tg| async move {
        let value = tg
            .start(|status: TaskStatus<u32>| async move {
                sleep(Duration::from_millis(1)).await;
                status.started(7);
                sleep(Duration::from_millis(1)).await;
            })
            .await;
        assert_eq!(value, Ok(7));
        Ok::<_, ()>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

#[anyio::test(autojump)]
async fn an_error_before_started_comes_back_from_start_and_spares_the_group() {
    let sibling_finished = Flag::new();
    let result = task_group(|tg| {
        let sibling_finished = sibling_finished.clone();
        async move {
            tg.start_soon(async move {
                sleep(SHORT).await;
                sibling_finished.set();
            })
            .unwrap();
            let error = tg
                .start(|_status: TaskStatus<()>| async { Err("not ready") })
                .await;
            assert_eq!(error, Err(StartError::Failed("not ready")));
            Ok(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(sibling_finished.is_set(), "the group was not cancelled");
}

#[anyio::test(autojump)]
async fn returning_without_started_is_an_error() {
    let result = task_group(|tg| async move {
        let error = tg.start(|_status: TaskStatus<u8>| async {}).await;
        assert_eq!(error, Err(StartError::NotStarted));
        Ok::<_, ()>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

#[anyio::test(autojump)]
async fn an_error_after_started_goes_to_the_group() {
    let result = task_group(|tg| async move {
        let started = tg
            .start(|status: TaskStatus<()>| async move {
                status.started(());
                checkpoint().await;
                Err("after start")
            })
            .await;
        assert_eq!(started, Ok(()));
        sleep(LONG).await;
        Ok(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Failed(vec!["after start"])));
}

#[anyio::test(autojump)]
async fn a_task_being_started_is_not_cancelled_by_its_group_until_started() {
    let reached_started = Flag::new();
    let cancelled_after_start = Flag::new();
    let result = task_group(|tg| {
        let (reached_started, cancelled_after_start) =
            (reached_started.clone(), cancelled_after_start.clone());
        async move {
            tg.cancel();
            // The caller is shielded, so only the target group is cancelled.
            let started = CancelScope::new()
                .shielded(true)
                .run(tg.start(|status: TaskStatus<&str>| async move {
                    sleep(SHORT).await; // the group's cancellation does not reach here
                    reached_started.set();
                    let _guard = cancelled_after_start.on_drop();
                    status.started("ready");
                    sleep(LONG).await; // now it does
                }))
                .await;
            assert_eq!(started, Some(Ok("ready")));
            Ok::<_, ()>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(reached_started.is_set());
    assert!(cancelled_after_start.is_set());
}

#[anyio::test(autojump)]
async fn a_panic_before_started_resumes_in_the_caller() {
    let result = task_group(|tg| async move {
        let payload = std::panic::AssertUnwindSafe(tg.start(|_status: TaskStatus<()>| async {
            if std::hint::black_box(true) {
                panic!("start failed hard");
            }
        }))
        .catch_unwind()
        .await
        .unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"start failed hard"));
        Ok::<_, ()>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

#[anyio::test(autojump)]
async fn spawning_into_a_finished_group_is_an_error() {
    let escaped = Arc::new(Mutex::new(None));
    let result = task_group(|tg| {
        *escaped.lock().unwrap() = Some(tg.clone());
        async { Ok::<_, ()>(()) }
    })
    .await;
    assert_eq!(result, Ok(()));
    let tg = escaped.lock().unwrap().take().unwrap();
    assert_eq!(tg.start_soon(async {}), Err(SpawnError::GroupFinished));
    assert_eq!(
        tg.spawn(async { Ok(1) }).unwrap_err(),
        SpawnError::GroupFinished
    );
    let started = tg
        .start(|status: TaskStatus<()>| async move { status.started(()) })
        .await;
    assert_eq!(started, Err(StartError::Spawn(SpawnError::GroupFinished)));
}

#[anyio::test(autojump)]
async fn a_child_spawned_into_a_cancelled_group_runs_to_its_first_blocking_point() {
    let (before, after) = (Flag::new(), Flag::new());
    let result = task_group(|tg| {
        let (before, after) = (before.clone(), after.clone());
        async move {
            tg.cancel();
            tg.start_soon(async move {
                before.set();
                sleep(LONG).await;
                after.set();
            })
            .unwrap();
            Ok::<_, ()>(())
        }
    })
    .await;
    assert_eq!(
        result,
        Ok(()),
        "the body completed before blocking, so its value stands"
    );
    assert!(before.is_set());
    assert!(!after.is_set());
}

#[anyio::test(autojump)]
async fn an_outer_cancellation_waits_for_children_and_the_outer_scope_catches() {
    let children_done = Counter::new();
    let scope = CancelScope::new().with_timeout(Duration::from_millis(5));
    let handle = scope.handle();
    let outcome = scope
        .run(task_group(|tg| {
            let children_done = children_done.clone();
            async move {
                for _ in 0..3 {
                    let children_done = children_done.clone();
                    tg.start_soon(anyio::finally(sleep(LONG), async move {
                        sleep(SHORT).await;
                        children_done.add();
                    }))
                    .unwrap();
                }
                sleep(LONG).await;
                Ok::<_, ()>(())
            }
        }))
        .await;
    assert_eq!(outcome, None);
    assert!(handle.cancelled_caught());
    assert_eq!(children_done.get(), 3, "no child outlived its group");
}

#[anyio::test(autojump)]
async fn errors_are_not_lost_when_an_outer_scope_is_cancelled() {
    let outcome = move_on_after(Duration::from_millis(5), async {
        let result = task_group(|tg| async move {
            tg.start_soon(async {
                CancelScope::new().shielded(true).run(sleep(SHORT)).await;
                Err("failed during outer cancellation")
            })
            .unwrap();
            sleep(LONG).await;
            Ok(())
        })
        .await;
        // The group hands its errors back even though the outer scope is cancelled.
        result
    })
    .await;
    assert_eq!(
        outcome,
        Some(Err(TaskGroupError::Failed(vec![
            "failed during outer cancellation"
        ])))
    );
}

#[anyio::test(autojump)]
async fn group_deadline_cancels_everything() {
    let result = task_group(|tg| async move {
        tg.cancel_handle()
            .set_deadline(anyio::current_time() + Duration::from_millis(5));
        tg.start_soon(sleep_forever())?;
        sleep_forever().await;
        Ok::<(), SpawnError>(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Cancelled));
}

#[anyio::test(autojump)]
async fn a_task_handle_yields_the_value() {
    let result = task_group(|tg| async move {
        let handle = tg.spawn(async {
            sleep(Duration::from_millis(1)).await;
            Ok(40 + 2)
        })?;
        assert_eq!(handle.await, Ok(42));
        Ok::<_, SpawnError>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

#[anyio::test(autojump)]
async fn cancelling_one_task_does_not_fail_the_group() {
    let sibling_finished = Flag::new();
    let result = task_group(|tg| {
        let sibling_finished = sibling_finished.clone();
        async move {
            let victim = tg
                .spawn(async {
                    sleep_forever().await;
                    Ok::<(), &str>(())
                })
                .unwrap();
            tg.start_soon(async move {
                sleep(SHORT).await;
                sibling_finished.set();
            })
            .unwrap();
            victim.cancel();
            assert_eq!(victim.await, Err(TaskError::Cancelled));
            Ok(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(sibling_finished.is_set());
}

#[anyio::test(autojump)]
async fn a_deadline_set_through_a_task_handle_cancels_that_task() {
    let result = task_group(|tg| async move {
        let handle = tg.spawn(async {
            sleep_forever().await;
            Ok(())
        })?;
        handle
            .cancel_handle()
            .set_deadline(anyio::current_time() + Duration::from_millis(5));
        assert_eq!(handle.await, Err(TaskError::Cancelled));
        Ok::<_, SpawnError>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}

#[anyio::test(autojump)]
async fn a_failed_task_handle_reports_failed_and_the_group_gets_the_error() {
    let result = task_group(|tg| async move {
        let handle = tg.spawn(async { Err::<u8, _>("broken") }).unwrap();
        let mut handle = handle;
        assert_eq!((&mut handle).await, Err(TaskError::Failed));
        Ok(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Failed(vec!["broken"])));
}

#[anyio::test(autojump)]
async fn children_can_spawn_siblings() {
    let count = Counter::new();
    let result = task_group(|tg| {
        let count = count.clone();
        async move {
            let spawner = tg.clone();
            tg.start_soon(async move {
                for _ in 0..3 {
                    let count = count.clone();
                    spawner.start_soon(async move {
                        sleep(Duration::from_millis(1)).await;
                        count.add();
                    })?;
                }
                Ok(())
            })?;
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(count.get(), 3);
}

#[anyio::test(autojump)]
async fn nested_groups_cancel_inner_children() {
    let inner_child_dropped = Flag::new();
    let result = task_group(|outer| {
        let inner_child_dropped = inner_child_dropped.clone();
        async move {
            outer
                .start_soon(async move {
                    task_group(|inner: anyio::TaskGroup<SpawnError>| async move {
                        inner.start_soon(async move {
                            let _guard = inner_child_dropped.on_drop();
                            sleep_forever().await;
                        })?;
                        sleep_forever().await;
                        Ok::<(), SpawnError>(())
                    })
                    .await
                    .map_err(|_| "inner")
                })
                .unwrap();
            sleep(SHORT).await;
            outer.cancel();
            Ok::<_, &str>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(inner_child_dropped.is_set());
}

#[anyio::test(autojump)]
async fn many_children_run_in_parallel_and_all_finish() {
    let finished = Counter::new();
    let result = task_group(|tg| {
        let finished = finished.clone();
        async move {
            for _ in 0..1000 {
                let finished = finished.clone();
                tg.start_soon(async move {
                    checkpoint().await;
                    finished.add();
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(finished.get(), 1000);
}

/// Children that spawn siblings into their own group while it already waits for them (the
/// body returned at once): the group counts every late child in and waits for it. On a real
/// clock, so that multi-threaded executors run children while others are spawned. The rare
/// interleavings of those spawns with the group's look at its counts are the loom model's
/// (`task_group/count.rs`); this checks the whole path on each backend.
#[anyio::test]
async fn children_spawned_by_children_while_the_group_waits_are_all_awaited() {
    const FIRST: usize = 200;
    const GENERATIONS: usize = 3;
    fn spawn_line(
        tg: anyio::TaskGroup<SpawnError>,
        generation: usize,
        finished: Counter,
    ) -> Result<(), SpawnError> {
        let group = tg.clone();
        tg.start_soon(async move {
            if generation % 2 == 1 {
                checkpoint().await;
            }
            if generation + 1 < GENERATIONS {
                spawn_line(group, generation + 1, finished.clone())?;
            }
            finished.add();
            Ok(())
        })
    }
    for _ in 0..20 {
        let finished = Counter::new();
        let result = task_group(|tg| {
            let finished = finished.clone();
            async move {
                for _ in 0..FIRST {
                    spawn_line(tg.clone(), 0, finished.clone())?;
                }
                Ok::<_, SpawnError>(())
            }
        })
        .await;
        assert_eq!(result, Ok(()));
        assert_eq!(
            finished.get(),
            FIRST * GENERATIONS,
            "a child outlived its group"
        );
    }
}

/// Regression: a child created its root node only when it first waited, and its body was
/// dropped after the child left its context, so the virtual timer of a cancelled child's
/// sleep stayed on the clock and the clock jumped to it.
#[anyio::test(autojump)]
async fn a_cancelled_childs_sleep_leaves_the_virtual_clock() {
    let origin = anyio::current_time();
    let finished = Flag::new();
    let finished_in_child = finished.clone();
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            sleep(Duration::from_millis(400)).await;
            finished_in_child.set();
        })?;
        sleep(Duration::from_millis(250)).await;
        let group = tg.cancel_handle();
        tg.start_soon(async move {
            sleep(Duration::from_millis(50)).await;
            group.cancel();
        })?;
        Ok::<_, SpawnError>(())
    })
    .await;
    // The body returned before the cancellation: its value stands (see the next test).
    assert_eq!(result, Ok(()));
    assert!(!finished.is_set(), "the first child was cancelled");
    assert_eq!(anyio::current_time() - origin, Duration::from_millis(300));
}

/// A child without a node of its own yet (an unnamed `start_soon` child) sees its group's
/// cancellation at a checkpoint that never waits.
#[anyio::test(autojump)]
async fn a_child_without_a_node_sees_its_group_cancelled_at_checkpoint_if_cancelled() {
    let reached = Counter::new();
    let in_child = reached.clone();
    let result = task_group(|tg| async move {
        // Cancelled first, so that no executor thread can run the child before.
        tg.cancel();
        tg.start_soon(async move {
            in_child.add();
            anyio::checkpoint_if_cancelled().await;
            in_child.add();
        })?;
        Ok::<_, SpawnError>(())
    })
    .await;
    // The body returned without waiting, so the cancellation never reached it, and a group
    // cancelled only while it waits for its children keeps the body's value (as a Trio
    // nursery ignores a `Cancelled` that arrives while it waits in `__aexit__`).
    assert_eq!(result, Ok(()));
    assert_eq!(reached.get(), 1);
}

/// A group with nothing to wait for still yields once: a loop of them lets a deadline fire.
#[anyio::test]
async fn a_loop_of_empty_groups_yields_to_its_deadline() {
    let looped = move_on_after(Duration::from_millis(10), async {
        loop {
            task_group(|_tg| async { Ok::<_, ()>(()) }).await.unwrap();
        }
    })
    .await;
    assert_eq!(looped, None::<()>);
}

/// On a single-threaded runtime, a sibling task progresses while a task loops on empty groups.
#[test]
fn a_loop_of_empty_groups_lets_a_sibling_run_on_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sibling_ran = Flag::new();
    runtime.block_on(async {
        let sibling = tokio::spawn({
            let sibling_ran = sibling_ran.clone();
            async move { sibling_ran.set() }
        });
        while !sibling_ran.is_set() {
            task_group(|_tg| async { Ok::<_, ()>(()) }).await.unwrap();
        }
        sibling.await.unwrap();
    });
}
