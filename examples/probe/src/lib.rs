//! TCP health probes, written only against `anyio`: the same code runs on tokio, smol and
//! async-std, whichever the application enables.
//!
//! [`probe_all`] connects to every target at once, at most `concurrency` at a time (a
//! [`CapacityLimiter`]), each within its own deadline (`fail_after`), inside one task group,
//! and reports each target's outcome and latency.
//!
//! ```
//! # anyio::run(async {
//! let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let target = format!("127.0.0.1:{}", listener.local_addrs()[0].port());
//! let report = anyio_example_probe::probe_all(&[target], 4, std::time::Duration::from_secs(1)).await;
//! assert!(report[0].outcome.is_ok());
//! # });
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::net::connect_tcp;
use anyio::{current_time, fail_after, task_group, CapacityLimiter};

/// Why a probe failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// The target is not `host:port`.
    BadTarget(String),
    /// Nothing answered before the deadline.
    TimedOut(Duration),
    /// The connection failed.
    Refused(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::BadTarget(target) => write!(f, "{target:?} is not host:port"),
            ProbeError::TimedOut(after) => write!(f, "no answer within {after:?}"),
            ProbeError::Refused(why) => write!(f, "{why}"),
        }
    }
}

/// One target's result.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The target, as given.
    pub target: String,
    /// How long the connection took, or why it failed.
    pub outcome: Result<Duration, ProbeError>,
}

/// Probes one `host:port` target.
///
/// # Errors
///
/// [`ProbeError`]: a malformed target, a timeout, or a failed connection.
pub async fn probe(target: &str, timeout: Duration) -> Result<Duration, ProbeError> {
    let (host, port) = target
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .ok_or_else(|| ProbeError::BadTarget(target.to_owned()))?;
    let started = current_time();
    match fail_after(timeout, connect_tcp(host, port)).await {
        Ok(Ok(_stream)) => Ok(current_time() - started),
        Ok(Err(error)) => Err(ProbeError::Refused(error.to_string())),
        Err(_) => Err(ProbeError::TimedOut(timeout)),
    }
}

/// Probes every target concurrently, `concurrency` at a time, each within `timeout`; the
/// report keeps the order of `targets`.
pub async fn probe_all(targets: &[String], concurrency: usize, timeout: Duration) -> Vec<Probe> {
    let limiter = Arc::new(CapacityLimiter::new(concurrency.max(1)));
    let results: Arc<Mutex<Vec<Option<Probe>>>> = Arc::new(Mutex::new(vec![None; targets.len()]));
    let spawned = task_group(|tg| {
        let results = results.clone();
        async move {
            for (index, target) in targets.iter().cloned().enumerate() {
                let (limiter, results) = (limiter.clone(), results.clone());
                tg.start_soon(async move {
                    let _token = limiter.acquire().await;
                    let outcome = probe(&target, timeout).await;
                    results.lock().unwrap()[index] = Some(Probe { target, outcome });
                })?;
            }
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await;
    spawned.expect("the group accepts children while its body runs");
    let mut results = results.lock().unwrap();
    results
        .drain(..)
        .map(|probe| probe.expect("every probe reports"))
        .collect()
}

/// The demo the three binaries run: probes a live local listener, a closed port and a
/// malformed target, and prints the report. Returns how many probes succeeded.
pub async fn demo() -> usize {
    let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .expect("a loopback listener");
    let live = listener.local_addrs()[0].port();
    let closed = {
        let spare = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
            .await
            .expect("a loopback listener");
        spare.local_addrs()[0].port()
    };
    let targets = vec![
        format!("127.0.0.1:{live}"),
        format!("localhost:{live}"),
        format!("127.0.0.1:{closed}"),
        "no-port-here".to_owned(),
    ];
    let backend = anyio::current_backend().expect("running on a backend");
    println!("probing on {backend:?}:");
    let report = probe_all(&targets, 2, Duration::from_secs(2)).await;
    for probe in &report {
        match &probe.outcome {
            Ok(latency) => println!("  {:<24} up ({latency:?})", probe.target),
            Err(error) => println!("  {:<24} down: {error}", probe.target),
        }
    }
    report.iter().filter(|probe| probe.outcome.is_ok()).count()
}
