//! Sleeping and the anyio clock.

use anyio::{current_time, sleep, sleep_until, Duration};

#[anyio::test]
async fn sleep_waits_at_least_its_duration() {
    let start = current_time();
    sleep(Duration::from_millis(10)).await;
    assert!(current_time() - start >= Duration::from_millis(10));
}

#[anyio::test(autojump)]
async fn on_virtual_time_sleep_waits_exactly_its_duration() {
    let start = current_time();
    sleep(Duration::from_millis(10)).await;
    assert_eq!(current_time() - start, Duration::from_millis(10));
    sleep_until(start + Duration::from_secs(60)).await;
    assert_eq!(current_time() - start, Duration::from_secs(60));
}

#[anyio::test]
async fn sleep_until_waits_for_the_instant() {
    let deadline = current_time() + Duration::from_millis(10);
    sleep_until(deadline).await;
    assert!(current_time() >= deadline);
}

#[anyio::test]
async fn a_past_deadline_completes_after_one_yield() {
    sleep_until(current_time() - Duration::from_secs(1)).await;
    sleep(Duration::ZERO).await;
}

#[anyio::test]
async fn the_clock_is_monotonic() {
    let mut previous = current_time();
    for _ in 0..100 {
        let now = current_time();
        assert!(now >= previous);
        previous = now;
    }
}

#[test]
fn sleeps_report_their_deadline() {
    assert!(sleep(Duration::from_secs(1)).deadline().is_some());
    assert_eq!(sleep(Duration::MAX).deadline(), None);
    let at = current_time();
    assert_eq!(sleep_until(at).deadline(), Some(at));
}
