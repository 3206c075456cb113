//! What the service's tests share: starting it on a loopback port, and bounded waits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyio::Event;
use anyio_example_tokio_service::{Config, Service};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Runs the service with `config` on a loopback port until `stop` is set.
pub(crate) async fn start(
    config: Config,
) -> (SocketAddr, Arc<Service>, Arc<Event>, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = Service::new(config);
    let stop = Arc::new(Event::new());
    let stopped = stop.clone();
    let running = tokio::spawn(
        service
            .clone()
            .run(listener, async move { stopped.wait().await }),
    );
    let running = tokio::spawn(async move { running.await.unwrap().unwrap() });
    (addr, service, stop, running)
}

/// Waits until `done` holds, checking every few milliseconds, for at most `limit`.
pub(crate) async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) {
    let waited = timeout(limit, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "condition not reached within {limit:?}");
}
