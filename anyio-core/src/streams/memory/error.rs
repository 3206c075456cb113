use std::fmt;

/// Why [`MemorySendStream::send`](super::MemorySendStream::send) failed; the item comes back
/// in either case.
///
/// Its `Debug` form does not require `T: Debug`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::memory::{create_memory_object_stream, SendError};
/// let (tx, rx) = create_memory_object_stream::<u32>(1);
/// drop(rx);
/// let error = tx.send(7).await.unwrap_err();
/// assert!(matches!(error, SendError::Broken(7)));
/// assert_eq!(error.into_inner(), 7);
/// # });
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError<T> {
    /// This send handle was closed (by [`close`](super::MemorySendStream::close)), possibly
    /// while the send was waiting.
    #[error("send on a closed memory stream handle")]
    Closed(T),
    /// Every receive handle is closed: nobody will ever receive the item.
    #[error("every receiver of the memory stream is gone")]
    Broken(T),
}

impl<T> SendError<T> {
    /// The item that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::memory::SendError;
    /// assert_eq!(SendError::Closed("item").into_inner(), "item");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendError::Closed(item) | SendError::Broken(item) => item,
        }
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed(_) => f.write_str("Closed(..)"),
            SendError::Broken(_) => f.write_str("Broken(..)"),
        }
    }
}

/// Why [`MemorySendStream::try_send`](super::MemorySendStream::try_send) failed; the item
/// comes back in every case.
///
/// Its `Debug` form does not require `T: Debug`.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::memory::{create_memory_object_stream, TrySendError};
/// let (tx, _rx) = create_memory_object_stream::<u32>(0);
/// // A rendezvous stream with nobody receiving.
/// assert!(matches!(tx.try_send(1), Err(TrySendError::WouldBlock(1))));
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError<T> {
    /// The buffer is full (or, unbuffered, nobody is waiting to receive), or other senders
    /// are already queued.
    #[error("sending on the memory stream would block")]
    WouldBlock(T),
    /// This send handle was closed.
    #[error("send on a closed memory stream handle")]
    Closed(T),
    /// Every receive handle is closed.
    #[error("every receiver of the memory stream is gone")]
    Broken(T),
}

impl<T> TrySendError<T> {
    /// The item that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::memory::TrySendError;
    /// assert_eq!(TrySendError::WouldBlock(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::WouldBlock(item)
            | TrySendError::Closed(item)
            | TrySendError::Broken(item) => item,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::WouldBlock(_) => f.write_str("WouldBlock(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
            TrySendError::Broken(_) => f.write_str("Broken(..)"),
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(error: SendError<T>) -> TrySendError<T> {
        match error {
            SendError::Closed(item) => TrySendError::Closed(item),
            SendError::Broken(item) => TrySendError::Broken(item),
        }
    }
}

/// Why [`MemoryReceiveStream::receive`](super::MemoryReceiveStream::receive) returned no item.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::memory::{create_memory_object_stream, ReceiveError};
/// let (tx, rx) = create_memory_object_stream::<u32>(1);
/// tx.send(1).await.unwrap();
/// drop(tx);
/// assert_eq!(rx.receive().await, Ok(1)); // buffered items outlive the senders
/// assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ReceiveError {
    /// This receive handle was closed, possibly while the receive was waiting.
    #[error("receive on a closed memory stream handle")]
    Closed,
    /// Every send handle is closed and the buffer is drained: no item will ever come.
    #[error("end of the memory stream")]
    EndOfStream,
}

/// Why [`MemoryReceiveStream::try_receive`](super::MemoryReceiveStream::try_receive) returned
/// no item.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::memory::{create_memory_object_stream, TryReceiveError};
/// let (_tx, rx) = create_memory_object_stream::<u32>(1);
/// assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TryReceiveError {
    /// Nothing is buffered and no sender is waiting, or other receivers are already queued.
    #[error("receiving from the memory stream would block")]
    WouldBlock,
    /// This receive handle was closed.
    #[error("receive on a closed memory stream handle")]
    Closed,
    /// Every send handle is closed and the buffer is drained.
    #[error("end of the memory stream")]
    EndOfStream,
}

impl From<ReceiveError> for TryReceiveError {
    fn from(error: ReceiveError) -> TryReceiveError {
        match error {
            ReceiveError::Closed => TryReceiveError::Closed,
            ReceiveError::EndOfStream => TryReceiveError::EndOfStream,
        }
    }
}
