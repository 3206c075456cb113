use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::io_core::IoCore;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::error::StreamError;
use crate::streams::traits::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, PollByteReceive, PollByteSend,
};

/// A `tokio::io::AsyncRead + AsyncWrite` object (a tokio socket, a pipe...) as an
/// anyio [`ByteStream`].
///
/// It has anyio's poll core ([`PollByteReceive`], [`PollByteSend`]), which calls the
/// object's poll methods directly, and over it the I/O traits of every anyio stream.
///
/// End of input (a read of 0 bytes) is [`StreamError::EndOfStream`]; I/O errors are
/// [`StreamError::BrokenResource`] with the error as source (an interrupted call is retried).
/// [`send_eof`](ByteStream::send_eof) is `poll_shutdown` (for a socket, a write shutdown): sends
/// fail from its first poll on, and the shutdown runs until it completes once.
/// [`aclose`](AsyncResource::aclose) closes the stream for anyio (blocked calls, poll-level
/// ones included, wake with [`StreamError::ClosedResource`]), shuts the writing side down
/// unless that was done, and drops the object.
///
/// # Cancellation
///
/// Each poll is a cancellation point: in a cancelled scope it returns `Pending` without
/// calling the object, so nothing is read or written. A `Pending` from the object holds
/// nothing of the caller's either.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::compat::TokioIoStream;
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// // A `std::io::Cursor` stands in for a socket.
/// let stream = TokioIoStream::new(std::io::Cursor::new(b"data".to_vec()));
/// assert_eq!(stream.receive(16).await.unwrap(), b"data");
/// # });
/// ```
pub struct TokioIoStream<IO> {
    core: IoCore<IO>,
}

impl<IO> fmt::Debug for TokioIoStream<IO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioIoStream").finish_non_exhaustive()
    }
}

impl<IO: Unpin + Send> TokioIoStream<IO> {
    /// Adapts `io`.
    ///
    /// # Examples
    ///
    /// See [`TokioIoStream`].
    pub fn new(io: IO) -> Self {
        TokioIoStream {
            core: IoCore::new(io),
        }
    }

    /// The I/O object back (`None` after [`aclose`](AsyncResource::aclose), which drops it).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::compat::TokioIoStream;
    /// let stream = TokioIoStream::new(std::io::Cursor::new(vec![1u8]));
    /// assert_eq!(stream.into_inner().unwrap().into_inner(), [1]);
    /// ```
    pub fn into_inner(self) -> Option<IO> {
        self.core.into_inner()
    }
}

impl<IO> TypedAttributeProvider for TokioIoStream<IO> {}

fn read<IO: AsyncRead>(
    io: Pin<&mut IO>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut read_buf = ReadBuf::new(buf);
    io.poll_read(cx, &mut read_buf)
        .map_ok(|()| read_buf.filled().len())
}

fn write<IO: AsyncWrite>(
    io: Pin<&mut IO>,
    cx: &mut Context<'_>,
    data: &[u8],
) -> Poll<io::Result<usize>> {
    io.poll_write(cx, data)
}

fn flush<IO: AsyncWrite>(io: Pin<&mut IO>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    io.poll_flush(cx)
}

fn shutdown<IO: AsyncWrite>(io: Pin<&mut IO>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    io.poll_shutdown(cx)
}

impl<IO: AsyncRead + Unpin + Send> PollByteReceive for TokioIoStream<IO> {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.core.poll_receive_into(cx, buf, read)
    }
}

impl<IO: AsyncWrite + Unpin + Send> PollByteSend for TokioIoStream<IO> {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.core.poll_send(cx, data, write)
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.core.poll_flush(cx, flush)
    }

    /// `poll_shutdown` of the object, once.
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.core.poll_send_eof(cx, shutdown)
    }
}

crate::streams::io::impl_io_traits!([IO: AsyncRead + AsyncWrite + Unpin + Send] TokioIoStream<IO>);

impl<IO: AsyncWrite + Unpin + Send> AsyncResource for TokioIoStream<IO> {
    async fn aclose(&self) {
        self.core.aclose(shutdown).await;
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send> ByteReceiveStream for TokioIoStream<IO> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.core.receive_into(buf, read).await
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send> ByteSendStream for TokioIoStream<IO> {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.core.send_all(data, write, flush).await
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send> ByteStream for TokioIoStream<IO> {
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.core.send_eof(shutdown).await
    }
}
