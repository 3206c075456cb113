use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, TryLockError};
use std::task::{ready, Context, Poll};

use super::stream_io_read::ReadHalf;
use super::stream_io_write::WriteHalf;
use crate::cancel::node::lock;
use crate::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use crate::streams::error::{check_max_bytes, StreamError};
use crate::streams::traits::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, PollByteReceive, PollByteSend,
};
use crate::sync::waiters::poll_cancel_point;
use crate::sync::ResourceGuard;

/// The most a write accepts and a receive asks for at once.
pub(super) const CHUNK: usize = 64 * 1024;

/// A byte stream of your own that has only async methods, with anyio's poll core
/// ([`PollByteReceive`], [`PollByteSend`]) and so `futures_io::{AsyncRead, AsyncWrite}`,
/// `tokio::io::{AsyncRead, AsyncWrite}` (feature `tokio-io`) and `hyper::rt::{Read, Write}`
/// (feature `hyper`), for libraries written against those traits and for anyio's poll-based
/// wrappers.
///
/// anyio's own byte streams (TCP, Unix, TLS, process pipes, stapled, buffered, the memory
/// pairs) implement all of these natively, with
/// no copy: use them directly. `StreamIo` is for a stream that only implements
/// [`ByteStream`]'s async methods, which can only be driven through a boxed future that owns
/// its buffer; it costs one box and one copy per operation, into buffers that it reuses.
///
/// - **Reads**: one receive (of up to 64 KiB) is in flight at a time, into the adapter's
///   buffer; what it got serves the following reads first. A read abandoned while pending
///   loses nothing: the receive goes on at the next read. A read returns 0 at
///   [`StreamError::EndOfStream`].
/// - **Writes**: a write first waits for the previous one to be sent (`Pending` meanwhile,
///   having taken nothing), then copies up to 64 KiB of its buffer, starts sending it and
///   returns how much it took: it never reports more than its buffer, and a write abandoned
///   while pending is not credited to a later one. Accepted data is sent while the adapter is
///   polled: by the next write, by a flush or close (which wait until it is sent) and by reads
///   on this adapter (so a request written before awaiting its answer goes out).
/// - **Close** (`poll_close` / `poll_shutdown`, [`poll_send_eof`](PollByteSend::poll_send_eof))
///   sends what was accepted, then [`send_eof`](ByteStream::send_eof), once.
///   [`aclose`](AsyncResource::aclose) closes the stream at once: what is in flight ends with
///   its error, and accepted data not yet sent is abandoned.
/// - **Errors**: the stream's [`StreamError`] (inside an `io::Error` for the I/O traits). A
///   failure to send data that a write already accepted is reported by the next write, flush
///   or close.
/// - **Drop**: dropping the adapter abandons accepted data not yet sent (flush or close
///   before), and received data not yet read.
///
/// # Cancellation
///
/// Each poll is a cancellation point: in a cancelled scope it returns `Pending` and takes
/// nothing. A call that returned `Pending` holds nothing of its caller: a write took none of
/// its buffer, and a read's receive keeps what it gets for the next read. The anyio methods
/// ([`receive_into`](ByteReceiveStream::receive_into), [`send_all`](ByteSendStream::send_all),
/// [`send_eof`](ByteStream::send_eof)) are loops over these polls: a dropped `send_all` may
/// have sent a prefix of its data, and up to 64 KiB of it stays accepted, sent by the next
/// write, flush or close.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::compat::StreamIo;
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let (mut a, mut b) = (StreamIo::new(a), StreamIo::new(b));
/// a.write_all(b"hi").await.unwrap();
/// a.flush().await.unwrap();
/// let mut buf = [0; 2];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"hi");
/// # });
/// ```
pub struct StreamIo<S> {
    stream: Arc<S>,
    read: Mutex<ReadHalf>,
    write: Mutex<WriteHalf>,
    receiving: ResourceGuard,
    sending: ResourceGuard,
}

impl<S: fmt::Debug> fmt::Debug for StreamIo<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamIo")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl<S> StreamIo<S> {
    /// Adapts `stream`.
    ///
    /// # Examples
    ///
    /// See [`StreamIo`].
    pub fn new(stream: S) -> Self {
        StreamIo::from_arc(Arc::new(stream))
    }

    /// Adapts a shared stream. Its reads and writes in flight use the stream's receive and
    /// send, so another user of the stream meanwhile gets [`StreamError::BusyResource`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let (a, _b) = anyio_core::testing::memory_stream_pair();
    /// let shared = Arc::new(a);
    /// let _io = anyio_core::streams::compat::StreamIo::from_arc(shared.clone());
    /// ```
    pub fn from_arc(stream: Arc<S>) -> Self {
        StreamIo {
            stream,
            read: Mutex::new(ReadHalf::new()),
            write: Mutex::new(WriteHalf::new()),
            receiving: ResourceGuard::new("receiving from"),
            sending: ResourceGuard::new("sending to"),
        }
    }

    /// The adapted stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = anyio_core::testing::memory_stream_pair();
    /// let io = anyio_core::streams::compat::StreamIo::new(a);
    /// let _stream = io.get_ref();
    /// ```
    pub fn get_ref(&self) -> &Arc<S> {
        &self.stream
    }

    /// Received bytes that no read took yet (a copy).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = anyio_core::testing::memory_stream_pair();
    /// let io = anyio_core::streams::compat::StreamIo::new(a);
    /// assert!(io.buffered().is_empty());
    /// ```
    pub fn buffered(&self) -> Vec<u8> {
        lock(&self.read).buffered().to_vec()
    }
}

/// The reading side: buffered bytes first, else the receive in flight, which also gives the
/// writing side's send in flight a poll (unless a writer holds it right now).
impl<S: ByteReceiveStream + 'static> PollByteReceive for StreamIo<S> {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        check_max_bytes(buf.len())?;
        ready!(poll_cancel_point(cx));
        let mut read = lock(&self.read);
        match self.write.try_lock() {
            Ok(mut write) => write.drive_for_reader(cx),
            Err(TryLockError::Poisoned(write)) => write.into_inner().drive_for_reader(cx),
            Err(TryLockError::WouldBlock) => {}
        }
        read.poll_read(&self.stream, cx, buf)
    }
}

/// The writing side: see [`StreamIo`] for when data is accepted and sent.
impl<S: ByteStream + 'static> PollByteSend for StreamIo<S> {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        ready!(poll_cancel_point(cx));
        lock(&self.write).poll_write(&self.stream, cx, data)
    }

    /// Ready once everything accepted was sent.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        lock(&self.write).poll_flush(cx)
    }

    /// Sends everything accepted, then the stream's [`send_eof`](ByteStream::send_eof).
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        lock(&self.write).poll_send_eof(&self.stream, cx)
    }
}

crate::streams::io::impl_read_traits!([S: ByteReceiveStream + 'static] StreamIo<S>);
crate::streams::io::impl_write_traits!([S: ByteStream + 'static] StreamIo<S>);

impl<S: TypedAttributeProvider> TypedAttributeProvider for StreamIo<S> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.stream.provide_attributes(request);
    }
}

/// Closes the stream; reads and writes in flight end with its error.
impl<S: AsyncResource> AsyncResource for StreamIo<S> {
    async fn aclose(&self) {
        self.stream.aclose().await;
    }
}

/// Through the adapter's buffers, so consistent with the reads of the I/O traits.
impl<S: ByteReceiveStream + 'static> ByteReceiveStream for StreamIo<S> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        poll_fn(|cx| self.poll_receive_into(cx, buf)).await
    }
}

/// After the writes accepted before; returns once everything was sent.
impl<S: ByteStream + 'static> ByteSendStream for StreamIo<S> {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        let mut rest = data;
        while !rest.is_empty() {
            let sent = poll_fn(|cx| self.poll_send(cx, rest)).await?;
            rest = &rest[sent..];
        }
        poll_fn(|cx| PollByteSend::poll_flush(self, cx)).await
    }
}

impl<S: ByteStream + 'static> ByteStream for StreamIo<S> {
    async fn send_eof(&self) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        poll_fn(|cx| self.poll_send_eof(cx)).await
    }
}
