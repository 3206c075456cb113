//! A receive buffer over a byte stream, for protocols that read exact sizes or delimiters.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use crate::streams::error::{check_max_bytes, StreamError};
use crate::streams::traits::{AsyncResource, ByteReceiveStream, DEFAULT_MAX_BYTES};
use crate::sync::ResourceGuard;

mod poll;

/// Buffers a [`ByteReceiveStream`] to receive exact amounts or up to a delimiter (AnyIO's
/// `BufferedByteReceiveStream`).
///
/// Data received from the inner stream beyond what a call needs stays in the buffer for the
/// next call, and so does the data of a call that was dropped (cancelled) or failed with
/// [`StreamError::IncompleteRead`]: nothing is lost.
///
/// Over an inner stream with a poll core it has one too ([`PollByteReceive`](crate::streams::PollByteReceive), buffered bytes
/// first), with the reading traits `futures_io::AsyncRead`, `tokio::io::AsyncRead` (feature
/// `tokio-io`) and `hyper::rt::Read` (feature `hyper`), and `futures_io::AsyncBufRead` over
/// the same buffer, so `read_line` and `receive_until` can take turns.
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream};
/// use futures::io::AsyncBufReadExt;
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"first line\nkey=value").await.unwrap();
/// let mut reader = BufferedByteReceiveStream::new(b);
/// let mut line = String::new();
/// reader.read_line(&mut line).await.unwrap();
/// assert_eq!(line, "first line\n");
/// assert_eq!(reader.receive_until(b"=", 64).await.unwrap(), b"key");
/// # });
/// ```
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream, ByteStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"HELO anyio\r\nrest").await.unwrap();
/// let reader = BufferedByteReceiveStream::new(b);
/// assert_eq!(reader.receive_until(b"\r\n", 1024).await.unwrap(), b"HELO anyio");
/// assert_eq!(reader.receive_exactly(4).await.unwrap(), b"rest");
/// # });
/// ```
#[derive(Debug)]
pub struct BufferedByteReceiveStream<R> {
    inner: R,
    buffer: Mutex<Vec<u8>>,
    receiving: ResourceGuard,
}

impl<R> BufferedByteReceiveStream<R> {
    /// Wraps `inner` with an empty buffer.
    ///
    /// # Examples
    ///
    /// See [`BufferedByteReceiveStream`].
    pub fn new(inner: R) -> Self {
        BufferedByteReceiveStream {
            inner,
            buffer: Mutex::new(Vec::new()),
            receiving: ResourceGuard::new("receiving from"),
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::BufferedByteReceiveStream;
    /// let (a, _b) = anyio_core::testing::memory_stream_pair();
    /// let reader = BufferedByteReceiveStream::new(a);
    /// let _stream = reader.get_ref();
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// A copy of the data received from the inner stream and not consumed yet.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream};
    /// let (a, b) = anyio_core::testing::memory_stream_pair();
    /// a.send_all(b"key=value").await.unwrap();
    /// let reader = BufferedByteReceiveStream::new(b);
    /// reader.receive_until(b"=", 64).await.unwrap();
    /// assert_eq!(reader.buffer(), b"value");
    /// # });
    /// ```
    pub fn buffer(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Puts `data` in front of the buffer, as if it had been received first (AnyIO's
    /// `feed_data`, for data read by other means).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::BufferedByteReceiveStream;
    /// let (_a, b) = anyio_core::testing::memory_stream_pair();
    /// let reader = BufferedByteReceiveStream::new(b);
    /// reader.feed_data(b"fed");
    /// assert_eq!(reader.receive_exactly(3).await.unwrap(), b"fed");
    /// # });
    /// ```
    pub fn feed_data(&self, data: &[u8]) {
        self.lock().splice(0..0, data.iter().copied());
    }

    /// The buffer and the wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::BufferedByteReceiveStream;
    /// let (_a, b) = anyio_core::testing::memory_stream_pair();
    /// let (buffered, _stream) = BufferedByteReceiveStream::new(b).into_inner();
    /// assert!(buffered.is_empty());
    /// ```
    pub fn into_inner(self) -> (Vec<u8>, R) {
        let buffer = self
            .buffer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        (buffer, self.inner)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self, n: usize) -> Vec<u8> {
        self.lock().drain(..n).collect()
    }

    /// Moves buffered bytes into `buf`, if any are buffered.
    fn drain_into(&self, buf: &mut [u8]) -> Option<usize> {
        let mut buffer = self.lock();
        if buffer.is_empty() {
            return None;
        }
        let n = buffer.len().min(buf.len());
        buf[..n].copy_from_slice(&buffer[..n]);
        buffer.drain(..n);
        Some(n)
    }
}

impl<R: ByteReceiveStream> BufferedByteReceiveStream<R> {
    /// Receives exactly `n` bytes.
    ///
    /// # Errors
    ///
    /// [`StreamError::IncompleteRead`] when the stream ends first (the partial data stays in
    /// the buffer); otherwise the inner stream's errors, and
    /// [`StreamError::BusyResource`] when another task is receiving.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: data received before the drop stays in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream, ByteStream, StreamError};
    /// let (a, b) = anyio_core::testing::memory_stream_pair();
    /// a.send_all(b"ab").await.unwrap();
    /// a.send_all(b"cd").await.unwrap();
    /// a.send_eof().await.unwrap();
    /// let reader = BufferedByteReceiveStream::new(b);
    /// assert_eq!(reader.receive_exactly(3).await.unwrap(), b"abc");
    /// assert!(matches!(reader.receive_exactly(2).await, Err(StreamError::IncompleteRead)));
    /// # });
    /// ```
    pub async fn receive_exactly(&self, n: usize) -> Result<Vec<u8>, StreamError> {
        let _receiving = self.receiving.enter()?;
        while self.lock().len() < n {
            self.fill(DEFAULT_MAX_BYTES)
                .await
                .map_err(end_is_incomplete)?;
        }
        Ok(self.take(n))
    }

    /// Receives up to the first occurrence of `delimiter`, which is consumed but not returned.
    ///
    /// # Errors
    ///
    /// [`StreamError::DelimiterNotFound`] when `max_bytes` bytes arrived without the delimiter
    /// (they stay in the buffer); [`StreamError::IncompleteRead`] when the stream ends first;
    /// [`StreamError::InvalidMaxBytes`] for `max_bytes == 0`; otherwise the inner stream's
    /// errors, and [`StreamError::BusyResource`] when another task is receiving.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: data received before the drop stays in the buffer.
    ///
    /// # Panics
    ///
    /// If `delimiter` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::{BufferedByteReceiveStream, ByteSendStream, StreamError};
    /// let (a, b) = anyio_core::testing::memory_stream_pair();
    /// a.send_all(b"no newline here").await.unwrap();
    /// let reader = BufferedByteReceiveStream::new(b);
    /// let error = reader.receive_until(b"\n", 8).await.unwrap_err();
    /// assert!(matches!(error, StreamError::DelimiterNotFound { max_bytes: 8 }));
    /// # });
    /// ```
    pub async fn receive_until(
        &self,
        delimiter: &[u8],
        max_bytes: usize,
    ) -> Result<Vec<u8>, StreamError> {
        assert!(
            !delimiter.is_empty(),
            "receive_until needs a non-empty delimiter"
        );
        check_max_bytes(max_bytes)?;
        let _receiving = self.receiving.enter()?;
        let mut searched = 0;
        loop {
            {
                let mut buffer = self.lock();
                if let Some(index) = find(&buffer[searched..], delimiter) {
                    let end = searched + index;
                    if end <= max_bytes {
                        let line = buffer[..end].to_vec();
                        buffer.drain(..end + delimiter.len());
                        return Ok(line);
                    }
                }
                if buffer.len() >= max_bytes {
                    return Err(StreamError::DelimiterNotFound { max_bytes });
                }
                searched = buffer.len().saturating_sub(delimiter.len() - 1);
            }
            self.fill(DEFAULT_MAX_BYTES)
                .await
                .map_err(end_is_incomplete)?;
        }
    }

    /// Receives up to `max` more bytes from the inner stream into the buffer. The buffer is
    /// taken out of the mutex while the receive waits (nobody else touches it: the caller
    /// holds the receive guard) and put back, with whatever arrived, even if the future is
    /// dropped.
    async fn fill(&self, max: usize) -> Result<(), StreamError> {
        struct PutBack<'a> {
            slot: &'a Mutex<Vec<u8>>,
            data: Vec<u8>,
            len: usize,
        }
        impl Drop for PutBack<'_> {
            fn drop(&mut self) {
                self.data.truncate(self.len);
                let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
                std::mem::swap(&mut *slot, &mut self.data);
            }
        }
        let data = std::mem::take(&mut *self.lock());
        let len = data.len();
        let mut put_back = PutBack {
            slot: &self.buffer,
            data,
            len,
        };
        put_back.data.resize(len + max, 0);
        let n = self.inner.receive_into(&mut put_back.data[len..]).await?;
        put_back.len += n;
        Ok(())
    }
}

fn end_is_incomplete(error: StreamError) -> StreamError {
    match error {
        StreamError::EndOfStream => StreamError::IncompleteRead,
        other => other,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl<R: TypedAttributeProvider> TypedAttributeProvider for BufferedByteReceiveStream<R> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.inner.provide_attributes(request);
    }
}

impl<R: AsyncResource> AsyncResource for BufferedByteReceiveStream<R> {
    async fn aclose(&self) {
        self.inner.aclose().await;
    }
}

impl<R: ByteReceiveStream> ByteReceiveStream for BufferedByteReceiveStream<R> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        if let Some(n) = self.drain_into(buf) {
            return Ok(n);
        }
        self.inner.receive_into(buf).await
    }
}
