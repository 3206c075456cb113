//! Incremental adoption of anyio in an existing tokio service.
//!
//! The service is ordinary tokio + hyper code: a `tokio::net::TcpListener`, a task per
//! connection, `hyper::server::conn::http1` to serve it. Its one route, `GET /quote`, asks
//! upstream HTTP services for a quote.
//!
//! It started out the way such services often do: call one upstream, fall back to the next if
//! that fails, no bound on concurrent requests, no deadline, one `tokio::spawn`ed task per
//! connection that nobody waits for. Nothing about the runtime changed since; the service
//! adopted anyio one step at a time, each a local change (look for `Step 1` to `Step 5` in
//! the source). The first three are in the `GET /quote` handler:
//!
//! 1. **[`CapacityLimiter`]**: at most [`Config::max_in_flight`] requests work on a quote at
//!    once; the others queue in FIFO order.
//! 2. **[`move_on_after`]**: a per-request deadline. When it fires, anyio drops whatever the
//!    request was doing (queueing for the limiter, talking to upstreams) and the handler
//!    answers `504 Gateway Timeout`.
//! 3. **[`task_group`](task_group())**: ask every upstream at once; the first quote wins and
//!    the group cancels the other calls, which close their connections at once. The group
//!    waits for the cancelled calls to end before the handler goes on, so no upstream call
//!    outlives its request.
//!
//! The last two are in the accept loop, [`Service::run`] (the old loop, [`Service::serve`],
//! stays for comparison):
//!
//! 4. **No detached tasks, and a supervised background job**: every connection is a child
//!    of one anyio task group instead of a `tokio::spawn`ed task, so when `run` returns no
//!    connection is left running. Beside them runs an upstream health check
//!    ([`HealthCheck`]) under a [`Supervisor`](anyio::supervise::Supervisor): when it fails
//!    (an upstream is down) or panics, the failure is logged and counted in [`Stats`] and the
//!    job restarts after an exponential backoff; its failure never cancels the listener or
//!    the connections, as a plain child's failure would.
//! 5. **Graceful shutdown**: when `run`'s shutdown future resolves (the binary's is `SIGTERM`
//!    or `SIGINT`), it calls [`TaskGroup::shutdown`](anyio::TaskGroup::shutdown). The accept
//!    loop sees the request ([`shutdown_requested`](anyio::shutdown_requested)), stops
//!    accepting and drops the listener, so new connections are refused; each connection
//!    finishes the request in flight through hyper's `graceful_shutdown`
//!    ([`with_graceful_shutdown`](anyio::with_graceful_shutdown)) and closes; the health job
//!    stops. Whatever still runs when [`Config::grace`] ends is cancelled.
//!
//! None of them needed `anyio::run` or any other setup: anyio finds the tokio runtime the
//! service already runs on, including inside plain `tokio::spawn`ed tasks. Cancellation is
//! delivered by dropping futures, so hyper's client futures are cancelled without knowing
//! anything about anyio.
//!
//! [`Stats`] records what a test needs to check all five: the peak number of requests inside
//! the limiter, how many upstream calls were cancelled before they finished, how many
//! requests were answered, and the health job's checks, failures and restarts.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use anyio::signal::{open_signal_receiver, Signal};
//! use anyio_example_tokio_service::{Config, Service};
//! use std::time::Duration;
//!
//! let config = Config {
//!     upstreams: vec!["127.0.0.1:8001".parse().unwrap(), "127.0.0.1:8002".parse().unwrap()],
//!     max_in_flight: 64,
//!     deadline: Duration::from_millis(300),
//!     grace: Duration::from_secs(5),
//!     ..Config::default()
//! };
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! let mut signals = open_signal_receiver(&[Signal::Terminate, Signal::Interrupt])?;
//! let stop = async move {
//!     signals.receive().await;
//! };
//! Service::new(config).run(listener, stop).await?;
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyio::{create_memory_object_stream, move_on_after, task_group, CapacityLimiter, SpawnError};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub mod client;
mod health;
mod run;
mod stats;
pub mod upstream;

pub use health::HealthCheck;
pub use stats::Stats;

use stats::UpstreamCall;

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The upstream quote services (`GET /quote` on each), asked all at once.
    pub upstreams: Vec<SocketAddr>,
    /// How many requests may work on a quote at once (the limiter's tokens).
    pub max_in_flight: usize,
    /// How long a request may take, queueing for the limiter included, before it is answered
    /// with `504 Gateway Timeout`.
    pub deadline: Duration,
    /// Step 5: how long a graceful shutdown lets requests in flight finish before it cancels
    /// them ([`Service::run`]).
    pub grace: Duration,
    /// Step 4: the supervised upstream health check ([`Service::run`]).
    pub health: HealthCheck,
}

impl Default for Config {
    /// No upstreams, 64 requests at once, a 300 ms deadline, a 5 s grace period, and the
    /// default [`HealthCheck`].
    fn default() -> Config {
        Config {
            upstreams: Vec::new(),
            max_in_flight: 64,
            deadline: Duration::from_millis(300),
            grace: Duration::from_secs(5),
            health: HealthCheck::default(),
        }
    }
}

/// The quote service: its settings, its limiter and its counters, shared by every
/// connection task.
#[derive(Debug)]
pub struct Service {
    config: Config,
    limiter: CapacityLimiter,
    stats: Stats,
}

impl Service {
    /// A service with `config`, ready to [`run`](Service::run).
    pub fn new(config: Config) -> Arc<Service> {
        Arc::new(Service {
            // Step 1 added this. `max(1)`: a limiter with no tokens lets nobody through.
            limiter: CapacityLimiter::new(config.max_in_flight.max(1)),
            config,
            stats: Stats::default(),
        })
    }

    /// The service's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The accept loop as it was before Step 4: accepts connections on `listener` and serves
    /// each on its own detached tokio task, until accepting fails. No health job, no graceful
    /// shutdown: dropping this future stops accepting but leaves the connection tasks
    /// running. [`run`](Service::run) replaces it; it stays for comparison.
    ///
    /// # Errors
    ///
    /// The error `accept` failed with.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        serve_http(listener, move |request| self.clone().handle(request)).await
    }

    /// Routes one request.
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let response = match (request.method(), request.uri().path()) {
            (&Method::GET, "/quote") => self.clone().quote().await,
            _ => text(StatusCode::NOT_FOUND, "no such route\n"),
        };
        self.stats.answered();
        response
    }

    /// `GET /quote`: the first quote any upstream gives, within the deadline.
    async fn quote(self: Arc<Self>) -> Response<Full<Bytes>> {
        // Step 2: a per-request deadline. `move_on_after` runs the request inside a cancel
        // scope; when the deadline passes it drops the request's future at its next await
        // (a queued `acquire`, the upstream calls) and resolves to `None`. The deadline
        // covers queueing for the limiter too: a client does not care why it waited.
        let answered = move_on_after(self.config.deadline, async {
            // Step 1: at most `max_in_flight` requests past this point. The token goes back
            // when `_token` is dropped, and a queued `acquire` dropped by the deadline leaks
            // none. This runs in a plain `tokio::spawn`ed task, not an anyio task, so each
            // call borrows as its own anonymous borrower and `AlreadyBorrowing` cannot happen.
            let Ok(_token) = self.limiter.acquire().await else {
                return text(StatusCode::INTERNAL_SERVER_ERROR, "limiter\n");
            };
            let _in_flight = self.stats.enter();
            match self.race_upstreams().await {
                Ok(quote) => text(StatusCode::OK, quote),
                Err(failures) => text(StatusCode::BAD_GATEWAY, failures.join("\n") + "\n"),
            }
        })
        .await;
        answered.unwrap_or_else(|| {
            text(
                StatusCode::GATEWAY_TIMEOUT,
                "no upstream answered in time\n",
            )
        })
    }

    /// Step 3: asks every upstream at once and returns the first quote; the other calls are
    /// cancelled. If every upstream fails, returns why each failed.
    ///
    /// Before this step the handler called the upstreams one after the other, so a slow
    /// first upstream cost the whole wait even when the second could answer at once.
    async fn race_upstreams(self: &Arc<Self>) -> Result<String, Vec<String>> {
        // Each call reports on this channel; its buffer holds every answer, so a call never
        // waits to report.
        let (answers, answered) =
            create_memory_object_stream::<Result<String, String>>(self.config.upstreams.len());
        let raced = task_group(|tg| async move {
            for &upstream in &self.config.upstreams {
                let (service, answers) = (self.clone(), answers.clone());
                // A failing call reports its error instead of failing the group: a group
                // cancels every child at the first failure, and one upstream being down
                // must not stop the other from answering.
                tg.start_soon(async move {
                    let mut call = UpstreamCall::start(&service.stats);
                    let answer = client::get(upstream, "/quote").await;
                    call.finished = true;
                    let answer = match answer {
                        Ok((StatusCode::OK, quote)) => Ok(quote),
                        Ok((status, _)) => Err(format!("{upstream}: {status}")),
                        Err(error) => Err(format!("{upstream}: {error}")),
                    };
                    // Only fails if the race is already decided; nobody needs this answer.
                    let _ = answers.try_send(answer);
                })?;
            }
            // The channel ends once every call has reported.
            drop(answers);
            let mut failures = Vec::new();
            while let Ok(answer) = answered.receive().await {
                match answer {
                    Ok(quote) => {
                        // The first quote wins: cancel the calls still running. The group
                        // drops their futures (closing their connections) and waits for them
                        // to end before it returns.
                        tg.cancel();
                        return Ok(Ok(quote));
                    }
                    Err(failure) => failures.push(failure),
                }
            }
            Ok::<_, SpawnError>(Err(failures))
        })
        .await;
        // Spawning only fails into a group that has ended, and this one is still running.
        raced.unwrap_or_else(|error| Err(vec![format!("task group: {error:?}")]))
    }
}

/// A plain-text response.
fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// The accept loop every tokio + hyper service has: one `tokio::spawn`ed task per connection,
/// serving HTTP/1 with `handler`.
async fn serve_http<H, F>(listener: TcpListener, handler: H) -> io::Result<()>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let (stream, _peer) = listener.accept().await?;
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = handler(request);
                async move { Ok::<_, Infallible>(response.await) }
            });
            // A connection error (say, the client went away) ends that connection only.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
