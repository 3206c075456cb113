//! A boxed byte stream that keeps its poll core, and with it the ecosystem's I/O traits.

use super::{DynByteStream, PollByteReceive, PollByteSend};

/// A byte stream of any type, with its poll core, as a trait object: what
/// [`BoxedPollByteStream`] holds. Implemented for every [`ByteStream`](super::ByteStream) that
/// has [`PollByteReceive`] and [`PollByteSend`] (all of anyio's; wrap a stream of your own in
/// [`StreamIo`](crate::streams::compat::StreamIo) to give it one).
///
/// # Examples
///
/// ```
/// use anyio_core::streams::DynPollByteStream;
/// let (a, _b) = anyio_core::testing::memory_stream_pair();
/// let _stream: &dyn DynPollByteStream = &a;
/// ```
pub trait DynPollByteStream: DynByteStream + PollByteReceive + PollByteSend {}

impl<S: DynByteStream + PollByteReceive + PollByteSend> DynPollByteStream for S {}

/// A boxed byte stream of any type that keeps the poll core: unlike a [`BoxedByteStream`]
/// (which any stream fits), it implements `futures_io`, `tokio::io` (feature `tokio-io`) and
/// `hyper::rt` (feature `hyper`) I/O traits, so TCP, Unix and TLS connections behind one type
/// can still be handed to a codec or to hyper.
///
/// [`BoxedByteStream`]: super::BoxedByteStream
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::BoxedPollByteStream;
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let (mut a, mut b): (BoxedPollByteStream, BoxedPollByteStream) = (Box::new(a), Box::new(b));
/// a.write_all(b"boxed").await.unwrap();
/// let mut buf = [0; 5];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"boxed");
/// # });
/// ```
pub type BoxedPollByteStream = Box<dyn DynPollByteStream>;

crate::streams::io::impl_io_traits!([] Box<dyn DynPollByteStream>);
