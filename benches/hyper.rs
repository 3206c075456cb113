//! Issue 17, "hyper on every backend": HTTP/1.1 requests per second through hyper over
//! anyio's `TcpStream` (its `hyper::rt` traits, `anyio::hyper_rt`'s timer, connections in a
//! task group) against hyper on plain tokio (hyper-util's `TokioIo` over tokio's
//! `TcpStream`, connections in `tokio::spawn`ed tasks), in the same run.
//!
//! - `http1_sequential`: one keep-alive connection, one request after another (each a small
//!   GET answered with a 13-byte body); goal anyio on tokio ≥ 0.95× hyper on tokio.
//! - `http1_4_connections`: four keep-alive connections, each with one request in flight at a
//!   time, driven together from the client task.
//! - `http1_sequential_with_timer`: `http1_sequential` with a timer on the server (anyio's
//!   `AnyioTimer` against hyper-util's `TokioTimer`), which turns on hyper's default
//!   30 s `header_read_timeout`: a timer reset per request. The two groups above run without
//!   one on either side, so they compare the I/O path alone.
//!
//! anyio is measured on smol and async-std beside it (hyper has no runtime of its own there).
//! Connections are set up before the clock starts (`iter_custom`); anyio on tokio runs inside
//! a plain tokio multi-thread runtime, as the baseline does.
//! Run: `cargo bench --features full --bench hyper`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use anyio::hyper_rt::AnyioTimer;
use anyio::net::{create_tcp_listener, TcpStream};
use anyio::streams::Listener;
use anyio::{task_group, Backend, CancelScope, SpawnError};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"hello, world!",
    ))))
}

/// Sends `iters` requests on each connection, one at a time per connection, all connections
/// at once; returns the time taken.
async fn requests(senders: &mut [SendRequest<Empty<Bytes>>], iters: u64) -> Duration {
    let start = Instant::now();
    let clients = senders.iter_mut().map(|sender| async move {
        for _ in 0..iters {
            sender.ready().await.expect("ready");
            let response = sender
                .send_request(Request::new(Empty::new()))
                .await
                .expect("request");
            let body = response.into_body().collect().await.expect("body");
            assert_eq!(body.to_bytes().len(), 13);
        }
    });
    futures::future::join_all(clients).await;
    start.elapsed()
}

// ---- anyio, on whichever backend runs it ----

async fn anyio_run(connections: usize, timer: bool, iters: u64) -> Duration {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = listener.local_addrs()[0];
    let server = CancelScope::new();
    let shutdown = server.handle();
    task_group(|tg| async move {
        let accept_loop = task_group(|conns| async move {
            loop {
                let stream = listener.accept().await.expect("accept");
                conns.start_soon(async move {
                    let mut builder = hyper::server::conn::http1::Builder::new();
                    if timer {
                        builder.timer(AnyioTimer::new());
                    }
                    let _ = builder.serve_connection(stream, service_fn(hello)).await;
                })?;
            }
        });
        tg.start_soon(async move {
            let _: Option<Result<(), anyio::TaskGroupError<SpawnError>>> =
                server.run(accept_loop).await;
        })?;
        let mut senders = Vec::new();
        for _ in 0..connections {
            let stream = TcpStream::connect(address).await.expect("connect");
            let (sender, connection) = hyper::client::conn::http1::handshake(stream)
                .await
                .expect("handshake");
            tg.start_soon(async move {
                let _ = connection.await;
            })?;
            senders.push(sender);
        }
        let elapsed = requests(&mut senders, iters).await;
        drop(senders);
        shutdown.cancel();
        Ok::<_, SpawnError>(elapsed)
    })
    .await
    .expect("task group")
}

// ---- hyper on plain tokio ----

async fn tokio_run(connections: usize, timer: bool, iters: u64) -> Duration {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut served = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            served.spawn(async move {
                let mut builder = hyper::server::conn::http1::Builder::new();
                if timer {
                    builder.timer(TokioTimer::new());
                }
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service_fn(hello))
                    .await;
            });
        }
        served.join_all().await;
    });
    let mut senders = Vec::new();
    let mut drivers = Vec::new();
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        drivers.push(tokio::spawn(connection));
        senders.push(sender);
    }
    let elapsed = requests(&mut senders, iters).await;
    drop(senders);
    for driver in drivers {
        let _ = driver.await;
    }
    server.await.unwrap();
    elapsed
}

fn bench_connections(c: &mut Criterion, name: &str, connections: usize, timer: bool) {
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(connections as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    group.bench_function("tokio/anyio", |b| {
        b.iter_custom(|iters| rt.block_on(anyio_run(connections, timer, iters)));
    });
    group.bench_function("tokio/hyper", |b| {
        b.iter_custom(|iters| rt.block_on(tokio_run(connections, timer, iters)));
    });
    for backend in [Backend::Smol, Backend::AsyncStd] {
        if backend.is_available() {
            group.bench_function(format!("{backend}/anyio"), |b| {
                b.iter_custom(|iters| {
                    anyio::run_with(backend, anyio_run(connections, timer, iters))
                });
            });
        }
    }
    group.finish();
}

fn http1(c: &mut Criterion) {
    bench_connections(c, "http1_sequential", 1, false);
    bench_connections(c, "http1_4_connections", 4, false);
    bench_connections(c, "http1_sequential_with_timer", 1, true);
}

criterion_group!(benches, http1);
criterion_main!(benches);
