//! Step 4's background job: an upstream health check, kept running by a [`Supervisor`].
//!
//! The job asks every upstream for a quote every [`HealthCheck::interval`], records how many
//! answered in [`Stats::healthy_upstreams`](crate::Stats::healthy_upstreams), and fails when
//! one did not: a degraded upstream set is worth a log line. The supervisor restarts it after
//! an exponential backoff, so a flapping upstream is checked less often, and the failure
//! never reaches the service's task group: the listener and the connections go on.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyio::supervise::{Backoff, ChildFailure, Supervisor};
use anyio::{move_on_after, sleep, task_group, SpawnError, TaskGroup};
use hyper::StatusCode;

use crate::{client, Service};

/// Settings of the upstream health check (Step 4).
///
/// # Examples
///
/// ```
/// use anyio::supervise::Backoff;
/// use anyio_example_tokio_service::HealthCheck;
/// use std::time::Duration;
///
/// let health = HealthCheck {
///     interval: Duration::from_secs(5),
///     backoff: Backoff::exponential(Duration::from_millis(200), Duration::from_secs(60)),
///     ..HealthCheck::default()
/// };
/// assert_eq!(health.max_restarts, None);
/// ```
#[derive(Debug, Clone)]
pub struct HealthCheck {
    /// How long the job waits between two checks that found every upstream answering.
    pub interval: Duration,
    /// How long the supervisor waits before restarting the job after a failure.
    pub backoff: Backoff,
    /// Give up after more than this many restarts within this long (`None`: never). Giving
    /// up stops the health job only; it is logged and shows in
    /// [`Stats::health_gave_up`](crate::Stats::health_gave_up).
    pub max_restarts: Option<(u32, Duration)>,
}

impl Default for HealthCheck {
    /// Every second; restarts after 100 ms, doubling up to 10 s; never gives up.
    fn default() -> HealthCheck {
        HealthCheck {
            interval: Duration::from_secs(1),
            backoff: Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10)),
            max_restarts: None,
        }
    }
}

impl Service {
    /// Starts the supervised health job in `tg`. It ends at once when the group is asked to
    /// shut down.
    pub(crate) fn start_health_job(
        self: &Arc<Self>,
        tg: &TaskGroup<io::Error>,
    ) -> Result<(), SpawnError> {
        let health = &self.config.health;
        let counted = self.clone();
        let mut supervisor = Supervisor::new().backoff(health.backoff).on_failure(
            move |failure: &ChildFailure<io::Error>| {
                counted.stats.health_failed();
                eprintln!("health check: {failure}");
            },
        );
        if let Some((restarts, within)) = health.max_restarts {
            supervisor = supervisor.max_restarts(restarts, within);
        }
        let service = self.clone();
        let supervised = supervisor.run(move || {
            service.stats.health_attempt();
            service.clone().check_forever()
        });
        let counted = self.clone();
        // Past the restart limit the supervisor lets the failure go; this handler takes it,
        // so that even then the job's failure does not cancel the listener.
        tg.task()
            .name("health check")
            .on_failure(move |failure| {
                counted.stats.health_given_up();
                eprintln!("health check stopped: {failure}");
            })
            .start_soon(crate::run::until_shutdown(supervised))
    }

    /// One attempt of the job: checks until a check finds an upstream down.
    async fn check_forever(self: Arc<Self>) -> io::Result<()> {
        loop {
            let down = self.check_upstreams().await?;
            self.stats
                .health_checked(self.config.upstreams.len() - down.len());
            if !down.is_empty() {
                let down: Vec<String> = down.iter().map(ToString::to_string).collect();
                return Err(io::Error::other(format!(
                    "no quote from {}",
                    down.join(", ")
                )));
            }
            sleep(self.config.health.interval).await;
        }
    }

    /// Asks every upstream at once, each within the request deadline; returns the ones that
    /// did not answer `200 OK`.
    async fn check_upstreams(&self) -> io::Result<Vec<SocketAddr>> {
        let upstreams = self.config.upstreams.clone();
        let deadline = self.config.deadline;
        let checked = task_group(|tg| async move {
            let mut checks = Vec::with_capacity(upstreams.len());
            for &upstream in &upstreams {
                let check = tg.spawn(async move {
                    let answer = move_on_after(deadline, client::get(upstream, "/quote")).await;
                    matches!(answer, Some(Ok((StatusCode::OK, _))))
                })?;
                checks.push((upstream, check));
            }
            let mut down = Vec::new();
            for (upstream, check) in checks {
                if !matches!(check.await, Ok(true)) {
                    down.push(upstream);
                }
            }
            Ok::<_, SpawnError>(down)
        })
        .await;
        checked.map_err(|error| io::Error::other(format!("health check: {error:?}")))
    }
}
