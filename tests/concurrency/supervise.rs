//! Supervision: a child's failure handled by itself (`on_failure`), or restarted with a
//! backoff (`Supervisor`), without cancelling its siblings; past the restart limit the failure
//! reaches the group as usual.

use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use anyio::supervise::{Backoff, ChildFailure, Supervisor};
use anyio::time::current_time;
use anyio::{sleep, sleep_forever, task_group, Duration, TaskError, TaskGroupError};
use futures::FutureExt;

use crate::common::Flag;

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[anyio::test(autojump)]
async fn a_handled_error_leaves_the_siblings_and_the_group_alone() {
    let reports = log();
    let seen = reports.clone();
    let sibling_done = Flag::new();
    let done = sibling_done.clone();
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            sleep(Duration::from_secs(1)).await;
            done.set();
        })?;
        tg.task()
            .on_failure(move |failure: ChildFailure<io::Error>| {
                seen.lock().unwrap().push(failure.to_string());
            })
            .start_soon(async { Err(io::Error::other("job failed")) })?;
        Ok::<_, io::Error>("served")
    })
    .await;
    assert_eq!(result.unwrap(), "served");
    assert!(sibling_done.is_set(), "the sibling ran to its end");
    assert_eq!(entries(&reports), ["task failed: job failed"]);
}

#[anyio::test(autojump)]
async fn a_handled_panic_does_not_resume_and_its_message_is_reported() {
    let reports = log();
    let seen = reports.clone();
    let result = task_group(|tg| async move {
        tg.task()
            .name("background")
            .on_failure(move |failure: ChildFailure<anyio::SpawnError>| {
                assert!(failure.is_panic());
                seen.lock()
                    .unwrap()
                    .push(failure.panic_message().unwrap().to_owned());
            })
            .start_soon(async {
                sleep(Duration::from_millis(10)).await;
                if std::hint::black_box(true) {
                    panic!("background job panicked");
                }
            })?;
        sleep(Duration::from_secs(1)).await;
        Ok::<_, anyio::SpawnError>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(entries(&reports), ["background job panicked"]);
}

#[anyio::test]
async fn a_failure_handler_that_panics_fails_the_group() {
    let group = task_group(|tg| async move {
        tg.task()
            .on_failure(|_: ChildFailure<&str>| panic!("handler panicked"))
            .start_soon(async { Err("child failed") })
            .unwrap();
        Ok::<_, &str>(())
    });
    let payload = AssertUnwindSafe(group).catch_unwind().await.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"handler panicked"));
}

#[anyio::test]
async fn a_spawned_child_with_a_handler_reports_failed_on_its_handle_only() {
    let reports = log();
    let seen = reports.clone();
    let result = task_group(|tg| async move {
        let handle = tg
            .task()
            .on_failure(move |failure: ChildFailure<String>| {
                seen.lock().unwrap().push(failure.error().unwrap().clone());
            })
            .spawn(async { Err::<u32, _>(String::from("no answer")) })?;
        assert_eq!(handle.await, Err(TaskError::Failed));
        Ok::<_, String>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(entries(&reports), ["no answer"]);
}

#[anyio::test]
async fn a_started_child_with_a_handler_reports_later_failures_to_it() {
    let reports = log();
    let seen = reports.clone();
    let result = task_group(|tg| async move {
        let port = tg
            .task()
            .on_failure(move |failure: ChildFailure<&str>| {
                seen.lock().unwrap().push(failure.to_string());
            })
            .start(|status: anyio::TaskStatus<u16>| async move {
                status.started(8080);
                Err("listener died")
            })
            .await
            .unwrap();
        assert_eq!(port, 8080);
        Ok::<_, &str>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(entries(&reports), ["task failed: listener died"]);
}

#[anyio::test]
async fn without_a_handler_a_failure_still_cancels_the_siblings() {
    let result = task_group(|tg| async move {
        tg.start_soon(sleep_forever())?;
        tg.start_soon(async { Err(io::Error::other("fatal")) })?;
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(matches!(result, Err(TaskGroupError::Failed(errors)) if errors.len() == 1));
}

/// A job that fails `failures` times (alternating errors and panics when asked), then
/// succeeds, recording when each attempt started.
fn flaky_job(
    failures: u32,
    panics: bool,
    starts: Arc<Mutex<Vec<Duration>>>,
    origin: std::time::Instant,
) -> impl FnMut() -> futures::future::BoxFuture<'static, Result<(), io::Error>> + Send {
    let attempts = Arc::new(AtomicU32::new(0));
    move || {
        let attempts = attempts.clone();
        let starts = starts.clone();
        async move {
            starts.lock().unwrap().push(current_time() - origin);
            let attempt = attempts.fetch_add(1, Ordering::SeqCst);
            if attempt < failures {
                if panics && attempt % 2 == 1 {
                    panic!("attempt {attempt} panicked");
                }
                return Err(io::Error::other(format!("attempt {attempt} failed")));
            }
            Ok(())
        }
        .boxed()
    }
}

#[anyio::test(autojump)]
async fn a_supervisor_restarts_after_errors_and_panics_with_exponential_backoff() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let reports = log();
    let seen = reports.clone();
    let origin = current_time();
    let job = flaky_job(4, true, starts.clone(), origin);
    let result = task_group(|tg| async move {
        tg.start_soon(
            Supervisor::new()
                .backoff(Backoff::exponential(
                    Duration::from_millis(100),
                    Duration::from_secs(10),
                ))
                .on_failure(move |failure| seen.lock().unwrap().push(failure.to_string()))
                .run(job),
        )?;
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(
        *starts.lock().unwrap(),
        [0, 100, 300, 700, 1500].map(Duration::from_millis)
    );
    assert_eq!(
        entries(&reports),
        [
            "task failed: attempt 0 failed",
            "task panicked: attempt 1 panicked",
            "task failed: attempt 2 failed",
            "task panicked: attempt 3 panicked",
        ]
    );
}

#[anyio::test(autojump)]
async fn past_its_restart_limit_a_supervisor_lets_the_failure_reach_the_group() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let sibling_cancelled = Flag::new();
    let cancelled = sibling_cancelled.clone();
    let job = flaky_job(u32::MAX, false, starts.clone(), current_time());
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            let _guard = cancelled.on_drop();
            sleep_forever().await;
        })?;
        tg.start_soon(
            Supervisor::new()
                .backoff(Backoff::constant(Duration::from_secs(1)))
                .max_restarts(3, Duration::from_secs(60))
                .run(job),
        )?;
        Ok::<_, io::Error>(())
    })
    .await;
    let errors = result.unwrap_err().into_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].to_string(), "attempt 3 failed");
    assert_eq!(
        starts.lock().unwrap().len(),
        4,
        "three restarts, then it gave up"
    );
    assert!(sibling_cancelled.is_set(), "the sibling was cancelled");
}

#[anyio::test(autojump)]
async fn restarts_spread_wider_than_the_window_never_exhaust_the_limit() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let job = flaky_job(6, false, starts.clone(), current_time());
    let result = task_group(|tg| async move {
        tg.start_soon(
            Supervisor::new()
                .backoff(Backoff::constant(Duration::from_secs(10)))
                .max_restarts(1, Duration::from_secs(5))
                .run(job),
        )?;
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(starts.lock().unwrap().len(), 7);
}

#[anyio::test(autojump)]
async fn a_panic_past_the_limit_resumes_where_the_group_is_awaited() {
    let group = task_group(|tg| async move {
        tg.start_soon(
            Supervisor::<()>::new()
                .backoff(Backoff::none())
                .max_restarts(1, Duration::from_secs(60))
                .run(|| async {
                    if std::hint::black_box(true) {
                        panic!("always panics");
                    }
                }),
        )
        .unwrap();
        Ok::<_, ()>(())
    });
    let payload = AssertUnwindSafe(group).catch_unwind().await.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"always panics"));
}

#[anyio::test(autojump)]
async fn cancelling_a_supervisor_in_its_backoff_restarts_nothing() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let job = flaky_job(u32::MAX, false, starts.clone(), current_time());
    let result = task_group(|tg| async move {
        tg.start_soon(
            Supervisor::new()
                .backoff(Backoff::constant(Duration::from_secs(10)))
                .run(job),
        )?;
        sleep(Duration::from_secs(15)).await;
        tg.cancel();
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(
        starts.lock().unwrap().len(),
        2,
        "attempts at 0 s and 10 s only"
    );
    sleep(Duration::from_secs(60)).await;
    assert_eq!(starts.lock().unwrap().len(), 2);
}

#[anyio::test(autojump)]
async fn a_permanent_child_restarts_after_a_clean_exit_until_cancelled() {
    let runs = Arc::new(AtomicU32::new(0));
    let counted = runs.clone();
    let result =
        task_group(|tg| async move {
            tg.start_soon(Supervisor::<io::Error>::new().restart_on_success(true).run(
                move || {
                    let counted = counted.clone();
                    async move {
                        counted.fetch_add(1, Ordering::SeqCst);
                        sleep(Duration::from_secs(1)).await;
                    }
                },
            ))?;
            sleep(Duration::from_millis(3500)).await;
            tg.cancel();
            Ok::<_, io::Error>(())
        })
        .await;
    assert!(result.is_ok());
    assert_eq!(runs.load(Ordering::SeqCst), 4);
}

#[anyio::test(autojump)]
async fn a_healthy_run_resets_the_backoff() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let recorded = starts.clone();
    let attempts = Arc::new(AtomicU32::new(0));
    let origin = current_time();
    let result = task_group(|tg| async move {
        tg.start_soon(
            Supervisor::new()
                .backoff(Backoff::exponential(
                    Duration::from_secs(1),
                    Duration::from_secs(4),
                ))
                .run(move || {
                    let (attempts, recorded) = (attempts.clone(), recorded.clone());
                    async move {
                        recorded.lock().unwrap().push(current_time() - origin);
                        match attempts.fetch_add(1, Ordering::SeqCst) {
                            // Two quick failures, then one that stayed up 5 s (healthy).
                            0 | 1 => Err(io::Error::other("quick")),
                            2 => {
                                sleep(Duration::from_secs(5)).await;
                                Err(io::Error::other("after a healthy run"))
                            }
                            3 => Err(io::Error::other("quick again")),
                            _ => Ok(()),
                        }
                    }
                }),
        )?;
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(result.is_ok());
    // Delays 1 s, 2 s, then back to 1 s after the healthy run, then 2 s.
    assert_eq!(
        *starts.lock().unwrap(),
        [0, 1, 3, 9, 11].map(Duration::from_secs)
    );
}

#[anyio::test(autojump)]
async fn a_failure_before_started_left_unclaimed_by_a_dropped_caller_goes_to_the_handler() {
    let reports = log();
    let seen = reports.clone();
    let running = Flag::new();
    let ran = running.clone();
    // The task fails only when told to, so that it cannot end while the caller polls it.
    let fail_now = Arc::new(anyio::Event::new());
    let told = fail_now.clone();
    let result = task_group(|tg| async move {
        let mut start = Box::pin(
            tg.task()
                .on_failure(move |failure: ChildFailure<&str>| {
                    seen.lock().unwrap().push(failure.to_string());
                })
                .start(move |_status: anyio::TaskStatus<()>| async move {
                    ran.set();
                    told.wait().await;
                    Err("failed before started")
                }),
        );
        // Polled by hand until the task runs (it waits to be told to fail) ...
        while !running.is_set() {
            assert!(futures::poll!(start.as_mut()).is_pending());
            anyio::checkpoint().await;
        }
        // ... then it fails, its failure left for this caller: the virtual clock moves only
        // once the task has ended and reported ...
        fail_now.set();
        sleep(Duration::from_millis(10)).await;
        // ... which is dropped (as by a foreign `select!`) without taking it.
        drop(start);
        Ok::<_, &str>("the group went on")
    })
    .await;
    assert_eq!(result, Ok("the group went on"));
    assert_eq!(entries(&reports), ["task failed: failed before started"]);
}

#[anyio::test(autojump)]
async fn a_graceful_shutdown_stops_the_restarts_at_once() {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let origin = current_time();
    let job = flaky_job(u32::MAX, false, starts.clone(), origin);
    let result = task_group(|tg| async move {
        tg.start_soon(
            Supervisor::new()
                .backoff(Backoff::constant(Duration::from_secs(10)))
                .run(job),
        )?;
        sleep(Duration::from_secs(15)).await;
        tg.shutdown(Duration::from_secs(60));
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(result.is_ok());
    // Attempts at 0 s and 10 s; the backoff after the second ended with the request.
    assert_eq!(starts.lock().unwrap().len(), 2);
    assert_eq!(current_time() - origin, Duration::from_secs(15));
}
