//! [`TlsStream`]: TLS over any anyio byte stream.

use std::fmt;
use std::future::poll_fn;
use std::task::{Context, Poll};

use rustls::{Connection, ProtocolVersion};

use super::config::TlsConfig;
use super::error::HandshakeError;
use super::io::Session;
use super::lifecycle::HandshakeFailure;
use crate::streams::attributes::{
    AttributeRequest, TlsAlpnProtocol, TlsCipher, TlsPeerCertificate, TlsVersion,
    TypedAttributeProvider,
};
use crate::streams::{
    check_max_bytes, AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, PollByteReceive,
    PollByteSend, PollByteStream, StreamError,
};
use crate::sync::ResourceGuard;

/// A TLS session over a byte stream `S` (AnyIO's `TLSStream`): what is sent is encrypted onto
/// the transport, what the peer sent is decrypted from it. `S` may be any anyio byte stream
/// with a poll core ([`PollByteStream`]): TCP and Unix streams, the in-memory pairs, another
/// `TlsStream` (TLS over TLS, as through an HTTPS proxy). A stream of your own that only has
/// async methods gets a poll core from [`StreamIo`](crate::streams::compat::StreamIo).
///
/// Create one with [`wrap`](TlsStream::wrap), which performs the handshake. It is a
/// [`ByteStream`]: one task may receive while another sends, and concurrent receives (or
/// sends) fail with [`StreamError::BusyResource`]. It has a poll core of its own
/// ([`PollByteReceive`], [`PollByteSend`]), and through it `futures_io::{AsyncRead,
/// AsyncWrite}`, `tokio::io::{AsyncRead, AsyncWrite}` (feature `tokio-io`) and
/// `hyper::rt::{Read, Write}` (feature `hyper`), for the stream and for `&TlsStream`.
///
/// - [`send_eof`](ByteStream::send_eof) sends a TLS `close_notify` and leaves receiving open
///   (a real half-close in TLS 1.3; a TLS 1.2 peer may answer by closing the connection).
///   The I/O traits' `close` / `shutdown` do the same after a flush.
/// - [`aclose`](AsyncResource::aclose) sends `close_notify` (if standard compatible, best
///   effort) and closes the transport; blocked sends and receives end with
///   [`StreamError::ClosedResource`].
/// - Receiving ends with [`StreamError::EndOfStream`] after the peer's `close_notify`. A
///   transport that ends without one is [`StreamError::BrokenResource`] (possible truncation)
///   when standard compatible, [`StreamError::EndOfStream`] when not (see [`TlsConfig`]).
///   A TLS protocol error is [`StreamError::BrokenResource`] with an [`std::io::Error`] of
///   kind `InvalidData` whose source is the [`rustls::Error`].
/// - [`unwrap`](TlsStream::unwrap) ends TLS and gives the transport back for plaintext.
/// - Typed attributes: [`TlsPeerCertificate`], [`TlsAlpnProtocol`], [`TlsVersion`],
///   [`TlsCipher`], then everything the transport's layers provide.
///
/// # Cancellation
///
/// A dropped receive loses no data: decrypted data and transport bytes are buffered in the
/// stream, not in the receive. A poll that returns `Pending` takes nothing, and a
/// `poll_send` (or an I/O trait's `write`) that returned `Ready(Ok(n))` accepted exactly `n`
/// bytes, encrypted into the stream's queue: they go out with the next `poll_send`,
/// `poll_flush`, `poll_send_eof` (or `send_all`, `send_eof`, `aclose`, `unwrap`), records
/// whole and never twice. So a `send_all` cancelled (or a `write_all` abandoned) part way has
/// sent an unknown prefix of its data, as in Trio: the stream stays usable and uncorrupted,
/// but the peer may have received part of the message. Inside a cancelled scope sends and
/// receives do nothing, as in Trio.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// # let (client_config, server_config) =
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio_core::tls::{TlsConfig, TlsStream};
///
/// let (client, server) = anyio_core::testing::memory_stream_pair();
/// let client_config = TlsConfig::client(client_config, "localhost".try_into().unwrap());
/// let server_config = TlsConfig::server(server_config);
/// // Both handshakes must run at once: join them (or run them in two tasks).
/// let (client, server) = futures::join!(
///     TlsStream::wrap(client, client_config),
///     TlsStream::wrap(server, server_config),
/// );
/// let (client, server) = (client.unwrap(), server.unwrap());
/// client.send_all(b"hello").await.unwrap();
/// assert_eq!(server.receive(64).await.unwrap(), b"hello");
/// # });
/// ```
pub struct TlsStream<S> {
    /// Boxed: a rustls connection is large, and streams are moved around in futures.
    session: Box<Session<S>>,
    /// The name a client connected to.
    client_server_name: Option<String>,
    receiving: ResourceGuard,
    sending: ResourceGuard,
}

/// `"TLSv1.3"` and the like, as AnyIO (and OpenSSL) spell them.
fn version_name(version: ProtocolVersion) -> Option<String> {
    let name = match version {
        ProtocolVersion::TLSv1_3 => "TLSv1.3",
        ProtocolVersion::TLSv1_2 => "TLSv1.2",
        ProtocolVersion::TLSv1_1 => "TLSv1.1",
        ProtocolVersion::TLSv1_0 => "TLSv1",
        other => return other.as_str().map(str::to_owned),
    };
    Some(name.to_owned())
}

/// The IANA name of the negotiated cipher suite (rustls spells TLS 1.3 suites `TLS13_...`).
fn cipher_name(conn: &Connection) -> Option<String> {
    let name = conn.negotiated_cipher_suite()?.suite().as_str()?;
    Some(match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name.to_owned(),
    })
}

impl<S> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.session.state();
        f.debug_struct("TlsStream")
            .field(
                "side",
                &if matches!(state.conn, Connection::Server(_)) {
                    "server"
                } else {
                    "client"
                },
            )
            .field("handshaking", &state.conn.is_handshaking())
            .field(
                "version",
                &state.conn.protocol_version().and_then(version_name),
            )
            .field("cipher", &cipher_name(&state.conn))
            .field("standard_compatible", &self.session.standard_compatible)
            .field("eof_sent", &state.eof_sent)
            .field("closed", &state.closed)
            .finish_non_exhaustive()
    }
}

impl<S> TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    /// Performs the TLS handshake over `transport` as `config` says (client or server), and
    /// returns the stream once it completed.
    ///
    /// The peer must be handshaking at the same time: over an in-memory pair, join the two
    /// `wrap` calls or run them in separate tasks. Bound the handshake with
    /// [`fail_after`](crate::fail_after) if the peer may stall (a [`TlsListener`] does).
    ///
    /// [`TlsListener`]: super::TlsListener
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Tls`] when TLS refused the peer (certificate not trusted or not for
    /// this name, an alert from the peer, no common version, cipher or ALPN protocol...);
    /// [`HandshakeError::Transport`] when the transport failed or ended first. The transport
    /// is closed either way (after sending the TLS alert, if that can be done at once).
    ///
    /// # Cancellation
    ///
    /// Dropping the future abandons the handshake and drops the transport. A cancelled
    /// handshake is never reported as a [`HandshakeError`]: the enclosing scope catches
    /// (`move_on_after` gives `None`, `fail_after` its timeout error). In an already-cancelled
    /// scope nothing is sent to the transport.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// use anyio_core::tls::{rustls, HandshakeError, TlsConfig, TlsStream};
    /// use std::sync::Arc;
    ///
    /// // A client that trusts nobody.
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let distrustful = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty())
    ///     .with_no_client_auth();
    /// let (client, server) = anyio_core::testing::memory_stream_pair();
    /// let (client, server) = futures::join!(
    ///     TlsStream::wrap(client, TlsConfig::client(Arc::new(distrustful), "localhost".try_into().unwrap())),
    ///     TlsStream::wrap(server, TlsConfig::server(server_config)),
    /// );
    /// let error = client.unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "tls handshake failed: the peer's certificate is not issued by a trusted authority"
    /// );
    /// assert!(matches!(error, HandshakeError::Tls(rustls::Error::InvalidCertificate(_))));
    /// assert!(server.is_err()); // the client's alert reached the server
    /// # });
    /// ```
    pub async fn wrap(transport: S, config: TlsConfig) -> Result<TlsStream<S>, HandshakeError> {
        // Not every transport checks for cancellation before it writes.
        crate::checkpoint_if_cancelled().await;
        let conn = config.connection().map_err(HandshakeError::Tls)?;
        let session = Box::new(Session::new(
            transport,
            conn,
            config.is_standard_compatible(),
        ));
        match session.handshake().await {
            Ok(()) => Ok(TlsStream {
                session,
                client_server_name: config.client_server_name(),
                receiving: ResourceGuard::new("receiving from"),
                sending: ResourceGuard::new("sending to"),
            }),
            Err(failure) => {
                session.abort().await;
                Err(match failure {
                    HandshakeFailure::Tls(error) => HandshakeError::Tls(error),
                    HandshakeFailure::Transport(error) => HandshakeError::Transport(error),
                })
            }
        }
    }

    /// Ends TLS and gives back the transport (AnyIO's `unwrap`): sends `close_notify` (unless
    /// [`send_eof`](ByteStream::send_eof) did), waits for the peer's, and returns the
    /// transport with the bytes already read from it past the TLS data, where a plaintext
    /// protocol continues (as after STARTTLS, in reverse).
    ///
    /// Decrypted data that was not received yet is discarded, as in AnyIO. The peer must
    /// close TLS too (its own `unwrap`, `send_eof` or `aclose`).
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](AsyncResource::aclose);
    /// [`StreamError::BrokenResource`] when the stream is broken, the transport fails, or it
    /// ends before the peer's `close_notify`.
    ///
    /// # Cancellation
    ///
    /// Dropping the future drops the stream and its transport.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// # let (client_config, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
    /// use anyio_core::tls::{TlsConfig, TlsStream};
    ///
    /// let (client, server) = anyio_core::testing::memory_stream_pair();
    /// let (client, server) = futures::join!(
    ///     TlsStream::wrap(client, TlsConfig::client(client_config, "localhost".try_into().unwrap())),
    ///     TlsStream::wrap(server, TlsConfig::server(server_config)),
    /// );
    /// let (client, server) = futures::join!(client.unwrap().unwrap(), server.unwrap().unwrap());
    /// let ((client, _), (server, _)) = (client.unwrap(), server.unwrap());
    /// client.send_all(b"plaintext again").await.unwrap();
    /// assert_eq!(server.receive(64).await.unwrap(), b"plaintext again");
    /// # });
    /// ```
    pub async fn unwrap(self) -> Result<(S, Vec<u8>), StreamError> {
        (*self.session).unwrap().await
    }

    /// Whether the stream is standard compatible (see [`TlsConfig`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// # let (client_config, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// use anyio_core::tls::{TlsConfig, TlsStream};
    /// let (client, server) = anyio_core::testing::memory_stream_pair();
    /// let (client, server) = futures::join!(
    ///     TlsStream::wrap(client, TlsConfig::client(client_config, "localhost".try_into().unwrap())),
    ///     TlsStream::wrap(server, TlsConfig::server(server_config).with_standard_compatible(false)),
    /// );
    /// assert!(client.unwrap().is_standard_compatible());
    /// assert!(!server.unwrap().is_standard_compatible());
    /// # });
    /// ```
    pub fn is_standard_compatible(&self) -> bool {
        self.session.standard_compatible
    }

    /// The server name: the one the client connected to (on the client side), or the one the
    /// client asked for with SNI (on the server side, `None` if it sent none).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// # let (client_config, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// use anyio_core::tls::{TlsConfig, TlsStream};
    /// let (client, server) = anyio_core::testing::memory_stream_pair();
    /// let (_client, server) = futures::join!(
    ///     TlsStream::wrap(client, TlsConfig::client(client_config, "localhost".try_into().unwrap())),
    ///     TlsStream::wrap(server, TlsConfig::server(server_config)),
    /// );
    /// assert_eq!(server.unwrap().server_name().as_deref(), Some("localhost"));
    /// # });
    /// ```
    pub fn server_name(&self) -> Option<String> {
        match &self.session.state().conn {
            Connection::Server(conn) => conn.server_name().map(str::to_owned),
            Connection::Client(_) => self.client_server_name.clone(),
        }
    }
}

impl<S> TypedAttributeProvider for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        {
            let state = self.session.state();
            let conn = &state.conn;
            request
                .provide_opt::<TlsPeerCertificate>(|| {
                    conn.peer_certificates()
                        .and_then(|chain| chain.first())
                        .map(|certificate| certificate.to_vec())
                })
                .provide_opt::<TlsAlpnProtocol>(|| conn.alpn_protocol().map(<[u8]>::to_vec))
                .provide_opt::<TlsVersion>(|| conn.protocol_version().and_then(version_name))
                .provide_opt::<TlsCipher>(|| cipher_name(conn));
        }
        self.session.transport.provide_attributes(request);
    }
}

impl<S> AsyncResource for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    /// Closes the stream: blocked sends and receives end with
    /// [`StreamError::ClosedResource`]; if standard compatible, queued records and a
    /// `close_notify` are written (best effort: skipped inside a cancelled scope, and a
    /// transport the peer does not read may hold it up, so bound it with a timeout if that can
    /// happen); then the transport is closed.
    async fn aclose(&self) {
        self.session.aclose().await;
    }
}

impl<S> ByteReceiveStream for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        poll_fn(|cx| self.session.poll_receive_into(cx, buf)).await
    }
}

impl<S> ByteSendStream for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    /// Encrypts all of `data` and writes it to the transport, returning once every record
    /// is written.
    ///
    /// # Cancellation
    ///
    /// Not cancel-safe, as in Trio: cancelled part way, an unknown prefix of `data` was
    /// encrypted (and is sent, whole records, before anything that follows); the rest was
    /// not. In an already-cancelled scope nothing is taken.
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        // Even an empty send checks the stream and is a cancellation point.
        poll_fn(|cx| self.session.poll_send(cx, &[])).await?;
        if data.is_empty() {
            return Ok(());
        }
        let mut rest = data;
        while !rest.is_empty() {
            let accepted = poll_fn(|cx| self.session.poll_send(cx, rest)).await?;
            rest = &rest[accepted..];
        }
        poll_fn(|cx| self.session.poll_flush(cx)).await
    }
}

impl<S> ByteStream for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    /// Sends a TLS `close_notify`: the peer receives [`StreamError::EndOfStream`] after the
    /// data sent so far, while this side can still receive. A TLS 1.2 peer may answer with
    /// its own `close_notify` and close the connection (TLS 1.2 has no half-close).
    async fn send_eof(&self) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        poll_fn(|cx| self.session.poll_send_eof(cx)).await
    }
}

impl<S> PollByteReceive for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    /// Decrypts into `buf`, reading records from the transport's
    /// [`poll_receive_into`](PollByteReceive::poll_receive_into) as needed.
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.session.poll_receive_into(cx, buf)
    }
}

impl<S> PollByteSend for TlsStream<S>
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    /// Encrypts a prefix of `data` into the session (`Ready(Ok(n))`: those `n` bytes are
    /// accepted and go out with this or a later `poll_send`, `poll_flush` or `poll_send_eof`),
    /// first writing records queued before to the transport. `Pending` when 64 KiB of records
    /// wait for a transport that takes no more.
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.session.poll_send(cx, data)
    }

    /// Writes every queued record to the transport.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.session.poll_flush(cx)
    }

    /// Queues a TLS `close_notify` (once) and writes it out with every record before it, as
    /// [`send_eof`](ByteStream::send_eof): the transport itself stays open.
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.session.poll_send_eof(cx)
    }
}

crate::streams::io::impl_io_traits!(
    [S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static] TlsStream<S>
);
