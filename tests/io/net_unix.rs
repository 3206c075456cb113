//! Unix sockets (DESIGN §8): streams (the conformance checks on listener-made and adopted
//! pairs), listeners (stale socket files, refused paths, serve, close), datagram sockets, and
//! passing file descriptors, on every backend.
#![cfg(feature = "net")]

use crate::common;

use std::io::{Read, Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;

use anyio::net::{
    connect_unix, create_connected_unix_datagram_socket, create_unix_datagram_socket,
    create_unix_listener, ConnectedUnixDatagramSocket, UnixDatagramSocket, UnixListenerOptions,
    UnixStream,
};
use anyio::streams::attributes::{
    LocalAddress, LocalPort, RawFd, RemoteAddress, SocketAddress, TypedAttributeProvider,
};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
    UnreliableObjectReceiveStream, UnreliableObjectSendStream,
};
use anyio::testing::{check_half_closeable_stream, check_two_way_stream};
use anyio::{task_group, CancelScope, Event, SpawnError};
use common::{block_then_finish, broken_kind, check_aclose_wakes, is_busy, is_closed, TempDir};
use futures::poll;

/// A connected pair made by a listener: (client, accepted).
async fn listener_pair(path: &Path) -> (UnixStream, UnixStream) {
    let listener = create_unix_listener(path).await.unwrap();
    let client = connect_unix(path).await.unwrap();
    let server = listener.accept().await.unwrap();
    (client, server)
}

/// Both ends of a std socket pair, adopted with `from_std`.
fn adopted<S, T>((a, b): (S, S), from_std: fn(S) -> std::io::Result<T>) -> (T, T) {
    (from_std(a).unwrap(), from_std(b).unwrap())
}

fn std_pair() -> (UnixStream, UnixStream) {
    adopted(
        std::os::unix::net::UnixStream::pair().unwrap(),
        UnixStream::from_std,
    )
}

#[anyio::test]
async fn stream_round_trip_with_addresses_and_attributes() {
    let dir = TempDir::new();
    let path = dir.join("server.sock");
    let listener = create_unix_listener(&path).await.unwrap();
    assert_eq!(listener.local_addr(), path);
    assert!(std::fs::symlink_metadata(&path)
        .unwrap()
        .file_type()
        .is_socket());
    assert_eq!(
        listener.extra::<LocalAddress>(),
        Some(SocketAddress::Unix(Some(path.clone())))
    );
    assert!(listener.extra::<RawFd>().is_some());

    let client = connect_unix(&path).await.unwrap();
    let server = listener.accept().await.unwrap();
    assert_eq!(client.peer_addr(), Some(path.as_path()));
    assert_eq!(client.local_addr(), None);
    assert_eq!(server.local_addr(), Some(path.as_path()));
    assert_eq!(server.peer_addr(), None);
    let (named, unnamed) = (
        Some(SocketAddress::Unix(Some(path.clone()))),
        Some(SocketAddress::Unix(None)),
    );
    assert_eq!(client.extra::<RemoteAddress>(), named);
    assert_eq!(client.extra::<LocalAddress>(), unnamed);
    assert_eq!(server.extra::<LocalAddress>(), named);
    assert_eq!(server.extra::<RemoteAddress>(), unnamed);
    assert_eq!(
        client.extra::<LocalPort>(),
        None,
        "Unix sockets have no port"
    );
    let fd = client.extra::<RawFd>().unwrap();
    assert_ne!(Some(fd), server.extra::<RawFd>());

    client.send_all(b"hello").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"hello");
    server.send_all(b"world").await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"world");

    client.aclose().await;
    assert_eq!(client.extra::<RawFd>(), None);
}

#[anyio::test]
async fn conformance_on_listener_made_pairs() {
    let dir = TempDir::new();
    let path = dir.join("conformance.sock");
    let listener = create_unix_listener(&path).await.unwrap();
    let (listener, path) = (&listener, path.as_path());
    check_half_closeable_stream(move || async move {
        let client = connect_unix(path).await.unwrap();
        let server = listener.accept().await.unwrap();
        (client, server)
    })
    .await;
}

#[anyio::test]
async fn conformance_on_adopted_socket_pairs() {
    check_two_way_stream(|| async { std_pair() }).await;
    check_half_closeable_stream(|| async { std_pair() }).await;
}

#[anyio::test]
async fn end_of_stream_and_broken_after_the_peer_closes() {
    let dir = TempDir::new();
    let (client, server) = listener_pair(&dir.join("eof.sock")).await;
    client.send_all(b"last words").await.unwrap();
    client.aclose().await;
    assert_eq!(server.receive(64).await.unwrap(), b"last words");
    assert!(server.receive(64).await.unwrap_err().is_end_of_stream());
    assert!(server.receive(64).await.unwrap_err().is_end_of_stream());
    // Sending to a peer that is gone fails at once on a Unix socket (EPIPE).
    let error = server.send_all(b"anyone?").await.unwrap_err();
    assert_eq!(
        broken_kind(&error),
        Some(std::io::ErrorKind::BrokenPipe),
        "{error:?}"
    );
    // Our own close: ClosedResource.
    assert!(is_closed(&client.receive(1).await));
    assert!(is_closed(&client.send_all(b"x").await));
}

#[anyio::test]
async fn concurrent_receives_are_busy_and_aclose_wakes_a_blocked_receive() {
    let (a, b) = std_pair();
    let b = Arc::new(b);
    {
        let mut first = pin!(b.receive(16));
        assert!(poll!(first.as_mut()).is_pending());
        assert!(is_busy(&b.receive(16).await));
        a.send_all(b"to the first").await.unwrap();
        assert_eq!(first.await.unwrap(), b"to the first");
    }
    check_aclose_wakes(&b, |b| async move { b.receive(16).await }).await;
    assert!(is_closed(&b.receive(16).await));
}

#[anyio::test]
async fn a_stale_socket_file_is_replaced() {
    let dir = TempDir::new();
    let path = dir.join("stale.sock");
    // A listener that is closed leaves its socket file behind...
    let old = create_unix_listener(&path).await.unwrap();
    old.aclose().await;
    assert!(path.exists());
    let error = connect_unix(&path).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(error.to_string().contains(&path.display().to_string()));
    // ...which the next listener on the path removes.
    let (client, server) = listener_pair(&path).await;
    client.send_all(b"fresh").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"fresh");

    // A socket file left by another kind of socket, too.
    let datagram_path = dir.join("was-datagram.sock");
    drop(std::os::unix::net::UnixDatagram::bind(&datagram_path).unwrap());
    let listener = create_unix_listener(&datagram_path).await.unwrap();
    let _client = connect_unix(&datagram_path).await.unwrap();
    listener.accept().await.unwrap();
}

#[anyio::test]
async fn anything_but_a_socket_at_the_path_is_refused() {
    let dir = TempDir::new();
    let file = dir.join("precious.txt");
    std::fs::write(&file, b"keep me").unwrap();
    let error = create_unix_listener(&file).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(
        error.to_string().contains(&file.display().to_string()),
        "{error}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");

    let error = create_unix_datagram_socket(Some(&file)).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");

    let directory = dir.join("a-directory");
    std::fs::create_dir(&directory).unwrap();
    let error = create_unix_listener(&directory).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(directory.is_dir());

    // A symbolic link, even to a socket, is not replaced.
    let socket = dir.join("real.sock");
    let _listener = create_unix_listener(&socket).await.unwrap();
    let link = dir.join("link.sock");
    std::os::unix::fs::symlink(&socket, &link).unwrap();
    let error = create_unix_listener(&link).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[anyio::test]
async fn connect_errors_name_the_path() {
    let dir = TempDir::new();
    let missing = dir.join("missing.sock");
    let error = connect_unix(&missing).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
    let error = create_unix_listener(dir.join("no-such-dir/x.sock"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    assert!(error.to_string().contains("no-such-dir"), "{error}");
    let scope = CancelScope::new();
    scope.handle().cancel();
    let listener = create_unix_listener(dir.join("cancelled.sock"))
        .await
        .unwrap();
    assert!(scope
        .run(connect_unix(listener.local_addr()))
        .await
        .is_none());
}

#[anyio::test]
async fn listener_options_set_the_mode() {
    let dir = TempDir::new();
    let path = dir.join("private.sock");
    let _listener = UnixListenerOptions::new(&path)
        .mode(0o600)
        .backlog(8)
        .bind()
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let path = dir.join("open.sock");
    let _listener = UnixListenerOptions::new(&path)
        .mode(0o666)
        .bind()
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o666);
}

#[cfg(target_os = "linux")]
#[anyio::test]
async fn connect_waits_while_the_backlog_is_full() {
    let dir = TempDir::new();
    let path = dir.join("full.sock");
    let listener = UnixListenerOptions::new(&path)
        .backlog(0)
        .bind()
        .await
        .unwrap();
    // Linux queues one connection more than the backlog.
    let first = connect_unix(&path).await.unwrap();
    let mut second = pin!(connect_unix(&path));
    assert!(
        poll!(second.as_mut()).is_pending(),
        "the backlog is full: the connect waits"
    );
    let first_accepted = listener.accept().await.unwrap();
    let second = second.await.unwrap();
    let second_accepted = listener.accept().await.unwrap();
    first.send_all(b"1").await.unwrap();
    second.send_all(b"2").await.unwrap();
    assert_eq!(first_accepted.receive(8).await.unwrap(), b"1");
    assert_eq!(second_accepted.receive(8).await.unwrap(), b"2");
}

#[anyio::test]
async fn listener_aclose_wakes_a_blocked_accept() {
    let dir = TempDir::new();
    let path = dir.join("closing.sock");
    let listener = Arc::new(create_unix_listener(&path).await.unwrap());
    {
        let mut first = pin!(listener.accept());
        assert!(poll!(first.as_mut()).is_pending());
        assert!(is_busy(&listener.accept().await));
    }
    check_aclose_wakes(&listener, |listener| async move { listener.accept().await }).await;
    assert!(is_closed(&listener.accept().await));
    assert_eq!(
        connect_unix(&path).await.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
}

#[anyio::test]
async fn serve_echoes_on_a_unix_listener() {
    let dir = TempDir::new();
    let path = dir.join("serve.sock");
    let listener = Arc::new(create_unix_listener(&path).await.unwrap());
    task_group(|tg| {
        let listener = listener.clone();
        async move {
            let server = listener.clone();
            tg.start_soon(async move {
                let error = server
                    .serve(|stream: UnixStream| async move {
                        while let Ok(data) = stream.receive(1024).await {
                            stream.send_all(&data).await.unwrap();
                        }
                        stream.send_eof().await.unwrap();
                    })
                    .await
                    .unwrap_err();
                assert!(matches!(error, StreamError::ClosedResource), "{error:?}");
            })?;
            for n in 0..3 {
                let client = connect_unix(&path).await.unwrap();
                let message = format!("message {n}");
                client.send_all(message.as_bytes()).await.unwrap();
                client.send_eof().await.unwrap();
                let mut echoed = Vec::new();
                loop {
                    match client.receive(1024).await {
                        Ok(data) => echoed.extend(data),
                        Err(error) => {
                            assert!(error.is_end_of_stream(), "{error:?}");
                            break;
                        }
                    }
                }
                assert_eq!(echoed, message.as_bytes());
            }
            listener.aclose().await;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn datagram_round_trip_with_paths_and_attributes() {
    let dir = TempDir::new();
    let server_path = dir.join("server.sock");
    let client_path = dir.join("client.sock");
    let server = create_unix_datagram_socket(Some(&server_path))
        .await
        .unwrap();
    let client = create_unix_datagram_socket(Some(&client_path))
        .await
        .unwrap();
    assert_eq!(server.local_addr(), Some(server_path.as_path()));
    assert_eq!(
        server.extra::<LocalAddress>(),
        Some(SocketAddress::Unix(Some(server_path.clone())))
    );
    assert_eq!(server.extra::<RemoteAddress>(), None);
    assert!(server.extra::<RawFd>().is_some());

    client.send_to(b"ping", &server_path).await.unwrap();
    let (data, sender) = server.receive_from().await.unwrap();
    assert_eq!(data, b"ping");
    assert_eq!(sender.as_deref(), Some(client_path.as_path()));
    UnreliableObjectSendStream::send(&server, (b"pong".to_vec(), sender.unwrap()))
        .await
        .unwrap();
    let reply: (Vec<u8>, Option<PathBuf>) = UnreliableObjectReceiveStream::receive(&client)
        .await
        .unwrap();
    assert_eq!(reply, (b"pong".to_vec(), Some(server_path.clone())));

    // An unnamed sender cannot be answered: its address is None.
    let anonymous = create_unix_datagram_socket(None).await.unwrap();
    assert_eq!(anonymous.local_addr(), None);
    assert_eq!(
        anonymous.extra::<LocalAddress>(),
        Some(SocketAddress::Unix(None))
    );
    anonymous.send_to(b"", &server_path).await.unwrap();
    assert_eq!(server.receive_from().await.unwrap(), (Vec::new(), None));

    // Datagram boundaries are kept.
    client.send_to(b"one", &server_path).await.unwrap();
    client.send_to(b"two", &server_path).await.unwrap();
    assert_eq!(server.receive_from().await.unwrap().0, b"one");
    assert_eq!(server.receive_from().await.unwrap().0, b"two");

    // A stale socket file at the path is replaced here too.
    server.aclose().await;
    let again = create_unix_datagram_socket(Some(&server_path))
        .await
        .unwrap();
    client.send_to(b"again", &server_path).await.unwrap();
    assert_eq!(again.receive_from().await.unwrap().0, b"again");
}

#[anyio::test]
async fn connected_datagram_round_trip_and_attributes() {
    let dir = TempDir::new();
    let server_path = dir.join("server.sock");
    let client_path = dir.join("client.sock");
    let server = create_unix_datagram_socket(Some(&server_path))
        .await
        .unwrap();
    let client = create_connected_unix_datagram_socket(&server_path, Some(&client_path))
        .await
        .unwrap();
    assert_eq!(client.peer_addr(), Some(server_path.as_path()));
    assert_eq!(client.local_addr(), Some(client_path.as_path()));
    assert_eq!(
        client.extra::<RemoteAddress>(),
        Some(SocketAddress::Unix(Some(server_path.clone())))
    );
    assert_eq!(
        client.extra::<LocalAddress>(),
        Some(SocketAddress::Unix(Some(client_path.clone())))
    );
    client.send(b"request").await.unwrap();
    let (data, sender) = server.receive_from().await.unwrap();
    assert_eq!(
        (data.as_slice(), sender.as_deref()),
        (&b"request"[..], Some(client_path.as_path()))
    );
    server.send_to(b"reply", &client_path).await.unwrap();
    assert_eq!(
        UnreliableObjectReceiveStream::receive(&client)
            .await
            .unwrap(),
        b"reply"
    );

    // Unnamed: it can send, not be answered.
    let unnamed = create_connected_unix_datagram_socket(&server_path, None)
        .await
        .unwrap();
    assert_eq!(unnamed.local_addr(), None);
    UnreliableObjectSendStream::send(&unnamed, b"from nowhere".to_vec())
        .await
        .unwrap();
    assert_eq!(
        server.receive_from().await.unwrap(),
        (b"from nowhere".to_vec(), None)
    );

    let mine = dir.join("mine.sock");
    let error = create_connected_unix_datagram_socket(dir.join("nothing.sock"), Some(&mine))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    assert!(error.to_string().contains("nothing.sock"), "{error}");
    assert!(
        !mine.exists(),
        "the local socket file of a failed connect is removed"
    );
}

fn datagram_pair() -> (ConnectedUnixDatagramSocket, ConnectedUnixDatagramSocket) {
    adopted(
        std::os::unix::net::UnixDatagram::pair().unwrap(),
        ConnectedUnixDatagramSocket::from_std,
    )
}

#[anyio::test]
async fn datagram_busy_sends_and_receives_and_blocked_sends_resume() {
    // Fill the peer's queue before adopting the sockets, so that the next send blocks.
    let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    std_a.set_nonblocking(true).unwrap();
    let mut queued = 0;
    let full = loop {
        match std_a.send(b"fill") {
            Ok(_) => queued += 1,
            Err(error) => break error,
        }
    };
    assert_eq!(full.kind(), std::io::ErrorKind::WouldBlock);
    assert!(queued > 0);
    let (a, b) = adopted((std_a, std_b), ConnectedUnixDatagramSocket::from_std);
    assert_eq!((a.local_addr(), a.peer_addr()), (None, None));

    let mut blocked = pin!(a.send(b"last in"));
    assert!(poll!(blocked.as_mut()).is_pending(), "the queue is full");
    assert!(is_busy(&a.send(b"other").await));
    let error = UnreliableObjectSendStream::send(&a, b"item".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(error.error(), StreamError::BusyResource(_)));
    assert_eq!(error.into_inner(), b"item");

    // Room again: the blocked send completes, after everything queued before it. (How much
    // room wakes a sender is the system's choice: receive everything meanwhile.)
    let (sent, received) = futures::join!(blocked, async {
        let mut received = Vec::new();
        for _ in 0..=queued {
            received.push(b.receive().await.unwrap());
        }
        received
    });
    sent.unwrap();
    assert!(received[..queued].iter().all(|data| data == b"fill"));
    assert_eq!(received[queued], b"last in");

    let mut first = pin!(b.receive());
    assert!(poll!(first.as_mut()).is_pending());
    assert!(is_busy(&b.receive().await));
    a.send(b"last").await.unwrap();
    assert_eq!(first.await.unwrap(), b"last");
}

#[anyio::test]
async fn datagram_aclose_wakes_blocked_receives() {
    let dir = TempDir::new();
    let socket = Arc::new(
        create_unix_datagram_socket(Some(&dir.join("unconnected.sock")))
            .await
            .unwrap(),
    );
    let (connected, _peer) = datagram_pair();
    let connected = Arc::new(connected);
    let blocked = Arc::new((Event::new(), Event::new()));
    task_group(|tg| {
        let (socket, connected, blocked) = (socket.clone(), connected.clone(), blocked.clone());
        async move {
            let (receiver, receiving) = (socket.clone(), blocked.clone());
            tg.start_soon(async move {
                let result = block_then_finish(receiver.receive_from(), &receiving.0).await;
                assert!(is_closed(&result), "{result:?}");
            })?;
            let (receiver, receiving) = (connected.clone(), blocked.clone());
            tg.start_soon(async move {
                let result = block_then_finish(receiver.receive(), &receiving.1).await;
                assert!(is_closed(&result), "{result:?}");
            })?;
            blocked.0.wait().await;
            blocked.1.wait().await;
            socket.aclose().await;
            connected.aclose().await;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(is_closed(&socket.receive_from().await));
    assert!(is_closed(&socket.send_to(b"x", dir.join("any.sock")).await));
    assert!(is_closed(&connected.receive().await));
    assert!(is_closed(
        &ConnectedUnixDatagramSocket::send(&connected, b"x").await
    ));
}

#[anyio::test]
async fn datagram_send_errors_give_the_item_back() {
    let dir = TempDir::new();
    let socket = create_unix_datagram_socket(None).await.unwrap();
    let nowhere = dir.join("nowhere.sock");
    let error = UnreliableObjectSendStream::send(&socket, (b"lost".to_vec(), nowhere.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        broken_kind(error.error()),
        Some(std::io::ErrorKind::NotFound)
    );
    assert_eq!(error.into_inner(), (b"lost".to_vec(), nowhere.clone()));
    socket.aclose().await;
    let error = UnreliableObjectSendStream::send(&socket, (b"late".to_vec(), nowhere.clone()))
        .await
        .unwrap_err();
    assert!(matches!(error.error(), StreamError::ClosedResource));
    assert_eq!(error.into_inner(), (b"late".to_vec(), nowhere));

    // The peer is gone.
    let (a, b) = datagram_pair();
    b.aclose().await;
    let error = UnreliableObjectSendStream::send(&a, b"hello?".to_vec())
        .await
        .unwrap_err();
    assert_eq!(
        broken_kind(error.error()),
        Some(std::io::ErrorKind::ConnectionRefused),
        "{error:?}"
    );
    assert_eq!(error.into_inner(), b"hello?");
    a.aclose().await;
    let error = UnreliableObjectSendStream::send(&a, b"late".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(error.error(), StreamError::ClosedResource));
    assert_eq!(error.into_inner(), b"late");
}

#[anyio::test]
async fn adopted_datagram_sockets() {
    let dir = TempDir::new();
    let path = dir.join("adopted.sock");
    let socket =
        UnixDatagramSocket::from_std(std::os::unix::net::UnixDatagram::bind(&path).unwrap())
            .unwrap();
    assert_eq!(socket.local_addr(), Some(path.as_path()));
    let unconnected = std::os::unix::net::UnixDatagram::unbound().unwrap();
    let error = ConnectedUnixDatagramSocket::from_std(unconnected).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
}

/// A temporary file with `contents`, already unlinked.
fn temp_file(dir: &TempDir, contents: &[u8]) -> std::fs::File {
    let path = dir.join("passed.txt");
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    file.write_all(contents).unwrap();
    file
}

#[anyio::test]
async fn file_descriptors_pass_over_a_unix_stream() {
    let dir = TempDir::new();
    let (client, server) = listener_pair(&dir.join("fds.sock")).await;
    let mut file = temp_file(&dir, b"original");
    let (mut near, far) = std::os::unix::net::UnixStream::pair().unwrap();

    let message = vec![b'm'; 10_000];
    client
        .send_fds(&message, &[file.as_fd(), far.as_fd()])
        .await
        .unwrap();
    let (data, fds) = server.receive_fds(64, 4).await.unwrap();
    assert_eq!(
        data,
        vec![b'm'; 64],
        "the descriptors come with the first bytes"
    );
    assert_eq!(fds.len(), 2);
    let mut rest = 64;
    while rest < message.len() {
        let (data, fds) = server.receive_fds(message.len(), 4).await.unwrap();
        assert!(fds.is_empty(), "the rest of the message carries none");
        rest += data.len();
    }
    assert_eq!(rest, message.len());

    // They are the same open files: a write through one is read through the other.
    let mut fds = fds.into_iter();
    let mut received = std::fs::File::from(fds.next().unwrap());
    received.write_all(b" and more").unwrap();
    file.rewind().unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "original and more");
    let mut received_far = std::os::unix::net::UnixStream::from(fds.next().unwrap());
    drop(far);
    near.write_all(b"through the pair").unwrap();
    drop(near);
    let mut passed = String::new();
    received_far.read_to_string(&mut passed).unwrap();
    assert_eq!(passed, "through the pair");
    assert!(
        has_cloexec(&received),
        "received descriptors are close-on-exec"
    );

    // Plain data through receive_fds, and plain receives after a descriptor message.
    server.send_all(b"plain").await.unwrap();
    let (data, fds) = client.receive_fds(64, 1).await.unwrap();
    assert_eq!((data.as_slice(), fds.len()), (&b"plain"[..], 0));
    server.send_fds(b"no fds", &[]).await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"no fds");

    // Errors: max_bytes 0, busy, after send_eof, the end of the stream, after close.
    assert!(matches!(
        server.receive_fds(0, 1).await,
        Err(StreamError::InvalidMaxBytes { .. })
    ));
    {
        let mut first = pin!(server.receive_fds(8, 1));
        assert!(poll!(first.as_mut()).is_pending());
        assert!(is_busy(&server.receive_fds(8, 1).await));
        assert!(is_busy(&server.receive(8).await));
    }
    client.send_eof().await.unwrap();
    assert!(is_closed(&client.send_fds(b"x", &[file.as_fd()]).await));
    assert!(server
        .receive_fds(8, 1)
        .await
        .unwrap_err()
        .is_end_of_stream());
    client.aclose().await;
    assert!(is_closed(&client.receive_fds(8, 1).await));
}

/// Whether `file`'s descriptor has `FD_CLOEXEC`, read from /proc where available.
fn has_cloexec(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", file.as_raw_fd()));
    let Ok(info) = info else {
        return true; // no /proc here: nothing to check
    };
    let flags = info
        .lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .map(|value| u32::from_str_radix(value.trim(), 8).unwrap())
        .unwrap();
    flags & 0o2000000 != 0 // O_CLOEXEC
}

#[anyio::test]
#[should_panic(expected = "non-empty message")]
async fn send_fds_needs_a_message() {
    let (a, _b) = std_pair();
    let file = std::fs::File::open("/dev/null").unwrap();
    let _ = a.send_fds(b"", &[file.as_fd()]).await;
}

/// Runs `operation` in an already-cancelled scope and checks that the scope caught it.
async fn caught_in_a_cancelled_scope<F: std::future::Future>(operation: F) {
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(operation).await.is_none());
}

#[anyio::test]
async fn sends_and_receives_in_a_cancelled_scope_move_nothing() {
    let (a, b) = std_pair();
    a.send_all(b"kept").await.unwrap();
    caught_in_a_cancelled_scope(b.receive(64)).await;
    caught_in_a_cancelled_scope(a.send_all(b"never")).await;
    a.send_eof().await.unwrap();
    let mut received = Vec::new();
    while let Ok(bytes) = b.receive(64).await {
        received.extend(bytes);
    }
    assert_eq!(received, b"kept");

    let (a, b) = datagram_pair();
    a.send(b"kept").await.unwrap();
    caught_in_a_cancelled_scope(b.receive()).await;
    caught_in_a_cancelled_scope(a.send(b"never")).await;
    a.send(b"after").await.unwrap();
    assert_eq!(b.receive().await.unwrap(), b"kept");
    assert_eq!(b.receive().await.unwrap(), b"after");

    let dir = TempDir::new();
    let (a_path, b_path) = (dir.join("a.sock"), dir.join("b.sock"));
    let a = create_unix_datagram_socket(Some(&a_path)).await.unwrap();
    let b = create_unix_datagram_socket(Some(&b_path)).await.unwrap();
    a.send_to(b"kept", &b_path).await.unwrap();
    caught_in_a_cancelled_scope(b.receive_from()).await;
    caught_in_a_cancelled_scope(a.send_to(b"never", &b_path)).await;
    a.send_to(b"after", &b_path).await.unwrap();
    assert_eq!(b.receive_from().await.unwrap().0, b"kept");
    assert_eq!(b.receive_from().await.unwrap().0, b"after");
}
