//! Step 5: graceful shutdown. The library tests see inside the service through `Stats`, so
//! they know a request is in flight before they ask for the shutdown; the binary test checks
//! the same story end to end with a real `SIGTERM`.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyio_example_tokio_service::{client, upstream, Config};
use hyper::StatusCode;
use tokio::net::TcpStream;
use tokio::time::timeout;

mod common;

use common::{start, wait_until};

const QUOTE: &str = "slow quote";

/// Connects to `addr` until a connection is refused, for at most `limit`.
async fn wait_until_refused(addr: SocketAddr, limit: Duration) {
    wait_until_async(limit, || async { TcpStream::connect(addr).await.is_err() }).await;
}

async fn wait_until_async<F, Fut>(limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let waited = timeout(limit, async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "condition not reached within {limit:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_refuses_new_connections_and_finishes_the_request_in_flight() {
    let up = upstream::spawn(QUOTE, Duration::from_millis(300))
        .await
        .unwrap();
    let (addr, service, stop, running) = start(Config {
        upstreams: vec![up],
        deadline: Duration::from_secs(5),
        grace: Duration::from_secs(5),
        ..Config::default()
    })
    .await;

    let request = tokio::spawn(client::get(addr, "/quote"));
    // The handler called the upstream: the request is in flight.
    wait_until(Duration::from_secs(5), || {
        service.stats().upstream_calls() == 1
    })
    .await;
    let asked = Instant::now();
    stop.set();

    wait_until_refused(addr, Duration::from_secs(2)).await;
    let (status, body) = timeout(Duration::from_secs(5), request)
        .await
        .expect("the request in flight hung")
        .unwrap()
        .unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, QUOTE));
    timeout(Duration::from_secs(5), running)
        .await
        .expect("the service did not stop")
        .unwrap();
    // It stopped once the request was answered, not at the end of the grace period.
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(service.stats().requests(), 1);
    assert_eq!(service.stats().upstream_calls_cancelled(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_longer_than_the_grace_period_is_cut_off() {
    const GRACE: Duration = Duration::from_millis(100);
    let up = upstream::spawn(QUOTE, Duration::from_secs(30))
        .await
        .unwrap();
    let (addr, service, stop, running) = start(Config {
        upstreams: vec![up],
        deadline: Duration::from_secs(30),
        grace: GRACE,
        ..Config::default()
    })
    .await;

    let request = tokio::spawn(client::get(addr, "/quote"));
    wait_until(Duration::from_secs(5), || {
        service.stats().upstream_calls() == 1
    })
    .await;
    let asked = Instant::now();
    stop.set();

    let answer = timeout(Duration::from_secs(5), request)
        .await
        .expect("the request in flight hung")
        .unwrap();
    assert!(answer.is_err(), "{answer:?}");
    timeout(Duration::from_secs(5), running)
        .await
        .expect("the service did not stop")
        .unwrap();
    let elapsed = asked.elapsed();
    assert!(elapsed >= GRACE, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    // The cut-off dropped the handler, and with it the upstream call.
    assert_eq!(service.stats().upstream_calls_cancelled(), 1);
    assert_eq!(service.stats().requests(), 0);
}

/// Kills the process if it still runs when the test ends, so that a failing test leaves
/// nothing behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_binary_gracefully() {
    let child = Command::new(env!("CARGO_BIN_EXE_anyio-example-tokio-service"))
        // Both upstreams take a second: the request is still in flight at the signal.
        .args(["serve", "1000", "1000", "5000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let child_pid = child.0.id();
    let pid = child_pid.to_string();
    // A blocking reader on its own thread; the lines come back over a channel so that every
    // wait for one is bounded.
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = move || received.recv_timeout(Duration::from_secs(10));
    let first = next_line().expect("no `listening on` line");
    let addr: SocketAddr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();

    let request = tokio::spawn(client::get(addr, "/quote"));
    // The service prints the requests it works on: signal once this one is in flight.
    let in_flight = next_line().expect("no `in flight` line");
    assert_eq!(in_flight, "in flight: 1");
    let signalled = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());

    wait_until_refused(addr, Duration::from_secs(2)).await;
    let (status, body) = timeout(Duration::from_secs(5), request)
        .await
        .expect("the request in flight hung")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("upstream"), "{body}");

    let status = tokio::task::spawn_blocking(move || {
        let waited = Instant::now();
        while waited.elapsed() < Duration::from_secs(4) {
            if let Some(status) = child.0.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // `child` is dropped here, which kills it.
        None
    })
    .await
    .unwrap()
    .expect("the service did not exit");
    assert!(status.success(), "{status:?}");
    // It exited once the request was answered, not at the end of its 5 s grace period.
    assert!(signalled.elapsed() < Duration::from_secs(4));
    let rest: Vec<String> = std::iter::from_fn(|| next_line().ok()).collect();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("stopped after answering 1 requests"),
        "{rest:?}"
    );
}
