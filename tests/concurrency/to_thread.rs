//! `to_thread::run_sync` (DESIGN §9), after AnyIO's `test_to_thread.py`: results, panics,
//! limiters, and cancellation with and without abandoning the thread.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyio::sync::CapacityLimiter;
use anyio::to_thread::{self, current_default_thread_limiter, ToThread, DEFAULT_THREAD_LIMIT};
use anyio::{
    checkpoint, current_time, fail_after, from_thread, move_on_after, sleep, task_group,
    CancelScope, Duration, FromThreadError, SpawnError,
};
use common::{panic_message, Flag};
use futures::FutureExt;

#[anyio::test]
async fn returns_the_value_computed_on_another_thread() {
    let caller = std::thread::current().id();
    let (value, worker) = to_thread::run_sync(|| (6 * 7, std::thread::current().id())).await;
    assert_eq!(value, 42);
    assert_ne!(worker, caller);
}

#[anyio::test]
async fn a_panic_resumes_in_the_caller() {
    let payload = std::panic::AssertUnwindSafe(to_thread::run_sync(|| {
        if std::hint::black_box(true) {
            panic!("worker failed");
        }
    }))
    .catch_unwind()
    .await
    .unwrap_err();
    assert_eq!(panic_message(&*payload), "worker failed");
}

#[anyio::test]
async fn the_default_limiter_has_forty_tokens() {
    assert_eq!(DEFAULT_THREAD_LIMIT, 40);
    assert_eq!(current_default_thread_limiter().total_tokens(), 40);
    // Tokens are given back after each call (a limiter of our own: the default one is shared
    // with the tests running concurrently).
    let limiter = CapacityLimiter::new(1);
    ToThread::new().limiter(&limiter).run_sync(|| ()).await;
    ToThread::new().limiter(&limiter).run_sync(|| ()).await;
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn a_custom_limiter_bounds_concurrency() {
    let limiter = Arc::new(CapacityLimiter::new(2));
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let result = task_group(|tg| {
        let (running, peak) = (running.clone(), peak.clone());
        async move {
            for _ in 0..6 {
                let (limiter, running, peak) = (limiter.clone(), running.clone(), peak.clone());
                tg.start_soon(async move {
                    ToThread::new()
                        .limiter(&limiter)
                        .run_sync(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(StdDuration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await;
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[anyio::test]
async fn without_abandon_cancellation_waits_for_the_thread() {
    let thread_done = Flag::new();
    let started = current_time();
    let outcome = move_on_after(Duration::from_millis(10), {
        let thread_done = thread_done.clone();
        async move {
            to_thread::run_sync(move || {
                std::thread::sleep(StdDuration::from_millis(100));
                thread_done.set();
            })
            .await;
            checkpoint().await; // the deferred cancellation lands here
            unreachable!("cancelled at the first blocking point after the thread");
        }
    })
    .await;
    assert_eq!(outcome, None::<()>);
    assert!(thread_done.is_set(), "the scope waited for the thread");
    assert!(current_time() - started >= Duration::from_millis(100));
}

#[anyio::test]
async fn with_abandon_the_caller_is_released_at_once() {
    let thread_done = Flag::new();
    let started = current_time();
    // A limiter of our own: the default one is shared with the tests running concurrently.
    let limiter = CapacityLimiter::new(1);
    let outcome = move_on_after(Duration::from_millis(10), {
        let thread_done = thread_done.clone();
        ToThread::new()
            .limiter(&limiter)
            .abandon_on_cancel(true)
            .run_sync(move || {
                std::thread::sleep(StdDuration::from_millis(300));
                thread_done.set();
            })
    })
    .await;
    assert_eq!(outcome, None);
    assert!(!thread_done.is_set(), "released before the thread finished");
    assert!(current_time() - started < Duration::from_millis(300));
    // The thread runs on in the background; its token was given back, so the next call runs.
    assert_eq!(limiter.borrowed_tokens(), 0);
    ToThread::new().limiter(&limiter).run_sync(|| ()).await;
    while !thread_done.is_set() {
        sleep(Duration::from_millis(20)).await;
    }
}

#[anyio::test]
async fn a_call_in_an_already_cancelled_scope_never_runs() {
    let ran = Flag::new();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let outcome = scope
        .run({
            let ran = ran.clone();
            to_thread::run_sync(move || ran.set())
        })
        .await;
    assert_eq!(outcome, None);
    assert!(!ran.is_set());
}

#[anyio::test]
async fn a_call_in_an_already_cancelled_scope_never_runs_with_abandon_either() {
    let ran = Flag::new();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let outcome = scope
        .run({
            let ran = ran.clone();
            ToThread::new()
                .abandon_on_cancel(true)
                .run_sync(move || ran.set())
        })
        .await;
    assert_eq!(outcome, None);
    let expired = fail_after(Duration::ZERO, to_thread::run_sync(|| 1)).await;
    assert!(expired.is_err(), "the deadline's own error, not a value");
    assert!(!ran.is_set());
}

#[anyio::test]
async fn a_call_cancelled_while_its_thread_works_returns_the_value() {
    // The work cancels its caller's scope itself: deterministic, no deadline race.
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(to_thread::run_sync(move || {
            handle.cancel();
            (from_thread::check_cancelled(), 7)
        }))
        .await;
    assert_eq!(
        outcome,
        Some((Err(FromThreadError::Cancelled), 7)),
        "the work saw the cancellation; its value reached the caller"
    );
}

#[anyio::test]
async fn move_on_after_a_shorter_deadline_than_the_work_returns_the_value() {
    let started = current_time();
    let outcome = move_on_after(
        Duration::from_millis(10),
        to_thread::run_sync(|| {
            std::thread::sleep(StdDuration::from_millis(80));
            "done"
        }),
    )
    .await;
    assert_eq!(outcome, Some("done"));
    assert!(current_time() - started >= Duration::from_millis(80));
}

#[anyio::test]
async fn with_abandon_a_call_cancelled_while_its_thread_works_is_none() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let thread_done = Flag::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run({
            let thread_done = thread_done.clone();
            ToThread::new().abandon_on_cancel(true).run_sync(move || {
                handle.cancel();
                // Held until the caller was released: the value cannot win the race.
                let _ = released.recv();
                thread_done.set();
                7
            })
        })
        .await;
    assert_eq!(outcome, None);
    assert!(!thread_done.is_set());
    release.send(()).unwrap();
    while !thread_done.is_set() {
        sleep(Duration::from_millis(1)).await;
    }
}

#[anyio::test(autojump)]
async fn a_call_cancelled_while_waiting_for_a_token_never_runs_and_takes_none() {
    let limiter = CapacityLimiter::new(1);
    let held = limiter.acquire().await.unwrap();
    let ran = Flag::new();
    for abandon in [false, true] {
        let flag = ran.clone();
        let outcome = move_on_after(
            Duration::from_millis(10),
            ToThread::new()
                .limiter(&limiter)
                .abandon_on_cancel(abandon)
                .run_sync(move || flag.set()),
        )
        .await;
        assert_eq!(outcome, None, "abandon: {abandon}");
        assert_eq!(limiter.borrowed_tokens(), 1, "abandon: {abandon}");
    }
    assert!(!ran.is_set());
    drop(held);
}

#[anyio::test(autojump)]
async fn virtual_time_does_not_jump_while_a_thread_works() {
    let start = current_time();
    let result = task_group(|tg| async move {
        tg.start_soon(sleep(Duration::from_secs(3600)))?;
        to_thread::run_sync(|| std::thread::sleep(StdDuration::from_millis(30))).await;
        assert_eq!(
            current_time(),
            start,
            "no jump while the worker thread was busy"
        );
        tg.cancel();
        Ok::<_, SpawnError>(())
    })
    .await;
    assert_eq!(result, Ok(()));
}
