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
//! rustls is used through its I/O-free API: the stream reads bytes from the transport and
//! hands them to rustls record by record, and writes what rustls queued for the peer with
//! the transport's `send_all`. rustls never sees a socket, which is why any byte stream can
//! carry TLS, and why the stream can stop exactly at the peer's `close_notify` and give back
//! what follows ([`TlsStream::unwrap`]). One task may receive while another sends: the rustls
//! connection sits behind a mutex held only between awaits, and writes to the transport are
//! serialized by an anyio [`Lock`](crate::sync::Lock); a receive that makes rustls queue
//! something (an alert, a key-update reply) starts sending it when no send is in progress.
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
//! cancelled send may have sent a prefix of its data, but the records it encrypted and did not
//! write yet stay queued and go out first with the next operation, so the TLS stream is never
//! corrupted. A cancelled handshake drops its transport.
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

mod config;
mod error;
mod io;
mod lifecycle;
mod listener;
mod record;
mod stream;
mod transport;

pub use config::TlsConfig;
pub use error::HandshakeError;
pub use listener::TlsListener;
pub use rustls;
pub use rustls::pki_types::ServerName;
pub use stream::TlsStream;
