//! TLS streams (`anyio::tls`) over in-memory transports, on every backend: the stream
//! conformance checks, TLS over TLS, attributes, handshake failures, truncation, `unwrap`,
//! full duplex, cancellation, and `TlsListener`. Certificates are generated at test time with
//! rcgen (a CA, and certificates it signs); no key is committed.
#![cfg(all(feature = "tls", feature = "net"))]

use std::error::Error as _;
use std::io;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use anyio::streams::attributes::{
    AttributeRequest, LocalPort, RemotePort, TlsAlpnProtocol, TlsCipher, TlsPeerCertificate,
    TlsVersion, TypedAttributeProvider,
};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, PollByteReceive,
    PollByteSend, PollByteStream, StreamError,
};
use anyio::testing::{
    check_clogged_half_closeable_stream, check_half_closeable_stream, check_two_way_stream,
    lockstep_stream_pair, memory_stream_pair, MemoryByteStream,
};
use anyio::time::{current_time, sleep, Duration};
use anyio::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use anyio::tls::rustls::server::WebPkiClientVerifier;
use anyio::tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use anyio::tls::{HandshakeError, ServerName, TlsConfig, TlsListener, TlsStream};
use anyio::{create_memory_object_stream, move_on_after, task_group, CancelScope, SpawnError};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

// ---------------------------------------------------------------------------------------------
// Certificates and configurations

/// A CA and what it signed: a server certificate for `localhost` and a client certificate.
struct Pki {
    ca: CertificateDer<'static>,
    server_cert: CertificateDer<'static>,
    server_key: PrivatePkcs8KeyDer<'static>,
    client_cert: CertificateDer<'static>,
    client_key: PrivatePkcs8KeyDer<'static>,
    /// The CA certificate, the server certificate and its key in PEM, for openssl.
    pem: [String; 3],
}

impl Pki {
    fn new(ca_name: &str) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |name: &str| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            (params.signed_by(&key, &issuer).unwrap(), key)
        };
        let (server_cert, server_key) = leaf("localhost");
        let (client_cert, client_key) = leaf("client.example");
        Pki {
            ca: ca.der().clone(),
            server_cert: server_cert.der().clone(),
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
            client_cert: client_cert.der().clone(),
            client_key: PrivatePkcs8KeyDer::from(client_key.serialize_der()),
            pem: [ca.pem(), server_cert.pem(), server_key.serialize_pem()],
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        roots
    }

    fn client(&self) -> ClientBuilder<'_> {
        Builder::new(self, self.roots())
    }

    fn server(&self) -> ServerBuilder<'_> {
        Builder::new(self, ())
    }

    /// A connected (client, server) pair over `transports`, with the default configurations
    /// (the client's for `localhost`).
    async fn connected<S>(&self, transports: (S, S)) -> (TlsStream<S>, TlsStream<S>)
    where
        S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
    {
        connected(
            transports,
            self.client().config("localhost"),
            self.server().config(),
        )
        .await
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn versions(tls12_only: bool) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
    if tls12_only {
        TLS12_ONLY
    } else {
        rustls::DEFAULT_VERSIONS
    }
}

/// Builds a client's or a server's configuration from a [`Pki`]. `Side` is what only one
/// side has: the roots a client trusts; nothing for a server.
struct Builder<'a, Side> {
    pki: &'a Pki,
    side: Side,
    alpn: Vec<Vec<u8>>,
    tls12_only: bool,
    /// A client presents its certificate; a server requires one.
    client_cert: bool,
}

type ClientBuilder<'a> = Builder<'a, RootCertStore>;
type ServerBuilder<'a> = Builder<'a, ()>;

impl<'a, Side> Builder<'a, Side> {
    fn new(pki: &'a Pki, side: Side) -> Self {
        Builder {
            pki,
            side,
            alpn: Vec::new(),
            tls12_only: false,
            client_cert: false,
        }
    }

    fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    fn tls12_only(mut self) -> Self {
        self.tls12_only = true;
        self
    }
}

impl ClientBuilder<'_> {
    fn trusting(mut self, roots: RootCertStore) -> Self {
        self.side = roots;
        self
    }

    fn with_client_cert(mut self) -> Self {
        self.client_cert = true;
        self
    }

    fn build(self) -> Arc<ClientConfig> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(versions(self.tls12_only))
            .unwrap()
            .with_root_certificates(self.side);
        let mut config = if self.client_cert {
            builder
                .with_client_auth_cert(
                    vec![self.pki.client_cert.clone()],
                    PrivateKeyDer::Pkcs8(self.pki.client_key.clone_key()),
                )
                .unwrap()
        } else {
            builder.with_no_client_auth()
        };
        config.alpn_protocols = self.alpn;
        Arc::new(config)
    }

    fn config(self, name: &str) -> TlsConfig {
        let name = ServerName::try_from(name.to_owned()).unwrap();
        TlsConfig::client(self.build(), name)
    }
}

impl ServerBuilder<'_> {
    fn require_client_cert(mut self) -> Self {
        self.client_cert = true;
        self
    }

    fn build(self) -> Arc<ServerConfig> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(versions(self.tls12_only))
            .unwrap();
        let builder = if self.client_cert {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(self.pki.roots()), provider())
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder
            .with_single_cert(
                vec![self.pki.server_cert.clone()],
                PrivateKeyDer::Pkcs8(self.pki.server_key.clone_key()),
            )
            .unwrap();
        config.alpn_protocols = self.alpn;
        Arc::new(config)
    }

    fn config(self) -> TlsConfig {
        TlsConfig::server(self.build())
    }
}

/// Runs both handshakes at once over `transports`.
async fn handshake<S>(
    (client, server): (S, S),
    client_config: TlsConfig,
    server_config: TlsConfig,
) -> (
    Result<TlsStream<S>, HandshakeError>,
    Result<TlsStream<S>, HandshakeError>,
)
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    futures::join!(
        TlsStream::wrap(client, client_config),
        TlsStream::wrap(server, server_config),
    )
}

/// A connected (client, server) pair of TLS streams over `transports`.
async fn connected<S>(
    transports: (S, S),
    client_config: TlsConfig,
    server_config: TlsConfig,
) -> (TlsStream<S>, TlsStream<S>)
where
    S: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    let (client, server) = handshake(transports, client_config, server_config).await;
    (client.unwrap(), server.unwrap())
}

/// The half-closeable stream checks on TLS pairs over memory streams: a fresh handshake for
/// each pair, all with `client` and `server` (and so sharing their rustls configurations).
async fn check_conforms(client: TlsConfig, server: TlsConfig) {
    check_half_closeable_stream(|| connected(memory_stream_pair(), client.clone(), server.clone()))
        .await;
}

/// Receives until the end of the stream.
async fn receive_to_end(stream: &impl ByteReceiveStream) -> Result<Vec<u8>, StreamError> {
    let mut data = Vec::new();
    loop {
        match stream.receive(64 * 1024).await {
            Ok(chunk) => data.extend(chunk),
            Err(StreamError::EndOfStream) => return Ok(data),
            Err(error) => return Err(error),
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// The `io::Error` inside a `BrokenResource`.
fn broken_cause(error: &StreamError) -> &io::Error {
    match error {
        StreamError::BrokenResource(Some(cause)) => cause,
        other => panic!("expected BrokenResource with a cause, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Basics and conformance

#[anyio::test]
async fn round_trip_over_memory_streams() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    client.send_all(b"hello server").await.unwrap();
    assert_eq!(server.receive(100).await.unwrap(), b"hello server");
    server.send_all(b"hello client").await.unwrap();
    assert_eq!(client.receive(100).await.unwrap(), b"hello client");

    // More than one record and more than one send chunk, both ways.
    let big = pattern(300 * 1024);
    client.send_all(&big).await.unwrap();
    client.aclose().await;
    assert_eq!(receive_to_end(&server).await.unwrap(), big);
    server.aclose().await;
    assert!(matches!(
        server.receive(1).await,
        Err(StreamError::ClosedResource)
    ));
    assert!(matches!(
        client.send_all(b"x").await,
        Err(StreamError::ClosedResource)
    ));
}

#[anyio::test]
async fn tls_streams_conform() {
    let pki = Pki::new("test CA");
    check_conforms(pki.client().config("localhost"), pki.server().config()).await;
}

#[anyio::test]
async fn tls12_streams_conform() {
    let pki = Pki::new("test CA");
    check_conforms(
        pki.client().tls12_only().config("localhost"),
        pki.server().tls12_only().config(),
    )
    .await;
}

#[anyio::test]
async fn clogged_tls_streams_conform() {
    let pki = Pki::new("test CA");
    let (client, server) = (pki.client().config("localhost"), pki.server().config());
    check_clogged_half_closeable_stream(|| {
        connected(lockstep_stream_pair(), client.clone(), server.clone())
    })
    .await;
}

#[anyio::test]
async fn non_standard_compatible_streams_conform() {
    let pki = Pki::new("test CA");
    check_conforms(
        pki.client()
            .config("localhost")
            .with_standard_compatible(false),
        pki.server().config().with_standard_compatible(false),
    )
    .await;
}

#[anyio::test]
async fn tls_over_tls() {
    let (inner_pki, outer_pki) = (Pki::new("inner CA"), Pki::new("outer CA"));
    let (inner_client, inner_server) = (
        inner_pki.client().config("localhost"),
        inner_pki.server().config(),
    );
    let (outer_client, outer_server) = (
        outer_pki
            .client()
            .alpn(&[b"inner-protocol"])
            .config("localhost"),
        outer_pki.server().alpn(&[b"inner-protocol"]).config(),
    );
    let maker = || {
        let inner = connected(
            memory_stream_pair(),
            inner_client.clone(),
            inner_server.clone(),
        );
        let (outer_client, outer_server) = (outer_client.clone(), outer_server.clone());
        async move { connected(inner.await, outer_client, outer_server).await }
    };

    let (client, server) = maker().await;
    client.send_all(b"two layers deep").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"two layers deep");
    // The outer layer answers for TLS; the inner one is hidden behind it.
    assert_eq!(
        client.extra::<TlsPeerCertificate>().unwrap(),
        outer_pki.server_cert.to_vec()
    );
    assert_eq!(
        client.extra::<TlsAlpnProtocol>().as_deref(),
        Some(&b"inner-protocol"[..])
    );
    client.aclose().await;
    assert!(matches!(
        server.receive(1).await,
        Err(StreamError::EndOfStream)
    ));

    check_two_way_stream(maker).await;
}

// ---------------------------------------------------------------------------------------------
// Attributes

/// A memory stream that knows its "port", to see transport attributes through TLS.
struct Labelled(MemoryByteStream, u16);

impl TypedAttributeProvider for Labelled {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request.provide::<LocalPort>(|| self.1);
    }
}

impl AsyncResource for Labelled {
    async fn aclose(&self) {
        self.0.aclose().await;
    }
}

impl ByteReceiveStream for Labelled {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.0.receive_into(buf).await
    }
}

impl ByteSendStream for Labelled {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.0.send_all(data).await
    }
}

impl PollByteReceive for Labelled {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.0.poll_receive_into(cx, buf)
    }
}

impl PollByteSend for Labelled {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.0.poll_send(cx, data)
    }

    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.0.poll_send_eof(cx)
    }
}

fn labelled_pair() -> (Labelled, Labelled) {
    let (a, b) = memory_stream_pair();
    (Labelled(a, 1111), Labelled(b, 2222))
}

#[anyio::test]
async fn alpn_and_attributes() {
    let pki = Pki::new("test CA");
    let (client, server) = connected(
        labelled_pair(),
        pki.client().alpn(&[b"h2", b"http/1.1"]).config("localhost"),
        pki.server().alpn(&[b"http/1.1"]).config(),
    )
    .await;
    for stream in [&client, &server] {
        assert_eq!(
            stream.extra::<TlsAlpnProtocol>().as_deref(),
            Some(&b"http/1.1"[..])
        );
        assert_eq!(stream.extra::<TlsVersion>().as_deref(), Some("TLSv1.3"));
        let cipher = stream.extra::<TlsCipher>().unwrap();
        assert!(
            [
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256"
            ]
            .contains(&cipher.as_str()),
            "{cipher}"
        );
        assert_eq!(stream.extra::<RemotePort>(), None);
    }
    assert_eq!(client.extra::<TlsCipher>(), server.extra::<TlsCipher>());
    assert_eq!(
        client.extra::<TlsPeerCertificate>().unwrap(),
        pki.server_cert.to_vec()
    );
    // No client certificate was asked for.
    assert_eq!(server.extra::<TlsPeerCertificate>(), None);
    assert_eq!(
        server
            .try_extra::<TlsPeerCertificate>()
            .unwrap_err()
            .to_string(),
        "the resource has no typed attribute `tls_peer_certificate`"
    );
    // The transport's attributes, through the TLS layer.
    assert_eq!(client.extra::<LocalPort>(), Some(1111));
    assert_eq!(server.extra::<LocalPort>(), Some(2222));
    assert_eq!(server.server_name().as_deref(), Some("localhost"));
    assert_eq!(client.server_name().as_deref(), Some("localhost"));
    let debug = format!("{client:?}");
    assert!(
        debug.contains("TlsStream") && debug.contains("TLSv1.3"),
        "{debug}"
    );
}

#[anyio::test]
async fn tls12_client_certificate_and_no_alpn() {
    let pki = Pki::new("test CA");
    let (client, server) = connected(
        memory_stream_pair(),
        pki.client()
            .tls12_only()
            .with_client_cert()
            .config("localhost"),
        pki.server().require_client_cert().config(),
    )
    .await;
    for stream in [&client, &server] {
        assert_eq!(stream.extra::<TlsVersion>().as_deref(), Some("TLSv1.2"));
        let cipher = stream.extra::<TlsCipher>().unwrap();
        assert!(cipher.starts_with("TLS_ECDHE_ECDSA_WITH_"), "{cipher}");
        assert_eq!(stream.extra::<TlsAlpnProtocol>(), None);
    }
    assert_eq!(
        server.extra::<TlsPeerCertificate>().unwrap(),
        pki.client_cert.to_vec()
    );
    assert_eq!(
        client.extra::<TlsPeerCertificate>().unwrap(),
        pki.server_cert.to_vec()
    );
    client.send_all(b"over tls 1.2").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"over tls 1.2");
}

// ---------------------------------------------------------------------------------------------
// Handshake failures

#[anyio::test]
async fn untrusted_certificate_fails_the_handshake() {
    let (pki, other) = (Pki::new("test CA"), Pki::new("some other CA"));
    let (client, server) = handshake(
        memory_stream_pair(),
        pki.client().trusting(other.roots()).config("localhost"),
        pki.server().config(),
    )
    .await;
    let error = client.unwrap_err();
    assert_eq!(
        error.to_string(),
        "tls handshake failed: the peer's certificate is not issued by a trusted authority"
    );
    assert!(matches!(
        error.tls_error(),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        ))
    ));
    let source = error.source().unwrap();
    assert!(source.downcast_ref::<rustls::Error>().is_some());
    // As a stream error (for `?` in stream code): broken, with the handshake error inside.
    let stream_error = StreamError::from(error);
    let cause = broken_cause(&stream_error);
    assert!(cause.get_ref().unwrap().is::<HandshakeError>());
    // The client's alert told the server why.
    let error = server.unwrap_err();
    assert!(
        matches!(error.tls_error(), Some(rustls::Error::AlertReceived(_))),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "tls handshake failed: the peer refused the connection with an alert"
    );
}

#[anyio::test]
async fn wrong_server_name_fails_the_handshake() {
    let pki = Pki::new("test CA");
    let (client, server) = handshake(
        memory_stream_pair(),
        pki.client().config("example.com"),
        pki.server().config(),
    )
    .await;
    let error = client.unwrap_err();
    assert_eq!(
        error.to_string(),
        "tls handshake failed: the peer's certificate is not valid for the server name"
    );
    assert!(matches!(
        error.tls_error(),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. }
        ))
    ));
    assert!(server.is_err());
}

#[anyio::test]
async fn no_common_alpn_protocol_fails_the_handshake() {
    let pki = Pki::new("test CA");
    let (client, server) = handshake(
        memory_stream_pair(),
        pki.client().alpn(&[b"h2"]).config("localhost"),
        pki.server().alpn(&[b"http/1.1"]).config(),
    )
    .await;
    assert!(matches!(
        server.unwrap_err().tls_error(),
        Some(rustls::Error::NoApplicationProtocol)
    ));
    assert!(client.is_err());
}

#[anyio::test]
async fn handshake_with_a_vanished_or_confused_peer() {
    let pki = Pki::new("test CA");
    // The peer closes before saying anything.
    let (client, server) = memory_stream_pair();
    drop(client);
    let error = TlsStream::wrap(server, pki.server().config())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        HandshakeError::Transport(StreamError::EndOfStream)
    ));
    assert_eq!(
        error.to_string(),
        "tls handshake failed: the peer closed the connection"
    );

    // The peer speaks plaintext HTTP: rejected at once, not after waiting for more bytes.
    let (client, server) = memory_stream_pair();
    client.send_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let error = TlsStream::wrap(server, pki.server().config())
        .await
        .unwrap_err();
    assert!(matches!(error, HandshakeError::Tls(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "tls handshake failed: the peer broke the tls protocol"
    );
    // The server sent an alert and closed its transport.
    let reply = receive_to_end(&client).await.unwrap();
    assert_eq!(reply.first(), Some(&21), "an alert record: {reply:?}");
}

// ---------------------------------------------------------------------------------------------
// The end of the stream

/// A TLS pair whose transports can also be used raw: the test keeps the server's transport
/// and the client's.
async fn raw_accessible_pair(
    pki: &Pki,
    client_standard: bool,
    server_standard: bool,
) -> (
    TlsStream<Arc<MemoryByteStream>>,
    TlsStream<Arc<MemoryByteStream>>,
    Arc<MemoryByteStream>,
    Arc<MemoryByteStream>,
) {
    let (a, b) = memory_stream_pair();
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (client, server) = connected(
        (a.clone(), b.clone()),
        pki.client()
            .config("localhost")
            .with_standard_compatible(client_standard),
        pki.server()
            .config()
            .with_standard_compatible(server_standard),
    )
    .await;
    (client, server, a, b)
}

#[anyio::test]
async fn truncation_is_broken_when_standard_compatible() {
    let pki = Pki::new("test CA");
    let (client, server, client_transport, _) = raw_accessible_pair(&pki, true, true).await;
    client.send_all(b"all of it").await.unwrap();
    // The transport ends without a close_notify.
    client_transport.aclose().await;
    assert_eq!(server.receive(64).await.unwrap(), b"all of it");
    let error = server.receive(64).await.unwrap_err();
    assert_eq!(broken_cause(&error).kind(), io::ErrorKind::UnexpectedEof);
    // And it stays that way.
    assert!(matches!(
        server.receive(64).await,
        Err(StreamError::BrokenResource(_))
    ));
}

#[anyio::test]
async fn truncation_is_the_end_when_not_standard_compatible() {
    let pki = Pki::new("test CA");
    let (client, server, client_transport, _) = raw_accessible_pair(&pki, true, false).await;
    client.send_all(b"all of it").await.unwrap();
    client_transport.aclose().await;
    assert_eq!(server.receive(64).await.unwrap(), b"all of it");
    assert!(matches!(
        server.receive(64).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn non_standard_compatible_close_sends_no_close_notify() {
    let pki = Pki::new("test CA");
    // A non-standard client closes without close_notify: a standard server calls it
    // truncation, a non-standard one the end.
    for server_standard in [true, false] {
        let (client, server) = connected(
            memory_stream_pair(),
            pki.client()
                .config("localhost")
                .with_standard_compatible(false),
            pki.server()
                .config()
                .with_standard_compatible(server_standard),
        )
        .await;
        client.send_all(b"bye").await.unwrap();
        client.aclose().await;
        assert_eq!(server.receive(64).await.unwrap(), b"bye");
        let end = server.receive(64).await;
        if server_standard {
            assert!(
                matches!(end, Err(StreamError::BrokenResource(_))),
                "{end:?}"
            );
        } else {
            assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
        }
    }
}

#[anyio::test]
async fn close_notify_is_the_end_even_for_a_standard_stream() {
    let pki = Pki::new("test CA");
    let (client, server, client_transport, _) = raw_accessible_pair(&pki, true, true).await;
    client.send_all(b"last words").await.unwrap();
    client.send_eof().await.unwrap();
    // Even a transport that then ends abruptly is a clean end after close_notify.
    client_transport.aclose().await;
    assert_eq!(receive_to_end(&server).await.unwrap(), b"last words");
}

#[anyio::test]
async fn send_eof_half_closes() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    client.send_all(b"request").await.unwrap();
    client.send_eof().await.unwrap();
    assert!(matches!(
        client.send_all(b"more").await,
        Err(StreamError::ClosedResource)
    ));
    assert_eq!(receive_to_end(&server).await.unwrap(), b"request");
    // The other direction still works, in several records.
    let reply = pattern(100_000);
    server.send_all(&reply).await.unwrap();
    server.send_eof().await.unwrap();
    assert_eq!(receive_to_end(&client).await.unwrap(), reply);
}

#[anyio::test]
async fn protocol_errors_break_the_stream() {
    let pki = Pki::new("test CA");
    let (client, server, _, server_transport) = raw_accessible_pair(&pki, true, true).await;
    // Something that looks like an application data record but is not encrypted by the peer.
    let mut forged = vec![23, 3, 3, 0, 40];
    forged.extend([0x55; 40]);
    server_transport.send_all(&forged).await.unwrap();
    let error = client.receive(64).await.unwrap_err();
    let cause = broken_cause(&error);
    assert_eq!(cause.kind(), io::ErrorKind::InvalidData);
    let tls_error = cause
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .expect("the rustls error is the source");
    assert_eq!(*tls_error, rustls::Error::DecryptError);
    // Both directions are broken now.
    assert!(matches!(
        client.receive(64).await,
        Err(StreamError::BrokenResource(_))
    ));
    assert!(matches!(
        client.send_all(b"x").await,
        Err(StreamError::BrokenResource(_))
    ));
    // The receive path sent the peer the alert rustls queued.
    let error = server.receive(64).await.unwrap_err();
    let tls_error = broken_cause(&error)
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    assert!(
        matches!(tls_error, Some(rustls::Error::AlertReceived(_))),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// unwrap

#[anyio::test]
async fn unwrap_returns_the_transport_and_the_bytes_past_tls() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    client.send_all(b"switching to plaintext").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"switching to plaintext");
    // The client says it is done; the server ends TLS and talks plaintext at once.
    client.send_eof().await.unwrap();
    let (server_transport, rest) = server.unwrap().await.unwrap();
    assert!(rest.is_empty());
    server_transport
        .send_all(b"plain from the server")
        .await
        .unwrap();
    // The client's unwrap reads the server's close_notify and the plaintext behind it in
    // one go: the plaintext comes back with the transport.
    let (client_transport, rest) = client.unwrap().await.unwrap();
    assert_eq!(rest, b"plain from the server");
    client_transport.send_all(b"plain reply").await.unwrap();
    assert_eq!(server_transport.receive(64).await.unwrap(), b"plain reply");
}

#[anyio::test]
async fn both_sides_unwrap_at_once() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    // Data the application never received is discarded.
    server.send_all(b"never read").await.unwrap();
    let (client, server) = futures::join!(client.unwrap(), server.unwrap());
    let ((client, _), (server, _)) = (client.unwrap(), server.unwrap());
    client.send_all(b"raw").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"raw");

    // And TLS can start again on the same transports.
    let (client, server) = pki.connected((client, server)).await;
    server.send_all(b"encrypted again").await.unwrap();
    assert_eq!(client.receive(64).await.unwrap(), b"encrypted again");
}

#[anyio::test]
async fn unwrap_fails_when_the_peer_vanishes() {
    let pki = Pki::new("test CA");
    let (client, _server, _, server_transport) = raw_accessible_pair(&pki, true, true).await;
    server_transport.aclose().await;
    let error = client.unwrap().await.unwrap_err();
    assert!(matches!(error, StreamError::BrokenResource(_)), "{error:?}");

    let (client, _server) = pki.connected(memory_stream_pair()).await;
    client.aclose().await;
    assert!(matches!(
        client.unwrap().await,
        Err(StreamError::ClosedResource)
    ));
}

// ---------------------------------------------------------------------------------------------
// Concurrency and cancellation

#[anyio::test]
async fn full_duplex_over_a_lockstep_transport() {
    let pki = Pki::new("test CA");
    // Lockstep: a send completes only once the peer read it, so nothing works unless each
    // side receives while it sends.
    let (client, server) = pki.connected(lockstep_stream_pair()).await;
    let (client, server) = (Arc::new(client), Arc::new(server));
    let data = pattern(512 * 1024);
    let echoed = Arc::new(Mutex::new(Vec::new()));
    task_group(|tg| {
        let (client, server, data, echoed) =
            (client.clone(), server.clone(), data.clone(), echoed.clone());
        async move {
            // The server echoes with one task per direction, through a small channel.
            let (tx, rx) = create_memory_object_stream::<Vec<u8>>(1);
            let reader = server.clone();
            tg.start_soon(async move {
                while let Ok(chunk) = reader.receive(10_000).await {
                    tx.send(chunk).await.unwrap();
                }
            })?;
            let writer = server.clone();
            tg.start_soon(async move {
                while let Ok(chunk) = rx.receive().await {
                    writer.send_all(&chunk).await.unwrap();
                }
                writer.send_eof().await.unwrap();
            })?;
            let sender = client.clone();
            tg.start_soon(async move {
                for chunk in data.chunks(50_000) {
                    sender.send_all(chunk).await.unwrap();
                }
                sender.send_eof().await.unwrap();
            })?;
            tg.start_soon(async move {
                *echoed.lock().unwrap() = receive_to_end(&*client).await.unwrap();
            })?;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(*echoed.lock().unwrap() == data, "the echo came back intact");
}

#[anyio::test]
async fn concurrent_receives_or_sends_are_busy() {
    let pki = Pki::new("test CA");
    let (client, _server) = pki.connected(lockstep_stream_pair()).await;
    {
        let mut receiving = std::pin::pin!(client.receive(10));
        assert!(futures::poll!(receiving.as_mut()).is_pending());
        assert!(matches!(
            client.receive(10).await,
            Err(StreamError::BusyResource(_))
        ));
    }
    {
        // Nobody reads the lockstep transport: the send blocks.
        let mut sending = std::pin::pin!(client.send_all(b"stuck"));
        assert!(futures::poll!(sending.as_mut()).is_pending());
        let error = client.send_all(b"x").await.unwrap_err();
        assert!(matches!(error, StreamError::BusyResource(_)));
        assert_eq!(
            error.to_string(),
            "another task is already sending to this resource"
        );
        assert!(matches!(
            client.send_eof().await,
            Err(StreamError::BusyResource(_))
        ));
        // Receiving still works meanwhile (it is the other direction).
        let mut receiving = std::pin::pin!(client.receive(10));
        assert!(futures::poll!(receiving.as_mut()).is_pending());
    }
}

#[anyio::test]
async fn cancelled_receives_lose_no_data() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    // A receive cancelled while it waits.
    assert!(move_on_after(Duration::from_millis(5), client.receive(64))
        .await
        .is_none());
    server.send_all(b"0123456789").await.unwrap();
    assert_eq!(client.receive(4).await.unwrap(), b"0123");
    // A receive in a cancelled scope takes nothing, although data is decrypted and waiting.
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(client.receive(64)).await.is_none());
    assert_eq!(client.receive(64).await.unwrap(), b"456789");
}

#[anyio::test]
async fn a_send_in_a_cancelled_scope_sends_nothing() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(client.send_all(b"never")).await.is_none());
    client.send_all(b"after").await.unwrap();
    assert_eq!(server.receive(64).await.unwrap(), b"after");
}

#[anyio::test(autojump)]
async fn receives_cancelled_at_random_points_lose_no_data() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(memory_stream_pair()).await;
    let data = pattern(64 * 1024);
    let mut received = Vec::new();
    let mut cancelled = 0;
    futures::join!(
        async {
            for (i, chunk) in data.chunks(1000).enumerate() {
                sleep(Duration::from_millis(1 + (i as u64 * 7) % 5)).await;
                server.send_all(chunk).await.unwrap();
            }
            server.send_eof().await.unwrap();
        },
        async {
            let mut i = 0u64;
            loop {
                i += 1;
                let limit = Duration::from_millis(1 + (i * 3) % 4);
                match move_on_after(limit, client.receive(1 + (i as usize * 13) % 1500)).await {
                    None => cancelled += 1,
                    Some(Ok(chunk)) => received.extend(chunk),
                    Some(Err(StreamError::EndOfStream)) => break,
                    Some(Err(error)) => panic!("{error:?}"),
                }
            }
        },
    );
    assert!(cancelled > 10, "only {cancelled} receives were cancelled");
    assert!(received == data, "all data arrived, in order");
}

#[anyio::test(autojump)]
async fn a_cancelled_send_does_not_corrupt_the_stream() {
    let pki = Pki::new("test CA");
    let (client, server) = pki.connected(lockstep_stream_pair()).await;
    let big = pattern(200 * 1024);
    // Nobody reads: the send is cancelled in the middle of writing its first records.
    let start = current_time();
    assert!(move_on_after(Duration::from_secs(1), client.send_all(&big))
        .await
        .is_none());
    assert_eq!(current_time() - start, Duration::from_secs(1));
    let (received, ()) = futures::join!(receive_to_end(&server), async {
        client.send_all(b"tail").await.unwrap();
        client.send_eof().await.unwrap();
    });
    // What the cancelled send had encrypted arrives whole, then the next send's data.
    let received = received.unwrap();
    let (prefix, tail) = received.split_at(received.len() - 4);
    assert_eq!(tail, b"tail");
    assert!(
        !prefix.is_empty() && big.starts_with(prefix),
        "{}",
        prefix.len()
    );
}

#[anyio::test(autojump)]
async fn aclose_wakes_blocked_operations() {
    let pki = Pki::new("test CA");
    let (client, _server) = pki.connected(lockstep_stream_pair()).await;
    let client = Arc::new(client);
    let results = Arc::new(Mutex::new(Vec::new()));
    task_group(|tg| {
        let (client, results) = (client.clone(), results.clone());
        async move {
            for send in [false, true] {
                let (client, results) = (client.clone(), results.clone());
                tg.start_soon(async move {
                    let result = if send {
                        client.send_all(b"nobody reads this").await
                    } else {
                        client.receive(10).await.map(drop)
                    };
                    results.lock().unwrap().push(result);
                })?;
            }
            anyio::testing::wait_all_tasks_blocked().await;
            // In a cancelled scope: no graceful close_notify, which would block too.
            let scope = CancelScope::new();
            scope.handle().cancel();
            scope.run(client.aclose()).await;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let results = results.lock().unwrap();
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Err(StreamError::ClosedResource))),
        "{results:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// TlsListener

/// Hands out the server ends of memory stream pairs.
struct MemoryListener(anyio::MemoryReceiveStream<MemoryByteStream>);

impl TypedAttributeProvider for MemoryListener {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request.provide::<LocalPort>(|| 443);
    }
}

impl AsyncResource for MemoryListener {
    async fn aclose(&self) {
        self.0.close();
    }
}

impl Listener for MemoryListener {
    type Connection = MemoryByteStream;

    async fn accept(&self) -> Result<MemoryByteStream, StreamError> {
        self.0
            .receive()
            .await
            .map_err(|_| StreamError::ClosedResource)
    }
}

/// Connects to a [`MemoryListener`].
#[derive(Clone)]
struct Connector(anyio::MemorySendStream<MemoryByteStream>);

impl Connector {
    async fn connect(&self) -> MemoryByteStream {
        let (client, server) = memory_stream_pair();
        self.0.send(server).await.unwrap();
        client
    }

    /// Connects and completes the TLS handshake with `config`.
    async fn connect_tls(&self, config: TlsConfig) -> TlsStream<MemoryByteStream> {
        TlsStream::wrap(self.connect().await, config).await.unwrap()
    }
}

fn memory_listener() -> (Connector, MemoryListener) {
    let (connect, incoming) = create_memory_object_stream(0);
    (Connector(connect), MemoryListener(incoming))
}

#[anyio::test(autojump)]
async fn serve_drops_a_silent_client_and_serves_the_others() {
    let pki = Pki::new("test CA");
    let (connector, listener) = memory_listener();
    let listener = TlsListener::new(listener, pki.server().build())
        .with_handshake_timeout(Duration::from_secs(5));
    assert_eq!(listener.extra::<LocalPort>(), Some(443));
    let client_config = pki.client().config("localhost");
    let start = current_time();
    let served = Arc::new(Mutex::new(Vec::new()));
    let outcome = move_on_after(
        Duration::from_secs(60),
        task_group(|tg| {
            let served = served.clone();
            async move {
                tg.start_soon(async move {
                    listener
                        .serve(move |stream| {
                            let served = served.clone();
                            async move {
                                let request = stream.receive(64).await.unwrap();
                                served.lock().unwrap().push(request.clone());
                                stream.send_all(&request).await.unwrap();
                                stream.aclose().await;
                            }
                        })
                        .await
                        .unwrap();
                })?;
                // A client that never says hello...
                let silent = connector.connect().await;
                // ...does not hold up the one that does.
                let client = connector.connect_tls(client_config.clone()).await;
                client.send_all(b"first").await.unwrap();
                assert_eq!(client.receive(64).await.unwrap(), b"first");
                assert_eq!(current_time(), start, "served at once");
                // The silent client's connection is closed when its time is up.
                assert!(matches!(
                    silent.receive(1).await,
                    Err(StreamError::EndOfStream)
                ));
                assert_eq!(current_time() - start, Duration::from_secs(5));
                // And the listener goes on serving.
                let client = connector.connect_tls(client_config).await;
                client.send_all(b"second").await.unwrap();
                assert_eq!(client.receive(64).await.unwrap(), b"second");
                tg.cancel();
                Ok::<_, SpawnError>(())
            }
        }),
    )
    .await;
    assert!(outcome.is_some(), "the test did not time out");
    assert_eq!(
        *served.lock().unwrap(),
        [b"first".to_vec(), b"second".to_vec()]
    );
}

#[anyio::test(autojump)]
async fn accept_skips_failed_handshakes() {
    let pki = Pki::new("test CA");
    let (connector, listener) = memory_listener();
    let listener = TlsListener::new(listener, pki.server().build())
        .with_handshake_timeout(Duration::from_secs(3));
    let client_config = pki.client().config("localhost");
    let start = current_time();
    let (accepted, ()) = futures::join!(listener.accept(), async {
        // Plaintext: rejected at once.
        let confused = connector.connect().await;
        confused.send_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        // Silent: dropped after 3 s.
        let silent = connector.connect().await;
        assert!(matches!(
            silent.receive(1).await,
            Err(StreamError::EndOfStream)
        ));
        assert_eq!(current_time() - start, Duration::from_secs(3));
        let good = connector.connect_tls(client_config).await;
        good.send_all(b"finally").await.unwrap();
    });
    let accepted = accepted.unwrap();
    assert_eq!(accepted.receive(64).await.unwrap(), b"finally");
    assert_eq!(accepted.extra::<TlsVersion>().as_deref(), Some("TLSv1.3"));
}

#[anyio::test]
async fn serve_ends_with_the_listener_error() {
    let pki = Pki::new("test CA");
    let (connector, listener) = memory_listener();
    let listener = TlsListener::new(listener, pki.server().build());
    drop(connector);
    let error = listener.serve(|_stream| async {}).await.unwrap_err();
    assert!(matches!(error, StreamError::ClosedResource));
    assert_eq!(listener.handshake_timeout(), Duration::from_secs(10));
    assert!(listener.is_standard_compatible());
    assert!(format!("{listener:?}").contains("TlsListener"));
}

// ---------------------------------------------------------------------------------------------
// Over TCP, and with OpenSSL

#[cfg(all(unix, feature = "process"))]
mod over_tcp {
    use std::future::Future;
    use std::path::PathBuf;

    use anyio::fail_after;
    use anyio::net::{connect_tcp, create_tcp_listener, TcpListener, TcpStream};
    use anyio::process::{open_process, Command, Process};
    use anyio::streams::BufferedByteReceiveStream;

    use super::*;
    use crate::common::TempDir;

    /// A TLS listener on a fresh localhost TCP port.
    async fn tls_listener(pki: &Pki) -> (TlsListener<TcpListener>, u16) {
        let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
        let port = listener.local_addrs()[0].port();
        (TlsListener::new(listener, pki.server().build()), port)
    }

    async fn connect(port: u16, config: TlsConfig) -> TlsStream<TcpStream> {
        let transport = connect_tcp("127.0.0.1", port).await.unwrap();
        TlsStream::wrap(transport, config).await.unwrap()
    }

    #[anyio::test]
    async fn connect_tls_checks_the_host_name_and_reports_handshake_failures() {
        use anyio::net::{ConnectError, TcpConnectOptions};
        let pki = Pki::new("test CA");
        let (listener, port) = tls_listener(&pki).await;
        let listener = Arc::new(listener);
        let serving = listener.clone();
        let options = TcpConnectOptions::new("localhost", port);
        let (client, server) =
            futures::join!(options.connect_tls(pki.client().build()), serving.accept());
        let (client, server) = (client.unwrap(), server.unwrap());
        client.send_all(b"hi").await.unwrap();
        assert_eq!(server.receive(2).await.unwrap(), b"hi");
        assert_eq!(client.server_name().as_deref(), Some("localhost"));

        // A CA the client does not trust: the TCP connection succeeds, the handshake not.
        let stranger = Pki::new("another CA");
        let (refused, server_side) =
            futures::join!(options.connect_tls(stranger.client().build()), async {
                let transport = listener.listener().accept().await.unwrap();
                TlsStream::wrap(transport, pki.server().config()).await
            });
        assert!(server_side.is_err(), "the server sees the client's alert");
        match refused {
            Err(ConnectError::Handshake { host, source }) => {
                assert_eq!(host, "localhost");
                assert!(source.tls_error().is_some(), "{source}");
            }
            other => panic!("expected a handshake error, got {:?}", other.map(|_| ())),
        }

        let invalid = TcpConnectOptions::new("not a host name!", port)
            .connect_tls(pki.client().build())
            .await;
        assert!(
            matches!(invalid, Err(ConnectError::InvalidServerName { ref host }) if host == "not a host name!"),
            "{:?}",
            invalid.map(|_| ())
        );
    }

    #[anyio::test]
    async fn tls_over_tcp() {
        let pki = Pki::new("test CA");
        let (listener, port) = tls_listener(&pki).await;
        let (client, server) = futures::join!(
            connect(port, pki.client().config("localhost")),
            listener.accept()
        );
        let server = server.unwrap();
        // TLS facts and the socket's, through the layer.
        assert_eq!(server.extra::<LocalPort>(), Some(port));
        assert_eq!(client.extra::<RemotePort>(), Some(port));
        assert_eq!(client.extra::<TlsVersion>().as_deref(), Some("TLSv1.3"));
        assert_eq!(
            client.extra::<TlsPeerCertificate>().unwrap(),
            pki.server_cert.to_vec()
        );

        let data = pattern(2 << 20);
        let (received, ()) = futures::join!(receive_to_end(&server), async {
            client.send_all(&data).await.unwrap();
            client.send_eof().await.unwrap();
        });
        assert!(received.unwrap() == data, "the data arrived intact");
        // Half-closed: the other direction still works.
        server.send_all(b"done").await.unwrap();
        server.aclose().await;
        assert_eq!(receive_to_end(&client).await.unwrap(), b"done");
    }

    #[anyio::test]
    async fn tls_over_tcp_conforms() {
        let pki = Pki::new("test CA");
        let (listener, port) = tls_listener(&pki).await;
        let client_config = pki.client().config("localhost");
        check_half_closeable_stream(|| {
            let config = client_config.clone();
            let listener = &listener;
            async move {
                let (client, server) = futures::join!(connect(port, config), listener.accept());
                (client, server.unwrap())
            }
        })
        .await;
    }

    /// The openssl command-line tool, if installed.
    fn openssl() -> Option<PathBuf> {
        let paths = std::env::var_os("PATH")?;
        std::env::split_paths(&paths)
            .map(|dir| dir.join("openssl"))
            .find(|path| path.is_file())
    }

    /// The PEM files of a [`Pki`] in a fresh directory, removed on drop.
    fn pem_files(pki: &Pki) -> TempDir {
        let dir = TempDir::new();
        for (name, pem) in ["ca.pem", "server.pem", "server.key"].iter().zip(&pki.pem) {
            std::fs::write(dir.join(name), pem).unwrap();
        }
        dir
    }

    /// What `future` gives, failing the test if it takes more than 10 s (an openssl process
    /// that misbehaves must not hang it).
    async fn in_time<F: Future>(future: F) -> F::Output {
        fail_after(Duration::from_secs(10), future).await.unwrap()
    }

    /// Reads the child's stdout until `openssl s_server` says which port it listens on.
    async fn accept_port(process: &Process) -> u16 {
        let stdout = process.stdout.as_ref().unwrap();
        let mut output = String::new();
        loop {
            if let Some(line) = output.lines().find(|line| line.starts_with("ACCEPT ")) {
                if output.contains('\n') {
                    return line.rsplit(':').next().unwrap().trim().parse().unwrap();
                }
            }
            let chunk = stdout
                .receive(1024)
                .await
                .unwrap_or_else(|error| panic!("s_server said only {output:?}: {error}"));
            output.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    async fn read_all(process: &Process) -> Vec<u8> {
        let stdout = process.stdout.as_ref().unwrap();
        let mut output = Vec::new();
        while let Ok(chunk) = stdout.receive(4096).await {
            output.extend(chunk);
        }
        output
    }

    fn skip(test: &str) {
        eprintln!("{test}: skipped, no `openssl` binary on PATH");
    }

    #[anyio::test]
    async fn interop_with_openssl_s_server() {
        let Some(openssl) = openssl() else {
            return skip("interop_with_openssl_s_server");
        };
        let pki = Pki::new("test CA");
        let files = pem_files(&pki);
        for (version, flag) in [("TLSv1.3", "-tls1_3"), ("TLSv1.2", "-tls1_2")] {
            let mut command = Command::new(&openssl);
            command
                .args([
                    "s_server",
                    "-accept",
                    "127.0.0.1:0",
                    "-naccept",
                    "1",
                    "-rev",
                ])
                .arg(flag)
                .arg("-cert")
                .arg(files.join("server.pem"))
                .arg("-key")
                .arg(files.join("server.key"));
            let process = open_process(&command).await.unwrap();
            let port = in_time(accept_port(&process)).await;
            let client = connect(port, pki.client().alpn(&[b"ignored"]).config("localhost")).await;
            assert_eq!(client.extra::<TlsVersion>().as_deref(), Some(version));
            assert_eq!(
                client.extra::<TlsPeerCertificate>().unwrap(),
                pki.server_cert.to_vec()
            );
            assert_eq!(client.extra::<TlsAlpnProtocol>(), None);
            client.send_all(b"hello openssl\n").await.unwrap();
            // `-rev` sends each line back reversed.
            let client = BufferedByteReceiveStream::new(client);
            let reply = in_time(client.receive_until(b"\n", 1024)).await.unwrap();
            assert_eq!(reply, b"lssnepo olleh");
            client.aclose().await;
            let status = in_time(process.wait()).await.unwrap();
            assert!(status.success(), "s_server exited with {status}");
        }
    }

    #[anyio::test]
    async fn interop_with_openssl_s_client() {
        let Some(openssl) = openssl() else {
            return skip("interop_with_openssl_s_client");
        };
        let pki = Pki::new("test CA");
        let files = pem_files(&pki);
        let (listener, port) = tls_listener(&pki).await;
        let mut command = Command::new(&openssl);
        command
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-servername", "localhost", "-verify_return_error", "-quiet"])
            .arg("-CAfile")
            .arg(files.join("ca.pem"));
        let process = open_process(&command).await.unwrap();
        let server = in_time(listener.accept()).await.unwrap();
        assert_eq!(server.extra::<TlsVersion>().as_deref(), Some("TLSv1.3"));
        assert_eq!(server.server_name().as_deref(), Some("localhost"));
        let stdin = process.stdin.as_ref().unwrap();
        stdin.send_all(b"ping\n").await.unwrap();
        let server = BufferedByteReceiveStream::new(server);
        let request = in_time(server.receive_until(b"\n", 1024)).await.unwrap();
        assert_eq!(request, b"ping");
        server.get_ref().send_all(b"pong\n").await.unwrap();
        // close_notify: s_client prints what it got and exits.
        server.aclose().await;
        let output = in_time(read_all(&process)).await;
        assert_eq!(output, b"pong\n");
        let status = in_time(process.wait()).await.unwrap();
        assert!(status.success(), "s_client exited with {status}");
    }
}
