//! The poll-level core of a byte stream, under both its async methods and the ecosystem's
//! I/O traits.

use std::sync::Arc;
use std::task::{Context, Poll};

use crate::streams::error::StreamError;

/// The poll-level receiving side of a byte stream: what [`receive_into`] awaits, and what the
/// `futures_io`, `tokio::io` and `hyper::rt` reading traits of anyio's streams call.
///
/// Every anyio byte stream implements it with no allocation or copy per call; a stream of
/// your own that only has async methods reaches the same traits through
/// [`StreamIo`](crate::streams::compat::StreamIo).
///
/// [`receive_into`]: crate::streams::ByteReceiveStream::receive_into
///
/// # Cancellation
///
/// Each call is a cancellation point: in a cancelled scope it returns `Pending` and takes
/// nothing (the scope then drops its caller). A call that returned `Pending` holds nothing
/// either, so a caller that stops polling loses no data. Calls that complete at once spend
/// the thread's cooperative budget, so a loop of them yields now and then.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteSendStream, PollByteReceive};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"hi").await.unwrap();
/// let mut buf = [0; 8];
/// let n = std::future::poll_fn(|cx| b.poll_receive_into(cx, &mut buf)).await.unwrap();
/// assert_eq!(&buf[..n], b"hi");
/// # });
/// ```
pub trait PollByteReceive {
    /// Receives at least one byte into `buf`, returning how many.
    ///
    /// # Errors
    ///
    /// As [`receive_into`](crate::streams::ByteReceiveStream::receive_into):
    /// [`StreamError::EndOfStream`] once the peer sent its end and everything before it was
    /// received, [`StreamError::ClosedResource`] after our own close, and
    /// [`StreamError::InvalidMaxBytes`] for an empty `buf`.
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>>;
}

/// The poll-level sending side of a byte stream: what [`send_all`] awaits, and what the
/// writing traits of anyio's streams call.
///
/// [`send_all`]: crate::streams::ByteSendStream::send_all
///
/// # Cancellation
///
/// As [`PollByteReceive`]: a cancellation point that takes nothing when it returns `Pending`;
/// a `Ready(Ok(n))` means exactly the first `n` bytes of that call's `data` were accepted.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, PollByteSend};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let n = std::future::poll_fn(|cx| a.poll_send(cx, b"hello")).await.unwrap();
/// assert_eq!(b.receive(64).await.unwrap(), &b"hello"[..n]);
/// # });
/// ```
pub trait PollByteSend {
    /// Sends a prefix of `data` (at least one byte unless `data` is empty), returning its
    /// length.
    ///
    /// # Errors
    ///
    /// As [`send_all`](crate::streams::ByteSendStream::send_all):
    /// [`StreamError::ClosedResource`] after our own close or end of sending,
    /// [`StreamError::BrokenResource`] when the peer is gone.
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>>;

    /// Pushes out what the stream buffered (TLS records, a write buffer). Streams that buffer
    /// nothing are ready at once.
    ///
    /// # Errors
    ///
    /// As [`poll_send`](PollByteSend::poll_send).
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }

    /// Ends this side's sending: the peer receives [`StreamError::EndOfStream`] after the
    /// data sent before (for a pipe, closes it). What [`send_eof`] awaits, and what
    /// `poll_close` / `poll_shutdown` of anyio's streams call after flushing. Ending twice is
    /// not an error.
    ///
    /// [`send_eof`]: crate::streams::ByteStream::send_eof
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after our own close; the transport's failure.
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>>;
}

/// A byte stream with both poll-level sides; implemented for every type that has them.
///
/// # Examples
///
/// ```
/// fn takes_any<S: anyio_core::streams::PollByteStream>(_stream: &S) {}
/// let (a, _b) = anyio_core::testing::memory_stream_pair();
/// takes_any(&a);
/// ```
pub trait PollByteStream: PollByteReceive + PollByteSend {}

impl<S: PollByteReceive + PollByteSend + ?Sized> PollByteStream for S {}

macro_rules! forward_poll_core {
    ($($wrapper:ty),*) => {$(
        impl<S: PollByteReceive + ?Sized> PollByteReceive for $wrapper {
            fn poll_receive_into(
                &self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<Result<usize, StreamError>> {
                (**self).poll_receive_into(cx, buf)
            }
        }

        impl<S: PollByteSend + ?Sized> PollByteSend for $wrapper {
            fn poll_send(
                &self,
                cx: &mut Context<'_>,
                data: &[u8],
            ) -> Poll<Result<usize, StreamError>> {
                (**self).poll_send(cx, data)
            }

            fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
                (**self).poll_flush(cx)
            }

            fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
                (**self).poll_send_eof(cx)
            }
        }
    )*};
}

forward_poll_core!(&S, Arc<S>, Box<S>);
