//! [`TlsListener`]: TLS on every connection of a listener.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rustls::ServerConfig;

use super::config::TlsConfig;
use super::stream::TlsStream;
use crate::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use crate::streams::memory::{create_memory_object_stream, MemorySendStream};
use crate::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, Listener, PollByteStream, StreamError,
};
use crate::task_group::shutdown::unless_shutdown;
use crate::task_group::{shutdown_requested, task_group, TaskGroupError};

/// A [`Listener`] that performs the server side of a TLS handshake on every connection of
/// another listener (AnyIO's `TLSListener`), handing out [`TlsStream`]s.
///
/// Each handshake has a time limit ([`DEFAULT_HANDSHAKE_TIMEOUT`](Self::DEFAULT_HANDSHAKE_TIMEOUT)
/// unless [`with_handshake_timeout`](Self::with_handshake_timeout) says otherwise); a
/// connection whose handshake fails or times out is closed and skipped, never an error of the
/// listener. [`serve`](Listener::serve) runs each handshake in its connection's own task, so a
/// slow client holds up nobody; [`accept`](Listener::accept) handshakes one connection after
/// the other.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// # let (client_config, server_config) =
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, Listener};
/// use anyio_core::tls::{TlsConfig, TlsListener, TlsStream};
/// # use anyio_core::streams::{AsyncResource, StreamError};
/// # use anyio_core::streams::attributes::TypedAttributeProvider;
/// # use anyio_core::testing::MemoryByteStream;
/// # /// Hands out the connections sent to it.
/// # struct Connections(anyio_core::MemoryReceiveStream<MemoryByteStream>);
/// # impl TypedAttributeProvider for Connections {}
/// # impl AsyncResource for Connections { async fn aclose(&self) { self.0.close() } }
/// # impl Listener for Connections {
/// #     type Connection = MemoryByteStream;
/// #     async fn accept(&self) -> Result<MemoryByteStream, StreamError> {
/// #         self.0.receive().await.map_err(|_| StreamError::ClosedResource)
/// #     }
/// # }
/// # let (connect, incoming) = anyio_core::create_memory_object_stream(1);
/// # let plain_listener = Connections(incoming);
/// // `plain_listener` hands out byte streams (a TCP listener, say).
/// let listener = TlsListener::new(plain_listener, server_config);
/// # let (client, server) = anyio_core::testing::memory_stream_pair();
/// # connect.send(server).await.unwrap();
/// let client_config = TlsConfig::client(client_config, "localhost".try_into().unwrap());
/// let (client, server) = futures::join!(TlsStream::wrap(client, client_config), listener.accept());
/// let (client, server) = (client.unwrap(), server.unwrap());
/// client.send_all(b"hi").await.unwrap();
/// assert_eq!(server.receive(8).await.unwrap(), b"hi");
/// # });
/// ```
pub struct TlsListener<L> {
    listener: L,
    config: Arc<ServerConfig>,
    standard_compatible: bool,
    handshake_timeout: Duration,
}

impl<L> fmt::Debug for TlsListener<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("standard_compatible", &self.standard_compatible)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl<L> TlsListener<L> {
    /// How long a client has to complete its handshake unless
    /// [`with_handshake_timeout`](Self::with_handshake_timeout) says otherwise: 10 seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::tls::TlsListener;
    /// assert_eq!(TlsListener::<()>::DEFAULT_HANDSHAKE_TIMEOUT.as_secs(), 10);
    /// ```
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

    /// Serves TLS with `config` on the connections of `listener`, standard compatible (see
    /// [`TlsConfig`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// # let (_tx, plain_listener) = anyio_core::create_memory_object_stream::<()>(0);
    /// use anyio_core::tls::TlsListener;
    /// let listener = TlsListener::new(plain_listener, server_config);
    /// assert_eq!(listener.handshake_timeout(), TlsListener::<()>::DEFAULT_HANDSHAKE_TIMEOUT);
    /// ```
    pub fn new(listener: L, config: Arc<ServerConfig>) -> TlsListener<L> {
        TlsListener {
            listener,
            config,
            standard_compatible: true,
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// Sets the time a client has to complete its handshake.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// # let (_tx, plain_listener) = anyio_core::create_memory_object_stream::<()>(0);
    /// use anyio_core::tls::TlsListener;
    /// use std::time::Duration;
    /// let listener = TlsListener::new(plain_listener, server_config)
    ///     .with_handshake_timeout(Duration::from_secs(3));
    /// assert_eq!(listener.handshake_timeout(), Duration::from_secs(3));
    /// ```
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> TlsListener<L> {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets whether the streams are standard compatible (see [`TlsConfig`]); on by default.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// # let (_tx, plain_listener) = anyio_core::create_memory_object_stream::<()>(0);
    /// use anyio_core::tls::TlsListener;
    /// let listener = TlsListener::new(plain_listener, server_config).with_standard_compatible(false);
    /// assert!(!listener.is_standard_compatible());
    /// ```
    pub fn with_standard_compatible(mut self, standard_compatible: bool) -> TlsListener<L> {
        self.standard_compatible = standard_compatible;
        self
    }

    /// The time a client has to complete its handshake.
    ///
    /// # Examples
    ///
    /// See [`TlsListener::new`].
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Whether the streams are standard compatible (see [`TlsConfig`]).
    ///
    /// # Examples
    ///
    /// See [`TlsListener::with_standard_compatible`].
    pub fn is_standard_compatible(&self) -> bool {
        self.standard_compatible
    }

    /// The wrapped listener.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// let listener = anyio_core::tls::TlsListener::new(7, server_config);
    /// assert_eq!(*listener.listener(), 7);
    /// ```
    pub fn listener(&self) -> &L {
        &self.listener
    }

    /// The wrapped listener, giving up TLS.
    ///
    /// # Examples
    ///
    /// ```
    /// # let (_, server_config) =
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/tls_configs.rs"));
    /// let listener = anyio_core::tls::TlsListener::new(7, server_config);
    /// assert_eq!(listener.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> L {
        self.listener
    }

    fn tls_config(&self) -> TlsConfig {
        TlsConfig::server(self.config.clone()).with_standard_compatible(self.standard_compatible)
    }
}

/// The handshake of one connection, within the time limit; `None` if it failed.
async fn handshake<C>(connection: C, config: TlsConfig, timeout: Duration) -> Option<TlsStream<C>>
where
    C: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    crate::fail_after(timeout, TlsStream::wrap(connection, config))
        .await
        .ok()?
        .ok()
}

impl<L: TypedAttributeProvider> TypedAttributeProvider for TlsListener<L> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.listener.provide_attributes(request);
    }
}

impl<L: AsyncResource> AsyncResource for TlsListener<L> {
    /// Closes the wrapped listener.
    async fn aclose(&self) {
        self.listener.aclose().await;
    }
}

impl<L, C> Listener for TlsListener<L>
where
    L: Listener<Connection = C>,
    C: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
{
    type Connection = TlsStream<C>;

    /// Accepts connections until one completes its handshake in time; the others are closed
    /// and skipped.
    ///
    /// # Cancellation
    ///
    /// A dropped accept closes the connection whose handshake was in progress, if any. A
    /// cancellation from outside is never taken for a failed handshake: the enclosing scope
    /// catches it (only the listener's own handshake timeout skips a connection).
    async fn accept(&self) -> Result<TlsStream<C>, StreamError> {
        loop {
            let connection = self.listener.accept().await?;
            if let Some(stream) =
                handshake(connection, self.tls_config(), self.handshake_timeout).await
            {
                return Ok(stream);
            }
        }
    }

    /// Accepts connections; each one gets a task that performs the handshake (within the time
    /// limit, closing the connection if it fails) and then runs `handler` on the stream.
    ///
    /// On a graceful shutdown of an enclosing task group it closes the listener, lets the
    /// handshakes in progress finish and hand their streams to `handler`, waits for the
    /// handlers and returns `Ok(())`, as [`Listener::serve`] does.
    ///
    /// # Cancellation
    ///
    /// Cancelling `serve` cancels every connection's task, handshakes and handlers alike, and
    /// closes their connections; it ends once they have, and the enclosing scope catches (a
    /// cancellation is never returned as an error of `serve`).
    async fn serve<H, Fut>(&self, mut handler: H) -> Result<(), StreamError>
    where
        Self: Sized,
        H: FnMut(TlsStream<C>) -> Fut + Send,
        Fut: Future<Output = ()> + Send + 'static,
    {
        // `handler` is not `'static`, so it cannot go into the connections' tasks: a task
        // hands its stream to the serve loop, which calls `handler` and hands the future back.
        let (ready, streams) = create_memory_object_stream::<Handover<C, Fut>>(0);
        let result = task_group(|tg| async move {
            // Owns `ready`: once it returns, the connections still handshaking hold the only
            // senders left, and `dispatch` ends after the last of them handed its stream over.
            let accept_loop = async move {
                let mut shutdown = pin!(shutdown_requested());
                loop {
                    let accepting = self.listener.accept();
                    let Some(accepted) = unless_shutdown(accepting, shutdown.as_mut()).await else {
                        self.listener.aclose().await;
                        return Ok(());
                    };
                    let task = connection_task(
                        accepted?,
                        self.tls_config(),
                        self.handshake_timeout,
                        ready.clone(),
                    );
                    // The group cannot be finished while its body runs.
                    tg.start_soon(task)
                        .map_err(|_| StreamError::ClosedResource)?;
                }
            };
            let dispatch = async {
                while let Ok((stream, reply)) = streams.receive().await {
                    // Capacity 1 and one item: this cannot block.
                    let _ = reply.try_send(handler(stream));
                }
            };
            let (mut accept_loop, mut dispatch) = (pin!(accept_loop), pin!(dispatch));
            let (mut dispatching, mut accepting) = (true, true);
            poll_fn(|cx| {
                // `dispatch` ends when the channel closes: after the accept loop stopped (a
                // graceful shutdown) and every connection handed its stream over.
                if dispatching && dispatch.as_mut().poll(cx).is_ready() {
                    dispatching = false;
                }
                if accepting {
                    match accept_loop.as_mut().poll(cx) {
                        Poll::Ready(Ok(())) => accepting = false,
                        Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                        Poll::Pending => {}
                    }
                    // The loop's end may have closed the channel just now.
                    if !accepting && dispatching && dispatch.as_mut().poll(cx).is_ready() {
                        dispatching = false;
                    }
                }
                if accepting || dispatching {
                    Poll::Pending
                } else {
                    Poll::Ready(Ok(()))
                }
            })
            .await
        })
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(TaskGroupError::Failed(mut errors)) if !errors.is_empty() => {
                Err(errors.swap_remove(0))
            }
            // A group that ends without errors was cancelled, and `serve` never cancels its
            // own: the cancellation came from outside, for the enclosing scope to catch.
            Err(_) => {
                crate::checkpoint_if_cancelled().await;
                Err(StreamError::ClosedResource)
            }
        }
    }
}

/// A handshaken stream on its way to the serve loop, and where to send its handler's future.
type Handover<C, Fut> = (TlsStream<C>, MemorySendStream<Fut>);

/// The task of one connection in [`TlsListener::serve`]: the handshake, then the handler.
async fn connection_task<C, Fut>(
    connection: C,
    config: TlsConfig,
    timeout: Duration,
    ready: MemorySendStream<Handover<C, Fut>>,
) where
    C: PollByteStream + ByteReceiveStream + ByteSendStream + 'static,
    Fut: Future<Output = ()>,
{
    let Some(stream) = handshake(connection, config, timeout).await else {
        return;
    };
    let (reply, work) = create_memory_object_stream(1);
    if ready.send((stream, reply)).await.is_err() {
        return;
    }
    drop(ready);
    if let Ok(work) = work.receive().await {
        work.await;
    }
}
