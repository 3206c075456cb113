//! Step 4: the upstream health check runs under a supervisor. Its failures are logged,
//! counted and followed by a restart; they never stop the listener.

use std::net::SocketAddr;
use std::time::Duration;

use anyio::supervise::Backoff;
use anyio_example_tokio_service::{client, upstream, Config, HealthCheck};
use hyper::StatusCode;
use tokio::net::TcpListener;
use tokio::time::timeout;

mod common;

use common::{start, wait_until};

const QUOTE: &str = "a quote";

/// A port nobody listens on: connecting is refused.
async fn down() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Checks every 5 ms; restarts after 1 ms, doubling up to 10 ms.
fn quick_health() -> HealthCheck {
    HealthCheck {
        interval: Duration::from_millis(5),
        backoff: Backoff::exponential(Duration::from_millis(1), Duration::from_millis(10)),
        max_restarts: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_upstreams_are_counted_and_nothing_fails() {
    let a = upstream::spawn(QUOTE, Duration::ZERO).await.unwrap();
    let b = upstream::spawn(QUOTE, Duration::ZERO).await.unwrap();
    let (_, service, stop, running) = start(Config {
        upstreams: vec![a, b],
        health: quick_health(),
        ..Config::default()
    })
    .await;

    wait_until(Duration::from_secs(5), || {
        service.stats().health_checks() >= 3
    })
    .await;
    assert_eq!(service.stats().healthy_upstreams(), 2);
    assert_eq!(service.stats().health_failures(), 0);
    assert_eq!(service.stats().health_restarts(), 0);

    stop.set();
    timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_health_job_restarts_and_the_service_keeps_answering() {
    let up = upstream::spawn(QUOTE, Duration::from_millis(5))
        .await
        .unwrap();
    let (addr, service, stop, running) = start(Config {
        upstreams: vec![down().await, up],
        deadline: Duration::from_secs(2),
        health: quick_health(),
        ..Config::default()
    })
    .await;

    // Every check finds the down upstream, fails, and is restarted after the backoff.
    wait_until(Duration::from_secs(5), || {
        service.stats().health_failures() >= 3 && service.stats().health_restarts() >= 3
    })
    .await;
    assert_eq!(service.stats().healthy_upstreams(), 1);
    assert!(!service.stats().health_gave_up());

    let (status, body) = timeout(Duration::from_secs(5), client::get(addr, "/quote"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, QUOTE));

    // The job's backoff does not hold the shutdown up.
    stop.set();
    timeout(Duration::from_secs(2), running)
        .await
        .unwrap()
        .unwrap();
    let failures = service.stats().health_failures();
    // Every attempt but the last failed and was followed by a restart.
    let restarts = service.stats().health_restarts();
    assert!(
        restarts == failures || restarts + 1 == failures,
        "{restarts} {failures}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn past_its_restart_limit_the_health_job_stops_alone() {
    let up = upstream::spawn(QUOTE, Duration::ZERO).await.unwrap();
    let (addr, service, stop, running) = start(Config {
        upstreams: vec![down().await, up],
        health: HealthCheck {
            max_restarts: Some((2, Duration::from_secs(60))),
            ..quick_health()
        },
        ..Config::default()
    })
    .await;

    wait_until(Duration::from_secs(5), || service.stats().health_gave_up()).await;
    // Three attempts: two restarts, and the third failure ended the job.
    assert_eq!(service.stats().health_failures(), 3);
    assert_eq!(service.stats().health_restarts(), 2);

    let (status, body) = timeout(Duration::from_secs(5), client::get(addr, "/quote"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, QUOTE));
    stop.set();
    timeout(Duration::from_secs(2), running)
        .await
        .unwrap()
        .unwrap();
}
