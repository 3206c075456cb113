//! TLS over any byte stream (AnyIO's `TLSStream` and `TLSListener`), on
//! [rustls](https://docs.rs/rustls) with the *ring* crypto provider (cargo feature `tls`).
//!
//! - [`TlsStream::wrap`] performs the handshake over any anyio byte stream (a TCP stream, a
//!   Unix socket, an in-memory pair, a process's pipes stapled together, another `TlsStream`)
//!   as a [`TlsConfig`] says: the client or server side, with a [`rustls::ClientConfig`] or
//!   [`rustls::ServerConfig`]. The result is a [`ByteStream`](crate::streams::ByteStream)
//!   with the TLS facts as typed attributes.
//! - [`TlsStream::unwrap`] ends TLS and gives the transport back for plaintext.
//! - [`TlsListener`] handshakes every connection of another listener, with a time limit.
//! - [`HandshakeError`] says why a handshake failed.
//! - [`rustls`] itself is re-exported, for the configurations.
//!
//! # How it works
//!
//! rustls is used through its I/O-free API over the transport's poll core
//! ([`PollByteReceive`](crate::streams::PollByteReceive) /
//! [`PollByteSend`](crate::streams::PollByteSend)): the stream reads transport bytes into one
//! reused buffer and hands them to rustls record by record, and writes rustls' queued records
//! straight from rustls' queue with the transport's `poll_send`. rustls never sees a socket,
//! which is why any byte stream can carry TLS, and why the stream can stop exactly at the
//! peer's `close_notify` and give back what follows ([`TlsStream::unwrap`]). One task may
//! receive while another sends: the rustls connection sits behind a mutex held for one poll
//! call at a time; a receive that makes rustls queue something (an alert, a key-update reply)
//! starts sending it too. The async methods are loops over the same poll core as the
//! ecosystem's I/O traits, and nothing is boxed or allocated per operation.
//!
//! # Closing, and `standard_compatible`
//!
//! As in AnyIO, a stream is *standard compatible* by default: closing it sends a TLS
//! `close_notify`, and a transport that ends without the peer's `close_notify` is reported as
//! [`BrokenResource`](crate::streams::StreamError::BrokenResource), since it could be an
//! attacker cutting the data short. Protocols that frame their own messages (HTTP with
//! `Content-Length`, for one) often talk to peers that just drop the connection; turn it off
//! with [`TlsConfig::with_standard_compatible`] and such an end is a plain
//! [`EndOfStream`](crate::streams::StreamError::EndOfStream).
//!
//! # Cancellation
//!
//! Receives are cancel-safe: decrypted data and transport bytes are kept in the stream. A
//! cancelled send may have sent a prefix of its data (an unknown one, as in Trio), but the
//! records it encrypted and did not write yet stay queued and go out first with the next
//! operation, so the TLS stream is never corrupted. A cancelled handshake drops its
//! transport.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! # let (client_config, server_config) =
//! #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
//! use anyio_core::streams::attributes::{TlsVersion, TypedAttributeProvider};
//! use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream, ByteStream};
//! use anyio_core::tls::{TlsConfig, TlsStream};
//!
//! // `client_config` trusts the CA that signed the certificate in `server_config`.
//! let (client, server) = anyio_core::testing::memory_stream_pair();
//! let (client, server) = futures::join!(
//!     TlsStream::wrap(client, TlsConfig::client(client_config, "localhost".try_into().unwrap())),
//!     TlsStream::wrap(server, TlsConfig::server(server_config)),
//! );
//! let (client, server) = (client.unwrap(), server.unwrap());
//! assert_eq!(client.extra::<TlsVersion>().as_deref(), Some("TLSv1.3"));
//!
//! client.send_all(b"GET /\n").await.unwrap();
//! client.send_eof().await.unwrap(); // close_notify: we still receive
//! let server = BufferedByteReceiveStream::new(server);
//! assert_eq!(server.receive_until(b"\n", 1024).await.unwrap(), b"GET /");
//! # });
//! ```
//!
//! The same through `futures_io` (here over TCP; `tokio::io` works alike with `tokio-io`):
//!
//! ```
//! # anyio_core::run(async {
//! # let (client_config, server_config) =
//! #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
//! use anyio_core::net::{connect_tcp, create_tcp_listener};
//! use anyio_core::streams::Listener;
//! use anyio_core::tls::{TlsConfig, TlsStream};
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let port = listener.local_addrs()[0].port();
//! let (mut client, mut server) = futures::join!(
//!     async {
//!         let tcp = connect_tcp("127.0.0.1", port).await.unwrap();
//!         let config = TlsConfig::client(client_config, "localhost".try_into().unwrap());
//!         TlsStream::wrap(tcp, config).await.unwrap()
//!     },
//!     async {
//!         let tcp = listener.accept().await.unwrap();
//!         TlsStream::wrap(tcp, TlsConfig::server(server_config)).await.unwrap()
//!     },
//! );
//! client.write_all(b"GET /\n").await.unwrap();
//! client.close().await.unwrap(); // flush, then close_notify
//! let mut request = String::new();
//! server.read_to_string(&mut request).await.unwrap();
//! assert_eq!(request, "GET /\n");
//! # });
//! ```

mod config;
mod error;
mod io;
mod lifecycle;
mod listener;
mod record;
mod state;
mod stream;
mod transport;

pub use config::TlsConfig;
pub use error::HandshakeError;
pub use listener::TlsListener;
pub use rustls;
pub use rustls::pki_types::ServerName;
pub use stream::TlsStream;
