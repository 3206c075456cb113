//! The dyn-compatible form of [`Listener`], and a listener whose connections are boxed.

use std::fmt;

use super::boxed::{BoxFuture, BoxedByteStream, DynAsyncResource};
use super::{AsyncResource, ByteStream, Listener};
use crate::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use crate::streams::error::StreamError;

/// The dyn-compatible form of [`Listener`], for listeners of different types behind one
/// `Box<dyn DynListener<C>>` ([`BoxedListener`]).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{boxed_byte_stream_listener, AsyncResource, BoxedListener, Listener};
/// let tcp = anyio_core::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let address = tcp.local_addrs()[0];
/// // Any listener of byte streams, TCP here, Unix or TLS elsewhere.
/// let listener: BoxedListener = Box::new(boxed_byte_stream_listener(tcp));
/// let _client = anyio_core::net::TcpStream::connect(address).await.unwrap();
/// let _connection = listener.accept().await.unwrap();
/// listener.aclose().await;
/// # });
/// ```
pub trait DynListener<C>: DynAsyncResource + TypedAttributeProvider {
    /// [`Listener::accept`], boxed.
    ///
    /// # Errors
    ///
    /// As [`Listener::accept`].
    ///
    /// # Cancellation
    ///
    /// As [`Listener::accept`].
    ///
    /// # Examples
    ///
    /// See [`DynListener`].
    fn dyn_accept(&self) -> BoxFuture<'_, Result<C, StreamError>>;
}

impl<L: Listener> DynListener<L::Connection> for L {
    fn dyn_accept(&self) -> BoxFuture<'_, Result<L::Connection, StreamError>> {
        Box::pin(self.accept())
    }
}

/// A boxed [`Listener`] of any type; by default, one handing out [`BoxedByteStream`]s.
pub type BoxedListener<C = BoxedByteStream> = Box<dyn DynListener<C>>;

impl<C: Send + 'static> Listener for Box<dyn DynListener<C>> {
    type Connection = C;

    async fn accept(&self) -> Result<C, StreamError> {
        (**self).dyn_accept().await
    }
}

/// A listener whose connections are boxed into [`BoxedByteStream`]s: see
/// [`boxed_byte_stream_listener`].
pub struct BoxConnections<L>(L);

impl<L> fmt::Debug for BoxConnections<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxConnections").finish_non_exhaustive()
    }
}

/// Wraps `listener` so that it hands out [`BoxedByteStream`]s, to put listeners of different
/// kinds (TCP, Unix, TLS) behind one [`BoxedListener`].
///
/// # Examples
///
/// See [`DynListener`].
pub fn boxed_byte_stream_listener<L>(listener: L) -> BoxConnections<L>
where
    L: Listener,
    L::Connection: ByteStream,
{
    BoxConnections(listener)
}

impl<L: TypedAttributeProvider> TypedAttributeProvider for BoxConnections<L> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.0.provide_attributes(request);
    }
}

impl<L: AsyncResource> AsyncResource for BoxConnections<L> {
    async fn aclose(&self) {
        self.0.aclose().await;
    }
}

impl<L> Listener for BoxConnections<L>
where
    L: Listener,
    L::Connection: ByteStream,
{
    type Connection = BoxedByteStream;

    async fn accept(&self) -> Result<BoxedByteStream, StreamError> {
        let connection = self.0.accept().await?;
        Ok(Box::new(connection))
    }
}
