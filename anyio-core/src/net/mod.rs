//! Networking: TCP, UDP and Unix sockets as anyio streams, name resolution, and Happy
//! Eyeballs.
//!
//! # The model
//!
//! Every socket here is a std socket in non-blocking mode, registered with the reactor of
//! the backend it was made on (tokio's I/O driver, or async-io's reactor for smol and
//! async-std). anyio makes the system calls itself and asks the backend only to wait for
//! readiness, so TCP, UDP and Unix sockets share one code path and behave identically on
//! every backend.
//!
//! Sockets implement the [stream traits](crate::streams): TCP and Unix connections are
//! [`ByteStream`](crate::streams::ByteStream)s, listeners are
//! [`Listener`](crate::streams::Listener)s (with `serve`), UDP and Unix datagram sockets are
//! [unreliable object streams](crate::streams::UnreliableObjectReceiveStream) of datagrams
//! (with their addresses when unconnected), and the [typed
//! attributes](crate::streams::attributes) give addresses, ports and the raw descriptor.
//! Methods take `&self`; one task may receive while another sends, and a second concurrent
//! receive (or send, or accept) fails with
//! [`BusyResource`](crate::streams::StreamError::BusyResource).
//!
//! Errors follow AnyIO: the peer's end of the stream is
//! [`EndOfStream`](crate::streams::StreamError::EndOfStream), an operation on a socket we
//! closed is [`ClosedResource`](crate::streams::StreamError::ClosedResource) (also for a task
//! blocked on it when another task closes it), and a reset or failed transport is
//! [`BrokenResource`](crate::streams::StreamError::BrokenResource) with the system error as
//! its source.
//!
//! # Cancellation
//!
//! Every operation is cancel-safe in the sense of the stream traits: a cancelled receive or
//! accept loses nothing, a cancelled send may have sent a prefix (a datagram is sent whole
//! or not at all), and a cancelled connect closes its socket. An operation in an already-cancelled scope does nothing.
//!
//! Networking is available on Unix.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::net::{connect_tcp, create_tcp_listener};
//! use anyio_core::streams::{ByteReceiveStream, ByteSendStream, Listener};
//! let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let client = connect_tcp("127.0.0.1", listener.local_addrs()[0].port()).await.unwrap();
//! let server = listener.accept().await.unwrap();
//! server.send_all(b"welcome").await.unwrap();
//! assert_eq!(client.receive(64).await.unwrap(), b"welcome");
//! # });
//! ```

mod addr;
mod error;
mod happy_eyeballs;
mod registration;
mod socket;
mod stream;
mod tcp;
mod udp;
mod unix;

pub use addr::{getaddrinfo, AddressFamily};
pub use error::ConnectError;
pub use happy_eyeballs::{happy_eyeballs, interleave_families, DEFAULT_HAPPY_EYEBALLS_DELAY};
pub use tcp::{
    connect_tcp, create_tcp_listener, TcpConnectOptions, TcpListener, TcpListenerOptions, TcpStream,
};
pub use udp::{
    create_connected_udp_socket, create_udp_socket, ConnectedUdpSocket, UdpSocket, UdpSocketOptions,
};
pub use unix::{
    connect_unix, create_connected_unix_datagram_socket, create_unix_datagram_socket,
    create_unix_listener, ConnectedUnixDatagramSocket, UnixDatagramSocket, UnixListener,
    UnixListenerOptions, UnixStream,
};
