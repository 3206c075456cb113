//! `BlockingPortal` (DESIGN §9): plain threads calling into an anyio event loop that runs in its
//! own thread, on every backend.

use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use anyio::thread::{PortalStartError, PortalTask};
use anyio::{
    current_backend, sleep, sleep_forever, start_blocking_portal, Backend, BlockingPortal,
    CancelScope, Duration, PortalError, TaskStatus,
};
use common::{panic_message, Flag};

fn on_every_backend(test: impl Fn(Backend)) {
    for backend in Backend::available() {
        test(backend);
    }
}

#[test]
fn call_runs_futures_on_the_portal_backend() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let seen = portal.call(async {
            sleep(Duration::from_millis(1)).await;
            current_backend()
        });
        assert_eq!(seen, Ok(Some(backend)));
        assert_eq!(portal.call_sync(current_backend), Ok(Some(backend)));
        portal.stop(false);
    });
}

#[test]
fn calls_from_many_threads_are_served_concurrently() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        std::thread::scope(|threads| {
            for index in 0..4u32 {
                let portal = &portal;
                threads.spawn(move || {
                    let value = portal.call(async move {
                        sleep(Duration::from_millis(5)).await;
                        index * 10
                    });
                    assert_eq!(value, Ok(index * 10));
                });
            }
        });
    });
}

#[test]
fn start_task_returns_the_started_value_and_keeps_the_task_running() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let still_running = Flag::new();
        let flag = still_running.clone();
        let (port, task) = portal
            .start_task(|status: TaskStatus<u16>| async move {
                status.started(8080);
                sleep(Duration::from_millis(20)).await;
                flag.set();
                "done"
            })
            .unwrap();
        assert_eq!(port, 8080);
        portal.stop(false); // waits for the task
        assert!(still_running.is_set());
        assert_eq!(task.join(), Ok("done"));
    });
}

#[test]
fn start_task_that_never_starts_is_an_error_carrying_its_output() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let never_started = portal.start_task(|_status: TaskStatus<()>| async { 5 });
        assert_eq!(
            never_started.map(|(value, _)| value),
            Err(PortalStartError::NotStarted(5))
        );
    });
}

#[test]
fn an_error_returned_by_a_portal_task_goes_to_its_caller_only() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let sibling = portal.start_task_soon(sleep_forever()).unwrap();
        let before_started =
            portal.start_task(|_status: TaskStatus<u16>| async { Err::<(), _>("no port") });
        assert_eq!(
            before_started.map(|(port, _)| port),
            Err(PortalStartError::NotStarted(Err("no port")))
        );
        let (_, after_started) = portal
            .start_task(|status: TaskStatus<()>| async move {
                status.started(());
                Err::<(), _>("lost the connection")
            })
            .unwrap();
        assert_eq!(after_started.join(), Ok(Err("lost the connection")));
        assert_eq!(
            portal.call(async { Err::<(), _>("failed") }),
            Ok(Err("failed"))
        );
        assert_eq!(portal.call(async { 3 }), Ok(3));
        sibling.cancel();
        assert_eq!(sibling.join().map(drop), Err(PortalError::Cancelled));
        portal.stop(false);
    });
}

#[test]
fn tasks_can_be_cancelled_one_by_one_or_on_stop() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let task: PortalTask<_> = portal.start_task_soon(sleep_forever()).unwrap();
        task.cancel();
        assert_eq!(task.join().map(drop), Err(PortalError::Cancelled));

        let remaining = portal.start_task_soon(sleep_forever()).unwrap();
        portal.stop(true);
        assert_eq!(remaining.join().map(drop), Err(PortalError::Cancelled));
        assert_eq!(portal.call(async { 1 }), Err(PortalError::Stopped));
    });
}

fn panics_with(message: &'static str) -> impl Fn() {
    move || {
        if std::hint::black_box(true) {
            panic!("{message}");
        }
    }
}

/// Runs `call` on this thread and returns the message of the panic it resumed.
fn panic_of<R>(call: impl FnOnce() -> R) -> String {
    let payload = catch_unwind(AssertUnwindSafe(call))
        .map(drop)
        .expect_err("the call resumed a panic");
    panic_message(&*payload)
}

#[test]
fn a_panicking_portal_task_fails_its_caller_only_and_the_portal_keeps_serving() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        // A sibling that must live through all the panics below.
        let sibling_dropped = Flag::new();
        let guard = sibling_dropped.on_drop();
        let sibling = portal
            .start_task_soon(async move {
                let _guard = guard;
                sleep_forever().await;
            })
            .unwrap();

        let before_started = panic_of(|| {
            portal.start_task(|_status: TaskStatus<u16>| async {
                panics_with("failed before started")();
            })
        });
        assert_eq!(before_started, "failed before started");

        let (port, after_started) = portal
            .start_task(|status: TaskStatus<u16>| async move {
                status.started(8080);
                sleep(Duration::from_millis(1)).await;
                panics_with("failed after started")();
            })
            .unwrap();
        assert_eq!(port, 8080);
        assert_eq!(panic_of(|| after_started.join()), "failed after started");

        let in_call = panic_of(|| portal.call(async { panics_with("failed in call")() }));
        assert_eq!(in_call, "failed in call");
        let in_call_sync = panic_of(|| portal.call_sync(panics_with("failed in call_sync")));
        assert_eq!(in_call_sync, "failed in call_sync");
        let soon = portal
            .start_task_soon(async { panics_with("failed soon")() })
            .unwrap();
        assert_eq!(panic_of(|| soon.join()), "failed soon");

        assert_eq!(portal.call(async { 2 }), Ok(2));
        assert!(!sibling_dropped.is_set(), "the sibling was not cancelled");
        sibling.cancel();
        assert_eq!(sibling.join(), Err(PortalError::Cancelled));
        assert!(sibling_dropped.is_set());
        portal.stop(false); // returns, without resuming any of the panics
    });
}

#[test]
fn a_panic_after_started_with_the_handle_dropped_does_not_reach_stop_or_drop() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let (_, task) = portal
            .start_task(|status: TaskStatus<()>| async move {
                status.started(());
                sleep(Duration::from_millis(1)).await;
                panics_with("nobody listens")();
            })
            .unwrap();
        drop(task);
        let soon = portal.start_task_soon(async { panics_with("nobody listens either")() });
        drop(soon);
        assert_eq!(portal.call(async { 4 }), Ok(4));
        portal.stop(false);
        drop(portal);
    });
}

#[test]
fn a_panic_while_a_cancelled_task_is_dropped_stays_in_the_portal_task() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panics_with("failed in drop")();
        }
    }
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let task = portal
            .start_task_soon(async {
                let _bomb = PanicOnDrop;
                sleep_forever().await;
            })
            .unwrap();
        assert_eq!(portal.call(async { 1 }), Ok(1)); // the task is parked in sleep_forever
        task.cancel();
        assert_eq!(panic_of(|| task.join()), "failed in drop");
        assert_eq!(portal.call(async { 2 }), Ok(2));
        // And a task dropped by stop(true) does not make the stop panic.
        let _task = portal
            .start_task_soon(async {
                let _bomb = PanicOnDrop;
                sleep_forever().await;
            })
            .unwrap();
        assert_eq!(portal.call(async { 3 }), Ok(3));
        portal.stop(true);
    });
}

#[test]
fn a_panic_in_a_portal_task_resumes_in_the_caller() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = portal.call(async {
                if std::hint::black_box(true) {
                    panic!("portal task failed");
                }
            });
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*failure), "portal task failed");
        // The portal survives a failed task.
        assert_eq!(portal.call(async { 2 }), Ok(2));
    });
}

#[anyio::test]
async fn calling_from_async_code_is_an_error() {
    let backend = current_backend().unwrap();
    let portal = anyio::to_thread::run_sync(move || start_blocking_portal(backend).unwrap()).await;
    assert_eq!(
        portal.call(async { 1 }),
        Err(PortalError::CalledFromEventLoop)
    );
    anyio::to_thread::run_sync(move || drop(portal)).await;
}

#[test]
fn dropping_the_portal_stops_it() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let task = portal.start_task_soon(sleep_forever()).unwrap();
        drop(portal);
        assert_eq!(task.join().map(drop), Err(PortalError::Cancelled));
    });
}

/// Starts, through `portal`, a task blocked forever that holds a guard, and one started with
/// `start_task`; returns the flags their guards set when dropped.
fn tasks_blocked_forever(portal: &BlockingPortal) -> [Flag; 2] {
    let flags = [Flag::new(), Flag::new()];
    let guard = flags[0].on_drop();
    let _detached = portal.start_task_soon(async move {
        let _guard = guard;
        sleep_forever().await;
    });
    let guard = flags[1].on_drop();
    let (_, _detached) = portal
        .start_task(|status: TaskStatus<()>| async move {
            let _guard = guard;
            status.started(());
            sleep_forever().await;
        })
        .unwrap();
    flags
}

#[test]
fn a_dropped_portal_has_dropped_its_tasks_before_drop_returns() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let flags = tasks_blocked_forever(&portal);
        assert!(!flags.iter().any(Flag::is_set));
        drop(portal);
        assert!(flags.iter().all(Flag::is_set), "every guard was dropped");
    });
}

#[test]
fn a_portal_dropped_while_its_owner_unwinds_still_drops_its_tasks() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let flags = tasks_blocked_forever(&portal);
        let unwound = catch_unwind(AssertUnwindSafe(move || {
            let _portal = portal;
            panics_with("owner failed")();
        }));
        assert!(unwound.is_err());
        assert!(flags.iter().all(Flag::is_set), "every guard was dropped");
    });
}

#[test]
fn a_call_cancelled_by_stop_is_an_error_for_its_caller() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        std::thread::scope(|threads| {
            let running = Flag::new();
            let flag = running.clone();
            let blocked = threads.spawn(|| {
                portal.call(async move {
                    flag.set();
                    sleep_forever().await;
                })
            });
            while !running.is_set() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            portal.stop(true);
            assert_eq!(blocked.join().unwrap(), Err(PortalError::Cancelled));
        });
    });
}

#[test]
fn a_shielded_portal_task_delays_stop_until_it_ends() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        let finished = Flag::new();
        let flag = finished.clone();
        let (_, task) = portal
            .start_task(|status: TaskStatus<()>| async move {
                status.started(());
                CancelScope::new()
                    .shielded(true)
                    .run(sleep(Duration::from_millis(20)))
                    .await;
                flag.set();
            })
            .unwrap();
        portal.stop(true);
        assert!(finished.is_set(), "stop waited for the shielded scope");
        // Cancelled, but it reached its end without another blocking point: it completed.
        assert_eq!(task.join(), Ok(()));
    });
}

#[test]
fn stopping_the_portal_from_its_own_task_does_not_wait_for_itself() {
    on_every_backend(|backend| {
        let portal = std::sync::Arc::new(start_blocking_portal(backend).unwrap());
        let inner = std::sync::Arc::clone(&portal);
        let after_stop = portal.call(async move {
            inner.stop(true);
            let returned = "stop returned";
            // The last owner may be this task: dropping the portal here must not join itself.
            drop(inner);
            returned
        });
        assert_eq!(after_stop, Ok("stop returned"));
        assert_eq!(portal.call(async { 1 }), Err(PortalError::Stopped));
        portal.stop(false); // joins the thread now

        let portal = std::sync::Arc::new(start_blocking_portal(backend).unwrap());
        let inner = std::sync::Arc::clone(&portal);
        let dropped = Flag::new();
        let flag = dropped.clone();
        let task = portal
            .start_task_soon(async move {
                sleep(Duration::from_millis(1)).await;
                let _set = flag.on_drop();
                // This task ends up the last owner: the portal is dropped on its own thread.
                drop(inner);
            })
            .unwrap();
        drop(portal);
        drop(task);
        while !dropped.is_set() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
}

/// Counts the live values it made: a portal task holds one for as long as it exists.
#[derive(Clone, Default)]
struct Live(std::sync::Arc<std::sync::atomic::AtomicIsize>);

struct Alive(Live);

impl Live {
    fn enter(&self) -> Alive {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Alive(self.clone())
    }

    fn count(&self) -> isize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn stress_calls_racing_stop_all_end_and_no_task_survives_it() {
    on_every_backend(|backend| {
        for round in 0..10u64 {
            let portal = start_blocking_portal(backend).unwrap();
            let live = Live::default();
            std::thread::scope(|threads| {
                for caller in 0..3u64 {
                    let (portal, live) = (&portal, live.clone());
                    threads.spawn(move || loop {
                        let live = live.clone();
                        let outcome = if caller == 0 {
                            portal
                                .start_task_soon(async move {
                                    let _alive = live.enter();
                                    sleep_forever().await;
                                })
                                .map(drop)
                        } else {
                            portal.call(async move {
                                let _alive = live.enter();
                                sleep(Duration::from_micros(200)).await;
                            })
                        };
                        match outcome {
                            Ok(()) => {}
                            Err(PortalError::Stopped | PortalError::Cancelled) => break,
                            Err(other) => panic!("unexpected {other:?}"),
                        }
                    });
                }
                std::thread::sleep(std::time::Duration::from_micros(500 + round * 300));
                portal.stop(true);
                assert_eq!(live.count(), 0, "a task outlived stop (round {round})");
            });
        }
    });
}
