//! Issue 5, "Performance": uncontended acquire + release of anyio's `Lock`, `Semaphore` and
//! `CapacityLimiter` against `tokio::sync` and `async-lock`. Goal: anyio ≤ 1.2× the peers.
//!
//! Each variant runs its acquire + release loop inside one task with `iter_custom`, so only
//! the loop is timed. The anyio primitives run inside an anyio task (`anyio::run`), where the
//! lock records its owning task and the limiter borrows for it, as in real use; the
//! "outside a task" variants show the same calls from a plain executor.
//! `CapacityLimiter` has no exact peer; it is compared with the peers' semaphores (a limiter
//! also checks and records its borrower).
//!
//! `cargo bench --bench sync` (add `-- --quick` for a faster, rougher run).

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

/// Times `iters` rounds of `round` inside an anyio task.
fn in_anyio_task<F, Fut>(iters: u64, round: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    anyio::run(async {
        let start = Instant::now();
        for _ in 0..iters {
            round().await;
        }
        start.elapsed()
    })
}

/// Times `iters` rounds of `round` on a plain executor (no anyio task).
fn on_plain_executor<F, Fut>(iters: u64, round: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    futures::executor::block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            round().await;
        }
        start.elapsed()
    })
}

fn lock(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended/lock");
    let anyio_lock = anyio::sync::Lock::new();
    group.bench_function("anyio Lock", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(anyio_lock.acquire().await));
            })
        })
    });
    group.bench_function("anyio Lock (outside a task)", |b| {
        b.iter_custom(|iters| {
            on_plain_executor(iters, || async {
                drop(black_box(anyio_lock.acquire().await));
            })
        })
    });
    let anyio_mutex = anyio::sync::Mutex::new(0_u64);
    group.bench_function("anyio Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                *anyio_mutex.lock().await += 1;
            })
        })
    });
    let tokio_mutex = tokio::sync::Mutex::new(0_u64);
    group.bench_function("tokio Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                *tokio_mutex.lock().await += 1;
            })
        })
    });
    let async_lock_mutex = async_lock::Mutex::new(0_u64);
    group.bench_function("async-lock Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                *async_lock_mutex.lock().await += 1;
            })
        })
    });
    group.finish();
}

fn semaphore(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended/semaphore");
    let anyio_semaphore = anyio::sync::Semaphore::new(4);
    group.bench_function("anyio Semaphore", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(anyio_semaphore.acquire().await));
            })
        })
    });
    let tokio_semaphore = tokio::sync::Semaphore::new(4);
    group.bench_function("tokio Semaphore", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(tokio_semaphore.acquire().await.unwrap()));
            })
        })
    });
    let async_lock_semaphore = async_lock::Semaphore::new(4);
    group.bench_function("async-lock Semaphore", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(async_lock_semaphore.acquire().await));
            })
        })
    });
    group.finish();
}

fn capacity_limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended/capacity_limiter");
    let limiter = anyio::sync::CapacityLimiter::new(4);
    group.bench_function("anyio CapacityLimiter", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(limiter.acquire().await.unwrap()));
            })
        })
    });
    let borrower = anyio::sync::Borrower::new();
    group.bench_function("anyio CapacityLimiter (on behalf of)", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(
                    limiter.acquire_on_behalf_of(borrower).await.unwrap(),
                ));
            })
        })
    });
    let tokio_semaphore = tokio::sync::Semaphore::new(4);
    group.bench_function("tokio Semaphore", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(tokio_semaphore.acquire().await.unwrap()));
            })
        })
    });
    let async_lock_semaphore = async_lock::Semaphore::new(4);
    group.bench_function("async-lock Semaphore", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(iters, || async {
                drop(black_box(async_lock_semaphore.acquire().await));
            })
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .without_plots()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = lock, semaphore, capacity_limiter
}
criterion_main!(benches);
