//! Issue 5, "Performance": memory object streams against `tokio::sync::mpsc`, `async-channel`,
//! `flume` and `kanal`, moving `u64` items 1→1 and 4→4 (producers → consumers) through
//! buffers of 0 (rendezvous: only anyio, flume and kanal can), 1, 1024 and unbounded, on tokio
//! (multi-thread runtime, 2 workers) and smol (an executor run by 2 threads).
//!
//! Every variant is timed with `iter_custom` around spawning the producers and consumers and
//! joining them (the runtime is built once). One iteration moves `ITEMS` (10 000) items rather
//! than the 1M, so that the whole run stays near a minute; results are per item. `tokio::sync::mpsc` is single-consumer, so it runs 1→1 only.
//!
//! Before the timings, the binary prints the heap allocations per item of each channel's
//! buffered path (a send and a receive in one task, after warm-up), counted by an
//! instrumented global allocator.
//!
//! `cargo bench --bench memory_stream` (add `-- --quick` for a faster, rougher run).

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::alloc::System;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::streams::memory::{MemoryReceiveStream, MemorySendStream};
use criterion::{criterion_group, BenchmarkId, Criterion, SamplingMode, Throughput};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Items moved per iteration.
const ITEMS: u64 = 10_000;
const UNBOUNDED: usize = usize::MAX;

/// A channel under test: cloneable ends, an async send and an async receive that returns
/// `None` once every sender is gone.
trait Channel: 'static {
    const NAME: &'static str;
    /// Whether `pair(0)` is a rendezvous channel (else the size is skipped).
    const RENDEZVOUS: bool;
    /// Whether several consumers may share the receiving end.
    const MULTI_CONSUMER: bool = true;
    type Tx: Clone + Send + Sync + 'static;
    type Rx: Clone + Send + Sync + 'static;
    fn pair(buffer: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, value: u64) -> impl Future<Output = ()> + Send;
    fn recv(rx: &Self::Rx) -> impl Future<Output = Option<u64>> + Send;
}

struct Anyio;

/// anyio's receive end is cloneable per handle; wrap both ends so `Clone` shares nothing else.
impl Channel for Anyio {
    const NAME: &'static str = "anyio";
    const RENDEZVOUS: bool = true;
    type Tx = MemorySendStream<u64>;
    type Rx = MemoryReceiveStream<u64>;
    fn pair(buffer: usize) -> (Self::Tx, Self::Rx) {
        anyio::create_memory_object_stream(buffer)
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).await.expect("receivers gone");
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.receive().await.ok()
    }
}

struct AsyncChannel;

impl Channel for AsyncChannel {
    const NAME: &'static str = "async-channel";
    const RENDEZVOUS: bool = false;
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn pair(buffer: usize) -> (Self::Tx, Self::Rx) {
        if buffer == UNBOUNDED {
            async_channel::unbounded()
        } else {
            async_channel::bounded(buffer)
        }
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).await.expect("receivers gone");
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

struct Flume;

impl Channel for Flume {
    const NAME: &'static str = "flume";
    const RENDEZVOUS: bool = true;
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn pair(buffer: usize) -> (Self::Tx, Self::Rx) {
        if buffer == UNBOUNDED {
            flume::unbounded()
        } else {
            flume::bounded(buffer)
        }
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.send_async(value).await.expect("receivers gone");
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

struct Kanal;

impl Channel for Kanal {
    const NAME: &'static str = "kanal";
    const RENDEZVOUS: bool = true;
    type Tx = kanal::AsyncSender<u64>;
    type Rx = kanal::AsyncReceiver<u64>;
    fn pair(buffer: usize) -> (Self::Tx, Self::Rx) {
        if buffer == UNBOUNDED {
            kanal::unbounded_async()
        } else {
            kanal::bounded_async(buffer)
        }
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).await.expect("receivers gone");
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// tokio's mpsc: bounded or unbounded behind one type, single consumer (the receiver sits in
/// a mutex only to satisfy `Clone`; it is never contended, as this channel runs 1→1 only).
struct TokioMpsc;

#[derive(Clone)]
enum TokioTx {
    Bounded(tokio::sync::mpsc::Sender<u64>),
    Unbounded(tokio::sync::mpsc::UnboundedSender<u64>),
}

enum TokioRxInner {
    Bounded(tokio::sync::mpsc::Receiver<u64>),
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<u64>),
}

#[derive(Clone)]
struct TokioRx(Arc<std::sync::Mutex<Option<TokioRxInner>>>);

impl Channel for TokioMpsc {
    const NAME: &'static str = "tokio-mpsc";
    const RENDEZVOUS: bool = false;
    const MULTI_CONSUMER: bool = false;
    type Tx = TokioTx;
    type Rx = TokioRx;
    fn pair(buffer: usize) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = if buffer == UNBOUNDED {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (TokioTx::Unbounded(tx), TokioRxInner::Unbounded(rx))
        } else {
            let (tx, rx) = tokio::sync::mpsc::channel(buffer);
            (TokioTx::Bounded(tx), TokioRxInner::Bounded(rx))
        };
        (tx, TokioRx(Arc::new(std::sync::Mutex::new(Some(rx)))))
    }
    async fn send(tx: &Self::Tx, value: u64) {
        match tx {
            TokioTx::Bounded(tx) => tx.send(value).await.expect("receiver gone"),
            TokioTx::Unbounded(tx) => tx.send(value).expect("receiver gone"),
        }
    }
    async fn recv(rx: &Self::Rx) -> Option<u64> {
        // Single consumer: take the receiver out for the duration of the call.
        let mut inner = rx.0.lock().unwrap().take().expect("one consumer only");
        let value = match &mut inner {
            TokioRxInner::Bounded(rx) => rx.recv().await,
            TokioRxInner::Unbounded(rx) => rx.recv().await,
        };
        *rx.0.lock().unwrap() = Some(inner);
        value
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The two runtimes, built once.
struct Runtimes {
    tokio: tokio::runtime::Runtime,
    smol: Arc<smol::Executor<'static>>,
    _smol_stop: async_channel::Sender<()>,
}

#[derive(Clone, Copy, Debug)]
enum Rt {
    Tokio,
    Smol,
}

impl Runtimes {
    fn new() -> Runtimes {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let smol = Arc::new(smol::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        // One helper thread; the benchmark's own thread runs the executor too while it waits.
        let executor = smol.clone();
        std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())));
        Runtimes {
            tokio,
            smol,
            _smol_stop: stop,
        }
    }

    fn spawn(&self, rt: Rt, future: BoxFuture) -> BoxFuture {
        match rt {
            Rt::Tokio => {
                let handle = self.tokio.spawn(future);
                Box::pin(async move { handle.await.unwrap() })
            }
            Rt::Smol => Box::pin(self.smol.spawn(future)),
        }
    }

    fn block_on<T>(&self, rt: Rt, future: impl Future<Output = T>) -> T {
        match rt {
            Rt::Tokio => self.tokio.block_on(future),
            Rt::Smol => smol::block_on(self.smol.run(future)),
        }
    }
}

/// Moves `ITEMS` items from `producers` to `consumers` tasks through a fresh channel.
async fn transfer<C: Channel>(
    runtimes: &Runtimes,
    rt: Rt,
    buffer: usize,
    producers: u64,
    consumers: u64,
) {
    let (tx, rx) = C::pair(buffer);
    let mut tasks = Vec::new();
    for p in 0..producers {
        let tx = tx.clone();
        tasks.push(runtimes.spawn(
            rt,
            Box::pin(async move {
                let per = ITEMS / producers;
                for i in p * per..(p + 1) * per {
                    C::send(&tx, i).await;
                }
            }),
        ));
    }
    drop(tx);
    let mut sums = Vec::new();
    for _ in 0..consumers {
        let rx = rx.clone();
        let (sum_tx, sum_rx) = async_channel::bounded(1);
        sums.push(sum_rx);
        tasks.push(runtimes.spawn(
            rt,
            Box::pin(async move {
                let mut sum = 0_u64;
                while let Some(value) = C::recv(&rx).await {
                    sum += value;
                }
                sum_tx.send(sum).await.unwrap();
            }),
        ));
    }
    drop(rx);
    for task in tasks {
        task.await;
    }
    let mut total = 0;
    for sum in sums {
        total += sum.recv().await.unwrap();
    }
    assert_eq!(total, ITEMS * (ITEMS - 1) / 2, "{} lost items", C::NAME);
    black_box(total);
}

fn bench_channel<C: Channel>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtimes: &Runtimes,
    rt: Rt,
    buffer: usize,
    (producers, consumers): (u64, u64),
) {
    if (buffer == 0 && !C::RENDEZVOUS) || (consumers > 1 && !C::MULTI_CONSUMER) {
        return;
    }
    group.bench_function(BenchmarkId::from_parameter(C::NAME), |b| {
        b.iter_custom(|iters| {
            runtimes.block_on(rt, async {
                let start = Instant::now();
                for _ in 0..iters {
                    transfer::<C>(runtimes, rt, buffer, producers, consumers).await;
                }
                start.elapsed()
            })
        })
    });
}

fn buffer_name(buffer: usize) -> String {
    if buffer == UNBOUNDED {
        "unbounded".to_owned()
    } else {
        buffer.to_string()
    }
}

fn streams(c: &mut Criterion) {
    let runtimes = Runtimes::new();
    for rt in [Rt::Tokio, Rt::Smol] {
        for (producers, consumers) in [(1, 1), (4, 4)] {
            for buffer in [0, 1, 1024, UNBOUNDED] {
                let name = format!(
                    "memory_stream/{rt:?}/{producers}to{consumers}/buffer_{}",
                    buffer_name(buffer)
                )
                .to_lowercase();
                let mut group = c.benchmark_group(name);
                group.throughput(Throughput::Elements(ITEMS));
                // Every iteration is milliseconds long: equal-sized samples keep the run short.
                group.sampling_mode(SamplingMode::Flat);
                let topology = (producers, consumers);
                bench_channel::<Anyio>(&mut group, &runtimes, rt, buffer, topology);
                bench_channel::<TokioMpsc>(&mut group, &runtimes, rt, buffer, topology);
                bench_channel::<AsyncChannel>(&mut group, &runtimes, rt, buffer, topology);
                bench_channel::<Flume>(&mut group, &runtimes, rt, buffer, topology);
                bench_channel::<Kanal>(&mut group, &runtimes, rt, buffer, topology);
                group.finish();
            }
        }
    }
}

/// Heap allocations per item for a send + receive in one task, after warm-up.
fn allocations_per_item<C: Channel>(buffer: usize) -> f64 {
    const ROUNDS: u64 = 100_000;
    let (tx, rx) = C::pair(buffer);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        for i in 0..1_000 {
            C::send(&tx, i).await;
            black_box(C::recv(&rx).await);
        }
        let region = Region::new(GLOBAL);
        for i in 0..ROUNDS {
            C::send(&tx, i).await;
            black_box(C::recv(&rx).await);
        }
        region.change().allocations as f64 / ROUNDS as f64
    })
}

fn report_allocations() {
    println!("heap allocations per item (send + receive in one task, after warm-up):");
    for buffer in [1, 1024, UNBOUNDED] {
        println!(
            "  buffer {:>9}: anyio {:.3}, tokio-mpsc {:.3}, async-channel {:.3}, flume {:.3}, kanal {:.3}",
            buffer_name(buffer),
            allocations_per_item::<Anyio>(buffer),
            allocations_per_item::<TokioMpsc>(buffer),
            allocations_per_item::<AsyncChannel>(buffer),
            allocations_per_item::<Flume>(buffer),
            allocations_per_item::<Kanal>(buffer),
        );
    }
}

fn config() -> Criterion {
    Criterion::default()
        .without_plots()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300))
}

criterion_group! {
    name = benches;
    config = config();
    targets = streams
}

fn main() {
    report_allocations();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
