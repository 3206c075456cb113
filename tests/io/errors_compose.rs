//! One conversion path for the errors of a connection: every anyio error converts into
//! `io::Error` (keeping its kind and itself as the source), so a function returning
//! `io::Result` uses `?` on a connect, a send, a receive, a timeout, a start and a task group.
#![cfg(feature = "net")]

use std::io;

use anyio::net::{connect_tcp, create_tcp_listener, ConnectError};
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener, StreamError};
use anyio::{fail_after, task_group, Duration, TaskStatus, TimeoutError};

/// An echo exchange written the way an application writes it: one error type, `?` everywhere.
async fn exchange(message: &'static [u8]) -> io::Result<Vec<u8>> {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await?;
    let port = listener.local_addrs()[0].port();
    let echoed = task_group(|tg| async move {
        let ready = tg
            .start(move |status: TaskStatus<()>| async move {
                status.started(());
                let peer = listener.accept().await?;
                let request = peer.receive(64).await?;
                peer.send_all(&request).await?;
                Ok::<(), io::Error>(())
            })
            .await;
        ready?;
        let client = fail_after(Duration::from_secs(10), connect_tcp("127.0.0.1", port)).await??;
        client.send_all(message).await?;
        let reply = fail_after(Duration::from_secs(10), client.receive(64)).await??;
        Ok::<_, io::Error>(reply)
    })
    .await?;
    Ok(echoed)
}

#[anyio::test]
async fn a_tcp_exchange_needs_one_error_type() {
    assert_eq!(exchange(b"ping").await.unwrap(), b"ping");
}

#[anyio::test]
async fn a_refused_connect_keeps_its_kind_through_io_error() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    drop(listener);
    let error: ConnectError = connect_tcp("127.0.0.1", port).await.unwrap_err();
    let converted = io::Error::from(error);
    assert_eq!(converted.kind(), io::ErrorKind::ConnectionRefused);
    assert!(converted.get_ref().unwrap().is::<ConnectError>());
}

#[anyio::test]
async fn a_child_s_single_io_error_comes_out_of_the_group_unwrapped() {
    async fn failing() -> io::Result<()> {
        task_group(|tg| async move {
            tg.start_soon(async { Err(io::Error::new(io::ErrorKind::PermissionDenied, "nope")) })?;
            Ok::<_, io::Error>(())
        })
        .await?;
        Ok(())
    }
    let error = failing().await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(error.to_string(), "nope");
}

#[anyio::test]
async fn several_io_errors_keep_the_first_kind_and_every_message() {
    let result = task_group(|tg| async move {
        tg.start_soon(async { Err(io::Error::new(io::ErrorKind::NotFound, "first")) })?;
        tg.start_soon(async { Err(io::Error::new(io::ErrorKind::NotFound, "second")) })?;
        Ok::<_, io::Error>(())
    })
    .await;
    let error = io::Error::from(result.unwrap_err());
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    let text = error.to_string();
    assert!(text.contains("first") && text.contains("second"), "{text}");
}

#[anyio::test]
async fn stream_and_timeout_errors_map_onto_io_kinds() {
    let closed = io::Error::from(StreamError::ClosedResource);
    assert_eq!(closed.kind(), io::ErrorKind::NotConnected);
    let timed_out = fail_after(Duration::from_millis(1), anyio::sleep_forever())
        .await
        .unwrap_err();
    let converted = io::Error::from(timed_out);
    assert_eq!(converted.kind(), io::ErrorKind::TimedOut);
    assert!(converted.get_ref().unwrap().is::<TimeoutError>());
}

async fn exchange_with_anyhow() -> anyhow::Result<Vec<u8>> {
    Ok(exchange(b"through anyhow").await?)
}

#[anyio::test]
async fn the_same_path_reaches_anyhow() {
    assert_eq!(exchange_with_anyhow().await.unwrap(), b"through anyhow");
}
