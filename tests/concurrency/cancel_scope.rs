//! Cancel scopes, timeouts, shields, `finally` and cancellation points (DESIGN §4).

use crate::common;

use std::time::Duration as StdDuration;

use anyio::{
    cancelled, checkpoint, checkpoint_if_cancelled, current_effective_deadline, current_time,
    fail_after, fail_at, finally, move_on_after, move_on_at, sleep, sleep_forever, sleep_until,
    task_group, CancelScope, Duration, TaskGroupError,
};
use common::Flag;

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(3600);

#[anyio::test(autojump)]
async fn a_ready_body_wins() {
    assert_eq!(CancelScope::new().run(async { 5 }).await, Some(5));
    let scope = CancelScope::new();
    let handle = scope.handle();
    assert_eq!(scope.run(async { handle.cancel() }).await, Some(()));
    assert!(handle.cancel_called());
    assert!(
        !handle.cancelled_caught(),
        "the body completed before blocking"
    );
}

#[anyio::test(autojump)]
async fn a_scope_cancelled_before_run_cancels_at_the_first_blocking_point() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    handle.cancel();
    let (before, after) = (Flag::new(), Flag::new());
    let outcome = scope
        .run(async {
            before.set();
            sleep(LONG).await;
            after.set();
        })
        .await;
    assert_eq!(outcome, None);
    assert!(before.is_set(), "code before the first await runs");
    assert!(
        !after.is_set(),
        "nothing runs past the first blocking point"
    );
    assert!(handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn nested_timeouts_cancel_at_the_outer_deadline_and_only_the_outer_catches() {
    let outer = move_on_after(SHORT, async {
        let outer_deadline = current_effective_deadline().expect("outer deadline");
        let inner = move_on_after(Duration::from_secs(1), async {
            assert_eq!(current_effective_deadline(), Some(outer_deadline));
            sleep(LONG).await;
        });
        let inner_handle = inner.handle();
        let (_, inner_handle) = futures::join!(
            async {
                inner.await;
                unreachable!("the inner scope must not resolve: the outer one catches");
            },
            async { inner_handle }
        );
        drop(inner_handle);
    });
    let outer_handle = outer.handle();
    let started = current_time();
    assert_eq!(outer.await, None);
    assert_eq!(current_time() - started, SHORT);
    assert!(outer_handle.cancel_called());
    assert!(outer_handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn only_the_outer_scope_is_marked_when_its_deadline_ends_both() {
    let inner_scope = CancelScope::new().with_timeout(Duration::from_secs(1));
    let inner = inner_scope.handle();
    let outer_scope = CancelScope::new().with_timeout(SHORT);
    let outer = outer_scope.handle();
    let outcome = outer_scope
        .run(async move { inner_scope.run(sleep(LONG)).await })
        .await;
    assert_eq!(outcome, None);
    assert!(outer.cancel_called() && outer.cancelled_caught());
    assert!(!inner.cancel_called() && !inner.cancelled_caught());
}

#[anyio::test(autojump)]
async fn the_outermost_cancelled_scope_catches() {
    let inner_scope = CancelScope::new();
    let inner = inner_scope.handle();
    let outer_scope = CancelScope::new();
    let outer = outer_scope.handle();
    let outcome = outer_scope
        .run(async move {
            inner_scope
                .run(async {
                    inner.cancel();
                    outer.cancel();
                    checkpoint().await;
                })
                .await
        })
        .await;
    assert_eq!(outcome, None);
}

#[anyio::test(autojump)]
async fn fail_after_reports_its_deadline() {
    let started = current_time();
    let error = fail_after(SHORT, sleep(LONG)).await.unwrap_err();
    assert_eq!(current_time() - started, SHORT);
    assert_eq!(error.deadline(), Some(started + SHORT));
    assert_eq!(fail_after(LONG, async { 3 }).await, Ok(3));
    let deadline = current_time() + SHORT;
    assert_eq!(
        fail_at(deadline, sleep_forever())
            .await
            .unwrap_err()
            .deadline(),
        Some(deadline)
    );
}

#[anyio::test(autojump)]
async fn fail_after_is_no_timeout_when_a_scope_is_cancelled_by_hand() {
    // A manual cancel of a scope inside: that scope catches, fail_after completes.
    let inner = fail_after(LONG, async {
        let scope = CancelScope::new();
        scope.handle().cancel();
        scope.run(sleep_forever()).await
    })
    .await;
    assert_eq!(inner, Ok(None));

    // A manual cancel of an enclosing scope: fail_after does not resolve at all (no
    // TimeoutError); the enclosing scope catches.
    let outer = CancelScope::new();
    let handle = outer.handle();
    let outcome = outer
        .run(async {
            let result = fail_after(LONG, async {
                handle.cancel();
                sleep_forever().await
            })
            .await;
            unreachable!("fail_after resolved with {result:?}");
        })
        .await;
    assert_eq!(outcome, None::<()>);
    assert!(handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn a_shield_runs_to_completion_inside_a_cancelled_group() {
    let shielded_done = Flag::new();
    let after_shield = Flag::new();
    let result = task_group(|tg| {
        let (shielded_done, after_shield) = (shielded_done.clone(), after_shield.clone());
        async move {
            tg.cancel();
            let deadline_inside = CancelScope::new()
                .shielded(true)
                .with_timeout(Duration::from_secs(60))
                .run(async {
                    let deadline = current_effective_deadline();
                    sleep(SHORT).await;
                    shielded_done.set();
                    deadline
                })
                .await
                .expect("shielded scope completes");
            // The shield's own deadline, not "already cancelled".
            assert!(deadline_inside.unwrap() > current_time() + Duration::from_secs(30));
            sleep(SHORT).await;
            after_shield.set();
            Ok::<_, ()>(())
        }
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Cancelled));
    assert!(shielded_done.is_set());
    assert!(
        !after_shield.is_set(),
        "the next blocking call after the shield is cancelled"
    );
}

#[anyio::test(autojump)]
async fn a_shield_keeps_its_own_cancel_and_deadline() {
    let by_deadline = CancelScope::new()
        .shielded(true)
        .with_timeout(SHORT)
        .run(sleep(LONG))
        .await;
    assert_eq!(by_deadline, None);

    let scope = CancelScope::new().shielded(true);
    let handle = scope.handle();
    let by_call = scope
        .run(async {
            handle.cancel();
            sleep(LONG).await
        })
        .await;
    assert_eq!(by_call, None);
    assert!(handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn lowering_a_shield_lets_the_outer_cancellation_in() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let inner = CancelScope::new().shielded(true);
    let inner_handle = inner.handle();
    let outcome = outer
        .run(async move {
            outer_handle.cancel();
            inner
                .run(async {
                    sleep(SHORT).await; // shielded: completes
                    inner_handle.set_shield(false);
                    sleep(LONG).await; // now cancelled through the outer scope
                })
                .await
        })
        .await;
    assert_eq!(outcome, None);
}

#[anyio::test(autojump)]
async fn finally_cleanup_runs_after_cancellation_within_its_own_timeout() {
    let cleanup_done = Flag::new();
    let cleanup_bounded = Flag::new();
    let outcome = move_on_after(SHORT, async {
        finally(sleep(LONG), async {
            sleep(Duration::from_millis(5)).await;
            cleanup_done.set();
            // A cleanup that would hang is bounded by its own timeout.
            if move_on_after(SHORT, sleep_forever()).await.is_none() {
                cleanup_bounded.set();
            }
        })
        .await
    })
    .await;
    assert_eq!(outcome, None);
    assert!(cleanup_done.is_set());
    assert!(cleanup_bounded.is_set());
}

#[anyio::test(autojump)]
async fn finally_cleanup_runs_after_normal_completion_too() {
    let cleanup_done = Flag::new();
    let value = finally(async { 9 }, async {
        checkpoint().await;
        cleanup_done.set();
    })
    .await;
    assert_eq!(value, 9);
    assert!(cleanup_done.is_set());
}

#[anyio::test(autojump)]
async fn set_deadline_moves_the_deadline_both_ways() {
    // Later: the original deadline no longer fires.
    let scoped = move_on_after(Duration::from_millis(5), async {
        sleep(SHORT * 2).await;
        "finished"
    });
    scoped.handle().set_deadline(current_time() + LONG);
    assert_eq!(scoped.await, Some("finished"));

    // Earlier, while the body already waits.
    let scope = CancelScope::new().with_deadline(current_time() + LONG);
    let handle = scope.handle();
    let started = current_time();
    let outcome = task_group(|tg| async move {
        tg.start_soon(async move {
            sleep(Duration::from_millis(5)).await;
            handle.set_deadline(current_time() + Duration::from_millis(5));
        })?;
        Ok::<_, anyio::SpawnError>(scope.run(sleep(LONG)).await)
    })
    .await;
    assert_eq!(outcome, Ok(None));
    assert_eq!(current_time() - started, Duration::from_millis(10));
}

#[anyio::test(autojump)]
async fn foreign_futures_are_cancelled() {
    assert_eq!(
        move_on_after(SHORT, std::future::pending::<()>()).await,
        None
    );
    assert_eq!(
        move_on_after(SHORT, futures::future::pending::<u8>()).await,
        None
    );
}

#[anyio::test(backends = "tokio")]
async fn a_tokio_socket_read_is_cancelled() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (client, accepted) =
        tokio::join!(tokio::net::TcpStream::connect(address), listener.accept());
    let (mut client, _server) = (client.unwrap(), accepted.unwrap());
    let mut buffer = [0u8; 16];
    let outcome = move_on_after(SHORT, client.read(&mut buffer)).await;
    assert!(
        outcome.is_none(),
        "the read never completes: the peer sends nothing"
    );
}

#[anyio::test(backends = "smol, async-std")]
async fn an_async_io_socket_read_is_cancelled() {
    use futures::AsyncReadExt;
    let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (client, accepted) =
        futures::join!(smol::net::TcpStream::connect(address), listener.accept());
    let (mut client, _server) = (client.unwrap(), accepted.unwrap());
    let mut buffer = [0u8; 16];
    let outcome = move_on_after(SHORT, client.read(&mut buffer)).await;
    assert!(outcome.is_none());
}

// Real time: the canceller is a plain thread that anyio's clock knows nothing about.
#[anyio::test]
async fn cancelling_from_another_thread_wakes_the_body_promptly() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(StdDuration::from_millis(10));
        handle.cancel();
    });
    let started = current_time();
    assert_eq!(scope.run(sleep_forever()).await, None);
    // Woken by the cancel itself, not by some later timer: well under the test's limit.
    assert!(current_time() - started < Duration::from_secs(10));
    canceller.join().unwrap();
}

#[anyio::test(autojump)]
async fn a_deadline_in_the_past_cancels_on_entry() {
    let past = current_time() - Duration::from_millis(1);
    let reached = Flag::new();
    let outcome = move_on_at(past, async {
        checkpoint().await;
        reached.set();
    })
    .await;
    assert_eq!(outcome, None);
    assert!(!reached.is_set());
}

#[anyio::test(autojump)]
async fn huge_durations_and_instants_do_not_panic() {
    assert_eq!(move_on_after(SHORT, sleep(Duration::MAX)).await, None);
    let never = CancelScope::new().with_timeout(Duration::MAX);
    assert_eq!(
        never.handle().deadline(),
        None,
        "unrepresentable means no deadline"
    );
    assert_eq!(never.run(async { 1 }).await, Some(1));
    assert_eq!(move_on_after(Duration::MAX, async { 2 }).await, Some(2));
    let far = current_time() + Duration::from_secs(100 * 365 * 24 * 3600);
    assert_eq!(move_on_after(SHORT, sleep_until(far)).await, None);
    assert_eq!(fail_after(Duration::MAX, async { 3 }).await, Ok(3));
}

#[anyio::test(autojump)]
async fn sleep_zero_still_yields() {
    let other_ran = Flag::new();
    let result = task_group(|tg| {
        let other_ran = other_ran.clone();
        async move {
            let flag = other_ran.clone();
            tg.start_soon(async move { flag.set() })?;
            // On a single-threaded executor the child only runs if we yield.
            for _ in 0..100 {
                if other_ran.is_set() {
                    break;
                }
                sleep(Duration::ZERO).await;
            }
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert!(other_ran.is_set());
}

#[anyio::test(autojump)]
async fn checkpoints_notice_cancellation() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let after_checkpoint = Flag::new();
    let outcome = scope
        .run(async {
            checkpoint_if_cancelled().await; // not cancelled: passes without yielding
            handle.cancel();
            checkpoint_if_cancelled().await; // cancelled: never completes
            after_checkpoint.set();
        })
        .await;
    assert_eq!(outcome, None);
    assert!(!after_checkpoint.is_set());
}

#[anyio::test(autojump)]
async fn cancelled_resolves_when_the_scope_is_cancelled() {
    let noticed = Flag::new();
    let outcome = move_on_after(SHORT, async {
        cancelled().await;
        noticed.set();
        sleep(LONG).await;
    })
    .await;
    assert_eq!(outcome, None);
    assert!(noticed.is_set());
}

#[anyio::test(autojump)]
async fn effective_deadline_stops_at_a_shield_and_is_now_when_cancelled() {
    assert_eq!(current_effective_deadline(), None);
    move_on_after(SHORT, async {
        let outer = current_effective_deadline().unwrap();
        let inside_shield = CancelScope::new()
            .shielded(true)
            .run(async { current_effective_deadline() })
            .await
            .unwrap();
        assert_eq!(inside_shield, None, "a shield hides the outer deadline");
        let scope = CancelScope::new();
        scope.handle().cancel();
        let now_before = current_time();
        let cancelled_deadline = scope
            .run(async { current_effective_deadline() })
            .await
            .unwrap()
            .unwrap();
        assert!(cancelled_deadline >= now_before && cancelled_deadline < outer);
    })
    .await;
}

#[anyio::test(autojump)]
async fn a_scope_dropped_midway_leaves_no_trace_in_its_parent() {
    let outer = CancelScope::new();
    let handle = outer.handle();
    let outcome = outer
        .run(async {
            for _ in 0..100 {
                // Each inner scope is dropped while pending by the 0-timeout move_on.
                let inner = CancelScope::new().run(sleep_forever());
                assert!(move_on_after(Duration::ZERO, inner).await.is_none());
            }
            handle.cancel();
            sleep_forever().await
        })
        .await;
    assert_eq!(outcome, None);
}

// Scopes join their parent lazily (when their body first blocks); a check during the first poll
// of a fresh scope must still see a cancellation that already reached an enclosing scope.
#[anyio::test(autojump)]
async fn a_fresh_inner_scope_sees_an_enclosing_cancellation_on_its_first_poll() {
    let outer = CancelScope::new();
    outer.handle().cancel();
    let past_check = Flag::new();
    let outcome = outer
        .run(async {
            CancelScope::new()
                .run(async {
                    checkpoint_if_cancelled().await;
                    past_check.set();
                })
                .await
        })
        .await;
    assert_eq!(outcome, None);
    assert!(!past_check.is_set());
}
