//! The reading half of [`StreamIo`](super::StreamIo): one receive in flight into the
//! adapter's own buffer, whose leftovers serve the next reads.

use std::fmt;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::stream_io::CHUNK;
use crate::streams::error::StreamError;
use crate::streams::traits::{BoxFuture, ByteReceiveStream};

/// A receive in flight: it owns the buffer and gives it back with the result.
type Receive = BoxFuture<'static, (Vec<u8>, Result<usize, StreamError>)>;

pub(super) struct ReadHalf {
    receive: Option<Receive>,
    /// `CHUNK` bytes once the first receive started (empty before, and while a receive owns
    /// it); `buf[start..end]` was received and not yet read.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl fmt::Debug for ReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf")
            .field("receiving", &self.receive.is_some())
            .field("buffered", &(self.end - self.start))
            .finish()
    }
}

impl ReadHalf {
    pub(super) fn new() -> ReadHalf {
        ReadHalf {
            receive: None,
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// Received bytes not yet read.
    pub(super) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads buffered bytes, else polls the receive in flight (starting one if none). A
    /// caller that stops polling loses nothing: the receive goes on at the next read, and
    /// what it got is kept for it.
    pub(super) fn poll_read<S: ByteReceiveStream + 'static>(
        &mut self,
        stream: &Arc<S>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        if self.start == self.end {
            let receive = self.receive.get_or_insert_with(|| {
                let mut buf = std::mem::take(&mut self.buf);
                // Allocates and zeroes once: later receives find the length already there.
                buf.resize(CHUNK, 0);
                let stream = Arc::clone(stream);
                Box::pin(async move {
                    let result = stream.receive_into(&mut buf).await;
                    (buf, result)
                })
            });
            let (buf, result) = ready!(receive.as_mut().poll(cx));
            self.receive = None;
            self.buf = buf;
            // A stream that breaks the contract of `receive_into` (0 bytes, or more than the
            // buffer) is read as ended, or trimmed to its buffer.
            self.start = 0;
            self.end = match result? {
                0 => return Poll::Ready(Err(StreamError::EndOfStream)),
                n => n.min(self.buf.len()),
            };
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Poll::Ready(Ok(n))
    }
}
