//! Adapters between byte streams of your own and the I/O traits of `futures-io`, tokio and
//! hyper, so code written for those (hyper, codecs, websockets...) runs over them and the
//! other way round.
//!
//! anyio's own byte streams (TCP, Unix, TLS, process pipes, stapled, buffered and the
//! in-memory test pairs) need none of these: they implement
//! anyio's poll core ([`PollByteReceive`](super::PollByteReceive),
//! [`PollByteSend`](super::PollByteSend)) and, over it, `futures_io::{AsyncRead, AsyncWrite}`,
//! `tokio::io::{AsyncRead, AsyncWrite}` (feature `tokio-io`) and `hyper::rt::{Read, Write}`
//! (feature `hyper`) natively.
//!
//! - [`StreamIo`]: a [`ByteStream`](super::ByteStream) of your own that only has async
//!   methods, with the poll core and all those traits (at the cost of a boxed future and a
//!   copy per operation).
//! - [`FuturesIoStream`]: a `futures_io::AsyncRead + AsyncWrite` (a smol or async-std socket)
//!   as an anyio byte stream, poll core included.
//! - `TokioIoStream` (feature `tokio-io`): a `tokio::io::AsyncRead + AsyncWrite` as an anyio
//!   byte stream, poll core included.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::streams::compat::StreamIo;
//! use futures::{AsyncReadExt, AsyncWriteExt};
//! let (a, b) = anyio_core::testing::memory_stream_pair();
//! let (mut a, mut b) = (StreamIo::new(a), StreamIo::new(b));
//! a.write_all(b"through futures-io").await.unwrap();
//! a.close().await.unwrap(); // half-closes: `send_eof`
//! let mut text = String::new();
//! b.read_to_string(&mut text).await.unwrap();
//! assert_eq!(text, "through futures-io");
//! # });
//! ```

mod from_futures;
#[cfg(feature = "tokio-io")]
mod from_tokio;
mod io_core;
mod stream_io;
mod stream_io_read;
mod stream_io_write;

pub use from_futures::FuturesIoStream;
#[cfg(feature = "tokio-io")]
pub use from_tokio::TokioIoStream;
pub use stream_io::StreamIo;
