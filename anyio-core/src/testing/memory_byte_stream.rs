//! In-memory byte stream pairs for tests (Trio's `memory_stream_pair` and
//! `lockstep_stream_pair`).

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::{
    check_max_bytes, AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
};
use crate::sync::waiters::scope_cancelled;
use crate::sync::ResourceGuard;

mod poll;

/// One direction: bytes from a sending end to a receiving end.
#[derive(Debug)]
struct Pipe {
    /// Lockstep: a send completes only once the receiver has taken all of its bytes.
    lockstep: bool,
    state: Mutex<PipeState>,
}

#[derive(Debug, Default)]
struct PipeState {
    data: VecDeque<u8>,
    send_closed: bool,
    receive_closed: bool,
    receiver: Option<Waker>,
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
    fn new(lockstep: bool) -> Arc<Pipe> {
        Arc::new(Pipe {
            lockstep,
            state: Mutex::new(PipeState::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, PipeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn close_sender(&self) {
        let mut state = self.lock();
        state.send_closed = true;
        state.wake_all();
    }

    fn close_receiver(&self) {
        let mut state = self.lock();
        state.receive_closed = true;
        state.data.clear();
        state.wake_all();
    }

    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        poll_fn(|cx| {
            if scope_cancelled() {
                // As the memory object streams: nothing happens inside a cancelled scope.
                return Poll::Pending;
            }
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
            Poll::Pending
        })
        .await
    }

    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
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
                if let Some(receiver) = state.receiver.take() {
                    receiver.wake();
                }
                if !self.lockstep || data.is_empty() {
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

/// One end of an in-memory two-way byte stream, made by [`memory_stream_pair`] or
/// [`lockstep_stream_pair`]: a [`ByteStream`] with half-close, for testing protocols and
/// stream wrappers without sockets.
///
/// Errors follow the stream contract: a send after this end's `send_eof` or `aclose` is
/// [`StreamError::ClosedResource`], a send after the peer's `aclose` is
/// [`StreamError::BrokenResource`], a receive after the peer's `send_eof` (once the data is
/// drained) is [`StreamError::EndOfStream`], and concurrent receives (or sends) are
/// [`StreamError::BusyResource`]. Inside a cancelled scope sends and receives do nothing, as
/// with the memory object streams.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, StreamError};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// b.aclose().await;
/// assert!(matches!(a.send_all(b"x").await, Err(StreamError::BrokenResource(_))));
/// # });
/// ```
pub struct MemoryByteStream {
    outgoing: Arc<Pipe>,
    incoming: Arc<Pipe>,
    receiving: ResourceGuard,
    sending: ResourceGuard,
}

impl fmt::Debug for MemoryByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryByteStream")
            .field("lockstep", &self.outgoing.lockstep)
            .field("buffered_in", &self.incoming.lock().data.len())
            .field("buffered_out", &self.outgoing.lock().data.len())
            .finish()
    }
}

fn pair(lockstep: bool) -> (MemoryByteStream, MemoryByteStream) {
    let (one, two) = (Pipe::new(lockstep), Pipe::new(lockstep));
    let end = |outgoing: &Arc<Pipe>, incoming: &Arc<Pipe>| MemoryByteStream {
        outgoing: outgoing.clone(),
        incoming: incoming.clone(),
        receiving: ResourceGuard::new("receiving from"),
        sending: ResourceGuard::new("sending to"),
    };
    (end(&one, &two), end(&two, &one))
}

/// Two connected in-memory byte streams with unbounded buffers: a send never waits, what one
/// end sends the other receives (Trio's `memory_stream_pair`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// a.send_all(b"to b").await.unwrap();
/// b.send_all(b"to a").await.unwrap();
/// assert_eq!(b.receive(64).await.unwrap(), b"to b");
/// assert_eq!(a.receive(64).await.unwrap(), b"to a");
/// # });
/// ```
pub fn memory_stream_pair() -> (MemoryByteStream, MemoryByteStream) {
    pair(false)
}

/// Two connected in-memory byte streams with no buffering: a send completes only once the
/// other end has received all of its bytes (Trio's `lockstep_stream_pair`). A send dropped
/// before then withdraws the bytes not received yet. Good at exposing code that assumes a
/// send returns before the peer reads.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio_core::{move_on_after, time::Duration};
/// let (a, b) = anyio_core::testing::lockstep_stream_pair();
/// // Nobody receives: the send cannot complete.
/// assert!(move_on_after(Duration::from_millis(5), a.send_all(b"x")).await.is_none());
/// # });
/// ```
pub fn lockstep_stream_pair() -> (MemoryByteStream, MemoryByteStream) {
    pair(true)
}

impl Drop for MemoryByteStream {
    /// Dropping an end closes it, as `aclose` does.
    fn drop(&mut self) {
        self.outgoing.close_sender();
        self.incoming.close_receiver();
    }
}

impl TypedAttributeProvider for MemoryByteStream {}

impl AsyncResource for MemoryByteStream {
    async fn aclose(&self) {
        self.outgoing.close_sender();
        self.incoming.close_receiver();
    }
}

impl ByteReceiveStream for MemoryByteStream {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        check_max_bytes(buf.len())?;
        let _receiving = self.receiving.enter()?;
        self.incoming.receive_into(buf).await
    }
}

impl ByteSendStream for MemoryByteStream {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        self.outgoing.send_all(data).await
    }
}

impl ByteStream for MemoryByteStream {
    async fn send_eof(&self) -> Result<(), StreamError> {
        let _sending = self.sending.enter()?;
        self.outgoing.close_sender();
        Ok(())
    }
}
