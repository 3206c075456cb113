use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex as StdMutex, PoisonError};
use std::task::{Context, Poll};

use futures_sink::Sink;

use super::channel::{Channel, HandleState, SendOp};
use super::error::{SendError, TrySendError};
use super::statistics::MemoryStreamStatistics;
use crate::cancel::budget::poll_budget;
use crate::sync::shim::Arc;
use crate::sync::waiters::scope_cancelled;

/// The sending end of a memory object stream (see
/// [`create_memory_object_stream`](super::create_memory_object_stream)).
///
/// Clone it to give each producer its own handle: every clone closes on its own (by
/// [`close`](MemorySendStream::close) or when dropped), and the receivers see the end of the
/// stream once every send handle is closed and the buffer is drained.
///
/// It also implements [`futures_sink::Sink`] (so `SinkExt::send`, `forward` and friends
/// work): `start_send` hands the item over at once when it can, otherwise keeps it in this
/// handle until `poll_flush` (or `poll_ready`) has delivered it, with the same semantics as
/// [`send`](MemorySendStream::send). `poll_close` flushes and then closes this handle. An item
/// still pending in the sink when the handle is dropped is dropped with it. Inside a cancelled
/// scope `poll_ready`, `poll_flush` and `poll_close` stay `Pending` (so `SinkExt::send` moves
/// nothing there); an item the sink already accepted is withdrawn from the queue but stays in
/// the sink for the next flush, unless a receiver had already taken it (or a close failed it,
/// which they report). The inherent `send` and `close` take precedence over `SinkExt`'s, so
/// name the trait to use those (`SinkExt::send(&mut tx, item)`); don't interleave the two
/// interfaces on one handle without flushing the sink first.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{streams::memory::create_memory_object_stream, task_group};
///
/// let (tx, rx) = create_memory_object_stream::<u32>(0);
/// task_group(|tg| async move {
///     for producer in 0..3 {
///         let tx = tx.clone();
///         tg.start_soon(async move { tx.send(producer).await.unwrap() })?;
///     }
///     drop(tx); // the producers hold the remaining handles
///     let mut got = Vec::new();
///     while let Ok(item) = rx.receive().await {
///         got.push(item);
///     }
///     got.sort();
///     assert_eq!(got, [0, 1, 2]);
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct MemorySendStream<T> {
    channel: Arc<Channel<T>>,
    handle: HandleState,
    /// The item in flight through the `Sink` interface (only touched through `&mut self`).
    sink: StdMutex<SendOp<T>>,
}

// Nothing in a handle is ever pinned.
impl<T> Unpin for MemorySendStream<T> {}

impl<T> fmt::Debug for MemorySendStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySendStream")
            .field("closed", &self.is_closed())
            .field("statistics", &self.statistics())
            .finish()
    }
}

impl<T> MemorySendStream<T> {
    pub(crate) fn new(channel: Arc<Channel<T>>) -> MemorySendStream<T> {
        MemorySendStream {
            channel,
            handle: HandleState::new(false),
            sink: StdMutex::new(SendOp {
                item: None,
                key: None,
            }),
        }
    }

    /// Sends `item`: hands it to the first waiting receiver, or buffers it, or waits until one
    /// of those is possible. On an unbuffered (`0`) stream it completes only once a receiver
    /// has taken the item.
    ///
    /// Waiting senders are served in FIFO order.
    ///
    /// # Errors
    ///
    /// The item comes back in the error:
    /// - [`SendError::Closed`]: this handle was closed, also while the send was waiting.
    /// - [`SendError::Broken`]: every receive handle is closed, also while it was waiting.
    ///
    /// # Cancellation
    ///
    /// Exactly once: when the enclosing scope is cancelled while the send waits, the next poll
    /// settles it, under the stream's lock, before the scope can report the cancellation:
    /// - if a receiver already took the item (or a slot freed and the item moved into the
    ///   buffer), the send completes with `Ok(())`, and the scope returns that value instead
    ///   of `None` (a ready body wins over the cancellation);
    /// - if a close already failed it, it completes with that error, the item inside;
    /// - otherwise the item is withdrawn, so nobody can take it any more, and dropped with the
    ///   future when the scope drops it.
    ///
    /// So a scope that reports cancellation means the item was not delivered, and sending it
    /// again does not duplicate it. This holds also when the cancellation arrives on another
    /// thread between the send's last poll and the scope's check: a scope that catches a
    /// cancellation its body has not seen polls the body once more first. Only foreign code
    /// that drops the future without polling it (a `select!`) can leave a taken item
    /// unreported; it is then sent (never delivered twice) although the future never said so;
    /// one not yet taken is withdrawn.
    ///
    /// Inside a scope already cancelled when the send starts, it is a cancellation point: it
    /// does not complete and moves no item, even when it could without waiting (as in Trio).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::memory::create_memory_object_stream;
    /// let (tx, rx) = create_memory_object_stream(1);
    /// tx.send("hello").await.unwrap(); // buffered
    /// assert_eq!(rx.receive().await, Ok("hello"));
    /// # });
    /// ```
    pub fn send(&self, item: T) -> SendItem<'_, T> {
        SendItem {
            stream: self,
            op: SendOp {
                item: Some(item),
                key: None,
            },
        }
    }

    /// Sends `item` if that is possible without waiting: a receiver is waiting for it, or the
    /// buffer has room (and no other sender is queued).
    ///
    /// # Errors
    ///
    /// The item comes back in the error: [`TrySendError::WouldBlock`],
    /// [`TrySendError::Closed`] (this handle is closed) or [`TrySendError::Broken`] (every
    /// receive handle is closed).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::memory::{create_memory_object_stream, TrySendError};
    /// let (tx, _rx) = create_memory_object_stream(1);
    /// tx.try_send(1).unwrap();
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::WouldBlock(2))));
    /// ```
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.channel.try_send(&self.handle, item)
    }

    /// Closes this handle: its waiting sends fail with [`SendError::Closed`], later calls on it
    /// fail the same way, and when it was the last open send handle, receivers get
    /// end-of-stream once the buffer is drained. Closing twice does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::memory::{create_memory_object_stream, TryReceiveError};
    /// let (tx, rx) = create_memory_object_stream::<u8>(1);
    /// tx.try_send(1).unwrap();
    /// tx.close();
    /// assert!(tx.is_closed());
    /// assert_eq!(rx.try_receive(), Ok(1));
    /// assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    /// ```
    pub fn close(&self) {
        self.channel.close_sender(&self.handle);
    }

    /// Whether this handle is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = anyio_core::streams::memory::create_memory_object_stream::<u8>(0);
    /// assert!(!tx.is_closed());
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
    /// let (tx, _rx) = anyio_core::streams::memory::create_memory_object_stream::<u8>(2);
    /// assert_eq!(tx.statistics().max_buffer_size, 2);
    /// ```
    pub fn statistics(&self) -> MemoryStreamStatistics {
        self.channel.statistics()
    }

    fn poll_sink(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let op = self.sink.get_mut().unwrap_or_else(PoisonError::into_inner);
        if scope_cancelled() {
            // A cancellation point like `send`, even with nothing in flight (so that
            // `SinkExt::send` never reaches `start_send`). An accepted item stays in the sink,
            // withdrawn from the queue, unless it was already taken.
            return match self.channel.poll_send_cancelled(op) {
                Poll::Ready(Ok(())) => Poll::Pending,
                settled => settled,
            };
        }
        if op.item.is_none() && op.key.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.channel.poll_send(&self.handle, op, cx)
    }
}

impl<T> Clone for MemorySendStream<T> {
    /// Another send handle to the same stream; it closes on its own. Cloning a closed handle
    /// gives a closed handle (it does not reopen the stream).
    fn clone(&self) -> Self {
        MemorySendStream {
            channel: self.channel.clone(),
            handle: self.channel.clone_sender(&self.handle),
            sink: StdMutex::new(SendOp {
                item: None,
                key: None,
            }),
        }
    }
}

impl<T> Drop for MemorySendStream<T> {
    fn drop(&mut self) {
        let op = self.sink.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = op.key.take() {
            drop(self.channel.cancel_send(key));
        }
        self.channel.close_sender(&self.handle);
    }
}

impl<T> Sink<T> for MemorySendStream<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_sink(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        let op = this.sink.get_mut().unwrap_or_else(PoisonError::into_inner);
        assert!(
            op.item.is_none() && op.key.is_none(),
            "`start_send` called without `poll_ready` returning `Ready(Ok(()))` first"
        );
        match this.channel.try_send(&this.handle, item) {
            Ok(()) => Ok(()),
            Err(TrySendError::WouldBlock(item)) => {
                op.item = Some(item);
                Ok(())
            }
            Err(TrySendError::Closed(item)) => Err(SendError::Closed(item)),
            Err(TrySendError::Broken(item)) => Err(SendError::Broken(item)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_sink(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_sink(cx))?;
        this.close();
        Poll::Ready(Ok(()))
    }
}

/// The future returned by [`MemorySendStream::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct SendItem<'a, T> {
    stream: &'a MemorySendStream<T>,
    op: SendOp<T>,
}

// The item is never pinned.
impl<T> Unpin for SendItem<'_, T> {}

impl<T> fmt::Debug for SendItem<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendItem")
            .field("waiting", &self.op.key.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Future for SendItem<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if scope_cancelled() {
            // Settle before the scope reports the cancellation: a taken item completes the
            // send, a queued one is withdrawn (and dropped with us).
            return this.stream.channel.poll_send_cancelled(&mut this.op);
        }
        if this.op.key.is_none() {
            // Not queued yet: a send that will not wait spends the yield budget (see
            // `cancel::budget`), so that a loop of them lets other tasks and timers run.
            std::task::ready!(poll_budget(cx));
        }
        this.stream
            .channel
            .poll_send(&this.stream.handle, &mut this.op, cx)
    }
}

impl<T> Drop for SendItem<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.op.key.take() {
            drop(self.stream.channel.cancel_send(key));
        }
    }
}
