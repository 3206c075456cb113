//! Dyn-compatible forms of the stream traits, for `Box<dyn ...>`: each method returns a boxed
//! future. Every stream implements them through blanket impls, and the boxed streams implement
//! the static traits again, so they work wherever a stream is expected.

use std::future::Future;
use std::pin::Pin;

use super::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, UnreliableObjectReceiveStream, UnreliableObjectSendStream,
};
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::error::{ObjectSendError, StreamError};

/// A boxed, `Send` future: what the dyn-compatible stream traits return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The dyn-compatible form of [`AsyncResource`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::DynAsyncResource;
/// let (tx, _rx) = anyio_core::create_memory_object_stream::<u8>(0);
/// let resource: &dyn DynAsyncResource = &tx;
/// resource.dyn_aclose().await;
/// assert!(tx.is_closed());
/// # });
/// ```
pub trait DynAsyncResource: Send + Sync {
    /// [`AsyncResource::aclose`], boxed.
    ///
    /// # Cancellation
    ///
    /// As [`AsyncResource::aclose`].
    ///
    /// # Examples
    ///
    /// See [`DynAsyncResource`].
    fn dyn_aclose(&self) -> BoxFuture<'_, ()>;
}

impl<R: AsyncResource> DynAsyncResource for R {
    fn dyn_aclose(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.aclose())
    }
}

/// The dyn-compatible form of [`ByteReceiveStream`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{BoxedByteStream, ByteReceiveStream, ByteSendStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let (a, b): (BoxedByteStream, BoxedByteStream) = (Box::new(a), Box::new(b));
/// a.send_all(b"boxed").await.unwrap();
/// assert_eq!(b.receive(16).await.unwrap(), b"boxed");
/// # });
/// ```
pub trait DynByteReceiveStream: DynAsyncResource + TypedAttributeProvider {
    /// [`ByteReceiveStream::receive_into`], boxed.
    ///
    /// # Errors
    ///
    /// As [`ByteReceiveStream::receive_into`].
    ///
    /// # Cancellation
    ///
    /// As [`ByteReceiveStream::receive_into`].
    ///
    /// # Examples
    ///
    /// See [`DynByteReceiveStream`].
    fn dyn_receive_into<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> BoxFuture<'a, Result<usize, StreamError>>;
}

impl<S: ByteReceiveStream> DynByteReceiveStream for S {
    fn dyn_receive_into<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> BoxFuture<'a, Result<usize, StreamError>> {
        Box::pin(self.receive_into(buf))
    }
}

/// The dyn-compatible form of [`ByteSendStream`].
///
/// # Examples
///
/// See [`DynByteReceiveStream`].
pub trait DynByteSendStream: DynAsyncResource + TypedAttributeProvider {
    /// [`ByteSendStream::send_all`], boxed.
    ///
    /// # Errors
    ///
    /// As [`ByteSendStream::send_all`].
    ///
    /// # Cancellation
    ///
    /// As [`ByteSendStream::send_all`].
    ///
    /// # Examples
    ///
    /// See [`DynByteReceiveStream`].
    fn dyn_send_all<'a>(&'a self, data: &'a [u8]) -> BoxFuture<'a, Result<(), StreamError>>;
}

impl<S: ByteSendStream> DynByteSendStream for S {
    fn dyn_send_all<'a>(&'a self, data: &'a [u8]) -> BoxFuture<'a, Result<(), StreamError>> {
        Box::pin(self.send_all(data))
    }
}

/// The dyn-compatible form of [`ByteStream`].
///
/// # Examples
///
/// See [`DynByteReceiveStream`].
pub trait DynByteStream: DynByteReceiveStream + DynByteSendStream {
    /// [`ByteStream::send_eof`], boxed.
    ///
    /// # Errors
    ///
    /// As [`ByteStream::send_eof`].
    ///
    /// # Cancellation
    ///
    /// As [`ByteStream::send_eof`].
    ///
    /// # Examples
    ///
    /// See [`DynByteReceiveStream`].
    fn dyn_send_eof(&self) -> BoxFuture<'_, Result<(), StreamError>>;
}

impl<S: ByteStream> DynByteStream for S {
    fn dyn_send_eof(&self) -> BoxFuture<'_, Result<(), StreamError>> {
        Box::pin(self.send_eof())
    }
}

/// The dyn-compatible form of [`ObjectReceiveStream`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{BoxedObjectReceiveStream, BoxedObjectSendStream};
/// use anyio_core::streams::{UnreliableObjectReceiveStream, UnreliableObjectSendStream};
/// let (tx, rx) = anyio_core::create_memory_object_stream::<u8>(1);
/// let tx: BoxedObjectSendStream<u8> = Box::new(tx);
/// let rx: BoxedObjectReceiveStream<u8> = Box::new(rx);
/// tx.send(3).await.unwrap();
/// assert_eq!(rx.receive().await.unwrap(), 3);
/// # });
/// ```
pub trait DynObjectReceiveStream<T>: DynAsyncResource + TypedAttributeProvider {
    /// [`UnreliableObjectReceiveStream::receive`], boxed.
    ///
    /// # Errors
    ///
    /// As [`UnreliableObjectReceiveStream::receive`].
    ///
    /// # Cancellation
    ///
    /// As [`UnreliableObjectReceiveStream::receive`].
    ///
    /// # Examples
    ///
    /// See [`DynObjectReceiveStream`].
    fn dyn_receive<'a>(&'a self) -> BoxFuture<'a, Result<T, StreamError>>
    where
        T: 'a;
}

impl<T, S: ObjectReceiveStream<T>> DynObjectReceiveStream<T> for S {
    fn dyn_receive<'a>(&'a self) -> BoxFuture<'a, Result<T, StreamError>>
    where
        T: 'a,
    {
        Box::pin(self.receive())
    }
}

/// The dyn-compatible form of [`ObjectSendStream`].
///
/// # Examples
///
/// See [`DynObjectReceiveStream`].
pub trait DynObjectSendStream<T>: DynAsyncResource + TypedAttributeProvider {
    /// [`UnreliableObjectSendStream::send`], boxed.
    ///
    /// # Errors
    ///
    /// As [`UnreliableObjectSendStream::send`].
    ///
    /// # Cancellation
    ///
    /// As [`UnreliableObjectSendStream::send`].
    ///
    /// # Examples
    ///
    /// See [`DynObjectReceiveStream`].
    fn dyn_send<'a>(&'a self, item: T) -> BoxFuture<'a, Result<(), ObjectSendError<T>>>
    where
        T: 'a;
}

impl<T, S: ObjectSendStream<T>> DynObjectSendStream<T> for S {
    fn dyn_send<'a>(&'a self, item: T) -> BoxFuture<'a, Result<(), ObjectSendError<T>>>
    where
        T: 'a,
    {
        Box::pin(self.send(item))
    }
}

/// A boxed [`ByteReceiveStream`] of any type.
pub type BoxedByteReceiveStream = Box<dyn DynByteReceiveStream>;
/// A boxed [`ByteSendStream`] of any type.
pub type BoxedByteSendStream = Box<dyn DynByteSendStream>;
/// A boxed [`ByteStream`] of any type.
pub type BoxedByteStream = Box<dyn DynByteStream>;
/// A boxed [`ObjectReceiveStream`] of any type.
pub type BoxedObjectReceiveStream<T> = Box<dyn DynObjectReceiveStream<T>>;
/// A boxed [`ObjectSendStream`] of any type.
pub type BoxedObjectSendStream<T> = Box<dyn DynObjectSendStream<T>>;

impl<R: DynAsyncResource + ?Sized> AsyncResource for Box<R> {
    async fn aclose(&self) {
        (**self).dyn_aclose().await;
    }
}

impl<S: DynByteReceiveStream + ?Sized> ByteReceiveStream for Box<S> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        (**self).dyn_receive_into(buf).await
    }
}

impl<S: DynByteSendStream + ?Sized> ByteSendStream for Box<S> {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        (**self).dyn_send_all(data).await
    }
}

impl<S: DynByteStream + ?Sized> ByteStream for Box<S> {
    async fn send_eof(&self) -> Result<(), StreamError> {
        (**self).dyn_send_eof().await
    }
}

impl<T, S: DynObjectReceiveStream<T> + ?Sized> UnreliableObjectReceiveStream<T> for Box<S> {
    async fn receive(&self) -> Result<T, StreamError> {
        (**self).dyn_receive().await
    }
}

impl<T, S: DynObjectReceiveStream<T> + ?Sized> ObjectReceiveStream<T> for Box<S> {}

impl<T: Send, S: DynObjectSendStream<T> + ?Sized> UnreliableObjectSendStream<T> for Box<S> {
    async fn send(&self, item: T) -> Result<(), ObjectSendError<T>> {
        (**self).dyn_send(item).await
    }
}

impl<T: Send, S: DynObjectSendStream<T> + ?Sized> ObjectSendStream<T> for Box<S> {}
