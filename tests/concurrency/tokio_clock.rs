//! On the tokio backend anyio reads tokio's clock: `tokio::time::pause`, `advance` and
//! `start_paused` govern anyio's deadlines and timers as they govern `tokio::time::timeout`.
//! A virtual `MockClock` still governs code run under it.
#![cfg(feature = "tokio")]

use std::future::pending;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use anyio::testing::{run_with_clock, MockClock};
use anyio::{current_time, move_on_after, Backend};
use futures::poll;

/// The case: after a long tokio sleep on a paused clock, a 600 s scope around a 1 s
/// sleep must count from tokio's time. On the real clock its deadline was already an hour in
/// tokio's past, so it fired at once.
#[tokio::test(start_paused = true)]
async fn deadline_after_a_long_paused_sleep_counts_from_tokio_time() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let result = move_on_after(
        Duration::from_secs(600),
        tokio::time::sleep(Duration::from_secs(1)),
    )
    .await;
    assert_eq!(result, Some(()));
}

#[tokio::test(start_paused = true)]
async fn timeout_on_a_paused_clock_fires_without_real_waiting() {
    let (real, tokio_start) = (std::time::Instant::now(), tokio::time::Instant::now());
    let result = move_on_after(
        Duration::from_secs(1),
        tokio::time::sleep(Duration::from_secs(600)),
    )
    .await;
    assert_eq!(result, None);
    assert_eq!(tokio_start.elapsed(), Duration::from_secs(1), "tokio time");
    // Waiting on the real clock would take the whole second.
    assert!(
        real.elapsed() < Duration::from_secs(1),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn anyio_sleep_auto_advances_a_paused_clock() {
    let (real, tokio_start, start) = (
        std::time::Instant::now(),
        tokio::time::Instant::now(),
        current_time(),
    );
    anyio::sleep(Duration::from_secs(24 * 3600)).await;
    assert_eq!(tokio_start.elapsed(), Duration::from_secs(24 * 3600));
    assert_eq!(current_time() - start, Duration::from_secs(24 * 3600));
    assert!(real.elapsed() < Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn advance_fires_anyio_deadlines() {
    let mut scope = pin!(move_on_after(Duration::from_secs(10), pending::<()>()));
    assert_eq!(poll!(scope.as_mut()), Poll::Pending);
    tokio::time::advance(Duration::from_secs(9)).await;
    assert_eq!(poll!(scope.as_mut()), Poll::Pending, "one second early");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(poll!(scope.as_mut()), Poll::Ready(None));

    let mut sleep = pin!(anyio::sleep(Duration::from_secs(5)));
    assert_eq!(poll!(sleep.as_mut()), Poll::Pending);
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(poll!(sleep.as_mut()), Poll::Ready(()));
}

#[tokio::test(start_paused = true)]
async fn current_time_moves_with_advance() {
    let start = current_time();
    assert_eq!(start, tokio::time::Instant::now().into_std());
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(current_time() - start, Duration::from_secs(5));
    assert_eq!(current_time(), tokio::time::Instant::now().into_std());
}

/// anyio's virtual clock outranks tokio's: code run under a `MockClock` jumps on it, and
/// tokio's paused clock stays where it was.
#[tokio::test(start_paused = true)]
async fn mock_clock_governs_code_run_under_it() {
    let tokio_start = tokio::time::Instant::now();
    let clock = MockClock::new().with_autojump();
    let virtual_start = clock.now();
    // A runtime of its own, so on its own thread: tokio refuses to nest `block_on`.
    let elapsed = std::thread::scope(|threads| {
        threads
            .spawn(|| {
                run_with_clock(Backend::Tokio, &clock, async {
                    let start = current_time();
                    anyio::sleep(Duration::from_secs(3600)).await;
                    assert_eq!(current_time(), clock.now(), "anyio reads the virtual clock");
                    current_time() - start
                })
            })
            .join()
            .unwrap()
    });
    assert_eq!(elapsed, Duration::from_secs(3600));
    assert_eq!(clock.now() - virtual_start, Duration::from_secs(3600));
    assert_eq!(
        tokio::time::Instant::now(),
        tokio_start,
        "tokio's clock did not move"
    );
}

/// `#[anyio::test]` on tokio keeps real time (its runtime is not paused).
#[anyio::test(backends = "tokio")]
async fn anyio_test_on_tokio_reads_real_time() {
    let (real, start) = (std::time::Instant::now(), current_time());
    anyio::sleep(Duration::from_millis(5)).await;
    assert!(current_time() - start >= Duration::from_millis(5));
    assert!(real.elapsed() >= Duration::from_millis(5));
}
