//! In-memory byte stream pairs for tests (Trio's `memory_stream_pair` and
//! `lockstep_stream_pair`).

use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::memory_byte_pipe::Pipe;

use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::{
    check_max_bytes, AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, PollByteReceive,
    PollByteSend, StreamError,
};
use crate::sync::waiters::poll_cancel_point;
use crate::sync::ResourceGuard;

/// One end of an in-memory two-way byte stream, made by [`memory_stream_pair`] or
/// [`lockstep_stream_pair`]: a [`ByteStream`] with half-close, for testing protocols and
/// stream wrappers without sockets.
///
/// Errors follow the stream contract: a send after this end's `send_eof` or `aclose` is
/// [`StreamError::ClosedResource`], a send after the peer's `aclose` is
/// [`StreamError::BrokenResource`], a receive after the peer's `send_eof` (once the data is
/// drained) is [`StreamError::EndOfStream`], and concurrent receives (or sends) are
/// [`StreamError::BusyResource`]. Inside a cancelled scope sends and receives do nothing, as
/// with the memory object streams.
///
/// It has the poll core ([`PollByteReceive`], [`PollByteSend`]) and, over it, the I/O traits
/// `futures_io::{AsyncRead, AsyncWrite}`, `tokio::io::{AsyncRead, AsyncWrite}` (feature
/// `tokio-io`) and `hyper::rt::{Read, Write}` (feature `hyper`), for the end and for
/// `&MemoryByteStream`. A poll-level send on an unbuffered pair accepts all of its bytes at
/// once; on a lockstep pair it hands bytes over only to a receive that is waiting for them
/// (at most as many as that receive has room for), and until then holds nothing. A receive
/// that stopped waiting may leave such bytes for the next receive: they stay in order.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, StreamError};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// let (mut a, mut b) = anyio_core::testing::memory_stream_pair();
/// a.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// b.aclose().await;
/// assert!(matches!(a.send_all(b"x").await, Err(StreamError::BrokenResource(_))));
/// # });
/// ```
pub struct MemoryByteStream {
    outgoing: Arc<Pipe>,
    incoming: Arc<Pipe>,
    receiving: ResourceGuard,
    sending: ResourceGuard,
}

impl fmt::Debug for MemoryByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryByteStream")
            .field("lockstep", &self.outgoing.lockstep)
            .field("buffered_in", &self.incoming.lock().data.len())
            .field("buffered_out", &self.outgoing.lock().data.len())
            .finish()
    }
}

fn pair(lockstep: bool) -> (MemoryByteStream, MemoryByteStream) {
    let (one, two) = (Pipe::new(lockstep), Pipe::new(lockstep));
    let end = |outgoing: &Arc<Pipe>, incoming: &Arc<Pipe>| MemoryByteStream {
        outgoing: outgoing.clone(),
        incoming: incoming.clone(),
        receiving: ResourceGuard::new("receiving from"),
        sending: ResourceGuard::new("sending to"),
    };
    (end(&one, &two), end(&two, &one))
}

/// Two connected in-memory byte streams with unbounded buffers: a send never waits, what one
/// end sends the other receives (Trio's `memory_stream_pair`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"to b").await.unwrap();
/// b.send_all(b"to a").await.unwrap();
/// assert_eq!(b.receive(64).await.unwrap(), b"to b");
/// assert_eq!(a.receive(64).await.unwrap(), b"to a");
/// # });
/// ```
pub fn memory_stream_pair() -> (MemoryByteStream, MemoryByteStream) {
    pair(false)
}

/// Two connected in-memory byte streams with no buffering: a send completes only once the
/// other end has received all of its bytes (Trio's `lockstep_stream_pair`). A send dropped
/// before then withdraws the bytes not received yet. Good at exposing code that assumes a
/// send returns before the peer reads.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio_core::{move_on_after, time::Duration};
/// let (a, b) = anyio_core::testing::lockstep_stream_pair();
/// // Nobody receives: the send cannot complete.
/// assert!(move_on_after(Duration::from_millis(5), a.send_all(b"x")).await.is_none());
/// # });
/// ```
pub fn lockstep_stream_pair() -> (MemoryByteStream, MemoryByteStream) {
    pair(true)
}

impl Drop for MemoryByteStream {
    /// Dropping an end closes it, as `aclose` does.
    fn drop(&mut self) {
        self.outgoing.close_sender();
        self.incoming.close_receiver();
    }
}

impl TypedAttributeProvider for MemoryByteStream {}

impl AsyncResource for MemoryByteStream {
    async fn aclose(&self) {
        self.outgoing.close_sender();
        self.incoming.close_receiver();
    }
}

impl ByteReceiveStream for MemoryByteStream {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        poll_fn(|cx| self.incoming.poll_receive_into(cx, buf)).await
    }
}

impl ByteSendStream for MemoryByteStream {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        self.outgoing.send_all(data).await
    }
}

impl ByteStream for MemoryByteStream {
    async fn send_eof(&self) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        self.outgoing.close_sender();
        Ok(())
    }
}

impl PollByteReceive for MemoryByteStream {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.incoming.poll_receive_into(cx, buf)
    }
}

impl PollByteSend for MemoryByteStream {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.outgoing.poll_send(cx, data)
    }

    /// Ends this end's sending, as [`send_eof`](ByteStream::send_eof): a cancellation point,
    /// then done at once; ending twice, or after `aclose`, is not an error.
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        self.outgoing.close_sender();
        Poll::Ready(Ok(()))
    }
}

crate::streams::io::impl_io_traits!([] MemoryByteStream);
