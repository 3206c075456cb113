//! Issue 3's spawn + join goal (anyio ≤ 1.3× the raw backend), measured so that the noise of a
//! shared machine cancels out: one task group of 10 000 no-op children per measurement, anyio
//! and the raw backend alternating, the median of each, and their ratio.
//!
//! Criterion (`benches/task_group.rs`) measures all anyio samples, then all raw ones, so a slow
//! minute of the machine lands on one side only; on the 2-core VM its smol and async-std ratios
//! move by ±0.1 between runs. Here both sides share every slow minute.
//!
//! ```text
//! cargo bench --all-features --bench spawn_join_interleaved          # 60 rounds per backend
//! cargo bench --all-features --bench spawn_join_interleaved -- 200   # more rounds
//! ```
//!
//! `scripts/bench-report` runs it with the criterion benches and keeps its output in its log;
//! its numbers do not enter the generated table.

#[path = "common/spawn_join.rs"]
mod spawn_join;

use std::future::Future;
use std::time::{Duration, Instant};

use anyio::Backend;
use spawn_join::{
    anyio_task_group, async_std_spawn_await, smol_spawn_await, tokio_join_set, CHILDREN,
};

/// Groups per measurement, so that one measurement is a few tens of milliseconds.
const GROUPS: u32 = 10;
/// Rounds run first and not counted (thread pools start, allocator arenas grow).
const WARM_UP_ROUNDS: usize = 10;

/// [`GROUPS`] rounds of one workload, one after the other.
async fn groups<F: Future<Output = ()>>(round: impl Fn() -> F) {
    for _ in 0..GROUPS {
        round().await;
    }
}

/// The time of one group, from a measurement of [`GROUPS`] of them.
fn per_group(run: impl FnOnce()) -> Duration {
    let start = Instant::now();
    run();
    start.elapsed() / GROUPS
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Alternates `anyio` and `raw` for `rounds` counted rounds and prints both medians.
fn compare(name: &str, rounds: usize, anyio: impl Fn(), raw: impl Fn()) {
    let (mut anyio_times, mut raw_times) = (Vec::new(), Vec::new());
    for round in 0..WARM_UP_ROUNDS + rounds {
        let (anyio_time, raw_time) = (per_group(&anyio), per_group(&raw));
        if round >= WARM_UP_ROUNDS {
            anyio_times.push(anyio_time);
            raw_times.push(raw_time);
        }
    }
    let (anyio_time, raw_time) = (median(anyio_times), median(raw_times));
    println!(
        "{name:<24} anyio {anyio_time:>10.2?}  raw {raw_time:>10.2?}  ratio {:.2}",
        anyio_time.as_secs_f64() / raw_time.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes flags such as `--bench`; the first plain number is the round count,
    // and criterion's `--quick` (which `scripts/bench-report --quick` passes) asks for few.
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let default_rounds = if arguments.iter().any(|arg| arg == "--quick") {
        15
    } else {
        60
    };
    let rounds = arguments
        .iter()
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(default_rounds)
        .max(1);
    println!("spawn + join of {CHILDREN} children, medians of {rounds} interleaved rounds");

    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    compare(
        "tokio multi-thread",
        rounds,
        || runtime.block_on(groups(anyio_task_group)),
        || runtime.block_on(groups(tokio_join_set)),
    );
    if Backend::Smol.is_available() {
        compare(
            "smol",
            rounds,
            || anyio::run_with(Backend::Smol, groups(anyio_task_group)),
            || smol::block_on(groups(smol_spawn_await)),
        );
    }
    if Backend::AsyncStd.is_available() {
        compare(
            "async-std",
            rounds,
            || anyio::run_with(Backend::AsyncStd, groups(anyio_task_group)),
            || async_std::task::block_on(groups(async_std_spawn_await)),
        );
    }
}
