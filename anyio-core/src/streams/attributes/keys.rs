//! The standard attribute keys.

use std::path::PathBuf;

use super::TypedAttribute;

/// The address of a socket: an IP socket address or a Unix socket path (`None` for an
/// unnamed Unix socket).
///
/// # Examples
///
/// ```
/// use anyio_core::streams::attributes::SocketAddress;
/// let address = SocketAddress::Inet("127.0.0.1:80".parse().unwrap());
/// assert_eq!(address.port(), Some(80));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketAddress {
    /// An IPv4 or IPv6 address and port.
    Inet(std::net::SocketAddr),
    /// A Unix domain socket path, `None` when the socket is unnamed.
    Unix(Option<PathBuf>),
}

impl SocketAddress {
    /// The port of an IP address (`None` for Unix sockets).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::attributes::SocketAddress;
    /// assert_eq!(SocketAddress::Unix(None).port(), None);
    /// ```
    pub fn port(&self) -> Option<u16> {
        match self {
            SocketAddress::Inet(address) => Some(address.port()),
            SocketAddress::Unix(_) => None,
        }
    }
}

macro_rules! attribute_keys {
    ($($(#[$meta:meta])* $key:ident: $value:ty = $name:literal;)*) => {$(
        $(#[$meta])*
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("use anyio_core::streams::attributes::{", stringify!($key), ", TypedAttribute, TypedAttributeProvider};")]
        #[doc = concat!("assert_eq!(", stringify!($key), "::NAME, \"", $name, "\");")]
        /// let (tx, _rx) = anyio_core::create_memory_object_stream::<u8>(0);
        #[doc = concat!("assert!(tx.extra::<", stringify!($key), ">().is_none()); // memory streams have none")]
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $key;

        impl TypedAttribute for $key {
            type Value = $value;
            const NAME: &'static str = $name;
        }
    )*};
}

attribute_keys! {
    /// The local address of a socket-based stream or listener.
    LocalAddress: SocketAddress = "local_address";
    /// The remote (peer) address of a connected socket-based stream.
    RemoteAddress: SocketAddress = "remote_address";
    /// The local port of an IP socket.
    LocalPort: u16 = "local_port";
    /// The remote (peer) port of a connected IP socket.
    RemotePort: u16 = "remote_port";
    /// The peer's TLS certificate, DER-encoded (absent when the peer sent none).
    TlsPeerCertificate: Vec<u8> = "tls_peer_certificate";
    /// The application protocol negotiated with ALPN.
    TlsAlpnProtocol: Vec<u8> = "tls_alpn_protocol";
    /// The TLS protocol version in use, such as `"TLSv1.3"`.
    TlsVersion: String = "tls_version";
    /// The name of the TLS cipher suite in use.
    TlsCipher: String = "tls_cipher";
}

#[cfg(unix)]
attribute_keys! {
    /// The raw file descriptor of the underlying socket (it stays owned by the stream).
    RawFd: std::os::fd::RawFd = "raw_fd";
}

#[cfg(windows)]
attribute_keys! {
    /// The raw socket handle of the underlying socket (it stays owned by the stream).
    RawSocket: std::os::windows::io::RawSocket = "raw_socket";
}
