//! Incremental adoption of anyio in an existing tokio service.
//!
//! The service is ordinary tokio + hyper code: a `tokio::net::TcpListener`, one
//! `tokio::spawn`ed task per connection, `hyper::server::conn::http1` to serve it. Its one
//! route, `GET /quote`, asks upstream HTTP services for a quote.
//!
//! It started out the way such handlers often do: call one upstream, fall back to the next if
//! that fails, no bound on concurrent requests, no deadline. Nothing about the runtime changed
//! since; the service adopted three anyio features, one at a time, each a local change in the
//! `GET /quote` handler (look for `Step 1`, `Step 2`, `Step 3` in the source):
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
//! None of them needed `anyio::run` or any other setup: anyio finds the tokio runtime the
//! service already runs on, including inside the plain `tokio::spawn`ed connection tasks.
//! Cancellation is delivered by dropping futures, so hyper's client futures are cancelled
//! without knowing anything about anyio.
//!
//! [`Stats`] records what a test needs to check all three: the peak number of requests inside
//! the limiter, and how many upstream calls were cancelled before they finished.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use anyio_example_tokio_service::{Config, Service};
//! use std::time::Duration;
//!
//! let config = Config {
//!     upstreams: vec!["127.0.0.1:8001".parse().unwrap(), "127.0.0.1:8002".parse().unwrap()],
//!     max_in_flight: 64,
//!     deadline: Duration::from_millis(300),
//! };
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! Service::new(config).serve(listener).await
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
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
pub mod upstream;

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
}

/// Counters the handler keeps, for tests and monitoring.
#[derive(Debug, Default)]
pub struct Stats {
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    upstream_calls: AtomicUsize,
    upstream_calls_cancelled: AtomicUsize,
}

impl Stats {
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

    fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }
}

/// One request inside the limiter; leaves on drop, however the request ends.
struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One upstream call. Cancellation drops the call's future, so a call dropped before it was
/// marked finished is one that was cancelled.
struct UpstreamCall<'a> {
    stats: &'a Stats,
    finished: bool,
}

impl<'a> UpstreamCall<'a> {
    fn start(stats: &'a Stats) -> UpstreamCall<'a> {
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

/// The quote service: its settings, its limiter and its counters, shared by every
/// connection task.
#[derive(Debug)]
pub struct Service {
    config: Config,
    limiter: CapacityLimiter,
    stats: Stats,
}

impl Service {
    /// A service with `config`, ready to [`serve`](Service::serve).
    pub fn new(config: Config) -> Arc<Service> {
        Arc::new(Service {
            // Step 1 added this. `max(1)`: a limiter with no tokens lets nobody through.
            limiter: CapacityLimiter::new(config.max_in_flight.max(1)),
            config,
            stats: Stats::default(),
        })
    }

    /// The handler's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Accepts connections on `listener` and serves each on its own tokio task, until
    /// accepting fails.
    ///
    /// # Errors
    ///
    /// The error `accept` failed with.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        serve_http(listener, move |request| self.clone().handle(request)).await
    }

    /// Routes one request.
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/quote") => self.quote().await,
            _ => text(StatusCode::NOT_FOUND, "no such route\n"),
        }
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
