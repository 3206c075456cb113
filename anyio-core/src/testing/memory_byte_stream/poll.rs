//! A minimal poll core for the in-memory byte streams, so that poll-native wrappers (TLS) run
//! over them. Provisional: a lockstep send is accepted only once the receiver is waiting for
//! it, and the ecosystem's I/O traits are not implemented here.

use std::task::{ready, Context, Poll};

use super::{MemoryByteStream, Pipe};
use crate::streams::{check_max_bytes, PollByteReceive, PollByteSend, StreamError};
use crate::sync::waiters::poll_cancel_point;

impl Pipe {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        let mut state = self.lock();
        if state.receive_closed {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if !state.data.is_empty() {
            let n = state.data.len().min(buf.len());
            for (slot, byte) in buf.iter_mut().zip(state.data.drain(..n)) {
                *slot = byte;
            }
            if let Some(sender) = state.sender.take() {
                sender.wake();
            }
            return Poll::Ready(Ok(n));
        }
        if state.send_closed {
            return Poll::Ready(Err(StreamError::EndOfStream));
        }
        state.receiver = Some(cx.waker().clone());
        // A lockstep sender waits for a waiting receiver.
        if let Some(sender) = state.sender.take() {
            sender.wake();
        }
        Poll::Pending
    }

    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        let mut state = self.lock();
        if state.send_closed {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if state.receive_closed {
            return Poll::Ready(Err(StreamError::BrokenResource(None)));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.lockstep && !(state.data.is_empty() && state.receiver.is_some()) {
            state.sender = Some(cx.waker().clone());
            return Poll::Pending;
        }
        state.data.extend(data);
        if let Some(receiver) = state.receiver.take() {
            receiver.wake();
        }
        Poll::Ready(Ok(data.len()))
    }
}

impl PollByteReceive for MemoryByteStream {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        check_max_bytes(buf.len())?;
        ready!(poll_cancel_point(cx));
        self.incoming.poll_receive_into(cx, buf)
    }
}

impl PollByteSend for MemoryByteStream {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        ready!(poll_cancel_point(cx));
        self.outgoing.poll_send(cx, data)
    }

    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        self.outgoing.close_sender();
        Poll::Ready(Ok(()))
    }
}
