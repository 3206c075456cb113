//! Adapters between anyio byte streams and the I/O traits of `futures-io` and tokio, so code
//! written for those (hyper, codecs, websockets...) runs over anyio streams and the other way
//! round.
//!
//! - [`StreamIo`]: an anyio [`ByteStream`](super::ByteStream) as `futures_io::AsyncRead` +
//!   `AsyncWrite` (and, with the `tokio` feature, `tokio::io::AsyncRead` + `AsyncWrite`).
//! - [`FuturesIoStream`]: a `futures_io::AsyncRead + AsyncWrite` as an anyio byte stream.
//! - `TokioIoStream` (feature `tokio`): a `tokio::io::AsyncRead + AsyncWrite` as an anyio
//!   byte stream.
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

pub use from_futures::FuturesIoStream;
#[cfg(feature = "tokio-io")]
pub use from_tokio::TokioIoStream;
pub use stream_io::StreamIo;
