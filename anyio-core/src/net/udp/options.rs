use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket as RawSocket, Type};

use super::{ConnectedUdpSocket, UdpSocket};
use crate::net::addr::{getaddrinfo, AddressFamily};

/// Creates a UDP socket bound to `local_host` (a name or an IP literal; the first address it
/// resolves to) and `local_port` (any free port when 0).
///
/// See [`UdpSocketOptions`] for a family of addresses, `SO_REUSEPORT`, or a socket bound to
/// every interface.
///
/// # Errors
///
/// As [`UdpSocketOptions::bind`].
///
/// # Cancellation
///
/// Cancel-safe: a cancelled call creates no socket.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let socket = anyio_core::net::create_udp_socket("127.0.0.1", 0).await.unwrap();
/// assert!(socket.local_addr().ip().is_loopback());
/// assert_ne!(socket.local_addr().port(), 0);
/// # });
/// ```
pub async fn create_udp_socket(local_host: &str, local_port: u16) -> io::Result<UdpSocket> {
    UdpSocketOptions::new()
        .local_host(local_host)
        .local_port(local_port)
        .bind()
        .await
}

/// Creates a UDP socket connected to `remote_host` (a name or an IP literal; the first address
/// it resolves to) and `remote_port`, bound to any local port.
///
/// See [`UdpSocketOptions`] for a local address, a family of addresses, or `SO_REUSEPORT`.
///
/// # Errors
///
/// As [`UdpSocketOptions::connect`].
///
/// # Cancellation
///
/// Cancel-safe: a cancelled call creates no socket.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::create_connected_udp_socket;
/// let socket = create_connected_udp_socket("127.0.0.1", 9).await.unwrap();
/// assert_eq!(socket.peer_addr(), "127.0.0.1:9".parse().unwrap());
/// # });
/// ```
pub async fn create_connected_udp_socket(
    remote_host: &str,
    remote_port: u16,
) -> io::Result<ConnectedUdpSocket> {
    UdpSocketOptions::new()
        .connect(remote_host, remote_port)
        .await
}

/// How to create a UDP socket (AnyIO's `create_udp_socket` and
/// `create_connected_udp_socket` parameters): the local host and port, the family, and
/// `SO_REUSEPORT`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{AddressFamily, UdpSocketOptions};
/// // Every IPv4 interface, any port.
/// let socket = UdpSocketOptions::new().family(AddressFamily::Ipv4).bind().await.unwrap();
/// assert!(socket.local_addr().ip().is_unspecified());
/// // Connected, from a chosen local host.
/// let connected = UdpSocketOptions::new()
///     .local_host("127.0.0.1")
///     .connect("localhost", socket.local_addr().port())
///     .await
///     .unwrap();
/// assert!(connected.peer_addr().is_ipv4());
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct UdpSocketOptions {
    family: Option<AddressFamily>,
    local_host: Option<String>,
    local_port: u16,
    reuse_port: bool,
}

impl UdpSocketOptions {
    /// No local host, any port, either family, no `SO_REUSEPORT`.
    ///
    /// # Examples
    ///
    /// See [`UdpSocketOptions`].
    pub fn new() -> UdpSocketOptions {
        UdpSocketOptions::default()
    }

    /// Uses addresses of this family only: the local host's and the remote host's, or, with
    /// no local host, the "any" address of this family.
    ///
    /// # Examples
    ///
    /// See [`UdpSocketOptions`].
    pub fn family(mut self, family: AddressFamily) -> UdpSocketOptions {
        self.family = Some(family);
        self
    }

    /// Binds to the first address `local_host` resolves to (a name or an IP literal).
    ///
    /// # Examples
    ///
    /// See [`UdpSocketOptions`].
    pub fn local_host(mut self, local_host: impl Into<String>) -> UdpSocketOptions {
        self.local_host = Some(local_host.into());
        self
    }

    /// Binds to this port (0, the default, picks a free one).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::UdpSocketOptions;
    /// let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// // The std socket is closed: its port is free again.
    /// let socket = UdpSocketOptions::new()
    ///     .local_host("127.0.0.1")
    ///     .local_port(port)
    ///     .bind()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(socket.local_addr().port(), port);
    /// # });
    /// ```
    pub fn local_port(mut self, local_port: u16) -> UdpSocketOptions {
        self.local_port = local_port;
        self
    }

    /// Sets `SO_REUSEPORT`, so that several sockets (say, one per process) share the port.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::UdpSocketOptions;
    /// let options = UdpSocketOptions::new().local_host("127.0.0.1").reuse_port(true);
    /// let first = options.clone().bind().await.unwrap();
    /// let port = first.local_addr().port();
    /// let second = options.local_port(port).bind().await.unwrap();
    /// assert_eq!(second.local_addr().port(), port);
    /// # });
    /// ```
    pub fn reuse_port(mut self, reuse_port: bool) -> UdpSocketOptions {
        self.reuse_port = reuse_port;
        self
    }

    /// Creates an unconnected socket bound to the local host (or the "any" address of the
    /// family) and port.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when neither a local host nor a family was given; the resolver's
    /// failure; `AddrNotAvailable` when the local host has no address of the family; the
    /// bind's failure (such as `AddrInUse`) with the address in the message. Outside a
    /// runtime.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled call creates no socket.
    ///
    /// # Examples
    ///
    /// See [`UdpSocketOptions`].
    pub async fn bind(&self) -> io::Result<UdpSocket> {
        let local = match (&self.local_host, self.family) {
            (Some(_), _) => self.resolve_local().await?,
            (None, Some(family)) => Some(family.unspecified(self.local_port)),
            (None, None) => None,
        };
        let Some(local) = local else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a UDP socket needs a local host or an address family to bind to",
            ));
        };
        let socket = self.open(local)?;
        UdpSocket::from_std(socket.into())
    }

    /// Creates a socket connected to `remote_host` (the first address it resolves to, of the
    /// local host's family when one was given) and `remote_port`, bound to the local host (or
    /// the "any" address of the remote address's family) and port.
    ///
    /// # Errors
    ///
    /// The resolver's failure; `AddrNotAvailable` when a host has no address of the family
    /// required; the bind's or the connect's failure, with the address in the message.
    /// Outside a runtime.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled call creates no socket.
    ///
    /// # Examples
    ///
    /// See [`UdpSocketOptions`].
    pub async fn connect(
        &self,
        remote_host: &str,
        remote_port: u16,
    ) -> io::Result<ConnectedUdpSocket> {
        let local = self.resolve_local().await?;
        let family = local.as_ref().map(AddressFamily::of).or(self.family);
        let remote = first_of_family(
            getaddrinfo(remote_host, remote_port).await?,
            family,
            remote_host,
        )?;
        let local =
            local.unwrap_or_else(|| AddressFamily::of(&remote).unspecified(self.local_port));
        let socket = self.open(local)?;
        socket.connect(&remote.into()).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("could not connect a UDP socket to {remote}: {error}"),
            )
        })?;
        ConnectedUdpSocket::from_std(socket.into())
    }

    /// The first address of the local host (of the family, when one was given).
    async fn resolve_local(&self) -> io::Result<Option<SocketAddr>> {
        let Some(host) = &self.local_host else {
            return Ok(None);
        };
        let addresses = getaddrinfo(host, self.local_port).await?;
        first_of_family(addresses, self.family, host).map(Some)
    }

    /// A UDP socket bound to `local`.
    fn open(&self, local: SocketAddr) -> io::Result<RawSocket> {
        let socket = RawSocket::new(Domain::for_address(local), Type::DGRAM, Some(Protocol::UDP))?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        socket.bind(&local.into()).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("could not bind a UDP socket to {local}: {error}"),
            )
        })?;
        Ok(socket)
    }
}

/// The first of `addresses` of `family` (any family when `None`).
fn first_of_family(
    addresses: Vec<SocketAddr>,
    family: Option<AddressFamily>,
    host: &str,
) -> io::Result<SocketAddr> {
    addresses
        .into_iter()
        .find(|address| family.is_none_or(|family| AddressFamily::of(address) == family))
        .ok_or_else(|| {
            let family = match family {
                Some(AddressFamily::Ipv4) => "IPv4 address",
                Some(AddressFamily::Ipv6) => "IPv6 address",
                None => "address",
            };
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("{host:?} has no {family} for a UDP socket"),
            )
        })
}
