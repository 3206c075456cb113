//! End to end over loopback: a real hyper client, the service, and real upstream servers, all
//! on a plain multi-threaded tokio runtime (the service is a tokio service; anyio needs no
//! setup there).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio_example_tokio_service::{client, upstream, Config, Service};
use hyper::StatusCode;
use tokio::net::TcpListener;

const FAST: &str = "fast quote";
const SLOW: &str = "slow quote";

/// Starts the service with `config` on a loopback port.
async fn start(config: Config) -> (SocketAddr, Arc<Service>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = Service::new(config);
    tokio::spawn(service.clone().serve(listener));
    (addr, service)
}

#[tokio::test(flavor = "multi_thread")]
async fn fastest_upstream_wins_and_the_other_call_is_cancelled() {
    let slow = upstream::spawn(SLOW, Duration::from_secs(2)).await.unwrap();
    let fast = upstream::spawn(FAST, Duration::from_millis(10))
        .await
        .unwrap();
    let (addr, service) = start(Config {
        // The slow one first: a sequential handler would wait for it.
        upstreams: vec![slow, fast],
        max_in_flight: 4,
        deadline: Duration::from_secs(1),
        ..Config::default()
    })
    .await;

    let started = Instant::now();
    let (status, body) = client::get(addr, "/quote").await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, FAST));
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // The group waited for the cancelled call before the handler answered.
    assert_eq!(service.stats().upstream_calls(), 2);
    assert_eq!(service.stats().upstream_calls_cancelled(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn upstreams_slower_than_the_deadline_give_504() {
    let a = upstream::spawn(SLOW, Duration::from_secs(2)).await.unwrap();
    let b = upstream::spawn(SLOW, Duration::from_secs(2)).await.unwrap();
    let (addr, service) = start(Config {
        upstreams: vec![a, b],
        max_in_flight: 4,
        deadline: Duration::from_millis(50),
        ..Config::default()
    })
    .await;

    let started = Instant::now();
    let (status, _) = client::get(addr, "/quote").await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    assert_eq!(service.stats().upstream_calls_cancelled(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_stay_within_the_limiter() {
    const LIMIT: usize = 2;
    const REQUESTS: usize = 8;
    let a = upstream::spawn(FAST, Duration::from_millis(20))
        .await
        .unwrap();
    let b = upstream::spawn(FAST, Duration::from_millis(20))
        .await
        .unwrap();
    let (addr, service) = start(Config {
        upstreams: vec![a, b],
        max_in_flight: LIMIT,
        // Room for REQUESTS / LIMIT waves of ~20 ms each.
        deadline: Duration::from_secs(2),
        ..Config::default()
    })
    .await;

    let requests: Vec<_> = (0..REQUESTS)
        .map(|_| tokio::spawn(client::get(addr, "/quote")))
        .collect();
    for request in requests {
        let (status, body) = request.await.unwrap().unwrap();
        assert_eq!((status, body.as_str()), (StatusCode::OK, FAST));
    }
    let peak = service.stats().peak_in_flight();
    // Never above the bound, and the bound was reached: the requests did overlap.
    assert_eq!(peak, LIMIT);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_route_is_404() {
    let (addr, service) = start(Config {
        upstreams: Vec::new(),
        max_in_flight: 1,
        deadline: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let (status, _) = client::get(addr, "/nope").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(service.stats().upstream_calls(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_upstream_does_not_stop_the_other() {
    // A port nobody listens on: connecting is refused.
    let down = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let up = upstream::spawn(SLOW, Duration::from_millis(30))
        .await
        .unwrap();
    let (addr, _) = start(Config {
        upstreams: vec![down, up],
        max_in_flight: 4,
        deadline: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let (status, body) = client::get(addr, "/quote").await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, SLOW));

    // Every upstream down: 502, saying why each failed.
    let (addr, _) = start(Config {
        upstreams: vec![down, down],
        max_in_flight: 4,
        deadline: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let (status, body) = client::get(addr, "/quote").await.unwrap();
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body.lines().count(), 2, "{body}");
}
