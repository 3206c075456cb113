use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::streams::error::StreamError;
use crate::streams::traits::{BoxFuture, ByteReceiveStream, ByteStream};

/// An anyio byte stream as `futures_io::{AsyncRead, AsyncWrite}` and, with the `tokio`
/// feature, `tokio::io::{AsyncRead, AsyncWrite}`, for libraries written against those traits.
///
/// Reads return 0 at [`StreamError::EndOfStream`]; other stream errors become `io::Error`s
/// (with the [`StreamError`] inside). `poll_close` / `poll_shutdown` is
/// [`send_eof`](ByteStream::send_eof). The adapter owns one operation in flight per
/// direction (a boxed future, allocated per read or write call): a `poll_write` that
/// returned `Pending` completes with the data of that first call, as with most adapters of
/// this kind, and `poll_flush` drives it to completion.
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
/// let mut buf = [0; 2];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"hi");
/// # });
/// ```
pub struct StreamIo<S> {
    stream: Arc<S>,
    read: Option<BoxFuture<'static, Result<Vec<u8>, StreamError>>>,
    leftover: Vec<u8>,
    leftover_pos: usize,
    write: Option<(BoxFuture<'static, Result<(), StreamError>>, usize)>,
    shutdown: Option<BoxFuture<'static, Result<(), StreamError>>>,
}

impl<S: fmt::Debug> fmt::Debug for StreamIo<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamIo")
            .field("stream", &self.stream)
            .field("reading", &self.read.is_some())
            .field("writing", &self.write.is_some())
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

    /// Adapts a shared stream (say, one that another task also uses; concurrent reads or
    /// writes then fail with [`StreamError::BusyResource`]).
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
            read: None,
            leftover: Vec::new(),
            leftover_pos: 0,
            write: None,
            shutdown: None,
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

    fn take_leftover(&mut self, buf: &mut [u8]) -> usize {
        let rest = &self.leftover[self.leftover_pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.leftover_pos += n;
        n
    }
}

impl<S: ByteReceiveStream + 'static> StreamIo<S> {
    fn poll_read_slice(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.leftover_pos < self.leftover.len() {
            return Poll::Ready(Ok(self.take_leftover(buf)));
        }
        let read = self.read.get_or_insert_with(|| {
            let stream = self.stream.clone();
            let max = buf.len();
            Box::pin(async move { stream.receive(max).await })
        });
        let result = ready!(read.as_mut().poll(cx));
        self.read = None;
        match result {
            Ok(data) => {
                self.leftover = data;
                self.leftover_pos = 0;
                Poll::Ready(Ok(self.take_leftover(buf)))
            }
            Err(StreamError::EndOfStream) => Poll::Ready(Ok(0)),
            Err(error) => Poll::Ready(Err(error.into())),
        }
    }
}

impl<S: ByteStream + 'static> StreamIo<S> {
    fn poll_write_slice(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if data.is_empty() && self.write.is_none() {
            return Poll::Ready(Ok(0));
        }
        let (write, len) = self.write.get_or_insert_with(|| {
            let stream = self.stream.clone();
            let data = data.to_vec();
            let len = data.len();
            (Box::pin(async move { stream.send_all(&data).await }), len)
        });
        let len = *len;
        let result = ready!(write.as_mut().poll(cx));
        self.write = None;
        Poll::Ready(result.map(|()| len).map_err(io::Error::from))
    }

    fn poll_flush_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some((write, _)) = &mut self.write {
            let result = ready!(write.as_mut().poll(cx));
            self.write = None;
            result?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_send_eof(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_flush_pending(cx))?;
        let shutdown = self.shutdown.get_or_insert_with(|| {
            let stream = self.stream.clone();
            Box::pin(async move { stream.send_eof().await })
        });
        let result = ready!(shutdown.as_mut().poll(cx));
        self.shutdown = None;
        Poll::Ready(result.map_err(io::Error::from))
    }
}

impl<S: ByteReceiveStream + 'static> futures_io::AsyncRead for StreamIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_slice(cx, buf)
    }
}

impl<S: ByteStream + 'static> futures_io::AsyncWrite for StreamIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_pending(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_eof(cx)
    }
}

#[cfg(feature = "tokio-io")]
impl<S: ByteReceiveStream + 'static> tokio::io::AsyncRead for StreamIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self
            .get_mut()
            .poll_read_slice(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl<S: ByteStream + 'static> tokio::io::AsyncWrite for StreamIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_pending(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send_eof(cx)
    }
}
