//! A deadline around a TLS handshake (client or server side, `TlsStream::wrap`,
//! `connect_tls`, `TlsListener::accept` and `serve`) is a timeout caught by its scope, never a
//! handshake error, on every backend. The peer is a plain TCP socket that never answers.
#![cfg(all(feature = "tls", feature = "net", unix))]

use std::sync::Arc;
use std::time::Duration;

use anyio::net::{connect_tcp, create_tcp_listener, TcpConnectOptions, TcpListener, TcpStream};
use anyio::streams::{ByteReceiveStream, Listener, StreamError};
use anyio::tls::rustls::{ClientConfig, ServerConfig};
use anyio::tls::{TlsConfig, TlsListener, TlsStream};
use anyio::{fail_after, move_on_after, CancelScope};

use crate::common;

use common::Flag;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A client configuration trusting a fresh certificate for `localhost`, and the server's.
fn configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    include!("../../anyio-core/doc/tls_configs.rs")
}

fn client_config() -> TlsConfig {
    TlsConfig::client(configs().0, "localhost".try_into().unwrap())
}

/// A TLS listener on a fresh loopback port whose handshakes would wait far longer than any
/// test, so that only the test's own deadline ends them.
async fn patient_tls_listener(config: Arc<ServerConfig>) -> (TlsListener<TcpListener>, u16) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    let listener =
        TlsListener::new(listener, config).with_handshake_timeout(Duration::from_secs(3600));
    (listener, port)
}

/// Checks that the peer closed `stream`: the end of the stream, or a reset.
async fn assert_closed_by_peer(stream: &TcpStream) {
    let received = fail_after(Duration::from_secs(5), stream.receive(1024)).await;
    assert!(
        matches!(
            received,
            Ok(Err(
                StreamError::EndOfStream | StreamError::BrokenResource(_)
            ))
        ),
        "{received:?}"
    );
}

#[anyio::test]
async fn a_deadline_around_a_client_handshake_with_a_silent_server_is_a_timeout() {
    // Connections complete in the listener's backlog; it never accepts, so never answers.
    let silent = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = silent.local_addrs()[0].port();

    let transport = connect_tcp("127.0.0.1", port).await.unwrap();
    let outcome = move_on_after(ms(100), TlsStream::wrap(transport, client_config())).await;
    assert!(outcome.is_none(), "{:?}", outcome.map(|r| r.map(drop)));

    let transport = connect_tcp("127.0.0.1", port).await.unwrap();
    let outcome = fail_after(ms(100), TlsStream::wrap(transport, client_config())).await;
    assert!(outcome.is_err(), "{:?}", outcome.map(|r| r.map(drop)));

    let options = TcpConnectOptions::new("localhost", port);
    let outcome = move_on_after(ms(100), options.connect_tls(configs().0)).await;
    assert!(outcome.is_none(), "{:?}", outcome.map(|r| r.map(drop)));
}

#[anyio::test]
async fn a_deadline_around_a_server_handshake_with_a_silent_client_is_a_timeout() {
    let (_, server_config) = configs();
    let silent = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = silent.local_addrs()[0];
    let _client = TcpStream::connect(address).await.unwrap();
    let transport = silent.accept().await.unwrap();
    let outcome = move_on_after(
        ms(100),
        TlsStream::wrap(transport, TlsConfig::server(server_config)),
    )
    .await;
    assert!(outcome.is_none(), "{:?}", outcome.map(|r| r.map(drop)));
}

#[anyio::test]
async fn a_deadline_around_tls_listener_accept_with_a_silent_client_is_a_timeout() {
    let (listener, port) = patient_tls_listener(configs().1).await;
    let client = connect_tcp("127.0.0.1", port).await.unwrap();
    let outcome = move_on_after(ms(100), listener.accept()).await;
    assert!(outcome.is_none(), "{:?}", outcome.map(|r| r.map(drop)));
    // The connection whose handshake was in progress was closed.
    assert_closed_by_peer(&client).await;

    let client = connect_tcp("127.0.0.1", port).await.unwrap();
    let outcome = fail_after(ms(100), listener.accept()).await;
    assert!(outcome.is_err(), "{:?}", outcome.map(|r| r.map(drop)));
    assert_closed_by_peer(&client).await;
}

#[anyio::test]
async fn a_deadline_around_tls_listener_serve_is_caught_by_its_scope() {
    let (listener, port) = patient_tls_listener(configs().1).await;
    let handled = Flag::new();
    let serve = {
        let handled = handled.clone();
        listener.serve(move |_stream| {
            let handled = handled.clone();
            async move { handled.set() }
        })
    };
    let silent_client = async {
        let client = connect_tcp("127.0.0.1", port).await.unwrap();
        // Keep it open until the deadline has passed.
        anyio::sleep(ms(150)).await;
        client
    };
    let (outcome, client) = futures::join!(move_on_after(ms(100), serve), silent_client);
    assert!(outcome.is_none(), "{outcome:?}");
    assert!(!handled.is_set(), "no handshake completed");
    assert_closed_by_peer(&client).await;

    let outcome = fail_after(ms(50), listener.serve(|_stream| async {})).await;
    assert!(outcome.is_err(), "{outcome:?}");
}

#[anyio::test]
async fn a_handshake_in_a_cancelled_scope_sends_nothing() {
    let silent = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = silent.local_addrs()[0].port();
    let transport = connect_tcp("127.0.0.1", port).await.unwrap();
    let server_side = silent.accept().await.unwrap();
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope
        .run(TlsStream::wrap(transport, client_config()))
        .await
        .is_none());
    // The transport was dropped without a ClientHello.
    let received = server_side.receive(1024).await;
    assert!(
        matches!(received, Err(StreamError::EndOfStream)),
        "{received:?}"
    );
}

/// A `TlsListener::serve` future dropped by foreign code (`futures::future::select`) ends its
/// handler tasks and closes their connections, as the default `serve` does.
#[anyio::test]
async fn a_dropped_tls_serve_ends_its_handlers_and_closes_their_connections() {
    let (client_config, server_config) = configs();
    let (listener, port) = patient_tls_listener(server_config).await;
    let (entered, dropped) = (Arc::new(anyio::Event::new()), Flag::new());
    let serve = {
        let (entered, dropped) = (entered.clone(), dropped.clone());
        Box::pin(listener.serve(move |stream| {
            let (entered, guard) = (entered.clone(), dropped.on_drop());
            async move {
                let _guard = guard;
                let _stream = stream;
                entered.set();
                anyio::sleep_forever().await;
            }
        }))
    };
    let client = async {
        let transport = connect_tcp("127.0.0.1", port).await.unwrap();
        let config = TlsConfig::client(client_config, "localhost".try_into().unwrap());
        let client = TlsStream::wrap(transport, config).await.unwrap();
        entered.wait().await;
        anyio::sleep(ms(20)).await;
        client
    };
    let client = match futures::future::select(serve, std::pin::pin!(client)).await {
        futures::future::Either::Right((client, serve)) => {
            drop(serve);
            client
        }
        futures::future::Either::Left((result, _)) => panic!("serve returned {result:?}"),
    };
    common::wait_until("the handler is dropped", || dropped.is_set()).await;
    let closed = fail_after(Duration::from_secs(5), client.receive(16)).await;
    assert!(
        matches!(
            closed,
            Ok(Err(
                StreamError::EndOfStream | StreamError::BrokenResource(_)
            ))
        ),
        "{closed:?}"
    );
}
