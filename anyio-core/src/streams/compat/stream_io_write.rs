//! The writing half of [`StreamIo`](super::StreamIo): a write is accepted into the adapter's
//! own buffer and sent by one `send_all` in flight, which the next write, flush or close
//! (and, meanwhile, any read) drives to its end.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll, Wake, Waker};

use super::stream_io::CHUNK;
use crate::streams::error::StreamError;
use crate::streams::traits::{BoxFuture, ByteSendStream, ByteStream};

/// A send in flight: it owns the buffer and gives it back with the result.
type Sending = BoxFuture<'static, (Vec<u8>, Result<(), StreamError>)>;

/// Who polled the send in flight last: the writer (slot 0) and a reader driving it meanwhile
/// (slot 1). The send is polled with a waker that wakes both, so neither loses its wake-up
/// to the other.
#[derive(Debug, Default)]
struct Pollers(Mutex<[Option<Waker>; 2]>);

impl Pollers {
    fn register(&self, slot: usize, waker: &Waker) {
        let mut slots = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut slots[slot] {
            Some(old) if old.will_wake(waker) => {}
            other => *other = Some(waker.clone()),
        }
    }
}

impl Wake for Pollers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let woken = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        woken.into_iter().flatten().for_each(Waker::wake);
    }
}

pub(super) const WRITER: usize = 0;
pub(super) const READER: usize = 1;

pub(super) struct WriteHalf {
    send: Option<Sending>,
    /// The buffer of the sends, kept between them (empty while a send owns it).
    buf: Vec<u8>,
    pollers: Arc<Pollers>,
    waker: Waker,
    /// The failure of an accepted send that a reader drove to its end: the next write, flush
    /// or close reports it.
    failed: Option<StreamError>,
    send_eof: Option<BoxFuture<'static, Result<(), StreamError>>>,
    /// Set at the first `poll_send_eof`: writes fail from then on.
    eof_started: bool,
    eof_done: bool,
}

impl fmt::Debug for WriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf")
            .field("sending", &self.send.is_some())
            .field("eof_started", &self.eof_started)
            .field("eof_done", &self.eof_done)
            .finish_non_exhaustive()
    }
}

impl WriteHalf {
    pub(super) fn new() -> WriteHalf {
        let pollers = Arc::new(Pollers::default());
        WriteHalf {
            send: None,
            buf: Vec::new(),
            waker: Waker::from(Arc::clone(&pollers)),
            pollers,
            failed: None,
            send_eof: None,
            eof_started: false,
            eof_done: false,
        }
    }

    /// Polls the send in flight for `slot`'s caller; on its end, takes the buffer back.
    fn poll_sending(&mut self, slot: usize, cx: &Context<'_>) -> Poll<Result<(), StreamError>> {
        let Some(send) = &mut self.send else {
            return Poll::Ready(Ok(()));
        };
        self.pollers.register(slot, cx.waker());
        let (buf, result) = ready!(send.as_mut().poll(&mut Context::from_waker(&self.waker)));
        self.send = None;
        self.buf = buf;
        Poll::Ready(result)
    }

    /// Drives the send in flight for a reader: progress while the caller waits to read what
    /// the peer answers to it. A failure waits for the writer.
    pub(super) fn drive_for_reader(&mut self, cx: &Context<'_>) {
        if let Poll::Ready(Err(error)) = self.poll_sending(READER, cx) {
            self.failed = Some(error);
        }
    }

    /// Ready once no accepted data is left to send; the failure of that data if it failed.
    pub(super) fn poll_flush(&mut self, cx: &Context<'_>) -> Poll<Result<(), StreamError>> {
        if let Some(error) = self.failed.take() {
            return Poll::Ready(Err(error));
        }
        self.poll_sending(WRITER, cx)
    }

    /// Accepts up to `CHUNK` bytes of `data` once the previous send ended, and starts sending
    /// them.
    pub(super) fn poll_write<S: ByteSendStream + 'static>(
        &mut self,
        stream: &Arc<S>,
        cx: &Context<'_>,
        data: &[u8],
    ) -> Poll<Result<usize, StreamError>> {
        ready!(self.poll_flush(cx))?;
        if self.eof_started {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let accepted = data.len().min(CHUNK);
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(&data[..accepted]);
        let stream = Arc::clone(stream);
        self.send = Some(Box::pin(async move {
            let result = stream.send_all(&buf).await;
            (buf, result)
        }));
        // Started at once, so a send that cannot even begin (a closed stream) fails this
        // call instead of a later one, and one that completes at once leaves nothing behind.
        match self.poll_sending(WRITER, cx) {
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            _ => Poll::Ready(Ok(accepted)),
        }
    }

    /// Sends what was accepted, then ends sending (once; later calls are ready at once).
    pub(super) fn poll_send_eof<S: ByteStream + 'static>(
        &mut self,
        stream: &Arc<S>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), StreamError>> {
        ready!(self.poll_flush(cx))?;
        self.eof_started = true;
        if self.eof_done {
            return Poll::Ready(Ok(()));
        }
        let send_eof = self.send_eof.get_or_insert_with(|| {
            let stream = Arc::clone(stream);
            Box::pin(async move { stream.send_eof().await })
        });
        let result = ready!(send_eof.as_mut().poll(cx));
        self.send_eof = None;
        self.eof_done = true;
        Poll::Ready(result)
    }
}
