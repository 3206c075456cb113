//! Virtual time (DESIGN §10): `MockClock`, autojump, `wait_all_tasks_blocked` and the
//! `Sequencer`, with exact timings on every backend.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Instant as RealInstant;

use anyio::testing::{
    run_with_clock, wait_all_tasks_blocked, MockClock, Sequencer, SequencerError,
};
use anyio::{
    checkpoint, current_effective_deadline, current_time, fail_after, move_on_after, sleep,
    sleep_forever, sleep_until, task_group, Backend, CancelScope, Duration, SpawnError,
    TaskGroupError,
};
use common::{Counter, Flag};

const HOUR: Duration = Duration::from_secs(3600);

#[anyio::test(autojump)]
async fn an_hour_of_sleep_takes_exactly_an_hour_of_virtual_time() {
    let real_start = RealInstant::now();
    let start = current_time();
    sleep(HOUR).await;
    assert_eq!(current_time() - start, HOUR);
    assert!(real_start.elapsed() < std::time::Duration::from_secs(5));
}

#[anyio::test(autojump)]
async fn fail_after_ten_seconds_fails_at_exactly_ten_seconds() {
    let start = current_time();
    let error = fail_after(Duration::from_secs(10), sleep_forever())
        .await
        .unwrap_err();
    assert_eq!(current_time() - start, Duration::from_secs(10));
    assert_eq!(error.deadline(), Some(start + Duration::from_secs(10)));
}

#[anyio::test(autojump)]
async fn nested_timeouts_cancel_at_exactly_the_outer_deadline() {
    let start = current_time();
    let outer = move_on_after(Duration::from_millis(100), async {
        let deadline = current_effective_deadline();
        move_on_after(Duration::from_secs(1), async {
            assert_eq!(current_effective_deadline(), deadline);
            sleep(HOUR).await;
        })
        .await;
        unreachable!("the outer scope catches");
    });
    let handle = outer.handle();
    assert_eq!(outer.await, None::<()>);
    assert_eq!(current_time() - start, Duration::from_millis(100));
    assert!(handle.cancelled_caught());
}

#[anyio::test(autojump)]
async fn children_wake_in_deadline_order_at_exact_times() {
    let start = current_time();
    let log = Arc::new(Mutex::new(Vec::new()));
    let result = task_group(|tg| {
        let log = log.clone();
        async move {
            for seconds in [3, 1, 2] {
                let log = log.clone();
                tg.start_soon(async move {
                    sleep(Duration::from_secs(seconds)).await;
                    log.lock().unwrap().push((seconds, current_time() - start));
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    let expected: Vec<_> = [1, 2, 3].map(|s| (s, Duration::from_secs(s))).to_vec();
    assert_eq!(*log.lock().unwrap(), expected);
    assert_eq!(current_time() - start, Duration::from_secs(3));
}

#[anyio::test(autojump)]
async fn moving_a_deadline_takes_effect_at_the_new_instant() {
    let start = current_time();
    let scoped = move_on_after(Duration::from_secs(10), sleep(HOUR));
    let handle = scoped.handle();
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            sleep(Duration::from_secs(2)).await;
            handle.set_deadline(current_time() + Duration::from_secs(30));
        })?;
        Ok::<_, SpawnError>(scoped.await)
    })
    .await;
    assert_eq!(result, Ok(None));
    assert_eq!(current_time() - start, Duration::from_secs(32));
}

#[anyio::test(autojump)]
async fn a_shield_finishes_its_sleep_inside_a_cancelled_group_at_exact_times() {
    let start = current_time();
    let result = task_group(|tg| async move {
        tg.cancel_handle()
            .set_deadline(start + Duration::from_secs(1));
        CancelScope::new()
            .shielded(true)
            .run(sleep(Duration::from_secs(5)))
            .await;
        assert_eq!(current_time() - start, Duration::from_secs(5));
        sleep(HOUR).await;
        Ok::<_, ()>(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Cancelled));
    assert_eq!(current_time() - start, Duration::from_secs(5));
}

#[anyio::test(autojump)]
async fn time_does_not_jump_while_a_task_is_runnable() {
    let start = current_time();
    let result = task_group(|tg| async move {
        tg.start_soon(sleep(Duration::from_secs(1)))?;
        for _ in 0..200 {
            checkpoint().await; // runnable throughout: no jump
            assert_eq!(current_time(), start);
        }
        Ok::<_, SpawnError>(())
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(current_time() - start, Duration::from_secs(1));
}

#[anyio::test(autojump)]
async fn wait_all_tasks_blocked_waits_for_busy_tasks() {
    let steps = Counter::new();
    let result = task_group(|tg| {
        let steps = steps.clone();
        async move {
            for _ in 0..3 {
                let steps = steps.clone();
                tg.start_soon(async move {
                    for _ in 0..50 {
                        checkpoint().await;
                        steps.add();
                    }
                    sleep_forever().await;
                })?;
            }
            let start = current_time();
            wait_all_tasks_blocked().await;
            assert_eq!(steps.get(), 150, "every child ran until it blocked");
            assert_eq!(current_time(), start, "waiters come before autojump");
            tg.cancel();
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
}

fn on_every_backend(test: impl Fn(Backend, &MockClock)) {
    for backend in Backend::available() {
        test(backend, &MockClock::new());
    }
}

#[test]
fn without_autojump_time_moves_only_on_jump() {
    on_every_backend(|backend, clock| {
        let jumper = clock.clone();
        let start = clock.now();
        run_with_clock(backend, clock, async move {
            let woke = Flag::new();
            let result = task_group(|tg| {
                let woke = woke.clone();
                async move {
                    let flag = woke.clone();
                    tg.start_soon(async move {
                        sleep(Duration::from_secs(10)).await;
                        flag.set();
                    })?;
                    wait_all_tasks_blocked().await;
                    jumper.jump(Duration::from_secs(9));
                    wait_all_tasks_blocked().await;
                    assert!(!woke.is_set(), "9 s is not enough");
                    jumper.jump(Duration::from_secs(1));
                    Ok::<_, SpawnError>(())
                }
            })
            .await;
            assert_eq!(result, Ok(()));
            assert!(woke.is_set());
            assert_eq!(current_time() - start, Duration::from_secs(10));
        });
        assert_eq!(clock.now() - start, Duration::from_secs(10));
    });
}

#[test]
fn autojump_can_be_turned_on_while_everything_waits() {
    on_every_backend(|backend, clock| {
        let switch = clock.clone();
        run_with_clock(backend, clock, async move {
            let start = current_time();
            let result = task_group(|tg| async move {
                tg.start_soon(async move {
                    wait_all_tasks_blocked().await;
                    switch.set_autojump(true);
                })?;
                sleep_until(start + HOUR).await;
                Ok::<_, SpawnError>(())
            })
            .await;
            assert_eq!(result, Ok(()));
            assert_eq!(current_time() - start, HOUR);
        });
    });
}

#[test]
fn wait_all_tasks_blocked_outside_a_mock_clock_says_what_it_needs() {
    let failure = std::panic::catch_unwind(|| {
        anyio::run(wait_all_tasks_blocked());
    })
    .unwrap_err();
    let message = common::panic_message(&*failure);
    assert!(message.contains("MockClock"), "{message}");
}

#[anyio::test(autojump)]
async fn a_sequencer_forces_the_order() {
    let sequencer = Sequencer::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let result = task_group(|tg| {
        let order = order.clone();
        async move {
            for position in [3, 1, 0, 2] {
                let (sequencer, order) = (sequencer.clone(), order.clone());
                tg.start_soon(async move {
                    let _turn = sequencer.wait(position).await.unwrap();
                    sleep(Duration::from_secs(1)).await; // holding the turn
                    order.lock().unwrap().push(position);
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
}

#[anyio::test]
async fn a_sequencer_position_cannot_be_taken_twice() {
    let sequencer = Sequencer::new();
    let first = sequencer.wait(0).await.unwrap();
    assert_eq!(
        sequencer.wait(0).await.unwrap_err(),
        SequencerError::AlreadyClaimed(0)
    );
    drop(first);
    assert_eq!(
        sequencer.wait(0).await.unwrap_err(),
        SequencerError::AlreadyClaimed(0)
    );
    let _second = sequencer.wait(1).await.unwrap();
}

#[anyio::test(autojump)]
async fn a_cancelled_sequencer_wait_gives_its_position_back() {
    let sequencer = Sequencer::new();
    assert!(move_on_after(Duration::from_secs(1), sequencer.wait(1))
        .await
        .is_none());
    let _zero = sequencer.wait(0).await.unwrap();
    drop(_zero);
    let _one = sequencer.wait(1).await.unwrap();
}
