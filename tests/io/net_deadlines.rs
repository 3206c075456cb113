//! A deadline around a composite network operation (`connect_tcp`, `getaddrinfo`, a
//! listener's `serve`) is a timeout, caught by its scope, never an error of the operation; and
//! a `serve` dropped by foreign code ends its handlers. On every backend.
#![cfg(feature = "net")]

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{
    connect_tcp, create_tcp_listener, getaddrinfo, TcpConnectOptions, TcpListener,
    TcpListenerOptions, TcpStream,
};
use anyio::streams::{ByteReceiveStream, Listener, StreamError};
use anyio::{fail_after, move_on_after, sleep, sleep_forever, CancelScope, Event};
use futures::future::Either;

use crate::common;

use common::Flag;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A loopback listener whose connections never complete, and what keeps it so: its backlog is
/// 0 and one connection (returned) fills it, so Linux drops every later SYN and a `connect`
/// waits (retransmitting) for far longer than any test.
async fn port_that_never_accepts() -> (TcpListener, TcpStream, u16) {
    let listener = TcpListenerOptions::new()
        .local_host("127.0.0.1")
        .backlog(0)
        .bind()
        .await
        .unwrap();
    let address = listener.local_addrs()[0];
    let filler = TcpStream::connect(address).await.unwrap();
    // Let the handshake's last ACK put the filler in the accept queue.
    sleep(ms(20)).await;
    (listener, filler, address.port())
}

/// Regression: `connect_tcp` to one address whose connect hangs returned
/// `Some(Err(AllAttemptsFailed { attempts: [] }))` under `move_on_after`.
#[anyio::test]
async fn a_deadline_around_connect_tcp_is_a_timeout_not_a_failed_connect() {
    let (_listener, _filler, port) = port_that_never_accepts().await;
    let started = std::time::Instant::now();
    let outcome = move_on_after(ms(200), connect_tcp("127.0.0.1", port)).await;
    assert!(outcome.is_none(), "{outcome:?}");
    assert!(started.elapsed() >= ms(200), "the connect did hang");

    let outcome = fail_after(ms(100), connect_tcp("127.0.0.1", port)).await;
    assert!(outcome.is_err(), "{outcome:?}");
}

#[anyio::test]
async fn connect_tcp_in_a_cancelled_scope_connects_nothing() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(connect_tcp("127.0.0.1", port)).await.is_none());
    let scope = CancelScope::new();
    scope.handle().cancel();
    let named = TcpConnectOptions::new("localhost", port).happy_eyeballs_delay(ms(1));
    assert!(scope.run(named.connect()).await.is_none());
    // No connection reached the listener.
    assert!(move_on_after(ms(50), listener.accept()).await.is_none());
}

#[anyio::test]
async fn getaddrinfo_in_a_cancelled_scope_is_caught_by_the_scope() {
    for host in ["localhost", "127.0.0.1", "::1"] {
        let scope = CancelScope::new();
        scope.handle().cancel();
        assert!(scope.run(getaddrinfo(host, 80)).await.is_none(), "{host}");
        let outcome = fail_after(Duration::ZERO, getaddrinfo(host, 80)).await;
        assert!(outcome.is_err(), "{host}: {outcome:?}");
    }
}

/// A listener's `serve` whose handlers wait forever; `entered` is set once one runs.
fn serve_forever<'a>(
    listener: &'a TcpListener,
    entered: &Arc<Event>,
    dropped: &Flag,
) -> impl std::future::Future<Output = Result<(), StreamError>> + 'a {
    let (entered, dropped) = (entered.clone(), dropped.clone());
    listener.serve(move |stream: TcpStream| {
        let (entered, guard) = (entered.clone(), dropped.on_drop());
        async move {
            let _guard = guard;
            let _stream = stream;
            entered.set();
            sleep_forever().await;
        }
    })
}

#[anyio::test]
async fn a_deadline_around_serve_is_caught_by_its_scope() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = listener.local_addrs()[0];
    let (entered, dropped) = (Arc::new(Event::new()), Flag::new());
    let client = async {
        let client = TcpStream::connect(address).await.unwrap();
        entered.wait().await;
        client
    };
    let (outcome, client) = futures::join!(
        move_on_after(ms(100), serve_forever(&listener, &entered, &dropped)),
        client
    );
    assert!(outcome.is_none(), "{outcome:?}");
    assert!(dropped.is_set(), "the handler ended before serve returned");
    assert!(matches!(
        client.receive(16).await,
        Err(StreamError::EndOfStream)
    ));

    let outcome = fail_after(ms(50), serve_forever(&listener, &entered, &dropped)).await;
    assert!(outcome.is_err(), "{outcome:?}");
}

/// A `serve` future dropped by foreign code (here `futures::future::select`, not an anyio
/// scope) must still end its handler tasks and close their connections.
#[anyio::test]
async fn a_dropped_serve_ends_its_handlers_and_closes_their_connections() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = listener.local_addrs()[0];
    let (entered, dropped) = (Arc::new(Event::new()), Flag::new());
    let client = async {
        let client = TcpStream::connect(address).await.unwrap();
        entered.wait().await;
        sleep(ms(20)).await;
        client
    };
    // Boxed, so that dropping what `select` gives back drops the `serve` future itself.
    let serve = Box::pin(serve_forever(&listener, &entered, &dropped));
    let client = match futures::future::select(serve, pin!(client)).await {
        Either::Right((client, serve)) => {
            drop(serve);
            client
        }
        Either::Left((result, _)) => panic!("serve returned {result:?}"),
    };
    common::wait_until("the handler is dropped", || dropped.is_set()).await;
    let closed = fail_after(Duration::from_secs(5), client.receive(16)).await;
    assert!(
        matches!(closed, Ok(Err(StreamError::EndOfStream))),
        "{closed:?}"
    );
}
