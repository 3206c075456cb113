//! TCP streams and listeners, `connect_tcp` and `getaddrinfo`, on every backend.
#![cfg(feature = "net")]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{
    connect_tcp, create_tcp_listener, getaddrinfo, AddressFamily, ConnectError, TcpConnectOptions,
    TcpListener, TcpListenerOptions, TcpStream,
};
use anyio::streams::attributes::{
    LocalAddress, LocalPort, RawFd, RemoteAddress, RemotePort, SocketAddress, TlsVersion,
    TypedAttributeProvider,
};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
};
use anyio::testing::{check_half_closeable_stream, check_two_way_stream, wait_all_tasks_blocked};
use anyio::{move_on_after, task_group, Event};

use crate::common;

use common::{ipv6_available, is_busy, is_closed};

async fn loopback_listener() -> TcpListener {
    create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap()
}

/// A connected pair: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = loopback_listener().await;
    let client = TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
    let server = listener.accept().await.unwrap();
    (client, server)
}

#[anyio::test]
async fn round_trip_and_addresses() {
    let (client, server) = tcp_pair().await;
    client.send_all(b"ping").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"ping");
    server.send_all(b"pong").await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"pong");
    assert_eq!(client.peer_addr(), server.local_addr());
    assert_eq!(server.peer_addr(), client.local_addr());
    assert!(client.nodelay().unwrap(), "connect turns TCP_NODELAY on");
    assert!(server.nodelay().unwrap(), "accept turns TCP_NODELAY on");
}

#[anyio::test]
async fn attributes() {
    let (client, server) = tcp_pair().await;
    assert_eq!(
        client.extra::<LocalAddress>(),
        Some(SocketAddress::Inet(client.local_addr()))
    );
    assert_eq!(
        client.extra::<RemoteAddress>(),
        Some(SocketAddress::Inet(server.local_addr()))
    );
    assert_eq!(
        client.extra::<LocalPort>(),
        Some(client.local_addr().port())
    );
    assert_eq!(
        client.extra::<RemotePort>(),
        Some(server.local_addr().port())
    );
    let fd = client
        .extra::<RawFd>()
        .expect("an open socket has a descriptor");
    assert!(fd >= 0);
    assert_eq!(client.extra::<TlsVersion>(), None, "no TLS layer here");
    client.aclose().await;
    assert_eq!(
        client.extra::<RawFd>(),
        None,
        "a closed socket has no descriptor"
    );
    // Addresses stay known after the close.
    assert_eq!(
        client.extra::<RemotePort>(),
        Some(server.local_addr().port())
    );
}

#[anyio::test]
async fn conformance_two_way() {
    check_two_way_stream(tcp_pair).await;
}

#[anyio::test]
async fn conformance_half_closeable() {
    check_half_closeable_stream(tcp_pair).await;
}

#[anyio::test]
async fn peer_close_is_end_of_stream_and_own_close_is_closed_resource() {
    let (client, server) = tcp_pair().await;
    client.send_all(b"last words").await.unwrap();
    client.aclose().await;
    assert_eq!(server.receive(64).await.unwrap(), b"last words");
    assert!(matches!(
        server.receive(64).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(is_closed(&client.receive(64).await));
    assert!(is_closed(&client.send_all(b"x").await));
    assert!(is_closed(&client.send_all(b"").await));
}

// The tokio backend watches a duplicate of each socket's descriptor (tokio's only safe way to
// register a descriptor it does not own); these two would hang or fail if that duplicate
// outlived the socket.

#[anyio::test]
async fn dropping_a_stream_closes_every_descriptor_of_it() {
    let (client, server) = tcp_pair().await;
    client.send_all(b"bye").await.unwrap();
    drop(client);
    let outcome = move_on_after(Duration::from_secs(10), async {
        assert_eq!(server.receive(64).await.unwrap(), b"bye");
        server.receive(64).await
    })
    .await;
    assert!(
        matches!(outcome, Some(Err(StreamError::EndOfStream))),
        "the peer must see the end of the stream, got {outcome:?}"
    );
}

#[anyio::test]
async fn dropping_a_listener_frees_its_port() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    drop(listener);
    let again = TcpListenerOptions::new()
        .local_host("127.0.0.1")
        .local_port(address.port())
        .bind()
        .await
        .unwrap();
    assert_eq!(again.local_addrs(), [address]);
}

#[anyio::test]
async fn send_to_a_reset_peer_is_broken_resource() {
    let (client, server) = tcp_pair().await;
    // Unread data at close makes the kernel reset the connection.
    client.send_all(b"unread").await.unwrap();
    server.aclose().await;
    let mut outcome = Ok(());
    for _ in 0..100 {
        outcome = client.send_all(&[0; 1024]).await;
        if outcome.is_err() {
            break;
        }
        anyio::sleep(Duration::from_millis(1)).await;
    }
    match outcome {
        Err(StreamError::BrokenResource(Some(cause))) => assert!(
            matches!(
                cause.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "cause: {cause}"
        ),
        other => panic!("expected BrokenResource with a cause, got {other:?}"),
    }
}

#[anyio::test(autojump)]
async fn close_wakes_a_blocked_receive() {
    let (client, _server) = tcp_pair().await;
    let client = Arc::new(client);
    task_group(|tg| {
        let client = client.clone();
        async move {
            let receiver = client.clone();
            tg.start_soon(async move {
                assert!(is_closed(&receiver.receive(64).await));
            })?;
            wait_all_tasks_blocked().await;
            client.aclose().await;
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn concurrent_sends_are_busy_and_full_duplex_works() {
    let (client, server) = tcp_pair().await;
    let (client, server) = (Arc::new(client), Arc::new(server));
    // Receive and send at once on one stream, from two tasks.
    let payload = vec![7u8; 1 << 20];
    task_group(|tg| {
        let (client, server, payload) = (client.clone(), server.clone(), payload.clone());
        async move {
            let (sender, expected) = (client.clone(), payload.len());
            tg.start_soon(async move { sender.send_all(&payload).await.unwrap() })?;
            let echo = server.clone();
            tg.start_soon(async move {
                let mut total = 0;
                while total < expected {
                    let chunk = echo.receive(65536).await.unwrap();
                    total += chunk.len();
                    echo.send_all(&chunk).await.unwrap();
                }
            })?;
            let mut received = 0;
            while received < expected {
                received += client.receive(65536).await.unwrap().len();
            }
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await
    .unwrap();
    // A second send while one is blocked is refused.
    let big = vec![0; 32 << 20];
    let blocked = client.send_all(&big);
    let second = async {
        wait_all_tasks_blocked().await;
        client.send_all(b"x").await
    };
    let (second, _) =
        futures::future::join(second, move_on_after(Duration::from_millis(50), blocked)).await;
    assert!(is_busy(&second), "got {second:?}");
}

#[anyio::test]
async fn send_eof_half_closes() {
    let (client, server) = tcp_pair().await;
    client.send_eof().await.unwrap();
    client.send_eof().await.unwrap(); // again: nothing
    assert!(matches!(
        server.receive(8).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(is_closed(&client.send_all(b"x").await));
    server.send_all(b"still open").await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"still open");
}

#[anyio::test(autojump)]
async fn listener_close_wakes_accept_and_frees_the_port() {
    let listener = Arc::new(loopback_listener().await);
    let address = listener.local_addrs()[0];
    task_group(|tg| {
        let listener = listener.clone();
        async move {
            let accepting = listener.clone();
            tg.start_soon(async move {
                assert!(is_closed(&accepting.accept().await));
            })?;
            wait_all_tasks_blocked().await;
            // A second accept while one waits is refused.
            assert!(is_busy(&listener.accept().await));
            listener.aclose().await;
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await
    .unwrap();
    let again = TcpListenerOptions::new()
        .local_host("127.0.0.1")
        .local_port(address.port())
        .bind()
        .await
        .unwrap();
    assert_eq!(again.local_addrs(), [address]);
    assert!(is_closed(&listener.accept().await));
}

#[anyio::test]
async fn binding_a_port_in_use_names_the_address() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let error = TcpListenerOptions::new()
        .local_host("127.0.0.1")
        .local_port(address.port())
        .bind()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    assert!(error.to_string().contains(&address.to_string()), "{error}");
}

#[anyio::test]
async fn wildcard_listener_shares_one_port_across_families() {
    let listener = create_tcp_listener(None, 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    assert!(listener.local_addrs().iter().all(|a| a.port() == port));
    assert!(listener
        .local_addrs()
        .iter()
        .all(|a| a.ip().is_unspecified()));
    let client = connect_tcp("127.0.0.1", port).await.unwrap();
    let server = listener.accept().await.unwrap();
    assert_eq!(server.peer_addr(), client.local_addr());
    if ipv6_available() {
        assert_eq!(
            listener.local_addrs().len(),
            2,
            "{:?}",
            listener.local_addrs()
        );
        let client = connect_tcp("::1", port).await.unwrap();
        let server = listener.accept().await.unwrap();
        assert!(server.peer_addr().is_ipv6());
        assert_eq!(server.peer_addr(), client.local_addr());
    } else {
        eprintln!("no IPv6 on this machine: checked IPv4 only");
    }
}

#[anyio::test]
async fn listener_family_filter() {
    let listener = TcpListenerOptions::new()
        .family(AddressFamily::Ipv4)
        .bind()
        .await
        .unwrap();
    assert_eq!(listener.local_addrs().len(), 1);
    assert!(listener.local_addrs()[0].is_ipv4());
    let error = TcpListenerOptions::new()
        .local_host("127.0.0.1")
        .family(AddressFamily::Ipv6)
        .bind()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
}

#[anyio::test]
async fn connection_refused_reports_every_attempt() {
    let port = {
        let listener = loopback_listener().await;
        listener.local_addrs()[0].port()
    };
    let error = connect_tcp("127.0.0.1", port).await.unwrap_err();
    let ConnectError::AllAttemptsFailed {
        host,
        port: p,
        attempts,
    } = &error
    else {
        panic!("expected AllAttemptsFailed, got {error}");
    };
    assert_eq!((host.as_str(), *p), ("127.0.0.1", port));
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].0, SocketAddr::from(([127, 0, 0, 1], port)));
    assert_eq!(attempts[0].1.kind(), io::ErrorKind::ConnectionRefused);
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert_eq!(
        io::Error::from(error).kind(),
        io::ErrorKind::ConnectionRefused
    );
}

#[anyio::test]
async fn connect_by_name_and_with_a_local_host() {
    let listener = create_tcp_listener(Some("localhost"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    let client = connect_tcp("localhost", port).await.unwrap();
    assert!(client.peer_addr().ip().is_loopback());
    let client = TcpConnectOptions::new("127.0.0.1", port)
        .local_host("127.0.0.1")
        .connect()
        .await
        .unwrap();
    assert_eq!(client.local_addr().ip().to_string(), "127.0.0.1");
    // A local host of another family leaves no address to try.
    if ipv6_available() {
        let error = TcpConnectOptions::new("127.0.0.1", port)
            .local_host("::1")
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectError::NoAddress { .. }), "{error}");
    }
}

#[anyio::test]
async fn getaddrinfo_literals_and_errors() {
    assert_eq!(
        getaddrinfo("::1", 5).await.unwrap(),
        [SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 5))]
    );
    assert_eq!(
        getaddrinfo("[::1]", 5).await.unwrap(),
        [SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 5))]
    );
    let error = getaddrinfo("", 80).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    let resolved = getaddrinfo("localhost", 80).await.unwrap();
    assert!(!resolved.is_empty());
    let mut unique = resolved.clone();
    unique.dedup();
    assert_eq!(unique, resolved, "no duplicates");
    let error = TcpConnectOptions::new("", 80).connect().await.unwrap_err();
    assert!(matches!(error, ConnectError::Resolve { .. }), "{error}");
}

#[anyio::test]
async fn serve_runs_each_connection_in_its_own_task_and_cancels_them() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let handlers_done = common::Counter::new();
    let all_connected = Arc::new(Event::new());
    let served = {
        let handlers_done = handlers_done.clone();
        let all_connected = all_connected.clone();
        async move {
            let done = handlers_done.clone();
            let connected = common::Counter::new();
            let _ = listener
                .serve(move |stream: TcpStream| {
                    let (done, connected, all_connected) =
                        (done.clone(), connected.clone(), all_connected.clone());
                    async move {
                        let _counted = CountOnDrop(done);
                        stream.send_all(b"hi").await.unwrap();
                        if connected.add() == 3 {
                            all_connected.set();
                        }
                        anyio::sleep_forever().await;
                    }
                })
                .await;
        }
    };
    task_group(|tg| {
        let all_connected = all_connected.clone();
        async move {
            let scope = anyio::CancelScope::new();
            let cancel = scope.handle();
            tg.start_soon(async move {
                scope.run(served).await;
            })?;
            let mut clients = Vec::new();
            for _ in 0..3 {
                let client = TcpStream::connect(address).await.unwrap();
                assert_eq!(client.receive(2).await.unwrap(), b"hi");
                clients.push(client);
            }
            all_connected.wait().await;
            cancel.cancel();
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(
        handlers_done.get(),
        3,
        "every handler ended before serve returned"
    );
}

struct CountOnDrop(common::Counter);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.add();
    }
}

#[anyio::test]
async fn cancelled_receive_loses_no_data() {
    let (client, server) = tcp_pair().await;
    assert!(move_on_after(Duration::from_millis(5), server.receive(64))
        .await
        .is_none());
    client.send_all(b"kept").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"kept");
}

#[anyio::test]
async fn operations_in_a_cancelled_scope_do_nothing() {
    let (client, server) = tcp_pair().await;
    // On loopback, sent data is in the peer's queue once the send returns.
    client.send_all(b"ready").await.unwrap();
    let scope = anyio::CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(server.receive(64)).await.is_none());
    assert_eq!(
        server.receive(64).await.unwrap(),
        b"ready",
        "nothing was consumed"
    );
    let scope = anyio::CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(client.send_all(b"never")).await.is_none());
    client.send_eof().await.unwrap();
    let mut received = Vec::new();
    while let Ok(bytes) = server.receive(64).await {
        received.extend(bytes);
    }
    assert!(received.is_empty(), "the cancelled send sent {received:?}");
}

#[anyio::test]
async fn from_std_adopts_a_blocking_stream() {
    let listener = loopback_listener().await;
    let std_stream = std::net::TcpStream::connect(listener.local_addrs()[0]).unwrap();
    let client = TcpStream::from_std(std_stream).unwrap();
    let server = listener.accept().await.unwrap();
    server.send_all(b"adopted").await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"adopted");
}

/// Only where no backend can serve a call from outside a runtime: smol and async-std serve it
/// from any thread (see `tests/backend_entry.rs`).
#[test]
#[cfg(not(any(feature = "smol", feature = "async-std")))]
fn networking_outside_a_runtime_is_a_clear_error() {
    let error = futures::executor::block_on(TcpStream::connect("127.0.0.1:9".parse().unwrap()))
        .unwrap_err();
    assert!(error.to_string().contains("runtime"), "{error}");
}
