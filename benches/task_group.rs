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

use std::time::{Duration, Instant};

use anyio::{task_group, Backend, SpawnError};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CHILDREN: usize = 10_000;

/// One spawn + join of `CHILDREN` no-op children through a task group.
async fn anyio_spawn_join() {
    task_group(|tg| async move {
        for _ in 0..CHILDREN {
            tg.start_soon(async {})?;
        }
        Ok::<_, SpawnError>(())
    })
    .await
    .expect("task group failed");
}

async fn anyio_batches(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        anyio_spawn_join().await;
    }
    start.elapsed()
}

async fn tokio_join_set(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..CHILDREN {
            set.spawn(async {});
        }
        while let Some(joined) = set.join_next().await {
            joined.expect("child panicked");
        }
    }
    start.elapsed()
}

async fn smol_spawn(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let tasks: Vec<smol::Task<()>> = (0..CHILDREN).map(|_| smol::spawn(async {})).collect();
        for task in tasks {
            task.await;
        }
    }
    start.elapsed()
}

async fn async_std_spawn(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let tasks: Vec<async_std::task::JoinHandle<()>> = (0..CHILDREN)
            .map(|_| async_std::task::spawn(async {}))
            .collect();
        for task in tasks {
            task.await;
        }
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
        b.iter_custom(|iters| rt.block_on(anyio_batches(iters)));
    });
    group.bench_function("tokio/JoinSet", |b| {
        b.iter_custom(|iters| rt.block_on(tokio_join_set(iters)));
    });

    // The same on a current-thread runtime: no cross-core traffic, so it isolates the CPU cost
    // per child and is much less sensitive to other load on the machine.
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    group.bench_function("tokio-current-thread/anyio_task_group", |b| {
        b.iter_custom(|iters| local.block_on(anyio_batches(iters)));
    });
    group.bench_function("tokio-current-thread/JoinSet", |b| {
        b.iter_custom(|iters| local.block_on(tokio_join_set(iters)));
    });

    if Backend::Smol.is_available() {
        group.bench_function("smol/anyio_task_group", |b| {
            b.iter_custom(|iters| anyio::run_with(Backend::Smol, anyio_batches(iters)));
        });
        group.bench_function("smol/spawn_await", |b| {
            b.iter_custom(|iters| smol::block_on(smol_spawn(iters)));
        });
    } else {
        eprintln!("smol backend not compiled in: run with `--features full` to bench it");
    }

    if Backend::AsyncStd.is_available() {
        group.bench_function("async-std/anyio_task_group", |b| {
            b.iter_custom(|iters| anyio::run_with(Backend::AsyncStd, anyio_batches(iters)));
        });
        group.bench_function("async-std/spawn_await", |b| {
            b.iter_custom(|iters| async_std::task::block_on(async_std_spawn(iters)));
        });
    } else {
        eprintln!("async-std backend not compiled in: run with `--features full` to bench it");
    }

    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
