//! Issue 3, "Performance": spawn + join of 10 000 no-op children through an anyio task group,
//! against the raw backend doing the same (`tokio::task::JoinSet`, `smol::spawn` + awaiting the
//! `Task`s, `async_std::task::spawn` + awaiting the `JoinHandle`s). Goal: anyio ≤ 1.3× raw.
//!
//! Every variant is timed with `iter_custom`, measuring only the loop that spawns and joins,
//! inside the runtime it uses (building a runtime is never timed). anyio on tokio runs inside a
//! plain tokio runtime's `block_on` and picks tokio up ambiently, exactly like the `JoinSet`
//! baseline (on the multi-thread runtime, and again on a current-thread one); on smol and async-std it runs in `anyio::run_with`, whose `block_on` is the same as
//! the baseline's.
//!
//! The smol and async-std variants need those backends compiled into anyio:
//! `cargo bench --features full --bench task_group`. Without them they are skipped.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

#[path = "common/spawn_join.rs"]
mod spawn_join;

use std::future::Future;
use std::time::{Duration, Instant};

use anyio::Backend;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spawn_join::{
    anyio_task_group, async_std_spawn_await, smol_spawn_await, tokio_join_set, CHILDREN,
};

/// Times `iters` rounds run one after the other.
async fn rounds<F: Future<Output = ()>>(iters: u64, round: impl Fn() -> F) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        round().await;
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join_10k");
    group
        .throughput(Throughput::Elements(CHILDREN as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    group.bench_function("tokio/anyio_task_group", |b| {
        b.iter_custom(|iters| rt.block_on(rounds(iters, anyio_task_group)));
    });
    group.bench_function("tokio/JoinSet", |b| {
        b.iter_custom(|iters| rt.block_on(rounds(iters, tokio_join_set)));
    });

    // The same on a current-thread runtime: no cross-core traffic, so it isolates the CPU cost
    // per child and is much less sensitive to other load on the machine.
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    group.bench_function("tokio-current-thread/anyio_task_group", |b| {
        b.iter_custom(|iters| local.block_on(rounds(iters, anyio_task_group)));
    });
    group.bench_function("tokio-current-thread/JoinSet", |b| {
        b.iter_custom(|iters| local.block_on(rounds(iters, tokio_join_set)));
    });

    if Backend::Smol.is_available() {
        group.bench_function("smol/anyio_task_group", |b| {
            b.iter_custom(|iters| anyio::run_with(Backend::Smol, rounds(iters, anyio_task_group)));
        });
        group.bench_function("smol/spawn_await", |b| {
            b.iter_custom(|iters| smol::block_on(rounds(iters, smol_spawn_await)));
        });
    } else {
        eprintln!("smol backend not compiled in: run with `--features full` to bench it");
    }

    if Backend::AsyncStd.is_available() {
        group.bench_function("async-std/anyio_task_group", |b| {
            b.iter_custom(|iters| {
                anyio::run_with(Backend::AsyncStd, rounds(iters, anyio_task_group))
            });
        });
        group.bench_function("async-std/spawn_await", |b| {
            b.iter_custom(|iters| async_std::task::block_on(rounds(iters, async_std_spawn_await)));
        });
    } else {
        eprintln!("async-std backend not compiled in: run with `--features full` to bench it");
    }

    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
