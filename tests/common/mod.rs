//! Helpers shared by the conformance tests.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::streams::{AsyncResource, StreamError};
use anyio::{task_group, Event, SpawnError};

/// A flag that a test can move into a future and check afterwards.
#[derive(Clone, Debug, Default)]
pub struct Flag(Arc<AtomicBool>);

impl Flag {
    pub fn new() -> Flag {
        Flag::default()
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// A guard that sets the flag when dropped: proves a future was dropped (cancelled).
    pub fn on_drop(&self) -> SetOnDrop {
        SetOnDrop(self.clone())
    }
}

/// Sets its flag when dropped.
#[derive(Debug)]
pub struct SetOnDrop(Flag);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// A shared counter.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter::default()
    }

    pub fn add(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The message of a panic payload, whether it was formatted (`String`) or literal (`&str`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Polls `condition` every millisecond until it holds; fails the test after 5 s of real time.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        anyio::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// Waits until `n` receivers wait on `rx`.
pub async fn receivers_waiting<T>(rx: &anyio::MemoryReceiveStream<T>, n: usize) {
    wait_until("receivers are waiting", || {
        rx.statistics().tasks_waiting_receive == n
    })
    .await;
}

/// Waits until `n` senders wait on `tx`.
pub async fn senders_waiting<T>(tx: &anyio::MemorySendStream<T>, n: usize) {
    wait_until("senders are waiting", || {
        tx.statistics().tasks_waiting_send == n
    })
    .await;
}

/// Whether this machine can use IPv6 loopback.
pub fn ipv6_available() -> bool {
    std::net::UdpSocket::bind("[::1]:0").is_ok()
}

/// Polls `operation` once, checks that it blocks, sets `blocked`, then finishes it.
pub async fn block_then_finish<F: Future>(operation: F, blocked: &Event) -> F::Output {
    let mut operation = pin!(operation);
    assert!(
        futures::poll!(operation.as_mut()).is_pending(),
        "the operation should block"
    );
    blocked.set();
    operation.await
}

/// Checks that closing `resource` wakes `operation`, started on it in another task and
/// blocked there, with `ClosedResource`.
pub async fn check_aclose_wakes<R, Fut, T>(
    resource: &Arc<R>,
    operation: impl FnOnce(Arc<R>) -> Fut + Send + 'static,
) where
    R: AsyncResource + Send + Sync + 'static,
    Fut: Future<Output = Result<T, StreamError>> + Send,
    T: Debug,
{
    let blocked = Arc::new(Event::new());
    task_group(|tg| {
        let (resource, blocked) = (resource.clone(), blocked.clone());
        async move {
            let (target, blocking) = (resource.clone(), blocked.clone());
            tg.start_soon(async move {
                let result = block_then_finish(operation(target), &blocking).await;
                assert!(is_closed(&result), "{result:?}");
            })?;
            blocked.wait().await;
            resource.aclose().await;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
}

pub fn is_busy<T>(result: &Result<T, StreamError>) -> bool {
    matches!(result, Err(StreamError::BusyResource(_)))
}

pub fn is_closed<T>(result: &Result<T, StreamError>) -> bool {
    matches!(result, Err(StreamError::ClosedResource))
}

/// The kind of the system error behind a `BrokenResource`.
pub fn broken_kind(error: &StreamError) -> Option<std::io::ErrorKind> {
    match error {
        StreamError::BrokenResource(Some(source)) => Some(source.kind()),
        _ => None,
    }
}

/// A fresh directory under the system temp dir, unique to this test binary, process and call,
/// removed (with what is in it) when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "anyio-{}-{}-{n}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
