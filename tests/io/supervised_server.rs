//! The server: a background job of a server-lifetime task group panics, and the
//! listener goes on serving, because the job's failures are handled by itself (`on_failure`)
//! or restarted (`Supervisor`) instead of cancelling the group.
#![cfg(feature = "net")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use anyio::net::{connect_tcp, create_tcp_listener, TcpStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener};
use anyio::supervise::{Backoff, ChildFailure, Supervisor};
use anyio::{sleep, task_group, Duration, SpawnError};

async fn echo_once(port: u16, message: &[u8]) -> Vec<u8> {
    let client = connect_tcp("127.0.0.1", port).await.unwrap();
    client.send_all(message).await.unwrap();
    client.receive(64).await.unwrap()
}

#[anyio::test]
async fn a_panicking_background_job_does_not_close_the_listener() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    let panics = Arc::new(AtomicU32::new(0));
    let restarts = Arc::new(AtomicU32::new(0));
    let (counted, restarted) = (panics.clone(), restarts.clone());
    let served = task_group(|server| async move {
        server.start_soon(async move {
            listener
                .serve(|stream: TcpStream| async move {
                    if let Ok(request) = stream.receive(64).await {
                        let _ = stream.send_all(&request).await;
                    }
                })
                .await
                .unwrap();
        })?;
        // A job whose panic is handled where it was spawned.
        server
            .task()
            .name("one-off job")
            .on_failure(move |failure: ChildFailure<SpawnError>| {
                assert_eq!(failure.panic_message(), Some("job hit a bug"));
                counted.fetch_add(1, Ordering::SeqCst);
            })
            .start_soon(async {
                sleep(Duration::from_millis(1)).await;
                if std::hint::black_box(true) {
                    panic!("job hit a bug");
                }
            })?;
        // A periodic job that keeps panicking: restarted each time, never fatal.
        server.start_soon(
            Supervisor::new()
                .backoff(Backoff::constant(Duration::from_millis(1)))
                .on_failure(move |_| {
                    restarted.fetch_add(1, Ordering::SeqCst);
                })
                .run(|| async {
                    sleep(Duration::from_millis(1)).await;
                    if std::hint::black_box(true) {
                        panic!("refresher hit a bug");
                    }
                }),
        )?;
        while panics.load(Ordering::SeqCst) < 1 || restarts.load(Ordering::SeqCst) < 3 {
            sleep(Duration::from_millis(1)).await;
        }
        // The next request after the panics is served.
        assert_eq!(echo_once(port, b"still up").await, b"still up");
        server.shutdown(Duration::from_secs(10));
        Ok::<_, SpawnError>("stopped")
    })
    .await;
    assert_eq!(served, Ok("stopped"));
}
