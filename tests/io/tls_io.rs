//! TLS streams through the ecosystem's I/O traits (`futures_io`, and `tokio::io` with the
//! `tokio-io` feature) over anyio TCP on every backend, and the poll core's contract: a write
//! abandoned by its caller is not credited to a later one, and a poll in a cancelled scope
//! takes nothing.
#![cfg(all(feature = "tls", feature = "net"))]

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;

use anyio::net::{create_tcp_listener, TcpStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener, PollByteReceive, PollByteSend};
use anyio::time::Duration;
use anyio::tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use anyio::tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use anyio::tls::{TlsConfig, TlsStream};
use anyio::{move_on_after, sleep, CancelScope};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::FutureExt;

type Tls = TlsStream<TcpStream>;

/// A client and server configuration with a throwaway self-signed `localhost` certificate.
fn configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let client = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

/// A TLS client and server over loopback TCP.
async fn tls_pair() -> (Tls, Tls) {
    let (client_config, server_config) = configs();
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = listener.local_addrs()[0];
    let (client, server) = futures::join!(
        async {
            let tcp = TcpStream::connect(address).await.unwrap();
            let name = "localhost".try_into().unwrap();
            TlsStream::wrap(tcp, TlsConfig::client(client_config, name)).await
        },
        async {
            let tcp = listener.accept().await.unwrap();
            TlsStream::wrap(tcp, TlsConfig::server(server_config)).await
        },
    );
    (client.unwrap(), server.unwrap())
}

/// A small seeded generator (xorshift64*), so that a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound
    }
}

/// `len` bytes in which a doubled or dropped run shows: no period divides a short run.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[anyio::test]
async fn futures_io_echo_with_copy() {
    let (client, server) = tls_pair().await;
    let data = pattern(1 << 20);
    let echo = async {
        let copied = futures::io::copy(&server, &mut &server).await.unwrap();
        (&server).close().await.unwrap();
        copied
    };
    let send = async {
        (&client).write_all(&data).await.unwrap();
        (&client).close().await.unwrap();
    };
    let receive = async {
        let mut echoed = vec![0; data.len()];
        (&client).read_exact(&mut echoed).await.unwrap();
        let mut rest = Vec::new();
        (&client).read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{} bytes past the echo", rest.len());
        echoed
    };
    let (copied, (), echoed) = futures::join!(echo, send, receive);
    assert_eq!(copied, data.len() as u64);
    assert!(echoed == data, "the echo differs");
}

#[anyio::test]
async fn random_write_and_read_sizes_through_futures_io() {
    let (client, server) = tls_pair().await;
    let data = pattern(1 << 20);
    let mut rng = Rng(0x5eed_7157);
    let mut sizes = Vec::new();
    while sizes.iter().sum::<usize>() < data.len() {
        sizes.push(1 + rng.below(70_000));
    }
    let send = async {
        let mut rest = &data[..];
        for size in sizes {
            let chunk = &rest[..size.min(rest.len())];
            let written = (&client).write(chunk).await.unwrap();
            assert!(
                written >= 1 && written <= chunk.len(),
                "{written} of {}",
                chunk.len()
            );
            rest = &rest[written..];
        }
        (&client).write_all(rest).await.unwrap();
        (&client).close().await.unwrap();
    };
    let receive = async {
        let mut rng = Rng(0x0dd_ba11);
        let mut received = Vec::new();
        let mut buf = vec![0; 70_000];
        loop {
            let want = 1 + rng.below(buf.len());
            match (&server).read(&mut buf[..want]).await.unwrap() {
                0 => break received,
                n => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    let ((), received) = futures::join!(send, receive);
    assert!(
        received == data,
        "received {} bytes, not the data",
        received.len()
    );
}

#[cfg(feature = "tokio-io")]
mod tokio_io {
    use super::{pattern, tls_pair, Rng};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[anyio::test]
    async fn tokio_io_echo_with_copy() {
        let (client, server) = tls_pair().await;
        let data = pattern(1 << 20);
        let echo = async {
            let (mut reader, mut writer) = (&server, &server);
            let copied = tokio::io::copy(&mut reader, &mut writer).await.unwrap();
            writer.shutdown().await.unwrap();
            copied
        };
        let send = async {
            let mut writer = &client;
            let mut rng = Rng(42);
            for chunk in data.chunks(50_000) {
                let split = rng.below(chunk.len());
                writer.write_all(&chunk[..split]).await.unwrap();
                writer.write_all(&chunk[split..]).await.unwrap();
            }
            writer.shutdown().await.unwrap();
        };
        let receive = async {
            let mut reader = &client;
            let mut echoed = vec![0; data.len()];
            reader.read_exact(&mut echoed).await.unwrap();
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty());
            echoed
        };
        let (copied, (), echoed) = futures::join!(echo, send, receive);
        assert_eq!(copied, data.len() as u64);
        assert!(echoed == data, "the echo differs");
    }
}

/// After a big write was abandoned to a peer that did not read, `write(b"Z")` accepts exactly
/// its one byte, and the peer reads a prefix of the big write and then `Z`, nothing doubled.
async fn check_abandoned_write(client: Tls, server: Tls, abandoned_write_timed_out: bool) {
    assert!(abandoned_write_timed_out, "the big write completed");
    let receive = async {
        let mut received = Vec::new();
        (&server).read_to_end(&mut received).await.unwrap();
        received
    };
    let send = async {
        assert_eq!((&client).write(b"Z").await.unwrap(), 1);
        (&client).write_all(b"hello").await.unwrap();
        (&client).close().await.unwrap();
    };
    let (received, ()) = futures::join!(receive, send);
    let (prefix, tail) = received.split_at(received.len() - 6);
    assert_eq!(tail, b"Zhello");
    assert!(
        pattern(prefix.len()) == prefix,
        "the {} bytes before Z are not a prefix of the abandoned write",
        prefix.len()
    );
}

const BIG: usize = 32 << 20;

#[anyio::test]
async fn write_abandoned_by_move_on_after_is_not_credited_to_the_next() {
    let (client, server) = tls_pair().await;
    let big = pattern(BIG);
    let outcome = move_on_after(Duration::from_millis(100), (&client).write_all(&big)).await;
    check_abandoned_write(client, server, outcome.is_none()).await;
}

#[anyio::test]
async fn write_abandoned_by_select_is_not_credited_to_the_next() {
    let (client, server) = tls_pair().await;
    let big = pattern(BIG);
    let mut writer = &client;
    let write = Box::pin(writer.write_all(&big));
    let timer = Box::pin(sleep(Duration::from_millis(100)));
    let timed_out = matches!(
        futures::future::select(write, timer).await,
        futures::future::Either::Right(_)
    );
    check_abandoned_write(client, server, timed_out).await;
}

#[anyio::test]
async fn polls_in_a_cancelled_scope_take_nothing() {
    let (client, server) = tls_pair().await;
    client.send_all(b"ready").await.unwrap();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let mut buf = [0; 64];
    let polled = scope
        .run(async {
            let receive = poll_fn(|cx| Poll::Ready(server.poll_receive_into(cx, &mut buf)));
            let send = poll_fn(|cx| Poll::Ready(client.poll_send(cx, b"never")));
            let flush = poll_fn(|cx| Poll::Ready(client.poll_flush(cx)));
            let eof = poll_fn(|cx| Poll::Ready(client.poll_send_eof(cx)));
            (
                receive.await.is_pending(),
                send.await.is_pending(),
                flush.await.is_pending(),
                eof.await.is_pending(),
            )
        })
        .now_or_never()
        .expect("a cancelled scope's body runs")
        .expect("the body returned");
    assert_eq!(polled, (true, true, true, true));
    assert_eq!(
        server.receive(64).await.unwrap(),
        b"ready",
        "nothing was consumed"
    );
    client.send_all(b"after").await.unwrap();
    assert_eq!(
        server.receive(64).await.unwrap(),
        b"after",
        "nothing was sent"
    );
    // And the end was not sent either: the client still sends.
    client.send_all(b"more").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"more");
}

/// A waker that counts its wakes.
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, std::task::Waker) {
    let count = Arc::new(CountingWaker(Default::default()));
    (count.clone(), std::task::Waker::from(count))
}

fn wakes(count: &CountingWaker) -> usize {
    count.0.load(std::sync::atomic::Ordering::SeqCst)
}

/// The transport keeps one waker for its sending side. A receive that pushes queued records
/// takes the blocked sender's place there, so it must wake the sender, which then registers
/// again; otherwise the sender would sleep through the transport draining.
#[anyio::test]
async fn a_receive_pushing_records_wakes_the_blocked_sender() {
    let (client_config, server_config) = configs();
    let (a, b) = anyio::testing::lockstep_stream_pair();
    let name = "localhost".try_into().unwrap();
    let (client, server) = futures::join!(
        TlsStream::wrap(a, TlsConfig::client(client_config, name)),
        TlsStream::wrap(b, TlsConfig::server(server_config)),
    );
    let (client, server) = (client.unwrap(), server.unwrap());
    let (sender_count, sender) = counting_waker();
    let (_, receiver) = counting_waker();
    let big = pattern(1 << 20);
    // The sender fills the session's queue and blocks: nobody reads the lockstep transport.
    let mut cx = std::task::Context::from_waker(&sender);
    let mut sent = 0;
    while let Poll::Ready(accepted) = client.poll_send(&mut cx, &big[sent..]) {
        sent += accepted.unwrap();
    }
    assert!(sent > 0 && sent < big.len(), "{sent}");
    let before = wakes(&sender_count);
    // A receive on the same stream: no data, but it pushes the queued records meanwhile.
    let mut buf = [0; 64];
    let mut cx = std::task::Context::from_waker(&receiver);
    assert!(client.poll_receive_into(&mut cx, &mut buf).is_pending());
    assert!(
        wakes(&sender_count) > before,
        "the blocked sender was not woken"
    );
    // And the transfer completes.
    let receive = async {
        let mut received = Vec::new();
        while received.len() < big.len() {
            received.extend(server.receive(1 << 16).await.unwrap());
        }
        received
    };
    let (received, ()) = futures::join!(receive, async {
        client.send_all(&big[sent..]).await.unwrap();
    });
    assert!(received == big, "the data arrived whole, in order");
}

/// A TLS pair over a lockstep transport (a send completes only as the peer reads it), the
/// transport that makes the most sends wait.
async fn lockstep_tls_pair() -> (
    TlsStream<anyio::testing::MemoryByteStream>,
    TlsStream<anyio::testing::MemoryByteStream>,
) {
    let (client_config, server_config) = configs();
    let (a, b) = anyio::testing::lockstep_stream_pair();
    let name = "localhost".try_into().unwrap();
    let (client, server) = futures::join!(
        TlsStream::wrap(a, TlsConfig::client(client_config, name)),
        TlsStream::wrap(b, TlsConfig::server(server_config)),
    );
    (client.unwrap(), server.unwrap())
}

/// Writes polled once and abandoned at random (a `Pending` write takes nothing), others
/// awaited, with random sizes, while the peer reads at random sizes: the peer receives
/// exactly the accepted prefixes, in order, none lost or doubled; a write never reports more
/// than its buffer.
#[anyio::test]
async fn randomly_abandoned_writes_deliver_exactly_what_was_accepted() {
    for seed in 1..=8u64 {
        let (client, server) = lockstep_tls_pair().await;
        let data = pattern(256 * 1024 + seed as usize * 977);
        let send = async {
            let mut rng = Rng(seed);
            let (mut sent, mut abandoned) = (0, 0);
            while sent < data.len() {
                let end = (sent + 1 + rng.below(100_000)).min(data.len());
                let chunk = &data[sent..end];
                let written = if rng.below(3) == 0 {
                    (&client).write(chunk).await.unwrap()
                } else {
                    match (&client).write(chunk).now_or_never() {
                        Some(result) => result.unwrap(),
                        None => {
                            abandoned += 1;
                            0
                        }
                    }
                };
                assert!(written <= chunk.len());
                sent += written;
                if rng.below(3) == 0 {
                    // Let the reader drain; otherwise the queue fills and writes wait.
                    anyio::checkpoint().await;
                }
            }
            (&client).close().await.unwrap();
            abandoned
        };
        let receive = async {
            let mut rng = Rng(seed ^ 0xffff);
            let mut received = Vec::new();
            let mut buf = vec![0; 40_000];
            loop {
                let want = 1 + rng.below(buf.len());
                match (&server).read(&mut buf[..want]).await.unwrap() {
                    0 => break received,
                    n => received.extend_from_slice(&buf[..n]),
                }
            }
        };
        let (abandoned, received) = futures::join!(send, receive);
        assert!(abandoned > 0, "seed {seed}: no write was abandoned");
        assert!(
            received == data,
            "seed {seed}: {} bytes, not the data",
            received.len()
        );
    }
}

/// Both directions at once over the lockstep transport, each side reading and writing from
/// its own futures through `&TlsStream`: every byte arrives, in order, both ways.
#[anyio::test]
async fn full_duplex_through_the_io_traits_over_a_lockstep_transport() {
    let (client, server) = lockstep_tls_pair().await;
    let (up, down) = (pattern(300_000), pattern(200_003));
    let write = |stream, data: &'static [u8], seed| async move {
        let mut writer: &TlsStream<_> = stream;
        let mut rng = Rng(seed);
        let mut rest = data;
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len().min(30_000));
            writer.write_all(&rest[..n]).await.unwrap();
            rest = &rest[n..];
        }
        writer.close().await.unwrap();
    };
    let read = |stream| async move {
        let mut reader: &TlsStream<_> = stream;
        let mut received = Vec::new();
        reader.read_to_end(&mut received).await.unwrap();
        received
    };
    let (up_static, down_static): (&'static [u8], &'static [u8]) =
        (up.clone().leak(), down.clone().leak());
    let ((), (), from_client, from_server) = futures::join!(
        write(&client, up_static, 7),
        write(&server, down_static, 11),
        read(&server),
        read(&client),
    );
    assert!(from_client == up && from_server == down);
}
