//! TCP: connections, listeners, and connecting with Happy Eyeballs.

mod connect;
mod listener;
mod stream;

pub use connect::{connect_tcp, TcpConnectOptions};
pub use listener::{create_tcp_listener, TcpListener, TcpListenerOptions};
pub use stream::TcpStream;
