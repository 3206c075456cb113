//! Issue 6, "Performance": the round trip of `anyio::to_thread::run_sync` with a trivial
//! closure, against each backend's own offload in the same run: `tokio::task::spawn_blocking`,
//! `smol::unblock` (the `blocking` crate's pool) and `async_std::task::spawn_blocking`.
//! Goal: anyio ≤ 1.3× raw.
//!
//! Shapes, each timed with `iter_custom` around the measured loop only, inside the runtime it
//! uses (building a runtime is never timed):
//!
//! - `to_thread_single`: one call, awaited, then the next (the latency of one round trip), from
//!   the runtime's `block_on` with no enclosing anyio scope;
//! - `to_thread_single_in_task`: the same inside a task group child, the usual place for a
//!   call: the call is then a protected region of the child's scopes (the raw call runs in the
//!   same kind of child, so only the offload differs);
//! - `to_thread_batch_100`: 100 calls started together and joined with `join_all` in one task
//!   (the throughput of the pool). anyio goes through its default `CapacityLimiter` (40
//!   tokens), which the raw pools do not have; the `limiter_100` variant gives every call a
//!   token, to show what the limit costs.
//!
//! anyio on tokio runs in a plain tokio runtime's `block_on` and picks tokio up ambiently; on
//! smol and async-std it runs in `anyio::run_with`, whose `block_on` is the baseline's.
//!
//! Before criterion's groups, the bench prints an interleaved comparison (anyio and raw in
//! alternating short rounds, medians), which load on a small shared machine disturbs far less
//! than criterion's one-variant-after-the-other runs; see `report_interleaved`.
//!
//! The smol and async-std variants need those backends compiled into anyio:
//! `cargo bench --all-features --bench thread`. Without them they are skipped.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyio::sync::CapacityLimiter;
use anyio::to_thread::{self, ToThread};
use anyio::{task_group, Backend, SpawnError};
use criterion::{criterion_group, Criterion, Throughput};
use futures::future::join_all;

const BATCH: usize = 100;

/// The work every call offloads: trivial, so the round trip is all that is measured.
fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

async fn anyio_call(x: u64) -> u64 {
    to_thread::run_sync(move || work(x)).await
}

/// A limiter with a token for every call of a batch.
fn limiter_100() -> &'static CapacityLimiter {
    static LIMITER: OnceLock<CapacityLimiter> = OnceLock::new();
    LIMITER.get_or_init(|| CapacityLimiter::new(BATCH))
}

async fn anyio_call_limiter_100(x: u64) -> u64 {
    ToThread::new()
        .limiter(limiter_100())
        .run_sync(move || work(x))
        .await
}

async fn tokio_call(x: u64) -> u64 {
    tokio::task::spawn_blocking(move || work(x))
        .await
        .expect("blocking task panicked")
}

async fn smol_call(x: u64) -> u64 {
    smol::unblock(move || work(x)).await
}

async fn async_std_call(x: u64) -> u64 {
    async_std::task::spawn_blocking(move || work(x)).await
}

/// Times `iters` sequential round trips made by `call`.
async fn single<C, Fut>(iters: u64, call: C) -> Duration
where
    C: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    let start = Instant::now();
    for i in 0..iters {
        black_box(call(i).await);
    }
    start.elapsed()
}

/// Times `iters` batches of `BATCH` concurrent calls made by `call`, joined in this task.
async fn batch<C, Fut>(iters: u64, call: C) -> Duration
where
    C: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    let start = Instant::now();
    for _ in 0..iters {
        black_box(join_all((0..BATCH as u64).map(&call)).await);
    }
    start.elapsed()
}

/// Runs `measure` as a task group child and returns what it measured.
async fn in_task<M>(measure: M) -> Duration
where
    M: Future<Output = Duration> + Send + 'static,
{
    task_group(|tg| async move {
        let handle = tg.spawn(async move { Ok(measure.await) })?;
        Ok::<_, SpawnError>(handle.await.expect("measuring task failed"))
    })
    .await
    .expect("task group failed")
}

/// What is measured; every shape has an anyio side and a raw side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Single,
    SingleInTask,
    Batch,
    /// anyio with a limiter of 100 tokens; the raw side is the same as `Batch`.
    BatchLimiter100,
}

impl Shape {
    const ALL: [Shape; 4] = [
        Shape::Single,
        Shape::SingleInTask,
        Shape::Batch,
        Shape::BatchLimiter100,
    ];

    /// The criterion group, and the name of the anyio variant in it.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Shape::Single => ("to_thread_single", "anyio_run_sync"),
            Shape::SingleInTask => ("to_thread_single_in_task", "anyio_run_sync"),
            Shape::Batch => ("to_thread_batch_100", "anyio_run_sync"),
            Shape::BatchLimiter100 => ("to_thread_batch_100", "anyio_run_sync_limiter_100"),
        }
    }

    /// Calls per measured iteration.
    fn calls(self) -> u64 {
        match self {
            Shape::Single | Shape::SingleInTask => 1,
            Shape::Batch | Shape::BatchLimiter100 => BATCH as u64,
        }
    }
}

/// The tokio runtime of every tokio variant (multi-thread, built once, never timed).
fn tokio_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// anyio on tokio: inside the runtime's `block_on`, where anyio finds tokio ambiently.
fn on_tokio<F: Future>(future: F) -> F::Output {
    tokio_runtime().block_on(future)
}

fn on_anyio_smol<F: Future>(future: F) -> F::Output {
    anyio::run_with(Backend::Smol, future)
}

fn on_anyio_async_std<F: Future>(future: F) -> F::Output {
    anyio::run_with(Backend::AsyncStd, future)
}

/// Times `iters` iterations of `shape` with the offload `call`, driven to completion by
/// `run`, a generic function such as [`on_tokio`].
macro_rules! measure {
    ($shape:expr, $iters:expr, $call:expr, $run:path) => {{
        let (iters, call) = ($iters, $call);
        match $shape {
            Shape::Single => $run(single(iters, call)),
            Shape::SingleInTask => $run(in_task(single(iters, call))),
            Shape::Batch | Shape::BatchLimiter100 => $run(batch(iters, call)),
        }
    }};
}

/// One backend: how to time each shape through anyio and through the raw offload.
struct Side {
    backend: &'static str,
    raw_name: &'static str,
    anyio: fn(Shape, u64) -> Duration,
    raw: fn(Shape, u64) -> Duration,
}

fn sides() -> Vec<Side> {
    let mut sides = vec![Side {
        backend: "tokio",
        raw_name: "spawn_blocking",
        anyio: |shape, iters| match shape {
            Shape::BatchLimiter100 => measure!(shape, iters, anyio_call_limiter_100, on_tokio),
            _ => measure!(shape, iters, anyio_call, on_tokio),
        },
        raw: |shape, iters| measure!(shape, iters, tokio_call, on_tokio),
    }];
    if Backend::Smol.is_available() {
        sides.push(Side {
            backend: "smol",
            raw_name: "unblock",
            anyio: |shape, iters| match shape {
                Shape::BatchLimiter100 => {
                    measure!(shape, iters, anyio_call_limiter_100, on_anyio_smol)
                }
                _ => measure!(shape, iters, anyio_call, on_anyio_smol),
            },
            raw: |shape, iters| match shape {
                // The in-task shape needs an anyio task; the call itself is still raw.
                Shape::SingleInTask => measure!(shape, iters, smol_call, on_anyio_smol),
                _ => measure!(shape, iters, smol_call, smol::block_on),
            },
        });
    } else {
        eprintln!("smol backend not compiled in: run with `--all-features` to bench it");
    }
    if Backend::AsyncStd.is_available() {
        sides.push(Side {
            backend: "async-std",
            raw_name: "spawn_blocking",
            anyio: |shape, iters| match shape {
                Shape::BatchLimiter100 => {
                    measure!(shape, iters, anyio_call_limiter_100, on_anyio_async_std)
                }
                _ => measure!(shape, iters, anyio_call, on_anyio_async_std),
            },
            raw: |shape, iters| match shape {
                Shape::SingleInTask => {
                    measure!(shape, iters, async_std_call, on_anyio_async_std)
                }
                _ => measure!(shape, iters, async_std_call, async_std::task::block_on),
            },
        });
    } else {
        eprintln!("async-std backend not compiled in: run with `--all-features` to bench it");
    }
    sides
}

fn bench(c: &mut Criterion) {
    let sides = sides();
    for group_name in [
        "to_thread_single",
        "to_thread_single_in_task",
        "to_thread_batch_100",
    ] {
        let mut group = c.benchmark_group(group_name);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        let shapes: Vec<Shape> = Shape::ALL
            .into_iter()
            .filter(|shape| shape.names().0 == group_name)
            .collect();
        group.throughput(Throughput::Elements(shapes[0].calls()));
        for side in &sides {
            for &shape in &shapes {
                let id = format!("{}/{}", side.backend, shape.names().1);
                group.bench_function(id, |b| b.iter_custom(|iters| (side.anyio)(shape, iters)));
            }
            let id = format!("{}/{}", side.backend, side.raw_name);
            group.bench_function(id, |b| b.iter_custom(|iters| (side.raw)(shapes[0], iters)));
        }
        group.finish();
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Criterion times one variant after the other, and on a small shared machine the load moves
/// between them: a thread round trip is mostly the kernel waking threads, so the same code
/// measures anywhere from 10 to 50 µs depending on what else runs. This pass alternates anyio
/// and the raw offload in short rounds (which goes first alternates too) and prints the medians
/// of the time per call and of the per-round ratios, which load drift disturbs far less.
fn report_interleaved() {
    const ROUNDS: usize = 15;
    println!("interleaved anyio vs raw ({ROUNDS} alternating rounds; medians, µs per call):");
    for side in sides() {
        for shape in Shape::ALL {
            let iters = match shape {
                Shape::Single | Shape::SingleInTask => 300,
                Shape::Batch | Shape::BatchLimiter100 => 10,
            };
            let per_call =
                |elapsed: Duration| elapsed.as_secs_f64() * 1e6 / (iters * shape.calls()) as f64;
            // One untimed round each, so the pools have their threads.
            (side.anyio)(shape, iters);
            (side.raw)(shape, iters);
            let (mut anyio, mut raw, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let (a, r) = if round % 2 == 0 {
                    let a = per_call((side.anyio)(shape, iters));
                    (a, per_call((side.raw)(shape, iters)))
                } else {
                    let r = per_call((side.raw)(shape, iters));
                    (per_call((side.anyio)(shape, iters)), r)
                };
                anyio.push(a);
                raw.push(r);
                ratios.push(a / r);
            }
            let (group, variant) = shape.names();
            println!(
                "  {:<52} anyio {:7.2}  {:<15} {:7.2}  ratio {:.2}",
                format!("{group}/{}/{variant}", side.backend),
                median(&mut anyio),
                side.raw_name,
                median(&mut raw),
                median(&mut ratios),
            );
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    // `cargo test --benches` runs each benchmark once with `--test`; skip the extra pass then.
    let quick_check = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    if !quick_check {
        report_interleaved();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
