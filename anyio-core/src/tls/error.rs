//! Why a TLS handshake failed.

use rustls::CertificateError;

use crate::streams::StreamError;

/// Why [`TlsStream::wrap`](super::TlsStream::wrap) failed: TLS itself refused the peer (an
/// untrusted or misnamed certificate, an alert from the peer, no common protocol...), or the
/// transport failed or ended before the handshake completed. The underlying error is the
/// [source](std::error::Error::source); the message says what went wrong in a few words.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// # let (_, server_config) =
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
/// use anyio_core::streams::AsyncResource;
/// use anyio_core::tls::{HandshakeError, TlsConfig, TlsStream};
///
/// let (client, server) = anyio_core::testing::memory_stream_pair();
/// client.aclose().await; // the client leaves before saying hello
/// let error = TlsStream::wrap(server, TlsConfig::server(server_config)).await.unwrap_err();
/// assert!(matches!(error, HandshakeError::Transport(_)));
/// assert_eq!(error.to_string(), "tls handshake failed: the peer closed the connection");
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// TLS failed: the certificate was rejected, the peer sent an alert, the peers have
    /// nothing in common, or a message broke the protocol. The rustls error is the source.
    #[error("tls handshake failed: {}", describe(.0))]
    Tls(#[source] rustls::Error),
    /// The transport failed, or ended ([`StreamError::EndOfStream`]), before the handshake
    /// completed. Its error is the source.
    #[error("tls handshake failed: {}", describe_transport(.0))]
    Transport(#[source] StreamError),
}

impl HandshakeError {
    /// The rustls error, when TLS itself failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::tls::{rustls, HandshakeError};
    /// let error = HandshakeError::Tls(rustls::Error::NoCertificatesPresented);
    /// assert_eq!(error.tls_error(), Some(&rustls::Error::NoCertificatesPresented));
    /// assert_eq!(error.to_string(), "tls handshake failed: the peer presented no certificate");
    /// ```
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        match self {
            HandshakeError::Tls(error) => Some(error),
            HandshakeError::Transport(_) => None,
        }
    }
}

impl From<HandshakeError> for StreamError {
    /// A failed handshake as a stream error: a [`StreamError::BrokenResource`] whose source
    /// is the handshake error, or the transport's own error.
    fn from(error: HandshakeError) -> StreamError {
        match error {
            HandshakeError::Transport(error) => error,
            tls => StreamError::broken(std::io::Error::new(std::io::ErrorKind::InvalidData, tls)),
        }
    }
}

/// A few words on what went wrong; the details are in the rustls error itself.
fn describe(error: &rustls::Error) -> &'static str {
    use rustls::Error;
    match error {
        Error::InvalidCertificate(error) => describe_certificate(error),
        Error::NoCertificatesPresented => "the peer presented no certificate",
        Error::AlertReceived(_) => "the peer refused the connection with an alert",
        Error::PeerIncompatible(_) => {
            "the peers have no protocol version or cipher suite in common"
        }
        Error::NoApplicationProtocol => "the peers have no application protocol (alpn) in common",
        Error::InvalidMessage(_)
        | Error::InappropriateMessage { .. }
        | Error::InappropriateHandshakeMessage { .. }
        | Error::PeerMisbehaved(_)
        | Error::PeerSentOversizedRecord
        | Error::DecryptError => "the peer broke the tls protocol",
        _ => "tls error",
    }
}

fn describe_certificate(error: &CertificateError) -> &'static str {
    match error {
        CertificateError::UnknownIssuer => {
            "the peer's certificate is not issued by a trusted authority"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the peer's certificate is not valid for the server name"
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the peer's certificate has expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the peer's certificate is not valid yet"
        }
        CertificateError::Revoked => "the peer's certificate is revoked",
        _ => "the peer's certificate was rejected",
    }
}

fn describe_transport(error: &StreamError) -> &'static str {
    match error {
        StreamError::EndOfStream => "the peer closed the connection",
        StreamError::ClosedResource => "the transport was closed",
        _ => "the transport failed",
    }
}

impl From<HandshakeError> for std::io::Error {
    /// The transport's own error as it would convert, or an
    /// [`InvalidData`](std::io::ErrorKind::InvalidData) error whose source is the TLS failure.
    fn from(error: HandshakeError) -> std::io::Error {
        StreamError::from(error).into()
    }
}
