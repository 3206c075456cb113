//! The poll core of a buffered stream, its reading traits, and `AsyncBufRead` over its buffer.

use std::io;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{ready, Context, Poll};

use super::BufferedByteReceiveStream;
use crate::streams::error::{check_max_bytes, StreamError};
use crate::streams::traits::{PollByteReceive, DEFAULT_MAX_BYTES};
use crate::sync::waiters::poll_cancel_point;

/// Gives the buffered bytes first (a cancellation point that takes nothing in a cancelled
/// scope), then polls the inner stream straight into `buf`.
///
/// # Errors
///
/// As [`receive_into`](crate::streams::ByteReceiveStream::receive_into), including
/// [`StreamError::BusyResource`] while `receive_exactly` or `receive_until` waits (it holds
/// the buffer).
impl<R: PollByteReceive> PollByteReceive for BufferedByteReceiveStream<R> {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        if !self.lock().is_empty() {
            ready!(poll_cancel_point(cx));
            if let Some(n) = self.drain_into(buf) {
                return Poll::Ready(Ok(n));
            }
        }
        self.inner.poll_receive_into(cx, buf)
    }
}

crate::streams::io::impl_read_traits!([R: PollByteReceive] BufferedByteReceiveStream<R>);

/// Reads through the same buffer as [`receive_exactly`](BufferedByteReceiveStream::receive_exactly)
/// and [`receive_until`](BufferedByteReceiveStream::receive_until): `poll_fill_buf` shows the
/// buffered bytes (receiving up to [`DEFAULT_MAX_BYTES`] from the inner stream when there are
/// none; an empty slice at the end of the stream), and what `consume` leaves stays buffered
/// for the other methods.
impl<R: PollByteReceive + Unpin> futures_io::AsyncBufRead for BufferedByteReceiveStream<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let buffer = this
            .buffer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if buffer.is_empty() {
            // The buffer keeps its capacity, so only the first fill allocates.
            buffer.resize(DEFAULT_MAX_BYTES, 0);
            let received = this.inner.poll_receive_into(cx, buffer);
            buffer.truncate(match received {
                Poll::Ready(Ok(n)) => n,
                _ => 0,
            });
            match received {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(_) | Err(StreamError::EndOfStream)) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error.into())),
            }
        }
        Poll::Ready(Ok(buffer))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let buffer = self
            .get_mut()
            .buffer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        buffer.drain(..amt.min(buffer.len()));
    }
}
