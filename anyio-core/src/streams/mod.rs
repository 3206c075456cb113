//! Byte and object streams (AnyIO's stream framework).
//!
//! - The traits: [`ByteReceiveStream`], [`ByteSendStream`], [`ByteStream`] (with
//!   [`send_eof`](ByteStream::send_eof)), the object streams ([`ObjectReceiveStream`],
//!   [`ObjectSendStream`], [`ObjectStream`]), datagrams ([`UnreliableObjectReceiveStream`],
//!   [`UnreliableObjectSendStream`]), [`Listener`], and [`AsyncResource::aclose`] on all of
//!   them. They use `async fn`-style methods (no allocation per call); the `Dyn*` traits and
//!   `Boxed*` aliases are their dyn-compatible forms.
//! - [`attributes`]: typed attributes ([`extra`](attributes::TypedAttributeProvider::extra)),
//!   looked up through every wrapped layer.
//! - Wrappers: [`StapledByteStream`], [`StapledObjectStream`], [`BufferedByteReceiveStream`],
//!   [`TextReceiveStream`], [`TextSendStream`], [`TextStream`].
//! - [`compat`]: adapters to and from the `futures-io` and tokio I/O traits.
//! - [`memory`]: in-process object streams ([`create_memory_object_stream`]), the channels of
//!   anyio.
//!
//! Errors are [`StreamError`] (AnyIO's `BusyResourceError`, `ClosedResourceError`,
//! `BrokenResourceError`, `EndOfStream`, `IncompleteRead`, `DelimiterNotFound`), and
//! [`ObjectSendError`], which gives the item back.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream, ByteStream};
//! let (client, server) = anyio_core::testing::memory_stream_pair();
//! client.send_all(b"GET /\n").await.unwrap();
//! client.send_eof().await.unwrap();
//! let server = BufferedByteReceiveStream::new(server);
//! assert_eq!(server.receive_until(b"\n", 1024).await.unwrap(), b"GET /");
//! # });
//! ```

pub mod attributes;
mod buffered;
pub mod compat;
mod error;
pub(crate) mod io;
pub mod memory;
mod stapled;
mod text;
mod traits;

pub use buffered::BufferedByteReceiveStream;
pub(crate) use error::check_max_bytes;
pub use error::{ObjectSendError, StreamError};
pub use memory::{create_memory_object_stream, MemoryReceiveStream, MemorySendStream};
pub use stapled::{StapledByteStream, StapledObjectStream};
pub use text::{TextReceiveStream, TextSendStream, TextStream};
pub use traits::*;
