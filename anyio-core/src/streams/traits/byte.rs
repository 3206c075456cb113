use std::future::Future;
use std::sync::Arc;

use super::AsyncResource;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::error::{check_max_bytes, StreamError};

/// The default `max_bytes` of a receive when the caller has no better idea (64 KiB, as in
/// AnyIO).
///
/// # Examples
///
/// ```
/// assert_eq!(anyio_core::streams::DEFAULT_MAX_BYTES, 65536);
/// ```
pub const DEFAULT_MAX_BYTES: usize = 65536;

/// A stream of bytes that can be received (AnyIO's `ByteReceiveStream`, Trio's
/// `ReceiveStream`).
///
/// A receive returns at least one byte, or fails with [`StreamError::EndOfStream`] once the
/// peer has closed its sending side and everything was received: it never returns empty data.
/// Methods take `&self`, so the stream can be shared (say, by an `Arc`) between a receiving
/// and a sending task; two concurrent receives fail with [`StreamError::BusyResource`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"hello").await.unwrap();
/// a.send_eof().await.unwrap();
/// assert_eq!(b.receive(1024).await.unwrap(), b"hello");
/// assert!(matches!(b.receive(1024).await, Err(StreamError::EndOfStream)));
/// # });
/// ```
pub trait ByteReceiveStream: AsyncResource + TypedAttributeProvider {
    /// Receives at least one and at most `buf.len()` bytes into `buf`, waiting until some
    /// arrive, and returns how many.
    ///
    /// # Errors
    ///
    /// [`StreamError::EndOfStream`] when the peer closed its side and all data was received;
    /// [`StreamError::InvalidMaxBytes`] for an empty `buf`;
    /// [`StreamError::ClosedResource`] when this stream was closed;
    /// [`StreamError::BrokenResource`] when the transport failed;
    /// [`StreamError::BusyResource`] when another task is receiving.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe for every stream in anyio: a dropped receive loses no data (bytes that
    /// arrived stay for the next receive).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
    /// let (a, b) = anyio_core::testing::memory_stream_pair();
    /// a.send_all(b"abc").await.unwrap();
    /// let mut buf = [0; 2];
    /// assert_eq!(b.receive_into(&mut buf).await.unwrap(), 2);
    /// assert_eq!(&buf, b"ab");
    /// # });
    /// ```
    fn receive_into(
        &self,
        buf: &mut [u8],
    ) -> impl Future<Output = Result<usize, StreamError>> + Send;

    /// Receives at least one and at most `max_bytes` bytes, as an owned buffer.
    ///
    /// # Errors
    ///
    /// As [`receive_into`](ByteReceiveStream::receive_into); `max_bytes == 0` is
    /// [`StreamError::InvalidMaxBytes`].
    ///
    /// # Cancellation
    ///
    /// As [`receive_into`](ByteReceiveStream::receive_into).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, StreamError};
    /// let (a, b) = anyio_core::testing::memory_stream_pair();
    /// a.send_all(b"abc").await.unwrap();
    /// assert_eq!(b.receive(64).await.unwrap(), b"abc");
    /// assert!(matches!(b.receive(0).await, Err(StreamError::InvalidMaxBytes { max_bytes: 0 })));
    /// # });
    /// ```
    fn receive(
        &self,
        max_bytes: usize,
    ) -> impl Future<Output = Result<Vec<u8>, StreamError>> + Send {
        async move {
            check_max_bytes(max_bytes)?;
            let mut buf = vec![0; max_bytes];
            let n = self.receive_into(&mut buf).await?;
            buf.truncate(n);
            Ok(buf)
        }
    }
}

/// A stream of bytes that can be sent (AnyIO's `ByteSendStream`, Trio's `SendStream`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"ping").await.unwrap();
/// assert_eq!(b.receive(4).await.unwrap(), b"ping");
/// # });
/// ```
pub trait ByteSendStream: AsyncResource + TypedAttributeProvider {
    /// Sends all of `data`, waiting for room as needed. Sending empty data is allowed and has
    /// no special meaning.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] when this stream (or its sending side) was closed;
    /// [`StreamError::BrokenResource`] when the peer is gone or the transport failed;
    /// [`StreamError::BusyResource`] when another task is sending.
    ///
    /// # Cancellation
    ///
    /// A dropped send may have sent a prefix of `data` (as with a socket); no byte is sent
    /// twice.
    ///
    /// # Examples
    ///
    /// See [`ByteSendStream`].
    fn send_all(&self, data: &[u8]) -> impl Future<Output = Result<(), StreamError>> + Send;
}

/// A two-way byte stream that can close its sending side alone (AnyIO's `ByteStream`, Trio's
/// `HalfCloseableStream`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_eof().await.unwrap();
/// assert!(matches!(b.receive(8).await, Err(StreamError::EndOfStream)));
/// b.send_all(b"still open this way").await.unwrap();
/// assert_eq!(a.receive(64).await.unwrap(), b"still open this way");
/// # });
/// ```
pub trait ByteStream: ByteReceiveStream + ByteSendStream {
    /// Closes the sending side: the peer receives [`StreamError::EndOfStream`] after the data
    /// sent so far, later sends fail with [`StreamError::ClosedResource`], and receiving still
    /// works. Calling it again does nothing.
    ///
    /// # Errors
    ///
    /// [`StreamError::BusyResource`] while another task is sending;
    /// [`StreamError::BrokenResource`] when the transport failed.
    ///
    /// # Cancellation
    ///
    /// The sending side is closed at the first poll.
    ///
    /// # Examples
    ///
    /// See [`ByteStream`].
    fn send_eof(&self) -> impl Future<Output = Result<(), StreamError>> + Send;
}

impl<S: ByteReceiveStream> ByteReceiveStream for Arc<S> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        (**self).receive_into(buf).await
    }

    async fn receive(&self, max_bytes: usize) -> Result<Vec<u8>, StreamError> {
        (**self).receive(max_bytes).await
    }
}

impl<S: ByteSendStream> ByteSendStream for Arc<S> {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        (**self).send_all(data).await
    }
}

impl<S: ByteStream> ByteStream for Arc<S> {
    async fn send_eof(&self) -> Result<(), StreamError> {
        (**self).send_eof().await
    }
}

// References work as streams too: a `BufferedByteReceiveStream<&TcpStream>` reads lines while
// the same stream sends replies.
impl<S: ByteReceiveStream + ?Sized> ByteReceiveStream for &S {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        (**self).receive_into(buf).await
    }

    async fn receive(&self, max_bytes: usize) -> Result<Vec<u8>, StreamError> {
        (**self).receive(max_bytes).await
    }
}

impl<S: ByteSendStream + ?Sized> ByteSendStream for &S {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        (**self).send_all(data).await
    }
}

impl<S: ByteStream + ?Sized> ByteStream for &S {
    async fn send_eof(&self) -> Result<(), StreamError> {
        (**self).send_eof().await
    }
}
