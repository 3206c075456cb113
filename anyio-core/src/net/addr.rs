//! Name resolution and address families.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::thread::to_thread::ToThread;

/// An IP address family, to restrict resolution, listeners and UDP sockets to one.
///
/// # Examples
///
/// ```
/// use anyio_core::net::AddressFamily;
/// let address: std::net::SocketAddr = "[::1]:80".parse().unwrap();
/// assert_eq!(AddressFamily::of(&address), AddressFamily::Ipv6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`).
    Ipv4,
    /// IPv6 (`AF_INET6`).
    Ipv6,
}

impl AddressFamily {
    /// The family of `address`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::net::AddressFamily;
    /// let address: std::net::SocketAddr = "127.0.0.1:80".parse().unwrap();
    /// assert_eq!(AddressFamily::of(&address), AddressFamily::Ipv4);
    /// ```
    pub fn of(address: &SocketAddr) -> AddressFamily {
        match address {
            SocketAddr::V4(_) => AddressFamily::Ipv4,
            SocketAddr::V6(_) => AddressFamily::Ipv6,
        }
    }

    /// The unspecified ("any") address of this family with `port`.
    pub(crate) fn unspecified(self, port: u16) -> SocketAddr {
        match self {
            AddressFamily::Ipv4 => SocketAddr::from(([0, 0, 0, 0], port)),
            AddressFamily::Ipv6 => SocketAddr::from(([0u16; 8], port)),
        }
    }
}

/// An IP literal, with or without the brackets of an IPv6 URL authority.
fn parse_ip_literal(host: &str) -> Option<IpAddr> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host);
    unbracketed.parse().ok()
}

/// Resolves `host` to socket addresses with `port`, in the order the system resolver
/// prefers (`getaddrinfo`, RFC 6724 ordering on most systems), without duplicates.
///
/// An IP literal (`"127.0.0.1"`, `"::1"`, `"[::1]"`) is returned as it is, without a lookup.
/// Otherwise the lookup runs in a worker thread (under the default thread limiter), as the
/// system resolver blocks.
///
/// # Errors
///
/// An empty host name (`InvalidInput`), or the resolver's failure, with the host name in the
/// message.
///
/// # Cancellation
///
/// Cancel-safe and prompt: a cancelled lookup ends at once (the enclosing scope catches; it
/// is never an error of the lookup) and its thread's result is discarded. In an
/// already-cancelled scope nothing is looked up, IP literals included.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let addresses = anyio_core::net::getaddrinfo("127.0.0.1", 80).await.unwrap();
/// assert_eq!(addresses, ["127.0.0.1:80".parse().unwrap()]);
/// let addresses = anyio_core::net::getaddrinfo("localhost", 8080).await.unwrap();
/// assert!(addresses.iter().all(|address| address.ip().is_loopback()));
/// # });
/// ```
pub async fn getaddrinfo(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    crate::checkpoint_if_cancelled().await;
    if let Some(ip) = parse_ip_literal(host) {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "cannot resolve an empty host name",
        ));
    }
    let owned = host.to_owned();
    let resolved = ToThread::new()
        .abandon_on_cancel(true)
        .run_sync(move || (owned.as_str(), port).to_socket_addrs())
        .await;
    let addresses = resolved.map_err(|error| {
        io::Error::new(error.kind(), format!("could not resolve {host:?}: {error}"))
    })?;
    let mut unique: Vec<SocketAddr> = Vec::new();
    for address in addresses {
        if !unique.contains(&address) {
            unique.push(address);
        }
    }
    Ok(unique)
}
