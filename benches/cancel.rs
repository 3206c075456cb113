//! Issue 3, "Performance": the cost of cancel scopes.
//!
//! - `move_on_after(1 s, ready)` vs `tokio::time::timeout(1 s, ready)`: goal ≤ 1.2×.
//! - `move_on_after(1 s, sleep(50 µs))` vs `tokio::time::timeout` around the same
//!   `tokio::time::sleep`: goal ≤ 1.2×. (tokio's timer wheel has 1 ms resolution, so the sleep
//!   itself takes about a millisecond in both.)
//! - `CancelScope::new().run(ready)` vs awaiting the bare ready future: goal ≤ 50 ns overhead.
//! - `move_on_after(1 s, ready)` on smol vs `smol::future::or(ready, smol::Timer::after(1 s))`,
//!   when the smol backend is compiled in (`--features full`).
//!
//! Everything runs on tokio's multi-thread runtime, timed with `iter_custom` around the loop
//! only. The anyio variants run both inside an anyio task (a task group child, so every scope
//! hangs under the task's root scope: the usual case) and, for the scope overhead, directly in
//! `block_on` with no enclosing anyio scope.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::future::{ready, Future};
use std::hint::black_box;
use std::time::{Duration, Instant};

use anyio::{move_on_after, task_group, Backend, CancelScope, SpawnError};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};

const TIMEOUT: Duration = Duration::from_secs(1);
const SHORT_SLEEP: Duration = Duration::from_micros(50);

/// Runs `measure` as a child of an anyio task group on the ambient tokio runtime, so that the
/// code it times runs inside an anyio task.
fn in_anyio_task<M, Fut>(rt: &tokio::runtime::Runtime, measure: M) -> Duration
where
    M: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Duration> + Send + 'static,
{
    rt.block_on(task_group(|tg| async move {
        let handle = tg.spawn(async move { Ok(measure().await) })?;
        Ok::<_, SpawnError>(handle.await.expect("measuring task failed"))
    }))
    .expect("task group failed")
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

fn bench_ready(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("timeout_ready");
    configure(&mut group);
    group.bench_function("anyio::move_on_after", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(rt, move || async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(move_on_after(TIMEOUT, ready(black_box(1u64))).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("tokio::time::timeout", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(rt, move || async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let _ = black_box(tokio::time::timeout(TIMEOUT, ready(black_box(1u64))).await);
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn bench_sleep(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("timeout_sleep_50us");
    configure(&mut group);
    group.sample_size(10);
    group.bench_function("anyio::move_on_after", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(rt, move || async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(move_on_after(TIMEOUT, tokio::time::sleep(SHORT_SLEEP)).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("tokio::time::timeout", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(rt, move || async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let _ = black_box(
                        tokio::time::timeout(TIMEOUT, tokio::time::sleep(SHORT_SLEEP)).await,
                    );
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn bench_scope(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("cancel_scope_run_ready");
    configure(&mut group);
    group.bench_function("bare_ready", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(rt, move || async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(ready(black_box(1u64)).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("CancelScope::run/in_anyio_task", |b| {
        b.iter_custom(|iters| {
            in_anyio_task(rt, move || async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(CancelScope::new().run(ready(black_box(1u64))).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("CancelScope::run/no_enclosing_scope", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(CancelScope::new().run(ready(black_box(1u64))).await);
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn bench_smol(c: &mut Criterion) {
    if !Backend::Smol.is_available() {
        eprintln!("smol backend not compiled in: run with `--features full` to bench it");
        return;
    }
    let mut group = c.benchmark_group("smol_timeout_ready");
    configure(&mut group);
    group.bench_function("anyio::move_on_after", |b| {
        b.iter_custom(|iters| {
            anyio::run_with(Backend::Smol, async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(move_on_after(TIMEOUT, ready(black_box(1u64))).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("smol::future::or+Timer", |b| {
        b.iter_custom(|iters| {
            smol::block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    // Built eagerly, as `tokio::time::timeout` computes its deadline eagerly;
                    // registered with the reactor only if polled (it never is here).
                    let timer = smol::Timer::after(TIMEOUT);
                    let value =
                        smol::future::or(async { Some(ready(black_box(1u64)).await) }, async {
                            timer.await;
                            None
                        });
                    black_box(value.await);
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    bench_ready(c, &rt);
    bench_sleep(c, &rt);
    bench_scope(c, &rt);
    bench_smol(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
