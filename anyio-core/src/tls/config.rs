//! What [`TlsStream::wrap`](super::TlsStream::wrap) needs to know: which side of the
//! handshake to play, with which rustls configuration, and how strict to be about the end of
//! the stream.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

/// How to set up a TLS session: the client or server side with its rustls configuration, and
/// whether to be *standard compatible* about closing.
///
/// With `standard_compatible` on (the default, as in AnyIO), the stream sends a TLS
/// `close_notify` when it is closed and treats a transport that ends without the peer's
/// `close_notify` as a truncation attack ([`StreamError::BrokenResource`]). Turn it off for
/// protocols that frame their own messages and peers that just drop the connection (many HTTPS
/// servers do): closing then skips the `close_notify` and an unannounced end of the transport
/// is a plain [`StreamError::EndOfStream`].
///
/// [`StreamError::BrokenResource`]: crate::streams::StreamError::BrokenResource
/// [`StreamError::EndOfStream`]: crate::streams::StreamError::EndOfStream
///
/// # Examples
///
/// ```
/// # let (client_config, server_config) =
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
/// use anyio_core::tls::{ServerName, TlsConfig};
///
/// let client = TlsConfig::client(client_config, ServerName::try_from("localhost").unwrap());
/// assert!(!client.is_server());
/// let server = TlsConfig::server(server_config).with_standard_compatible(false);
/// assert!(server.is_server() && !server.is_standard_compatible());
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    role: Role,
    standard_compatible: bool,
}

#[derive(Clone)]
enum Role {
    Client {
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
    },
    Server {
        config: Arc<ServerConfig>,
    },
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TlsConfig");
        match &self.role {
            Role::Client { server_name, .. } => debug
                .field("side", &"client")
                .field("server_name", server_name),
            Role::Server { .. } => debug.field("side", &"server"),
        };
        debug
            .field("standard_compatible", &self.standard_compatible)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// The client side: connect to `server_name` (sent as SNI and checked against the server's
    /// certificate) with `config`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (client_config, _) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// use anyio_core::tls::{ServerName, TlsConfig};
    /// let config = TlsConfig::client(client_config, "localhost".try_into().unwrap());
    /// assert!(!config.is_server());
    /// ```
    pub fn client(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> TlsConfig {
        TlsConfig {
            role: Role::Client {
                config,
                server_name,
            },
            standard_compatible: true,
        }
    }

    /// The server side, with `config`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// let config = anyio_core::tls::TlsConfig::server(server_config);
    /// assert!(config.is_server());
    /// ```
    pub fn server(config: Arc<ServerConfig>) -> TlsConfig {
        TlsConfig {
            role: Role::Server { config },
            standard_compatible: true,
        }
    }

    /// Sets whether the stream is standard compatible (see [`TlsConfig`]); on by default.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// let config = anyio_core::tls::TlsConfig::server(server_config).with_standard_compatible(false);
    /// assert!(!config.is_standard_compatible());
    /// ```
    pub fn with_standard_compatible(mut self, standard_compatible: bool) -> TlsConfig {
        self.standard_compatible = standard_compatible;
        self
    }

    /// Whether the stream will be standard compatible (see [`TlsConfig`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// assert!(anyio_core::tls::TlsConfig::server(server_config).is_standard_compatible());
    /// ```
    pub fn is_standard_compatible(&self) -> bool {
        self.standard_compatible
    }

    /// Whether this is the server side.
    ///
    /// # Examples
    ///
    /// See [`TlsConfig`].
    pub fn is_server(&self) -> bool {
        matches!(self.role, Role::Server { .. })
    }

    /// The server name, on the client side.
    pub(super) fn client_server_name(&self) -> Option<String> {
        match &self.role {
            Role::Client { server_name, .. } => Some(server_name.to_str().into_owned()),
            Role::Server { .. } => None,
        }
    }

    /// A fresh rustls connection for this side.
    pub(super) fn connection(&self) -> Result<Connection, rustls::Error> {
        Ok(match &self.role {
            Role::Client {
                config,
                server_name,
            } => ClientConnection::new(config.clone(), server_name.clone())?.into(),
            Role::Server { config } => ServerConnection::new(config.clone())?.into(),
        })
    }
}
