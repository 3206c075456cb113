//! One direction of an in-memory byte stream pair, with its poll core and the lockstep
//! `send_all` that settles exactly once under cancellation.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};

use crate::streams::{check_max_bytes, StreamError};
use crate::sync::waiters::{poll_cancel_point, scope_cancelled};

/// One direction: bytes from a sending end to a receiving end.
#[derive(Debug)]
pub(super) struct Pipe {
    /// Lockstep: a send completes only once the receiver has taken all of its bytes.
    pub(super) lockstep: bool,
    state: Mutex<PipeState>,
}

#[derive(Debug, Default)]
pub(super) struct PipeState {
    pub(super) data: VecDeque<u8>,
    send_closed: bool,
    receive_closed: bool,
    receiver: Option<Waker>,
    /// The room of the receive waiting with nothing to take (0 if none): the most a lockstep
    /// poll-level send may hand over.
    receiver_room: usize,
    sender: Option<Waker>,
}

impl PipeState {
    fn wake_all(&mut self) {
        for waker in [self.receiver.take(), self.sender.take()]
            .into_iter()
            .flatten()
        {
            waker.wake();
        }
    }
}

impl Pipe {
    pub(super) fn new(lockstep: bool) -> Arc<Pipe> {
        Arc::new(Pipe {
            lockstep,
            state: Mutex::new(PipeState::default()),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, PipeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn close_sender(&self) {
        let mut state = self.lock();
        state.send_closed = true;
        state.wake_all();
    }

    pub(super) fn close_receiver(&self) {
        let mut state = self.lock();
        state.receive_closed = true;
        state.data.clear();
        state.wake_all();
    }

    /// The poll core of receiving: a cancellation point, then whatever is buffered, up to
    /// `buf.len()` bytes.
    pub(super) fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        check_max_bytes(buf.len())?;
        // As the memory object streams: nothing happens inside a cancelled scope.
        ready!(poll_cancel_point(cx));
        let mut state = self.lock();
        if state.receive_closed {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if !state.data.is_empty() {
            let n = state.data.len().min(buf.len());
            for (slot, byte) in buf.iter_mut().zip(state.data.drain(..n)) {
                *slot = byte;
            }
            state.receiver_room = 0;
            if let Some(sender) = state.sender.take() {
                sender.wake();
            }
            return Poll::Ready(Ok(n));
        }
        if state.send_closed {
            return Poll::Ready(Err(StreamError::EndOfStream));
        }
        state.receiver = Some(cx.waker().clone());
        // A lockstep poll-level send waits for a receive to hand its bytes to.
        let was_waiting = state.receiver_room > 0;
        state.receiver_room = buf.len();
        if !was_waiting {
            if let Some(sender) = state.sender.take() {
                sender.wake();
            }
        }
        Poll::Pending
    }

    /// The poll core of sending: a cancellation point, then the bytes this call can hand
    /// over. Unbuffered, that is all of them at once. Lockstep, a call hands bytes over only
    /// to a receive that is waiting with nothing left to take, and at most as many as it has
    /// room for; until then it waits holding nothing, so a caller that stops polling has
    /// sent nothing.
    pub(super) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<Result<usize, StreamError>> {
        ready!(poll_cancel_point(cx));
        let mut state = self.lock();
        if state.send_closed {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if state.receive_closed {
            return Poll::Ready(Err(StreamError::BrokenResource(None)));
        }
        let accepted = if !self.lockstep {
            data.len()
        } else if data.is_empty() {
            0
        } else if state.data.is_empty() && state.receiver_room > 0 {
            std::mem::replace(&mut state.receiver_room, 0).min(data.len())
        } else {
            state.sender = Some(cx.waker().clone());
            return Poll::Pending;
        };
        state.data.extend(&data[..accepted]);
        if accepted > 0 {
            if let Some(receiver) = state.receiver.take() {
                receiver.wake();
            }
        }
        Poll::Ready(Ok(accepted))
    }

    pub(super) async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        if !self.lockstep {
            // Unbuffered sends accept everything at once.
            return poll_fn(|cx| self.poll_send(cx, data)).await.map(drop);
        }
        self.send_all_lockstep(data).await
    }

    /// A lockstep `send_all`: every byte offered at once, complete once the receiver took
    /// them all, settled exactly once under cancellation.
    async fn send_all_lockstep(&self, data: &[u8]) -> Result<(), StreamError> {
        /// Withdraws the unreceived bytes of a lockstep send that did not complete.
        struct Withdraw<'a>(&'a Pipe, bool);
        impl Drop for Withdraw<'_> {
            fn drop(&mut self) {
                if self.1 {
                    self.0.lock().data.clear();
                }
            }
        }
        let mut pushed = Withdraw(self, false);
        poll_fn(|cx| {
            if scope_cancelled() {
                if pushed.1 {
                    // Settled under the lock before the scope reports the cancellation: data
                    // the receiver already took completes the send; the rest is withdrawn.
                    let mut state = self.lock();
                    pushed.1 = false;
                    if state.data.is_empty() {
                        return Poll::Ready(Ok(()));
                    }
                    state.data.clear();
                }
                return Poll::Pending;
            }
            let mut state = self.lock();
            if state.send_closed {
                return Poll::Ready(Err(StreamError::ClosedResource));
            }
            if state.receive_closed {
                return Poll::Ready(Err(StreamError::BrokenResource(None)));
            }
            if !pushed.1 {
                state.data.extend(data);
                state.receiver_room = 0;
                if let Some(receiver) = state.receiver.take() {
                    receiver.wake();
                }
                if data.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                pushed.1 = true;
            }
            if state.data.is_empty() {
                pushed.1 = false;
                return Poll::Ready(Ok(()));
            }
            state.sender = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}
