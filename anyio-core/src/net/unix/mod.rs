//! Unix domain sockets: streams, listeners, datagram sockets, and passing file descriptors.

mod connect;
mod connected_datagram;
mod datagram;
mod fds;
mod listener;
mod path;
mod stream;

pub use connect::connect_unix;
pub use connected_datagram::{create_connected_unix_datagram_socket, ConnectedUnixDatagramSocket};
pub use datagram::{create_unix_datagram_socket, UnixDatagramSocket};
pub use listener::{create_unix_listener, UnixListener, UnixListenerOptions};
pub use stream::UnixStream;
