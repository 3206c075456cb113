//! A task group whose future foreign code drops (a `select`, a foreign timeout) still ends its
//! children: each is dropped on its executor, its `finally` cleanup runs, introspection stops
//! listing it once it ended, and no child outlives the `run` call that owns it.

use crate::common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use anyio::testing::wait_all_tasks_blocked;
use anyio::{
    finally, get_running_tasks, run_with, sleep, sleep_forever, task_group, Backend, Duration,
    Event, SpawnError, TaskError, TaskId,
};
use common::Flag;
use futures::future::{select, Either};

const TICK: Duration = Duration::from_millis(5);

/// Polls `future` once, by hand, and drops it: a foreign combinator giving up on it.
fn poll_once_and_drop<F: Future>(future: F) {
    let mut future = pin!(future);
    let polled = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(polled.is_pending(), "the group ended on its first poll");
}

fn is_listed(id: TaskId) -> bool {
    get_running_tasks().iter().any(|task| task.id == id)
}

/// A child that loops on a sleep forever, counting its ticks, with a guard that proves it was
/// dropped.
async fn ticking(ticks: Arc<AtomicUsize>, dropped: Flag) {
    let _guard = dropped.on_drop();
    while ticks.fetch_add(1, Ordering::SeqCst) < usize::MAX {
        sleep(TICK).await;
    }
}

#[anyio::test(autojump)]
async fn a_group_dropped_by_select_drops_its_ticking_child() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let dropped = Flag::new();
    let group = task_group(|tg| {
        let (ticks, dropped) = (ticks.clone(), dropped.clone());
        async move {
            tg.start_soon(ticking(ticks, dropped))?;
            sleep_forever().await;
            Ok::<_, SpawnError>(())
        }
    });
    // `select` hands the losing future back: dropping its output drops the group.
    let sleep_won = matches!(
        select(Box::pin(group), Box::pin(sleep(Duration::from_millis(20)))).await,
        Either::Right(_)
    );
    assert!(sleep_won, "the sleep won");
    // Every task blocked again: the cancelled child had its turn.
    wait_all_tasks_blocked().await;
    assert!(dropped.is_set(), "the child was not dropped");
    let ticks_at_drop = ticks.load(Ordering::SeqCst);
    sleep(Duration::from_millis(50)).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        ticks_at_drop,
        "the child ticked on"
    );
}

#[anyio::test(autojump)]
async fn a_dropped_groups_child_is_listed_until_it_ended_then_no_longer() {
    let (started, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let child_id = Arc::new(std::sync::Mutex::new(None));
    let group = task_group(|tg| {
        let (started, release, child_id) = (started.clone(), release.clone(), child_id.clone());
        async move {
            tg.start_soon(async move {
                *child_id.lock().unwrap() = anyio::get_current_task().map(|task| task.id);
                // Its cleanup outlasts the group's future, as a graceful close would.
                finally(sleep_forever(), async move {
                    started.set();
                    release.wait().await;
                })
                .await;
            })?;
            sleep_forever().await;
            Ok::<_, SpawnError>(())
        }
    });
    // `select` hands the losing future back: dropping its output drops the group.
    let sleep_won = matches!(
        select(Box::pin(group), Box::pin(sleep(TICK))).await,
        Either::Right(_)
    );
    assert!(sleep_won);
    // Dropping the group cancelled the child, whose cleanup now waits for `release`.
    started.wait().await;
    let id = child_id.lock().unwrap().expect("the child ran");
    assert!(is_listed(id), "a child still cleaning up is not listed");
    release.set();
    wait_all_tasks_blocked().await;
    assert!(!is_listed(id), "an ended child is still listed");
}

#[anyio::test(autojump)]
async fn a_group_dropped_while_waiting_for_its_children_ends_them() {
    let dropped = Flag::new();
    let group = task_group(|tg| {
        let dropped = dropped.clone();
        async move {
            tg.start_soon(async move {
                let _guard = dropped.on_drop();
                sleep_forever().await;
            })?;
            // The body returns at once: the group waits for its child.
            Ok::<_, SpawnError>(())
        }
    });
    // `select` hands the losing future back: dropping its output drops the group.
    let sleep_won = matches!(
        select(Box::pin(group), Box::pin(sleep(TICK))).await,
        Either::Right(_)
    );
    assert!(sleep_won);
    wait_all_tasks_blocked().await;
    assert!(dropped.is_set());
}

#[anyio::test(autojump)]
async fn a_task_handle_of_a_dropped_group_reports_cancelled() {
    let (handles_tx, handles_rx) = std::sync::mpsc::channel();
    let group = task_group(|tg| async move {
        let handle = tg
            .spawn(async {
                sleep_forever().await;
                Ok::<_, ()>(1)
            })
            .unwrap();
        handles_tx.send(handle).unwrap();
        sleep_forever().await;
        Ok::<_, ()>(())
    });
    // `select` hands the losing future back: dropping its output drops the group.
    let sleep_won = matches!(
        select(Box::pin(group), Box::pin(sleep(TICK))).await,
        Either::Right(_)
    );
    assert!(sleep_won);
    let handle = handles_rx.recv().unwrap();
    assert_eq!(handle.await, Err(TaskError::Cancelled));
}

#[anyio::test(autojump)]
async fn a_group_dropped_before_its_child_first_ran_still_ends_it() {
    let dropped = Flag::new();
    poll_once_and_drop(task_group(|tg| {
        let dropped = dropped.clone();
        async move {
            let guard = dropped.on_drop();
            tg.start_soon(async move {
                let _guard = guard;
                sleep_forever().await;
            })?;
            sleep_forever().await;
            Ok::<_, SpawnError>(())
        }
    }));
    wait_all_tasks_blocked().await;
    assert!(dropped.is_set());
}

/// `run_with` returns only after every child of a group dropped inside it ended, on every
/// backend, including one whose `finally` cleanup still had to run.
#[test]
fn no_child_of_a_dropped_group_outlives_run_with() {
    for backend in Backend::available() {
        let (dropped, cleaned_up) = (Flag::new(), Flag::new());
        let ticks = Arc::new(AtomicUsize::new(0));
        run_with(backend, {
            let (dropped, cleaned_up, ticks) = (dropped.clone(), cleaned_up.clone(), ticks.clone());
            async move {
                let group = task_group(|tg| async move {
                    tg.start_soon(ticking(ticks, dropped))?;
                    tg.start_soon(finally(sleep_forever(), async move {
                        sleep(Duration::from_millis(10)).await;
                        cleaned_up.set();
                    }))?;
                    sleep_forever().await;
                    Ok::<_, SpawnError>(())
                });
                select(Box::pin(group), Box::pin(sleep(Duration::from_millis(20)))).await;
                // Returns at once: the run itself must wait for the children.
            }
        });
        assert!(dropped.is_set(), "{backend:?}: a child outlived run_with");
        assert!(
            cleaned_up.is_set(),
            "{backend:?}: run_with returned before a child's cleanup ended"
        );
        let ticks_after = ticks.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(ticks.load(Ordering::SeqCst), ticks_after, "{backend:?}");
    }
}

/// A group dropped by tokio's own combinators inside a plain tokio runtime (no anyio entry
/// point) ends its children too.
#[test]
fn a_group_dropped_by_tokio_timeout_and_select_ends_its_children() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for use_select in [false, true] {
            let ended = Arc::new(Event::new());
            let group = task_group(|tg| {
                let ended = ended.clone();
                async move {
                    tg.start_soon(async move {
                        let _set = SetOnDrop(ended);
                        sleep_forever().await;
                    })?;
                    sleep_forever().await;
                    Ok::<_, SpawnError>(())
                }
            });
            let limit = std::time::Duration::from_millis(10);
            if use_select {
                tokio::select! {
                    _ = group => unreachable!("the group never ends by itself"),
                    () = tokio::time::sleep(limit) => {}
                }
            } else {
                assert!(tokio::time::timeout(limit, group).await.is_err());
            }
            // Bounded only so that a regression fails instead of hanging.
            tokio::time::timeout(std::time::Duration::from_secs(10), ended.wait())
                .await
                .expect("the child of the dropped group was never dropped");
        }
    });
}

/// Sets an event when dropped.
struct SetOnDrop(Arc<Event>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// Groups dropped at every moment of their life (while children spawn, run, end or spawn
/// siblings): when `run_with` returns, every child that was ever spawned has been dropped or
/// has ended, on every backend.
#[test]
fn stress_groups_dropped_at_any_moment_leave_no_child_behind() {
    for backend in Backend::available() {
        for round in 0..100u64 {
            let live = Arc::new(AtomicUsize::new(0));
            run_with(backend, {
                let live = live.clone();
                async move {
                    let group = task_group(|tg| async move {
                        for child in 0..8u64 {
                            let (live, tg_inner) = (live.clone(), tg.clone());
                            // Moved in, so that it counts down also when the child is dropped
                            // before its first poll.
                            let alive = CountDown::new(&live);
                            tg.start_soon(async move {
                                let _alive = alive;
                                for _ in 0..(round + child) % 4 {
                                    anyio::checkpoint().await;
                                }
                                if child % 3 == 0 {
                                    // A sibling spawned from a child, maybe after the drop.
                                    let alive = CountDown::new(&live);
                                    // Refused once the group closed; then it counts down here.
                                    let _ = tg_inner.start_soon(async move {
                                        let _alive = alive;
                                        sleep_forever().await;
                                    });
                                }
                                sleep_forever().await;
                            })?;
                        }
                        sleep_forever().await;
                        Ok::<_, SpawnError>(())
                    });
                    let mut group = pin!(group);
                    for _ in 0..round % 6 {
                        let _ = futures::poll!(group.as_mut());
                        anyio::checkpoint().await;
                    }
                }
            });
            assert_eq!(
                live.load(Ordering::SeqCst),
                0,
                "{backend:?}, round {round}: a child outlived run_with"
            );
        }
    }
}

/// Counts a live child up when made and down when dropped.
struct CountDown(Arc<AtomicUsize>);

impl CountDown {
    fn new(live: &Arc<AtomicUsize>) -> CountDown {
        live.fetch_add(1, Ordering::SeqCst);
        CountDown(live.clone())
    }
}

impl Drop for CountDown {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A wake of a dropped group's node that is not the last child's end (here a spawn refused
/// because the group closed) must not end the run's wait for the children still running.
#[test]
fn a_refused_spawn_into_a_dropped_group_does_not_end_the_wait_for_its_children() {
    for backend in Backend::available() {
        let finished = Flag::new();
        run_with(backend, {
            let finished = finished.clone();
            async move {
                let (started, go) = (Arc::new(Event::new()), Arc::new(Event::new()));
                let group = task_group(|tg| {
                    let (started, go) = (started.clone(), go.clone());
                    async move {
                        let inner = tg.clone();
                        let shielded = anyio::CancelScope::new().shielded(true);
                        tg.start_soon(async move {
                            shielded
                                .run(async move {
                                    started.set();
                                    go.wait().await;
                                    let refused = inner.start_soon(async {});
                                    assert!(refused.is_err(), "a dropped group took a child");
                                    sleep(Duration::from_millis(10)).await;
                                    finished.set();
                                })
                                .await;
                        })?;
                        sleep_forever().await;
                        Ok::<_, SpawnError>(())
                    }
                });
                let mut group = Box::pin(group);
                assert!(futures::poll!(group.as_mut()).is_pending());
                started.wait().await;
                drop(group);
                go.set();
            }
        });
        assert!(
            finished.is_set(),
            "{backend:?}: run_with returned while a child of a dropped group still ran"
        );
    }
}
