//! The tests of byte streams and networking: TCP, UDP and Unix sockets, TLS, hyper, files, the
//! I/O trait adapters and the stream wrappers, each on every enabled backend.
//!
//! Every file of an area is a module of this one test binary (linking one binary per file
//! cost more than running the tests): add a test file here and list it below with
//! `mod <file>;`. Helpers shared with the other binaries are in `tests/common`, reached as
//! `crate::common`.

#[path = "../common/mod.rs"]
mod common;

mod abandoned_write;
mod codecs;
mod errors_compose;
mod fs;
mod graceful_shutdown;
mod happy_eyeballs;
mod hyper;
mod net_deadlines;
mod net_io_traits;
mod net_tcp;
mod net_udp;
mod net_unix;
mod stream_io;
mod stream_io_poll;
mod streams_conformance;
mod streams_io;
mod streams_wrappers;
mod supervised_server;
mod tls;
mod tls_deadlines;
mod tls_io;
