//! The errors of connecting.

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// Why [`connect_tcp`](super::connect_tcp) failed.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{connect_tcp, ConnectError};
/// // Nothing listens on a port we just freed.
/// let listener = anyio_core::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_addrs()[0].port();
/// drop(listener);
/// match connect_tcp("127.0.0.1", port).await.unwrap_err() {
///     ConnectError::AllAttemptsFailed { attempts, .. } => {
///         assert_eq!(attempts.len(), 1);
///         assert_eq!(attempts[0].1.kind(), std::io::ErrorKind::ConnectionRefused);
///     }
///     other => panic!("unexpected {other}"),
/// }
/// # });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The host (or the local host to bind to) could not be resolved.
    Resolve {
        /// The host name given.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The host resolved to no address usable here (none at all, or none of the family of
    /// the local address to bind to).
    NoAddress {
        /// The host name given.
        host: String,
    },
    /// The host is not a valid TLS server name (a DNS name or an IP address).
    #[cfg(feature = "tls")]
    InvalidServerName {
        /// The host name given.
        host: String,
    },
    /// The TCP connection was made but the TLS handshake failed.
    #[cfg(feature = "tls")]
    Handshake {
        /// The host name given.
        host: String,
        /// Why the handshake failed.
        source: crate::tls::HandshakeError,
    },
    /// Every connection attempt failed.
    AllAttemptsFailed {
        /// The host name given.
        host: String,
        /// The port given.
        port: u16,
        /// Each address tried, with its error, in the order the attempts started.
        attempts: Vec<(SocketAddr, io::Error)>,
    },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Resolve { host, source } => {
                write!(f, "could not resolve {host:?}: {source}")
            }
            ConnectError::NoAddress { host } => {
                write!(f, "{host:?} resolved to no usable address")
            }
            #[cfg(feature = "tls")]
            ConnectError::InvalidServerName { host } => {
                write!(f, "{host:?} is not a valid TLS server name")
            }
            #[cfg(feature = "tls")]
            ConnectError::Handshake { host, source } => write!(f, "{host}: {source}"),
            ConnectError::AllAttemptsFailed {
                host,
                port,
                attempts,
            } => {
                write!(f, "could not connect to {host}:{port}")?;
                for (index, (address, error)) in attempts.iter().enumerate() {
                    let separator = if index == 0 { ": " } else { "; " };
                    write!(f, "{separator}{address}: {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Resolve { source, .. } => Some(source),
            ConnectError::AllAttemptsFailed { attempts, .. } => attempts
                .last()
                .map(|(_, error)| error as &(dyn std::error::Error + 'static)),
            ConnectError::NoAddress { .. } => None,
            #[cfg(feature = "tls")]
            ConnectError::InvalidServerName { .. } => None,
            #[cfg(feature = "tls")]
            ConnectError::Handshake { source, .. } => Some(source),
        }
    }
}

impl From<ConnectError> for io::Error {
    /// The kind of the last attempt's error (or of the resolver's), the whole message kept.
    fn from(error: ConnectError) -> io::Error {
        let kind = match &error {
            ConnectError::Resolve { source, .. } => source.kind(),
            ConnectError::NoAddress { .. } => io::ErrorKind::NotFound,
            #[cfg(feature = "tls")]
            ConnectError::InvalidServerName { .. } => io::ErrorKind::InvalidInput,
            #[cfg(feature = "tls")]
            ConnectError::Handshake { .. } => io::ErrorKind::InvalidData,
            ConnectError::AllAttemptsFailed { attempts, .. } => attempts
                .last()
                .map_or(io::ErrorKind::NotFound, |(_, error)| error.kind()),
        };
        io::Error::new(kind, error)
    }
}
