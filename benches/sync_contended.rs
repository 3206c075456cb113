//! Issue 20, "Performance at the peer frontier": contended acquire + release of anyio's `Lock`,
//! `Mutex`, `Semaphore` and `CapacityLimiter` against `tokio::sync` and `async-lock`: 4 tasks
//! on a 4-worker tokio runtime, each taking and giving back one shared primitive 200 times in a
//! row. The mutexes are exclusive; the semaphores and the limiter have 2 permits, so half of
//! the tasks wait at any time. Goal: anyio ≤ 1.0× the peers.
//!
//! Every variant runs on the same runtime and spawns its 4 tasks the same way (the anyio ones
//! as children of an anyio task group, where the lock records its owner and the limiter its
//! borrower, as in real use); the time is per acquire + release (criterion's throughput is the
//! number of acquisitions). On a 2-core machine the 4 workers share 2 cores, which adds
//! preemption inside critical sections to the contention; that is the same for every variant.
//!
//! `cargo bench --all-features --bench sync_contended`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::{task_group, SpawnError};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

const TASKS: usize = 4;
const ROUNDS: u64 = 200;
const PERMITS: usize = 2;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(TASKS)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Times `iters` rounds of `TASKS` anyio children each running `work`.
fn anyio_rounds<W, Fut>(rt: &tokio::runtime::Runtime, iters: u64, work: W) -> Duration
where
    W: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            task_group(|tg| {
                let work = work.clone();
                async move {
                    for _ in 0..TASKS {
                        tg.start_soon(work())?;
                    }
                    Ok::<_, SpawnError>(())
                }
            })
            .await
            .expect("the round failed");
        }
        start.elapsed()
    })
}

/// Times `iters` rounds of `TASKS` tokio tasks each running `work`.
fn tokio_rounds<W, Fut>(rt: &tokio::runtime::Runtime, iters: u64, work: W) -> Duration
where
    W: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let tasks: Vec<_> = (0..TASKS).map(|_| tokio::spawn(work())).collect();
            for task in tasks {
                task.await.expect("a task panicked");
            }
        }
        start.elapsed()
    })
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(TASKS as u64 * ROUNDS));
    group
}

fn lock(c: &mut Criterion) {
    let rt = runtime();
    let mut group = group(c, "contended/lock");
    let lock = Arc::new(anyio::Lock::new());
    group.bench_function("anyio Lock", |b| {
        b.iter_custom(|iters| {
            let lock = lock.clone();
            anyio_rounds(&rt, iters, move || {
                let lock = lock.clone();
                async move {
                    for _ in 0..ROUNDS {
                        drop(black_box(lock.acquire().await));
                    }
                }
            })
        });
    });
    let mutex = Arc::new(anyio::Mutex::new(0u64));
    group.bench_function("anyio Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            let mutex = mutex.clone();
            anyio_rounds(&rt, iters, move || {
                let mutex = mutex.clone();
                async move {
                    for _ in 0..ROUNDS {
                        *mutex.lock().await += 1;
                    }
                }
            })
        });
    });
    let mutex = Arc::new(tokio::sync::Mutex::new(0u64));
    group.bench_function("tokio Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            tokio_rounds(&rt, iters, || {
                let mutex = mutex.clone();
                async move {
                    for _ in 0..ROUNDS {
                        *mutex.lock().await += 1;
                    }
                }
            })
        });
    });
    let mutex = Arc::new(async_lock::Mutex::new(0u64));
    group.bench_function("async-lock Mutex<u64>", |b| {
        b.iter_custom(|iters| {
            tokio_rounds(&rt, iters, || {
                let mutex = mutex.clone();
                async move {
                    for _ in 0..ROUNDS {
                        *mutex.lock().await += 1;
                    }
                }
            })
        });
    });
    group.finish();
}

fn semaphore(c: &mut Criterion) {
    let rt = runtime();
    let mut group = group(c, "contended/semaphore");
    let semaphore = Arc::new(anyio::Semaphore::new(PERMITS));
    group.bench_function("anyio Semaphore", |b| {
        b.iter_custom(|iters| {
            let semaphore = semaphore.clone();
            anyio_rounds(&rt, iters, move || {
                let semaphore = semaphore.clone();
                async move {
                    for _ in 0..ROUNDS {
                        drop(black_box(semaphore.acquire().await));
                    }
                }
            })
        });
    });
    peer_semaphores(&mut group, &rt);
    group.finish();
}

/// The peers' semaphores with `PERMITS` permits, the references of the semaphore and the
/// limiter groups.
fn peer_semaphores(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
) {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(PERMITS));
    group.bench_function("tokio Semaphore", |b| {
        b.iter_custom(|iters| {
            tokio_rounds(rt, iters, || {
                let semaphore = semaphore.clone();
                async move {
                    for _ in 0..ROUNDS {
                        drop(black_box(semaphore.acquire().await.expect("never closed")));
                    }
                }
            })
        });
    });
    let semaphore = Arc::new(async_lock::Semaphore::new(PERMITS));
    group.bench_function("async-lock Semaphore", |b| {
        b.iter_custom(|iters| {
            tokio_rounds(rt, iters, || {
                let semaphore = semaphore.clone();
                async move {
                    for _ in 0..ROUNDS {
                        drop(black_box(semaphore.acquire().await));
                    }
                }
            })
        });
    });
}

fn capacity_limiter(c: &mut Criterion) {
    let rt = runtime();
    let mut group = group(c, "contended/capacity_limiter");
    let limiter = Arc::new(anyio::CapacityLimiter::new(PERMITS));
    group.bench_function("anyio CapacityLimiter", |b| {
        b.iter_custom(|iters| {
            let limiter = limiter.clone();
            anyio_rounds(&rt, iters, move || {
                let limiter = limiter.clone();
                async move {
                    for _ in 0..ROUNDS {
                        drop(black_box(
                            limiter.acquire().await.expect("one token per call"),
                        ));
                    }
                }
            })
        });
    });
    peer_semaphores(&mut group, &rt);
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .without_plots()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = lock, semaphore, capacity_limiter
}
criterion_main!(benches);
