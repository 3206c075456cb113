//! `from_thread` (DESIGN §9), after AnyIO's `test_from_thread.py`: calls back into the event
//! loop, cancellation, and errors outside worker threads.

use crate::common;

use std::time::Duration as StdDuration;

use anyio::{
    current_backend, from_thread, move_on_after, sleep, sleep_forever, to_thread, Duration,
    FromThreadError,
};
use common::{panic_message, Flag};
use futures::FutureExt;

#[anyio::test]
async fn run_executes_on_the_calling_runtime() {
    let backend = current_backend();
    let seen = to_thread::run_sync(|| {
        from_thread::run(async {
            sleep(Duration::from_millis(1)).await;
            current_backend()
        })
    })
    .await;
    assert_eq!(seen, Ok(backend));
}

#[anyio::test]
async fn run_sync_executes_on_the_event_loop() {
    let worker = to_thread::run_sync(|| {
        let worker = std::thread::current().id();
        let event_loop = from_thread::run_sync(|| std::thread::current().id()).unwrap();
        (worker, event_loop)
    })
    .await;
    assert_ne!(worker.0, worker.1);
}

#[anyio::test]
async fn offloads_nest() {
    let value = to_thread::run_sync(|| {
        from_thread::run(async { to_thread::run_sync(|| 5).await + 1 }).unwrap()
    })
    .await;
    assert_eq!(value, 6);
}

#[anyio::test]
async fn a_panic_in_the_callee_resumes_in_the_thread_and_then_the_caller() {
    let payload = std::panic::AssertUnwindSafe(to_thread::run_sync(|| {
        from_thread::run(async {
            if std::hint::black_box(true) {
                panic!("callee failed");
            }
        })
    }))
    .catch_unwind()
    .await
    .unwrap_err();
    assert_eq!(panic_message(&*payload), "callee failed");
}

#[anyio::test]
async fn the_callee_runs_in_the_callers_scope_and_is_cancelled_with_it() {
    let callee_result = std::sync::Arc::new(std::sync::Mutex::new(None));
    let outcome = move_on_after(Duration::from_millis(10), {
        let callee_result = callee_result.clone();
        async move {
            to_thread::run_sync(move || {
                let result = from_thread::run(sleep_forever());
                *callee_result.lock().unwrap() = Some(result);
            })
            .await;
            // Whether the thread's result or its released protection is seen first, the
            // cancellation lands here at the latest.
            sleep_forever().await
        }
    })
    .await;
    // The scope waited for the thread (no abandon), whose call was cancelled with it.
    assert_eq!(outcome, None);
    assert_eq!(
        *callee_result.lock().unwrap(),
        Some(Err(FromThreadError::Cancelled))
    );
}

#[anyio::test]
async fn check_cancelled_reports_the_callers_cancellation() {
    let saw_cancel = Flag::new();
    let outcome = move_on_after(Duration::from_millis(10), {
        let saw_cancel = saw_cancel.clone();
        async move {
            to_thread::run_sync(move || {
                assert_eq!(from_thread::check_cancelled(), Ok(()));
                for _ in 0..500 {
                    if from_thread::check_cancelled() == Err(FromThreadError::Cancelled) {
                        saw_cancel.set();
                        return;
                    }
                    std::thread::sleep(StdDuration::from_millis(2));
                }
            })
            .await;
            sleep_forever().await
        }
    })
    .await;
    assert_eq!(outcome, None);
    assert!(saw_cancel.is_set());
}

#[anyio::test]
async fn outside_a_worker_thread_every_call_is_an_error() {
    assert_eq!(
        from_thread::run(async {}),
        Err(FromThreadError::NotInWorkerThread)
    );
    assert_eq!(
        from_thread::run_sync(|| ()),
        Err(FromThreadError::NotInWorkerThread)
    );
    assert_eq!(
        from_thread::check_cancelled(),
        Err(FromThreadError::NotInWorkerThread)
    );
    let error = std::thread::spawn(|| from_thread::run(async { 1 }))
        .join()
        .unwrap();
    assert_eq!(error, Err(FromThreadError::NotInWorkerThread));
    assert!(error
        .unwrap_err()
        .to_string()
        .contains("to_thread::run_sync"));
}

/// A worker thread abandoned by its cancelled caller calls back after `run_with` returned: the
/// closure must not run (smol's and async-std's global executors would still run it), and the
/// call reports that the event loop is gone, on every backend.
#[test]
fn a_call_back_after_the_run_ended_does_not_run_and_reports_it() {
    for backend in anyio::Backend::available() {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (result_tx, result_rx) = std::sync::mpsc::channel();
        let ran = Flag::new();
        let ran_in_thread = ran.clone();
        anyio::run_with(backend, async move {
            let released = move_on_after(
                Duration::from_millis(5),
                to_thread::ToThread::new()
                    .abandon_on_cancel(true)
                    .run_sync(move || {
                        // tokio's runtime waits for its blocking threads as it shuts down, so
                        // this one cannot wait for the run to return; it calls back once the
                        // run has returned or is shutting down, either way after it ended.
                        let _ = go_rx.recv_timeout(StdDuration::from_millis(100));
                        let result = from_thread::run_sync(move || ran_in_thread.set());
                        result_tx.send(result).unwrap();
                    }),
            )
            .await;
            assert_eq!(released, None, "the caller was not released");
        });
        let _ = go_tx.send(());
        let result = result_rx
            .recv_timeout(StdDuration::from_secs(10))
            .expect("the worker thread never called back");
        assert_eq!(result, Err(FromThreadError::RuntimeStopped), "{backend:?}");
        assert!(
            !ran.is_set(),
            "{backend:?}: the closure ran after the run ended"
        );
    }
}

/// A call back that starts while the run is still going is waited for by the run: the run does
/// not return while the callee runs.
#[test]
fn the_run_waits_for_a_call_back_in_progress() {
    for backend in anyio::Backend::available() {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
        let finished = Flag::new();
        let finished_in_callee = finished.clone();
        anyio::run_with(backend, async move {
            let released = move_on_after(
                Duration::from_millis(5),
                to_thread::ToThread::new()
                    .abandon_on_cancel(true)
                    .run_sync(move || {
                        go_rx.recv().unwrap();
                        // The caller is gone; its scope is cancelled, yet the callee's shielded
                        // part still runs, and the run must wait for it.
                        let _ = from_thread::run(async move {
                            anyio::CancelScope::new()
                                .shielded(true)
                                .run(async move {
                                    entered_tx.send(()).unwrap();
                                    sleep(Duration::from_millis(20)).await;
                                    finished_in_callee.set();
                                })
                                .await;
                        });
                    }),
            )
            .await;
            assert_eq!(released, None);
            go_tx.send(()).unwrap();
            // The callee has started before the main task returns.
            let entered = to_thread::run_sync(move || entered_rx.recv()).await;
            assert!(entered.is_ok());
        });
        assert!(
            finished.is_set(),
            "{backend:?}: the run returned before its callee ended"
        );
    }
}
