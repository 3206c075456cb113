use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket as RawSocket, Type};

use super::TcpStream;
use crate::checkpoint_if_cancelled;
use crate::net::addr::{getaddrinfo, AddressFamily};
use crate::net::socket::{Failure, Socket};
use crate::net::stream::SocketStream;
use crate::streams::attributes::{
    AttributeRequest, LocalAddress, LocalPort, RawFd, SocketAddress, TypedAttributeProvider,
};
use crate::streams::{AsyncResource, Listener, StreamError};
use crate::sync::ResourceGuard;

/// Listens for TCP connections on one or more sockets (one per address family when bound
/// to every interface), handing them out as [`TcpStream`]s (AnyIO's `MultiListener` of
/// `SocketListener`s, as one type).
///
/// Made by [`create_tcp_listener`] or [`TcpListenerOptions::bind`]. Accepted streams have
/// `TCP_NODELAY` on. Its attributes: the local address and port of its first socket, and
/// that socket's descriptor.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{connect_tcp, create_tcp_listener};
/// use anyio_core::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, Listener};
/// use anyio_core::task_group;
///
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_addrs()[0].port();
/// task_group(|tg| async move {
///     tg.start_soon(async move {
///         let stream = listener.accept().await.unwrap();
///         let request = stream.receive(64).await.unwrap();
///         stream.send_all(&request).await.unwrap();
///     })?;
///     let client = connect_tcp("127.0.0.1", port).await.unwrap();
///     client.send_all(b"echo").await.unwrap();
///     assert_eq!(client.receive(64).await.unwrap(), b"echo");
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct TcpListener {
    sockets: Vec<Socket<std::net::TcpListener>>,
    addresses: Vec<SocketAddr>,
    accepting: ResourceGuard,
    next: AtomicUsize,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addresses", &self.addresses)
            .finish_non_exhaustive()
    }
}

/// Whether an accept failure concerns only the one connection (which is then skipped), as
/// Trio decides: the client gave up, or a firewall refused it.
fn skip_connection(error: &io::Error) -> bool {
    use rustix::io::Errno;
    error.kind() == io::ErrorKind::ConnectionAborted
        || matches!(
            Errno::from_io_error(error),
            Some(Errno::PROTO | Errno::PERM)
        )
}

impl TcpListener {
    /// The addresses listened on (for a port 0 request, all share the one port chosen).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let listener = anyio_core::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// assert_ne!(listener.local_addrs()[0].port(), 0);
    /// # });
    /// ```
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addresses
    }

    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(std::net::TcpStream, SocketAddr), StreamError>> {
        // Start with a different socket each time, so that one busy family cannot starve
        // the other.
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.sockets.len() {
            let socket = &self.sockets[(start + offset) % self.sockets.len()];
            loop {
                match socket.poll_read(cx, |listener| listener.accept()) {
                    Poll::Ready(Ok(accepted)) => return Poll::Ready(Ok(accepted)),
                    Poll::Ready(Err(Failure::Io(error))) if skip_connection(&error) => continue,
                    Poll::Ready(Err(failure)) => {
                        return Poll::Ready(Err(failure.into_stream_error()))
                    }
                    Poll::Pending => break,
                }
            }
        }
        Poll::Pending
    }
}

impl TypedAttributeProvider for TcpListener {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        if let Some(&first) = self.addresses.first() {
            request
                .provide::<LocalAddress>(|| SocketAddress::Inet(first))
                .provide::<LocalPort>(|| first.port());
        }
        request.provide_opt::<RawFd>(|| self.sockets.first().and_then(Socket::raw_fd));
    }
}

impl AsyncResource for TcpListener {
    /// Closes every socket at once (the port is free again); a blocked `accept` wakes with
    /// [`StreamError::ClosedResource`].
    async fn aclose(&self) {
        for socket in &self.sockets {
            socket.close();
        }
    }
}

impl Listener for TcpListener {
    type Connection = TcpStream;

    async fn accept(&self) -> Result<TcpStream, StreamError> {
        let _accepting = self.accepting.enter()?;
        checkpoint_if_cancelled().await;
        let (stream, peer) = poll_fn(|cx| self.poll_accept(cx)).await?;
        let local = stream.local_addr().map_err(StreamError::broken)?;
        stream.set_nodelay(true).map_err(StreamError::broken)?;
        let stream = SocketStream::new(stream).map_err(StreamError::broken)?;
        Ok(TcpStream::from_parts(stream, local, peer))
    }
}

/// Creates a TCP listener on `local_host` (every interface when `None`) and `local_port`
/// (any free port when 0), with the defaults of [`TcpListenerOptions`].
///
/// # Errors
///
/// As [`TcpListenerOptions::bind`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let listener = anyio_core::net::create_tcp_listener(None, 0).await.unwrap();
/// // One socket per address family the machine has, all on one port.
/// let port = listener.local_addrs()[0].port();
/// assert!(listener.local_addrs().iter().all(|address| address.port() == port));
/// # });
/// ```
pub async fn create_tcp_listener(
    local_host: Option<&str>,
    local_port: u16,
) -> io::Result<TcpListener> {
    let mut options = TcpListenerOptions::new().local_port(local_port);
    if let Some(local_host) = local_host {
        options = options.local_host(local_host);
    }
    options.bind().await
}

/// How to create a [`TcpListener`] (AnyIO's `create_tcp_listener` parameters).
///
/// Every socket has `SO_REUSEADDR` (a restarted server can bind again at once); IPv6
/// sockets are IPv6-only, so that an IPv4 socket can share the port. With port 0, the port
/// the first socket gets is used for the others.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::net::{AddressFamily, TcpListenerOptions};
/// let listener = TcpListenerOptions::new()
///     .family(AddressFamily::Ipv4)
///     .backlog(16)
///     .bind()
///     .await
///     .unwrap();
/// assert!(listener.local_addrs().iter().all(|address| address.is_ipv4()));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct TcpListenerOptions {
    local_host: Option<String>,
    local_port: u16,
    family: Option<AddressFamily>,
    backlog: u32,
    reuse_port: bool,
}

impl Default for TcpListenerOptions {
    fn default() -> TcpListenerOptions {
        TcpListenerOptions::new()
    }
}

impl TcpListenerOptions {
    /// Every interface, any port, both families, a backlog of 65536 (the system caps it),
    /// no `SO_REUSEPORT`.
    ///
    /// # Examples
    ///
    /// See [`TcpListenerOptions`].
    pub fn new() -> TcpListenerOptions {
        TcpListenerOptions {
            local_host: None,
            local_port: 0,
            family: None,
            backlog: 65536,
            reuse_port: false,
        }
    }

    /// Listens on the addresses `local_host` resolves to (a name or an IP literal).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::TcpListenerOptions;
    /// let listener = TcpListenerOptions::new().local_host("127.0.0.1").bind().await.unwrap();
    /// assert!(listener.local_addrs()[0].ip().is_loopback());
    /// # });
    /// ```
    pub fn local_host(mut self, local_host: impl Into<String>) -> TcpListenerOptions {
        self.local_host = Some(local_host.into());
        self
    }

    /// Listens on this port (0, the default, picks a free one).
    ///
    /// # Examples
    ///
    /// See [`create_tcp_listener`].
    pub fn local_port(mut self, local_port: u16) -> TcpListenerOptions {
        self.local_port = local_port;
        self
    }

    /// Listens on addresses of this family only.
    ///
    /// # Examples
    ///
    /// See [`TcpListenerOptions`].
    pub fn family(mut self, family: AddressFamily) -> TcpListenerOptions {
        self.family = Some(family);
        self
    }

    /// The length of the queue of connections not accepted yet (capped by the system).
    ///
    /// # Examples
    ///
    /// See [`TcpListenerOptions`].
    pub fn backlog(mut self, backlog: u32) -> TcpListenerOptions {
        self.backlog = backlog;
        self
    }

    /// Sets `SO_REUSEPORT`, so that several listeners (say, one per process) share the port.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::TcpListenerOptions;
    /// let options = TcpListenerOptions::new().local_host("127.0.0.1").reuse_port(true);
    /// let first = options.clone().bind().await.unwrap();
    /// let port = first.local_addrs()[0].port();
    /// let second = options.local_port(port).bind().await.unwrap();
    /// assert_eq!(second.local_addrs()[0].port(), port);
    /// # });
    /// ```
    pub fn reuse_port(mut self, reuse_port: bool) -> TcpListenerOptions {
        self.reuse_port = reuse_port;
        self
    }

    /// Resolves the local host, then binds and listens on every address.
    ///
    /// # Errors
    ///
    /// The resolver's failure; no address of the requested family; a bind failure (such as
    /// `AddrInUse`) with the address in the message. Outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`TcpListenerOptions`].
    pub async fn bind(&self) -> io::Result<TcpListener> {
        let wildcard = self.local_host.is_none();
        let mut addresses = match &self.local_host {
            Some(host) => getaddrinfo(host, self.local_port).await?,
            None => vec![
                AddressFamily::Ipv6.unspecified(self.local_port),
                AddressFamily::Ipv4.unspecified(self.local_port),
            ],
        };
        if let Some(family) = self.family {
            addresses.retain(|address| AddressFamily::of(address) == family);
        }
        if addresses.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "{:?} has no address of family {:?} to listen on",
                    self.local_host.as_deref().unwrap_or("*"),
                    self.family
                ),
            ));
        }
        let mut sockets = Vec::with_capacity(addresses.len());
        let mut bound = Vec::with_capacity(addresses.len());
        let mut port = self.local_port;
        for mut address in addresses {
            address.set_port(port);
            match self.listen(address) {
                Ok(listener) => {
                    let local = listener.local_addr()?;
                    port = local.port();
                    bound.push(local);
                    sockets.push(Socket::new(listener, "accepting from", "accepting from")?);
                }
                // A host without IPv6 (or IPv4) still listens on the family it has.
                Err(error) if wildcard && family_unsupported(&error) => {}
                Err(error) => {
                    return Err(io::Error::new(
                        error.kind(),
                        format!("could not listen on {address}: {error}"),
                    ))
                }
            }
        }
        if sockets.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "no address family is available to listen on",
            ));
        }
        Ok(TcpListener {
            sockets,
            addresses: bound,
            accepting: ResourceGuard::new("accepting from"),
            next: AtomicUsize::new(0),
        })
    }

    fn listen(&self, address: SocketAddr) -> io::Result<std::net::TcpListener> {
        let socket = RawSocket::new(
            Domain::for_address(address),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        if address.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.bind(&address.into())?;
        socket.listen(i32::try_from(self.backlog).unwrap_or(i32::MAX))?;
        Ok(socket.into())
    }
}

fn family_unsupported(error: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(error),
        Some(Errno::AFNOSUPPORT | Errno::ADDRNOTAVAIL)
    )
}
