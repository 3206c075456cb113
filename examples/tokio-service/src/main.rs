//! Runs two upstream quote services (one fast, one slow) and the quote service on loopback
//! ports. By default asks the service for a quote once, prints the answer and exits; with
//! `serve`, serves until `SIGTERM` or `SIGINT`, then shuts down gracefully.
//!
//! ```text
//! cargo run -p anyio-example-tokio-service [-- FAST_MS SLOW_MS DEADLINE_MS]
//! cargo run -p anyio-example-tokio-service -- serve [FAST_MS SLOW_MS DEADLINE_MS]
//! ```
//!
//! Defaults: 10, 1000, 300. The slow upstream's call is cancelled as soon as the fast one
//! answers, so a request takes about `FAST_MS`, not `SLOW_MS`. Make both slower than the
//! deadline to see the `504`.
//!
//! `serve` prints `listening on ADDR` once it accepts connections. On the signal it stops
//! accepting, lets the requests in flight finish (for up to 5 s, then cancels them), prints
//! how many requests it answered and exits with status 0.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyio::signal::{open_signal_receiver, Signal};
use anyio_example_tokio_service::client::{self, BoxError};
use anyio_example_tokio_service::{upstream, Config, Service};
use tokio::net::TcpListener;

/// How long `serve` lets requests in flight finish after the signal.
const GRACE: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.first().is_some_and(|arg| arg == "serve");
    if serve {
        args.remove(0);
    }
    let (fast_delay, slow_delay, deadline) = match delays(args) {
        Ok(delays) => delays,
        Err(bad) => {
            eprintln!(
                "usage: anyio-example-tokio-service [serve] [FAST_MS [SLOW_MS [DEADLINE_MS]]]"
            );
            eprintln!("{bad:?} is not a number of milliseconds");
            std::process::exit(2);
        }
    };

    let fast =
        upstream::spawn("Simple is better than complex. (fast upstream)", fast_delay).await?;
    let slow = upstream::spawn("Now is better than never. (slow upstream)", slow_delay).await?;
    let service = Service::new(Config {
        upstreams: vec![slow, fast],
        max_in_flight: 8,
        deadline,
        grace: GRACE,
        ..Config::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    if serve {
        serve_until_signal(service, listener).await
    } else {
        let addr = listener.local_addr()?;
        tokio::spawn(service.clone().serve(listener));
        ask_once(&service, addr).await
    }
}

/// `serve`: runs the service until `SIGTERM` or `SIGINT`, then shuts it down gracefully.
async fn serve_until_signal(
    service: std::sync::Arc<Service>,
    listener: TcpListener,
) -> Result<(), BoxError> {
    // Listening starts before the address is printed: a signal sent as soon as the address
    // shows is not lost.
    let mut signals = open_signal_receiver(&[Signal::Terminate, Signal::Interrupt])?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    // An operator's view (and the end-to-end test's cue): the requests being worked on.
    let watched = service.clone();
    tokio::spawn(async move {
        let mut shown = 0;
        loop {
            let now = watched.stats().in_flight();
            if now != shown {
                shown = now;
                println!("in flight: {now}");
                let _ = std::io::stdout().flush();
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
    let stop = async move {
        if let Some(signal) = signals.receive().await {
            eprintln!("{signal:?}: shutting down, {GRACE:?} for requests in flight");
        }
    };
    service.clone().run(listener, stop).await?;
    println!(
        "stopped after answering {} requests",
        service.stats().requests()
    );
    Ok(())
}

/// The default: one `GET /quote`, printed.
async fn ask_once(service: &Service, addr: SocketAddr) -> Result<(), BoxError> {
    let started = Instant::now();
    let (status, body) = client::get(addr, "/quote").await?;
    println!(
        "GET http://{addr}/quote -> {status} in {:?}",
        started.elapsed()
    );
    println!("{}", body.trim_end());
    println!(
        "upstream calls: {} started, {} cancelled",
        service.stats().upstream_calls(),
        service.stats().upstream_calls_cancelled()
    );
    Ok(())
}

/// The fast upstream's delay, the slow one's, and the deadline, from `args`; otherwise the
/// argument that is not a number.
fn delays(args: Vec<String>) -> Result<(Duration, Duration, Duration), String> {
    let mut args = args.into_iter();
    let mut next = |default: u64| match args.next() {
        Some(arg) => arg.parse().map(Duration::from_millis).map_err(|_| arg),
        None => Ok(Duration::from_millis(default)),
    };
    Ok((next(10)?, next(1000)?, next(300)?))
}
