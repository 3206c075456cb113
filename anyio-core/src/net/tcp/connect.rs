use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket as RawSocket, Type};

use super::TcpStream;
use crate::net::addr::{getaddrinfo, AddressFamily};
use crate::net::error::ConnectError;
use crate::net::happy_eyeballs::{happy_eyeballs, DEFAULT_HAPPY_EYEBALLS_DELAY};
use crate::net::stream::SocketStream;

/// Connects to one address, binding first to `local` when given.
pub(crate) async fn connect_address(
    address: SocketAddr,
    local: Option<SocketAddr>,
) -> io::Result<TcpStream> {
    // No SYN goes out from a cancelled scope.
    crate::checkpoint_if_cancelled().await;
    let socket = RawSocket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    if let Some(local) = local {
        socket.bind(&local.into())?;
    }
    match socket.connect(&address.into()) {
        Ok(()) => {}
        Err(error)
            if rustix::io::Errno::from_io_error(&error) == Some(rustix::io::Errno::INPROGRESS) => {}
        Err(error) => return Err(error),
    }
    let stream = SocketStream::new(std::net::TcpStream::from(socket))?;
    stream.finish_connect().await?;
    let local = stream
        .socket()
        .with(|socket| socket.local_addr())
        .unwrap_or(Err(io::ErrorKind::NotConnected.into()))?;
    Ok(TcpStream::from_parts(stream, local, address))
}

/// Connects to `host` and `port` with the default options: RFC 8305 Happy Eyeballs over
/// every address the host resolves to, 250 ms between attempts, `TCP_NODELAY` on.
///
/// See [`TcpConnectOptions`] for a local address or another delay.
///
/// # Errors
///
/// [`ConnectError`]: the host could not be resolved, or every attempt failed (each address
/// with its error).
///
/// # Cancellation
///
/// Cancel-safe: every attempt in flight is cancelled and its socket closed. A cancelled call
/// never returns an error of its own (no `AllAttemptsFailed` listing cancelled attempts): the
/// enclosing scope catches, so `move_on_after` gives `None` and `fail_after` its
/// [`TimeoutError`](crate::TimeoutError). In an already-cancelled scope nothing is resolved
/// or connected.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{connect_tcp, create_tcp_listener};
/// let listener = create_tcp_listener(Some("localhost"), 0).await.unwrap();
/// let port = listener.local_addrs()[0].port();
/// let stream = connect_tcp("localhost", port).await.unwrap();
/// assert!(stream.peer_addr().ip().is_loopback());
/// # });
/// ```
pub async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    TcpConnectOptions::new(host, port).connect().await
}

/// How to connect over TCP: the remote host and port, and optionally a local address and the
/// Happy Eyeballs delay (AnyIO's `connect_tcp` parameters).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{create_tcp_listener, TcpConnectOptions};
/// use std::time::Duration;
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let stream = TcpConnectOptions::new("127.0.0.1", listener.local_addrs()[0].port())
///     .local_host("127.0.0.1")
///     .happy_eyeballs_delay(Duration::from_millis(100))
///     .connect()
///     .await
///     .unwrap();
/// assert_eq!(stream.local_addr().ip().to_string(), "127.0.0.1");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct TcpConnectOptions {
    host: String,
    port: u16,
    local_host: Option<String>,
    delay: Duration,
}

impl TcpConnectOptions {
    /// Options to connect to `host` (a name or an IP literal) and `port`.
    ///
    /// # Examples
    ///
    /// See [`TcpConnectOptions`].
    pub fn new(host: impl Into<String>, port: u16) -> TcpConnectOptions {
        TcpConnectOptions {
            host: host.into(),
            port,
            local_host: None,
            delay: DEFAULT_HAPPY_EYEBALLS_DELAY,
        }
    }

    /// Binds each attempt to this local host (any port) first; only remote addresses of a
    /// family it resolves to are tried.
    ///
    /// # Examples
    ///
    /// See [`TcpConnectOptions`].
    pub fn local_host(mut self, local_host: impl Into<String>) -> TcpConnectOptions {
        self.local_host = Some(local_host.into());
        self
    }

    /// The delay before starting the next attempt while one is in flight (250 ms by default,
    /// as RFC 8305 recommends).
    ///
    /// # Examples
    ///
    /// See [`TcpConnectOptions`].
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> TcpConnectOptions {
        self.delay = delay;
        self
    }

    /// Resolves the host and races connections to its addresses with
    /// [`happy_eyeballs`](crate::net::happy_eyeballs).
    ///
    /// # Errors
    ///
    /// As [`connect_tcp`].
    ///
    /// # Cancellation
    ///
    /// As [`connect_tcp`].
    ///
    /// # Examples
    ///
    /// See [`TcpConnectOptions`].
    pub async fn connect(&self) -> Result<TcpStream, ConnectError> {
        let resolve_error = |host: &str| {
            let host = host.to_owned();
            move |source| ConnectError::Resolve { host, source }
        };
        let mut remote = getaddrinfo(&self.host, self.port)
            .await
            .map_err(resolve_error(&self.host))?;
        let mut local: Vec<SocketAddr> = Vec::new();
        if let Some(local_host) = &self.local_host {
            local = getaddrinfo(local_host, 0)
                .await
                .map_err(resolve_error(local_host))?;
            remote.retain(|address| {
                local
                    .iter()
                    .any(|own| AddressFamily::of(own) == AddressFamily::of(address))
            });
        }
        if remote.is_empty() {
            return Err(ConnectError::NoAddress {
                host: self.host.clone(),
            });
        }
        let result = happy_eyeballs(remote, self.delay, |address| {
            let bind_to = local
                .iter()
                .find(|own| AddressFamily::of(own) == AddressFamily::of(&address))
                .copied();
            connect_address(address, bind_to)
        })
        .await;
        result.map_err(|attempts| ConnectError::AllAttemptsFailed {
            host: self.host.clone(),
            port: self.port,
            attempts,
        })
    }

    /// Connects as [`connect`](TcpConnectOptions::connect) does, then performs a TLS
    /// handshake over the connection as a client of `config`, checking the server's
    /// certificate against the host name (AnyIO's `connect_tcp(..., tls=True)`).
    ///
    /// # Errors
    ///
    /// As [`connect`](TcpConnectOptions::connect); [`ConnectError::InvalidServerName`] for a
    /// host that cannot name a TLS server; [`ConnectError::Handshake`] when the handshake
    /// fails (the connection is closed).
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled call closes the connection, whatever stage it reached, and
    /// is never an error of its own (neither `AllAttemptsFailed` nor `Handshake`): the
    /// enclosing scope catches.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// # let (client_config, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// use anyio_core::net::{create_tcp_listener, TcpConnectOptions};
    /// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, Listener};
    /// use anyio_core::tls::TlsListener;
    /// use anyio_core::task_group;
    ///
    /// let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let port = tcp.local_addrs()[0].port();
    /// let listener = TlsListener::new(tcp, server_config);
    /// task_group(|tg| async move {
    ///     tg.start_soon(async move {
    ///         let stream = listener.accept().await.unwrap();
    ///         stream.send_all(b"secret").await.unwrap();
    ///     })?;
    ///     let stream = TcpConnectOptions::new("localhost", port)
    ///         .connect_tls(client_config)
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(stream.receive(64).await.unwrap(), b"secret");
    ///     Ok::<_, anyio_core::SpawnError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    #[cfg(feature = "tls")]
    pub async fn connect_tls(
        &self,
        config: std::sync::Arc<rustls::ClientConfig>,
    ) -> Result<crate::tls::TlsStream<TcpStream>, ConnectError> {
        use crate::tls::{ServerName, TlsConfig, TlsStream};
        let unbracketed = self
            .host
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(&self.host);
        let server_name = ServerName::try_from(unbracketed.to_owned()).map_err(|_| {
            ConnectError::InvalidServerName {
                host: self.host.clone(),
            }
        })?;
        let stream = self.connect().await?;
        TlsStream::wrap(stream, TlsConfig::client(config, server_name))
            .await
            .map_err(|source| ConnectError::Handshake {
                host: self.host.clone(),
                source,
            })
    }
}
