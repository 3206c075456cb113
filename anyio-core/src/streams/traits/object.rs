use std::future::Future;
use std::sync::Arc;

use super::AsyncResource;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::error::{ObjectSendError, StreamError};

/// A stream of objects that may lose or reorder items (AnyIO's
/// `UnreliableObjectReceiveStream`): datagrams.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{UnreliableObjectReceiveStream, UnreliableObjectSendStream};
/// let (tx, rx) = anyio_core::create_memory_object_stream::<u32>(1);
/// UnreliableObjectSendStream::send(&tx, 7).await.unwrap();
/// assert_eq!(UnreliableObjectReceiveStream::receive(&rx).await.unwrap(), 7);
/// # });
/// ```
pub trait UnreliableObjectReceiveStream<T>: AsyncResource + TypedAttributeProvider {
    /// Receives the next item.
    ///
    /// # Errors
    ///
    /// [`StreamError::EndOfStream`] when the senders are gone;
    /// [`StreamError::ClosedResource`] when this stream was closed;
    /// [`StreamError::BrokenResource`] when the transport failed.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe for every stream in anyio: a dropped receive loses no item.
    ///
    /// # Examples
    ///
    /// See [`UnreliableObjectReceiveStream`].
    fn receive(&self) -> impl Future<Output = Result<T, StreamError>> + Send;
}

/// A stream that sends objects that may be lost or reordered (AnyIO's
/// `UnreliableObjectSendStream`): datagrams.
///
/// # Examples
///
/// See [`UnreliableObjectReceiveStream`].
pub trait UnreliableObjectSendStream<T>: AsyncResource + TypedAttributeProvider {
    /// Sends `item`.
    ///
    /// # Errors
    ///
    /// [`ObjectSendError`] with the item back: [`StreamError::ClosedResource`] when this
    /// stream was closed, [`StreamError::BrokenResource`] when the peer is gone.
    ///
    /// # Cancellation
    ///
    /// A dropped send either delivered the item or drops it; never both, never twice.
    ///
    /// # Examples
    ///
    /// See [`UnreliableObjectReceiveStream`].
    fn send(&self, item: T) -> impl Future<Output = Result<(), ObjectSendError<T>>> + Send;
}

/// A reliable, ordered stream of objects (AnyIO's `ObjectReceiveStream`), such as a
/// [`MemoryReceiveStream`](crate::MemoryReceiveStream).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ObjectReceiveStream, UnreliableObjectReceiveStream};
/// async fn first<T>(stream: &impl ObjectReceiveStream<T>) -> Option<T> {
///     stream.receive().await.ok()
/// }
/// let (tx, rx) = anyio_core::create_memory_object_stream(1);
/// tx.send("a").await.unwrap();
/// assert_eq!(first(&rx).await, Some("a"));
/// # });
/// ```
pub trait ObjectReceiveStream<T>: UnreliableObjectReceiveStream<T> {}

/// A reliable, ordered stream that sends objects (AnyIO's `ObjectSendStream`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ObjectSendStream, UnreliableObjectSendStream};
/// async fn greet(stream: &impl ObjectSendStream<String>) {
///     stream.send("hello".to_owned()).await.unwrap();
/// }
/// let (tx, rx) = anyio_core::create_memory_object_stream(1);
/// greet(&tx).await;
/// assert_eq!(rx.receive().await.unwrap(), "hello");
/// # });
/// ```
pub trait ObjectSendStream<T>: UnreliableObjectSendStream<T> {}

/// A two-way object stream whose sending side can close alone (AnyIO's `ObjectStream`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ObjectStream, StapledObjectStream, StreamError, UnreliableObjectReceiveStream};
/// let (tx, rx) = anyio_core::create_memory_object_stream::<u8>(1);
/// let stream = StapledObjectStream::new(tx, rx);
/// stream.send_eof().await.unwrap();
/// assert!(matches!(stream.receive().await, Err(StreamError::EndOfStream)));
/// # });
/// ```
pub trait ObjectStream<T>: ObjectReceiveStream<T> + ObjectSendStream<T> {
    /// Closes the sending side; receiving still works.
    ///
    /// # Errors
    ///
    /// [`StreamError::BrokenResource`] when the transport failed.
    ///
    /// # Cancellation
    ///
    /// The sending side is closed at the first poll.
    ///
    /// # Examples
    ///
    /// See [`ObjectStream`].
    fn send_eof(&self) -> impl Future<Output = Result<(), StreamError>> + Send;
}

impl<T, S: UnreliableObjectReceiveStream<T>> UnreliableObjectReceiveStream<T> for Arc<S> {
    async fn receive(&self) -> Result<T, StreamError> {
        (**self).receive().await
    }
}

impl<T: Send, S: UnreliableObjectSendStream<T>> UnreliableObjectSendStream<T> for Arc<S> {
    async fn send(&self, item: T) -> Result<(), ObjectSendError<T>> {
        (**self).send(item).await
    }
}

impl<T, S: ObjectReceiveStream<T>> ObjectReceiveStream<T> for Arc<S> {}
impl<T: Send, S: ObjectSendStream<T>> ObjectSendStream<T> for Arc<S> {}
