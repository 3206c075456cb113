//! Runs two upstream quote services (one fast, one slow) and the quote service on loopback
//! ports, asks the service for a quote once, prints the answer and exits.
//!
//! ```text
//! cargo run -p anyio-example-tokio-service [-- FAST_MS SLOW_MS DEADLINE_MS]
//! ```
//!
//! Defaults: 10, 1000, 300. The slow upstream's call is cancelled as soon as the fast one
//! answers, so the run takes about `FAST_MS`, not `SLOW_MS`. Make both slower than the
//! deadline to see the `504`.

use std::time::{Duration, Instant};

use anyio_example_tokio_service::client::{self, BoxError};
use anyio_example_tokio_service::{upstream, Config, Service};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (fast_delay, slow_delay, deadline) = match delays() {
        Ok(delays) => delays,
        Err(bad) => {
            eprintln!("usage: anyio-example-tokio-service [FAST_MS [SLOW_MS [DEADLINE_MS]]]");
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
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(service.clone().serve(listener));

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

/// The fast upstream's delay, the slow one's, and the deadline, from the command line;
/// otherwise the argument that is not a number.
fn delays() -> Result<(Duration, Duration, Duration), String> {
    let mut args = std::env::args().skip(1);
    let mut next = |default: u64| match args.next() {
        Some(arg) => arg.parse().map(Duration::from_millis).map_err(|_| arg),
        None => Ok(Duration::from_millis(default)),
    };
    Ok((next(10)?, next(1000)?, next(300)?))
}
