//! `BlockingPortal` (DESIGN §9): plain threads calling into an anyio event loop that runs in its
//! own thread, on every backend.

mod common;

use anyio::thread::PortalTask;
use anyio::{
    current_backend, sleep, sleep_forever, start_blocking_portal, Backend, Duration, PortalError,
    TaskStatus,
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
        let port = portal.start_task(|status: TaskStatus<u16>| async move {
            status.started(8080);
            sleep(Duration::from_millis(20)).await;
            flag.set();
        });
        assert_eq!(port, Ok(8080));
        portal.stop(false); // waits for the task
        assert!(still_running.is_set());
    });
}

#[test]
fn start_task_that_never_starts_is_an_error() {
    on_every_backend(|backend| {
        let portal = start_blocking_portal(backend).unwrap();
        assert_eq!(
            portal.start_task(|_status: TaskStatus<()>| async {}),
            Err(PortalError::Cancelled)
        );
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
