//! UDP: unconnected and connected datagram sockets, and how to create them.

mod connected;
mod options;
mod socket;

pub use connected::ConnectedUdpSocket;
pub use options::{create_connected_udp_socket, create_udp_socket, UdpSocketOptions};
pub use socket::UdpSocket;
