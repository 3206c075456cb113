use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
use std::task::{Context, Poll};

use futures_core::Stream;

use super::channel::{Channel, HandleState};
use super::error::{ReceiveError, TryReceiveError};
use super::statistics::MemoryStreamStatistics;
use crate::cancel::budget::poll_budget;
use crate::sync::shim::Arc;
use crate::sync::waiters::scope_cancelled;

const NO_KEY: usize = usize::MAX;

/// The receiving end of a memory object stream (see
/// [`create_memory_object_stream`](super::create_memory_object_stream)).
///
/// Clone it to share the work between consumers: each item goes to exactly one receiver, in
/// the order they started waiting. Every clone closes on its own (by
/// [`close`](MemoryReceiveStream::close) or when dropped); once every receive handle is
/// closed, senders get [`SendError::Broken`](super::SendError::Broken) with their item back.
///
/// It also implements [`futures_core::Stream`], ending (`None`) at end-of-stream or when this
/// handle is closed. A `next()` that was polled and then abandoned (say, the losing branch of a
/// `select!`) keeps its place in the queue until this handle's next `next()`, `receive` or
/// `try_receive`, which picks it up, so an item handed to it is not lost, only delayed. Inside
/// a cancelled scope `poll_next` stays `Pending`, takes nothing, and gives back an item handed
/// to this handle's waiting `next()`, as [`receive`](MemoryReceiveStream::receive) does.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::memory::create_memory_object_stream;
/// use futures::StreamExt;
///
/// let (tx, rx) = create_memory_object_stream(usize::MAX); // unbounded
/// for i in 0..3 {
///     tx.try_send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.collect::<Vec<_>>().await, [0, 1, 2]);
/// # });
/// ```
pub struct MemoryReceiveStream<T> {
    channel: Arc<Channel<T>>,
    handle: HandleState,
    /// The wait entry of a `Stream::poll_next` in progress (`NO_KEY`: none).
    stream_key: AtomicUsize,
}

impl<T> fmt::Debug for MemoryReceiveStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReceiveStream")
            .field("closed", &self.is_closed())
            .field("statistics", &self.statistics())
            .finish()
    }
}

impl<T> MemoryReceiveStream<T> {
    pub(crate) fn new(channel: Arc<Channel<T>>) -> MemoryReceiveStream<T> {
        MemoryReceiveStream {
            channel,
            handle: HandleState::new(false),
            stream_key: AtomicUsize::new(NO_KEY),
        }
    }

    /// Receives the next item, waiting until one is sent.
    ///
    /// Waiting receivers are served in FIFO order, and the first waiting receiver owns the
    /// next item sent: a later `try_receive` cannot take it. Buffered items are still delivered
    /// after every sender closed.
    ///
    /// # Errors
    ///
    /// - [`ReceiveError::Closed`]: this handle was closed, also while the receive was waiting.
    /// - [`ReceiveError::EndOfStream`]: every send handle is closed and the buffer is drained.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe, exactly once: a cancelled receive never takes an item. When the enclosing
    /// scope is cancelled while it waits, its next poll withdraws it and gives back an item it
    /// had already been handed (to the next waiting receiver, else to the front of the buffer),
    /// before the scope reports the cancellation; a receive dropped without that poll does the
    /// same in its drop. The item is never lost, though an item sent later may reach another
    /// receiver before it.
    ///
    /// Inside a scope already cancelled when the receive starts, it is a cancellation point: it
    /// does not complete and takes nothing, even when an item is ready (as in Trio).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::memory::{create_memory_object_stream, ReceiveError};
    /// let (tx, rx) = create_memory_object_stream(1);
    /// tx.send(1).await.unwrap();
    /// tx.close();
    /// assert_eq!(rx.receive().await, Ok(1));
    /// assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
    /// # });
    /// ```
    pub fn receive(&self) -> ReceiveItem<'_, T> {
        ReceiveItem {
            stream: self,
            key: None,
            started: false,
        }
    }

    /// Receives an item if one is available without waiting (buffered, or offered by a waiting
    /// sender).
    ///
    /// # Errors
    ///
    /// [`TryReceiveError::WouldBlock`] when nothing is available, [`TryReceiveError::Closed`]
    /// when this handle is closed, [`TryReceiveError::EndOfStream`] when every send handle is
    /// closed and the buffer is drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::memory::{create_memory_object_stream, TryReceiveError};
    /// let (tx, rx) = create_memory_object_stream(2);
    /// tx.try_send('a').unwrap();
    /// assert_eq!(rx.try_receive(), Ok('a'));
    /// assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    /// ```
    pub fn try_receive(&self) -> Result<T, TryReceiveError> {
        if let Some(key) = self.take_stream_key() {
            if let Some(item) = self.channel.reclaim_receive(key) {
                return Ok(item);
            }
        }
        self.channel.try_receive(&self.handle)
    }

    /// Closes this handle: its waiting receives fail with [`ReceiveError::Closed`], later calls
    /// on it fail the same way, and when it was the last open receive handle, senders get
    /// [`SendError::Broken`](super::SendError::Broken) and buffered items are dropped. Closing
    /// twice does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::memory::{create_memory_object_stream, TrySendError};
    /// let (tx, rx) = create_memory_object_stream::<u8>(1);
    /// rx.close();
    /// assert!(matches!(tx.try_send(1), Err(TrySendError::Broken(1))));
    /// ```
    pub fn close(&self) {
        self.channel.close_receiver(&self.handle);
    }

    /// Whether this handle is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = anyio_core::streams::memory::create_memory_object_stream::<u8>(0);
    /// rx.close();
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.handle
            .closed
            .load(crate::sync::shim::Ordering::Relaxed)
    }

    /// A snapshot of the stream's state.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = anyio_core::streams::memory::create_memory_object_stream::<u8>(0);
    /// assert_eq!(rx.statistics().open_receive_streams, 1);
    /// ```
    pub fn statistics(&self) -> MemoryStreamStatistics {
        self.channel.statistics()
    }

    fn take_stream_key(&self) -> Option<usize> {
        if self.stream_key.load(StdOrdering::Relaxed) == NO_KEY {
            return None;
        }
        match self.stream_key.swap(NO_KEY, StdOrdering::AcqRel) {
            NO_KEY => None,
            key => Some(key),
        }
    }
}

impl<T> Clone for MemoryReceiveStream<T> {
    /// Another receive handle to the same stream; it closes on its own. Cloning a closed
    /// handle gives a closed handle (it does not reopen the stream).
    fn clone(&self) -> Self {
        MemoryReceiveStream {
            channel: self.channel.clone(),
            handle: self.channel.clone_receiver(&self.handle),
            stream_key: AtomicUsize::new(NO_KEY),
        }
    }
}

impl<T> Drop for MemoryReceiveStream<T> {
    fn drop(&mut self) {
        let key = *self.stream_key.get_mut();
        if key != NO_KEY {
            self.channel.cancel_receive(key);
        }
        self.channel.close_receiver(&self.handle);
    }
}

impl<T> Stream for MemoryReceiveStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if scope_cancelled() {
            // Give back what this `next()` was handed rather than hold it until this handle's
            // next call, which a cancelled consumer may never make.
            if let Some(key) = this.take_stream_key() {
                this.channel.cancel_receive(key);
            }
            return Poll::Pending;
        }
        if *this.stream_key.get_mut() == NO_KEY {
            std::task::ready!(poll_budget(cx));
        }
        let slot = this.stream_key.get_mut();
        let mut key = (*slot != NO_KEY).then_some(*slot);
        let result = this.channel.poll_receive(&this.handle, &mut key, cx);
        *slot = key.unwrap_or(NO_KEY);
        result.map(Result::ok)
    }
}

/// The future returned by [`MemoryReceiveStream::receive`].
#[must_use = "futures do nothing unless awaited"]
pub struct ReceiveItem<'a, T> {
    stream: &'a MemoryReceiveStream<T>,
    key: Option<usize>,
    started: bool,
}

impl<T> fmt::Debug for ReceiveItem<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiveItem")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Future for ReceiveItem<'_, T> {
    type Output = Result<T, ReceiveError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if scope_cancelled() {
            // Give back an item handed to us now, not when the scope gets round to dropping
            // us (a protected scope may keep polling us for a while).
            if let Some(key) = this.key.take() {
                this.stream.channel.cancel_receive(key);
            }
            return Poll::Pending;
        }
        if !this.started {
            // A receive that will not wait spends the yield budget (see `cancel::budget`).
            std::task::ready!(poll_budget(cx));
            this.started = true;
            // Take over the place of an abandoned `Stream::next` on this handle.
            this.key = this.stream.take_stream_key();
        }
        this.stream
            .channel
            .poll_receive(&this.stream.handle, &mut this.key, cx)
    }
}

impl<T> Drop for ReceiveItem<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.stream.channel.cancel_receive(key);
        }
    }
}
