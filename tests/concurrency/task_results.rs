//! `TaskSet`: children's values arrive in completion order, each exactly once (also when a
//! `next` is abandoned), the set ends when every child is accounted for, and failures go to
//! the group.

use crate::common;

use std::pin::pin;
use std::sync::Arc;

use anyio::testing::wait_all_tasks_blocked;
use anyio::{
    checkpoint, move_on_after, sleep, sleep_forever, task_group, CancelScope, Duration, Event,
    SpawnError, TaskGroupError, TaskSet,
};
use futures::FutureExt;

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(3600);

#[anyio::test(autojump)]
async fn values_arrive_in_completion_order_then_the_set_ends() {
    task_group(|tg| async move {
        let mut set = TaskSet::new(&tg);
        for delay in [3, 1, 2] {
            set.spawn(async move {
                sleep(Duration::from_millis(delay)).await;
                Ok(delay)
            })?;
        }
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        while let Some(delay) = set.next().await {
            order.push(delay);
        }
        assert_eq!(order, [1, 2, 3]);
        assert!(set.is_empty());
        assert_eq!(set.next().await, None, "an empty set stays ended");
        // Like `JoinSet`, the set can be refilled after it ran dry.
        set.spawn(async { Ok(4) })?;
        assert_eq!(set.next().await, Some(4));
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn an_empty_set_ends_at_once() {
    task_group(|tg| async move {
        let mut set = TaskSet::<u8, ()>::new(&tg);
        assert_eq!(set.next().now_or_never(), Some(None));
        Ok::<_, ()>(())
    })
    .await
    .unwrap();
}

/// The regression for an abandoned `next`: it is polled until it waits, a child's value is
/// handed to it, and it is dropped without being polled again. The value must stay in the set.
#[anyio::test(autojump)]
async fn a_next_dropped_after_its_value_was_handed_over_loses_nothing() {
    task_group(|tg| async move {
        let mut set = TaskSet::new(&tg);
        let release = Arc::new(Event::new());
        let child_release = release.clone();
        set.spawn(async move {
            child_release.wait().await;
            Ok(7)
        })?;
        {
            let mut next = pin!(set.next());
            assert!(futures::poll!(next.as_mut()).is_pending());
            release.set();
            // The child sends while `next` waits, handing the value to it.
            wait_all_tasks_blocked().await;
        }
        assert_eq!(set.len(), 1, "the value was not counted as received");
        assert_eq!(set.next().now_or_never(), Some(Some(7)));
        assert_eq!(set.next().await, None);
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn a_next_cancelled_by_a_timeout_loses_nothing() {
    task_group(|tg| async move {
        let mut set = TaskSet::new(&tg);
        set.spawn(async {
            sleep(SHORT * 2).await;
            Ok("late")
        })?;
        assert_eq!(move_on_after(SHORT, set.next()).await, None);
        assert_eq!(set.next().await, Some("late"));
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn next_in_a_cancelled_scope_takes_nothing() {
    task_group(|tg| async move {
        let mut set = TaskSet::new(&tg);
        set.spawn(async { Ok(1) })?;
        wait_all_tasks_blocked().await;
        let scope = CancelScope::new();
        scope.handle().cancel();
        assert_eq!(scope.run(set.next()).await, None);
        assert_eq!(set.next().await, Some(1), "the value stayed in the set");
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn a_child_error_goes_to_the_group_and_is_not_delivered() {
    let result = task_group::<_, _, (), _>(|tg| async move {
        let mut set = TaskSet::new(&tg);
        set.spawn(async { Ok(1) }).unwrap();
        set.spawn(async {
            sleep(SHORT).await;
            Err("child failed")
        })
        .unwrap();
        set.spawn(async {
            sleep(LONG).await;
            Ok(3)
        })
        .unwrap();
        assert_eq!(set.next().await, Some(1));
        // The failure cancels the group, this body included.
        let _ = set.next().await;
        unreachable!("the body was cancelled");
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Failed(vec!["child failed"])));
}

#[anyio::test(autojump)]
async fn children_that_end_without_a_value_are_skipped() {
    let result = task_group(|tg| async move {
        let mut set = TaskSet::new(&tg);
        for _ in 0..3 {
            set.spawn(async {
                sleep_forever().await;
                Ok::<u8, ()>(0)
            })
            .unwrap();
        }
        tg.cancel();
        // Shielded, the body can still wait for the cancelled children.
        let after = CancelScope::new()
            .shielded(true)
            .run(async {
                let value = set.next().await;
                (value, set.len())
            })
            .await;
        Ok::<_, ()>(after)
    })
    .await;
    // The body returned its value in the poll in which the shielded wait ended, so it stands.
    assert_eq!(result, Ok(Some((None, 0))));
}

#[anyio::test(autojump)]
async fn a_panicking_child_is_skipped_and_the_panic_resumes_in_the_group() {
    let group = task_group::<_, _, (), ()>(|tg| async move {
        let mut set = TaskSet::new(&tg);
        set.spawn(async {
            sleep(SHORT).await;
            if std::hint::black_box(true) {
                panic!("child panicked");
            }
            Ok::<u8, ()>(0)
        })
        .unwrap();
        // Either the panic's cancellation reaches the body first, or the child's end (which
        // leaves no value) does: the set never yields a value for it.
        assert_eq!(set.next().await, None);
        sleep_forever().await;
        Ok(())
    });
    let payload = std::panic::AssertUnwindSafe(group)
        .catch_unwind()
        .await
        .expect_err("the panic resumes");
    assert_eq!(common::panic_message(&*payload), "child panicked");
}

#[anyio::test]
async fn spawning_into_a_finished_group_fails_and_leaves_the_set_consistent() {
    let mut escaped = None;
    task_group(|tg| {
        escaped = Some(tg.clone());
        async { Ok::<_, ()>(()) }
    })
    .await
    .unwrap();
    let mut set = TaskSet::new(&escaped.unwrap());
    let refused = set.spawn(async { Ok(1) });
    assert_eq!(refused, Err(SpawnError::GroupFinished));
    assert_eq!(set.next().await, None, "the refused child delivers nothing");
}

/// Many children finishing at interleaved moments, received by a `next` that is also abandoned
/// now and then: every value arrives exactly once.
#[anyio::test]
async fn stress_many_children_each_value_exactly_once() {
    const N: usize = 500;
    task_group(|tg| async move {
        let mut set = TaskSet::new(&tg);
        for index in 0..N {
            set.spawn(async move {
                for _ in 0..index % 4 {
                    checkpoint().await;
                }
                Ok(index)
            })?;
        }
        let mut seen = vec![false; N];
        let mut received = 0;
        while received < N {
            // Abandon every other `next` after one poll, whatever it was handed meanwhile.
            let value = if received % 2 == 0 {
                set.next().now_or_never().flatten()
            } else {
                set.next().await
            };
            if let Some(index) = value {
                assert!(!seen[index], "value {index} delivered twice");
                seen[index] = true;
                received += 1;
            }
            checkpoint().await;
        }
        assert_eq!(set.next().await, None);
        assert!(seen.iter().all(|&seen| seen));
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}
