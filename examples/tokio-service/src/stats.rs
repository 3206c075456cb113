//! The service's counters: what the tests check and what an operator would graph.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Counters the service keeps, for tests and monitoring.
///
/// # Examples
///
/// ```
/// use anyio_example_tokio_service::Stats;
///
/// let stats = Stats::default();
/// assert_eq!(stats.requests(), 0);
/// assert_eq!(stats.health_restarts(), 0);
/// ```
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    upstream_calls: AtomicUsize,
    upstream_calls_cancelled: AtomicUsize,
    healthy_upstreams: AtomicUsize,
    health_checks: AtomicUsize,
    health_attempts: AtomicUsize,
    health_failures: AtomicUsize,
    health_gave_up: AtomicBool,
}

impl Stats {
    /// How many requests were answered (any route, any status).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// How many requests are inside the limiter now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests that were inside the limiter at the same time.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::SeqCst)
    }

    /// How many upstream calls were started.
    pub fn upstream_calls(&self) -> usize {
        self.upstream_calls.load(Ordering::SeqCst)
    }

    /// How many upstream calls were cancelled (dropped before they finished): the losers of
    /// each race, and every call still running when a deadline fired.
    pub fn upstream_calls_cancelled(&self) -> usize {
        self.upstream_calls_cancelled.load(Ordering::SeqCst)
    }

    /// How many upstreams answered the last health check.
    pub fn healthy_upstreams(&self) -> usize {
        self.healthy_upstreams.load(Ordering::SeqCst)
    }

    /// How many health checks ran to the end.
    pub fn health_checks(&self) -> usize {
        self.health_checks.load(Ordering::SeqCst)
    }

    /// How many times the health job failed (an error or a panic).
    pub fn health_failures(&self) -> usize {
        self.health_failures.load(Ordering::SeqCst)
    }

    /// How many times the supervisor restarted the health job.
    pub fn health_restarts(&self) -> usize {
        self.health_attempts
            .load(Ordering::SeqCst)
            .saturating_sub(1)
    }

    /// Whether the supervisor gave up on the health job (past its restart limit).
    pub fn health_gave_up(&self) -> bool {
        self.health_gave_up.load(Ordering::SeqCst)
    }

    pub(crate) fn answered(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn health_checked(&self, healthy: usize) {
        self.healthy_upstreams.store(healthy, Ordering::SeqCst);
        self.health_checks.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn health_attempt(&self) {
        self.health_attempts.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn health_failed(&self) {
        self.health_failures.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn health_given_up(&self) {
        self.health_gave_up.store(true, Ordering::SeqCst);
    }

    pub(crate) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }
}

/// One request inside the limiter; leaves on drop, however the request ends.
pub(crate) struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One upstream call. Cancellation drops the call's future, so a call dropped before it was
/// marked finished is one that was cancelled.
pub(crate) struct UpstreamCall<'a> {
    stats: &'a Stats,
    pub(crate) finished: bool,
}

impl<'a> UpstreamCall<'a> {
    pub(crate) fn start(stats: &'a Stats) -> UpstreamCall<'a> {
        stats.upstream_calls.fetch_add(1, Ordering::SeqCst);
        UpstreamCall {
            stats,
            finished: false,
        }
    }
}

impl Drop for UpstreamCall<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.stats
                .upstream_calls_cancelled
                .fetch_add(1, Ordering::SeqCst);
        }
    }
}
