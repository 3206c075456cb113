use std::future::Future;
use std::sync::Arc;

/// A resource closed asynchronously (AnyIO's `AsyncResource.aclose`): every stream and
/// listener.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::AsyncResource;
/// let (tx, _rx) = anyio_core::create_memory_object_stream::<u8>(0);
/// tx.aclose().await;
/// assert!(tx.is_closed());
/// # });
/// ```
pub trait AsyncResource: Send + Sync {
    /// Closes the resource: later operations on it fail with
    /// [`StreamError::ClosedResource`](crate::streams::StreamError::ClosedResource), and
    /// operations blocked on it wake up with that error. Closing twice does nothing. A
    /// graceful part of the close (such as a TLS `close_notify`) is best effort: its failure
    /// is not reported, the resource is closed anyway.
    ///
    /// # Cancellation
    ///
    /// The resource is closed at the first poll, so a close cancelled (or called inside a
    /// cancelled scope) still closes it, skipping only the graceful part.
    ///
    /// # Examples
    ///
    /// See [`AsyncResource`].
    fn aclose(&self) -> impl Future<Output = ()> + Send;
}

impl<R: AsyncResource + ?Sized> AsyncResource for Arc<R> {
    async fn aclose(&self) {
        (**self).aclose().await;
    }
}

impl<R: AsyncResource + ?Sized> AsyncResource for &R {
    async fn aclose(&self) {
        (**self).aclose().await;
    }
}
