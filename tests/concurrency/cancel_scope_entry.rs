//! What happens when a scope is entered: relative deadlines count from the first poll, and a
//! scope creates its node in the scope tree only when something needs it (docs/ARCHITECTURE.md
//! §3). Every test here checks that the on-demand node behaves exactly as an eager one would.

use crate::common;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;

use anyio::{
    checkpoint, checkpoint_if_cancelled, current_effective_deadline, current_time, fail_after,
    get_running_tasks, move_on_after, move_on_at, sleep, sleep_forever, task_group, CancelScope,
    Duration,
};
use common::Flag;
use futures::FutureExt;

const LONG: Duration = Duration::from_secs(3600);
const TIMEOUT: Duration = Duration::from_secs(10);
const WAIT: Duration = Duration::from_secs(5);

#[anyio::test(autojump)]
async fn move_on_after_counts_from_the_first_poll_not_from_the_call() {
    let scoped = move_on_after(TIMEOUT, async { current_effective_deadline() });
    sleep(WAIT).await;
    let entered = current_time();
    assert_eq!(scoped.await, Some(Some(entered + TIMEOUT)));
}

#[anyio::test(autojump)]
async fn fail_after_counts_from_the_first_poll_and_reports_that_deadline() {
    let operation = fail_after(TIMEOUT, sleep_forever());
    sleep(WAIT).await;
    let entered = current_time();
    let error = operation.await.unwrap_err();
    assert_eq!(error.deadline(), Some(entered + TIMEOUT));
    assert_eq!(current_time(), entered + TIMEOUT);
}

#[anyio::test(autojump)]
async fn with_timeout_counts_from_the_first_poll() {
    let scope = CancelScope::new().with_timeout(TIMEOUT);
    sleep(WAIT).await;
    let entered = current_time();
    let outcome = scope.run(sleep(LONG)).await;
    assert_eq!(outcome, None);
    assert_eq!(current_time(), entered + TIMEOUT);
}

#[anyio::test(autojump)]
async fn a_handle_taken_before_entry_fixes_a_relative_deadline_then() {
    let scoped = move_on_after(TIMEOUT, sleep(LONG));
    let taken = current_time();
    let handle = scoped.handle();
    assert_eq!(handle.deadline(), Some(taken + TIMEOUT));
    sleep(WAIT).await;
    assert_eq!(scoped.await, None);
    assert_eq!(current_time(), taken + TIMEOUT);
    assert!(handle.cancelled_caught());

    // The same through the builder: a deadline set after the handle exists is set at once.
    let scope = CancelScope::new();
    let handle = scope.handle();
    let scope = scope.with_timeout(TIMEOUT);
    let set = current_time();
    assert_eq!(handle.deadline(), Some(set + TIMEOUT));
    sleep(WAIT).await;
    assert_eq!(scope.run(sleep(LONG)).await, None);
    assert_eq!(current_time(), set + TIMEOUT);
}

#[anyio::test(autojump)]
async fn an_absolute_deadline_keeps_its_instant() {
    let deadline = current_time() + TIMEOUT;
    let scoped = move_on_at(deadline, sleep(LONG));
    sleep(WAIT).await;
    assert_eq!(scoped.await, None);
    assert_eq!(current_time(), deadline);
}

#[anyio::test(autojump)]
async fn a_zero_timeout_cancels_on_entry_but_a_ready_body_still_wins() {
    let scoped = move_on_after(Duration::ZERO, async { 7 });
    let handle = scoped.handle();
    assert_eq!(scoped.await, Some(7));
    assert!(handle.cancel_called(), "the deadline had passed on entry");
    assert!(!handle.cancelled_caught());

    let reached = Flag::new();
    let outcome = move_on_after(Duration::ZERO, async {
        checkpoint_if_cancelled().await;
        reached.set();
    })
    .await;
    assert_eq!(outcome, None);
    assert!(!reached.is_set());
}

#[anyio::test(autojump)]
async fn a_handle_taken_after_a_scope_ended_reports_its_deadline() {
    let mut scoped = pin!(move_on_after(TIMEOUT, async { 1 }));
    let entered = current_time();
    assert_eq!(scoped.as_mut().await, Some(1));
    let handle = scoped.handle();
    assert_eq!(handle.deadline(), Some(entered + TIMEOUT));
    assert!(!handle.cancel_called());
    assert!(!handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn a_fresh_scope_sees_its_enclosing_cancellation_without_a_node() {
    let outer = CancelScope::new();
    let handle = outer.handle();
    handle.cancel();
    let reached = Flag::new();
    let outcome = outer
        .run(CancelScope::new().run(async {
            checkpoint_if_cancelled().await;
            reached.set();
        }))
        .await;
    assert_eq!(outcome, None);
    assert!(!reached.is_set());
    assert!(handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn a_fresh_shielded_scope_is_not_cancelled_by_its_enclosing_scope() {
    let outer = CancelScope::new();
    outer.handle().cancel();
    let reached = Flag::new();
    let outcome = outer
        .run(CancelScope::new().shielded(true).run(async {
            checkpoint_if_cancelled().await;
            checkpoint().await;
            reached.set();
        }))
        .await;
    assert_eq!(outcome, Some(Some(())));
    assert!(reached.is_set());
}

#[anyio::test(autojump)]
async fn nested_fresh_scopes_see_every_enclosing_deadline() {
    let entered = current_time();
    let deadlines = move_on_after(TIMEOUT, async {
        let inner = move_on_after(LONG, async {
            CancelScope::new()
                .run(async { current_effective_deadline() })
                .await
        })
        .await;
        (current_effective_deadline(), inner)
    })
    .await;
    let outer = Some(entered + TIMEOUT);
    assert_eq!(deadlines, Some((outer, Some(Some(outer)))));
}

#[anyio::test(autojump)]
async fn a_node_created_inside_a_scope_is_cancelled_with_it() {
    // The group asks for the current scope during the timeout's first poll, which creates the
    // timeout's node there; the timeout must then still cancel the group and catch.
    let entered = current_time();
    let outcome = move_on_after(TIMEOUT, async {
        task_group(|tg| async move {
            tg.start_soon(sleep_forever())?;
            sleep_forever().await;
            Ok::<_, anyio::SpawnError>(())
        })
        .await
    })
    .await;
    assert!(outcome.is_none(), "the timeout caught: {outcome:?}");
    assert_eq!(current_time(), entered + TIMEOUT);
}

#[anyio::test(autojump)]
async fn children_of_a_group_inside_a_fresh_scope_are_listed() {
    let listed = move_on_after(TIMEOUT, async {
        task_group(|tg| async move {
            tg.task()
                .name("inside a fresh scope")
                .start_soon(sleep_forever())?;
            checkpoint().await;
            let names: Vec<_> = get_running_tasks()
                .into_iter()
                .filter_map(|task| task.name)
                .collect();
            tg.cancel();
            Ok::<_, anyio::SpawnError>(names)
        })
        .await
    })
    .await;
    let names = listed.expect("no timeout").expect("group body ran");
    assert!(
        names.iter().any(|name| name == "inside a fresh scope"),
        "{names:?}"
    );
}

#[anyio::test(autojump)]
async fn a_panic_inside_a_fresh_scope_restores_the_enclosing_scope() {
    let outer = CancelScope::new().with_timeout(TIMEOUT);
    let entered = current_time();
    let after = outer
        .run(async {
            for ask_for_the_scope in [false, true] {
                let panicked = AssertUnwindSafe(CancelScope::new().run(async move {
                    if ask_for_the_scope {
                        // Creates the inner scope's node before unwinding.
                        let _ = current_effective_deadline();
                    }
                    panic!("inside the scope");
                }))
                .catch_unwind()
                .await;
                assert!(panicked.is_err());
            }
            current_effective_deadline()
        })
        .await;
    assert_eq!(after, Some(Some(entered + TIMEOUT)));
}

fn assert_send_and_sync<T: Send + Sync>(_: &T) {}

#[test]
fn scopes_and_their_futures_are_send_and_sync() {
    assert_send_and_sync(&CancelScope::new());
    let scoped = move_on_after(TIMEOUT, async {});
    assert_send_and_sync(&scoped);
    fn is_future<F: Future>(_: &F) {}
    is_future(&scoped);
}
