//! Two one-way streams stapled into a two-way stream.

use std::future::Future;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use crate::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use crate::streams::error::{ObjectSendError, StreamError};
use crate::streams::traits::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, ObjectStream, PollByteReceive, PollByteSend, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};

/// A [`ByteStream`] made of a [`ByteSendStream`] and a [`ByteReceiveStream`] (AnyIO's
/// `StapledByteStream`, Trio's `StapledStream`).
///
/// [`send_eof`](ByteStream::send_eof) closes the send stream; [`aclose`](AsyncResource::aclose)
/// closes both. Typed attributes come from the send stream first, then the receive stream.
///
/// When the halves have poll cores, so does the stapled stream ([`PollByteReceive`] from the
/// receive stream, [`PollByteSend`] from the send stream), and with them the I/O traits:
/// `futures_io::AsyncRead`, `tokio::io::AsyncRead` (feature `tokio-io`) and
/// `hyper::rt::Read` (feature `hyper`) over the receive stream, and the matching writing
/// traits over the send stream, for the stream and for a shared reference to it. A child's
/// stdout and stdin stapled together make one two-way stream.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, ByteSendStream, StapledByteStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let (c, d) = anyio_core::testing::memory_stream_pair();
/// // Send through `a` to `b`, receive from `d` what `c` sent.
/// let stapled = StapledByteStream::new(a, d);
/// stapled.send_all(b"out").await.unwrap();
/// assert_eq!(b.receive(8).await.unwrap(), b"out");
/// c.send_all(b"in").await.unwrap();
/// assert_eq!(stapled.receive(8).await.unwrap(), b"in");
/// # });
/// ```
#[derive(Debug)]
pub struct StapledByteStream<S, R> {
    send_stream: S,
    receive_stream: R,
}

impl<S, R> StapledByteStream<S, R> {
    /// Staples `send_stream` and `receive_stream` together.
    ///
    /// # Examples
    ///
    /// See [`StapledByteStream`].
    pub fn new(send_stream: S, receive_stream: R) -> Self {
        StapledByteStream {
            send_stream,
            receive_stream,
        }
    }

    /// The send stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StapledByteStream;
    /// let stapled = StapledByteStream::new(1, 2);
    /// assert_eq!(*stapled.send_stream(), 1);
    /// ```
    pub fn send_stream(&self) -> &S {
        &self.send_stream
    }

    /// The receive stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StapledByteStream;
    /// assert_eq!(*StapledByteStream::new(1, 2).receive_stream(), 2);
    /// ```
    pub fn receive_stream(&self) -> &R {
        &self.receive_stream
    }

    /// The two streams.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StapledByteStream;
    /// assert_eq!(StapledByteStream::new(1, 2).into_inner(), (1, 2));
    /// ```
    pub fn into_inner(self) -> (S, R) {
        (self.send_stream, self.receive_stream)
    }
}

impl<S: TypedAttributeProvider, R: TypedAttributeProvider> TypedAttributeProvider
    for StapledByteStream<S, R>
{
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.send_stream.provide_attributes(request);
        self.receive_stream.provide_attributes(request);
    }
}

impl<S: AsyncResource, R: AsyncResource> AsyncResource for StapledByteStream<S, R> {
    async fn aclose(&self) {
        close_both(&self.send_stream, &self.receive_stream).await;
    }
}

/// Closes both streams; each is closed at its first poll, so both are closed at the first poll
/// of the pair (the graceful parts run one after the other).
async fn close_both(a: &impl AsyncResource, b: &impl AsyncResource) {
    let mut first = std::pin::pin!(a.aclose());
    let mut second = std::pin::pin!(b.aclose());
    let (mut first_done, mut second_done) = (false, false);
    std::future::poll_fn(|cx| {
        if !first_done {
            first_done = first.as_mut().poll(cx).is_ready();
        }
        if !second_done {
            second_done = second.as_mut().poll(cx).is_ready();
        }
        if first_done && second_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

impl<S: ByteSendStream, R: ByteReceiveStream> ByteReceiveStream for StapledByteStream<S, R> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.receive_stream.receive_into(buf).await
    }

    async fn receive(&self, max_bytes: usize) -> Result<Vec<u8>, StreamError> {
        self.receive_stream.receive(max_bytes).await
    }
}

impl<S: ByteSendStream, R: ByteReceiveStream> ByteSendStream for StapledByteStream<S, R> {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.send_stream.send_all(data).await
    }
}

impl<S: ByteSendStream, R: ByteReceiveStream> ByteStream for StapledByteStream<S, R> {
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.send_stream.aclose().await;
        Ok(())
    }
}

/// The receive stream's poll core.
impl<S, R: PollByteReceive> PollByteReceive for StapledByteStream<S, R> {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        self.receive_stream.poll_receive_into(cx, buf)
    }
}

/// The send stream's poll core; ending the sending ends the send stream's
/// ([`poll_send_eof`](PollByteSend::poll_send_eof)), which for a one-way stream such as a
/// child's stdin closes it, as [`send_eof`](ByteStream::send_eof) does.
impl<S: PollByteSend, R> PollByteSend for StapledByteStream<S, R> {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.send_stream.poll_send(cx, data)
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.send_stream.poll_flush(cx)
    }

    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        self.send_stream.poll_send_eof(cx)
    }
}

crate::streams::io::impl_read_traits!([S, R: PollByteReceive] StapledByteStream<S, R>);
crate::streams::io::impl_write_traits!([S: PollByteSend, R] StapledByteStream<S, R>);

/// An [`ObjectStream`] made of an [`ObjectSendStream`] and an [`ObjectReceiveStream`]
/// (AnyIO's `StapledObjectStream`).
///
/// [`send_eof`](ObjectStream::send_eof) closes the send stream; [`aclose`](AsyncResource::aclose)
/// closes both.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::create_memory_object_stream;
/// use anyio_core::streams::{StapledObjectStream, UnreliableObjectReceiveStream, UnreliableObjectSendStream};
/// let (tx, rx) = create_memory_object_stream::<&str>(1);
/// let looped = StapledObjectStream::new(tx, rx);
/// looped.send("echo").await.unwrap();
/// assert_eq!(looped.receive().await.unwrap(), "echo");
/// # });
/// ```
pub struct StapledObjectStream<S, R, T> {
    send_stream: S,
    receive_stream: R,
    item: PhantomData<fn(T) -> T>,
}

impl<S: std::fmt::Debug, R: std::fmt::Debug, T> std::fmt::Debug for StapledObjectStream<S, R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StapledObjectStream")
            .field("send_stream", &self.send_stream)
            .field("receive_stream", &self.receive_stream)
            .finish()
    }
}

impl<S, R, T> StapledObjectStream<S, R, T> {
    /// Staples `send_stream` and `receive_stream` together.
    ///
    /// # Examples
    ///
    /// See [`StapledObjectStream`].
    pub fn new(send_stream: S, receive_stream: R) -> Self {
        StapledObjectStream {
            send_stream,
            receive_stream,
            item: PhantomData,
        }
    }

    /// The send stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = anyio_core::create_memory_object_stream::<u8>(1);
    /// let stapled = anyio_core::streams::StapledObjectStream::<_, _, u8>::new(tx, rx);
    /// assert!(!stapled.send_stream().is_closed());
    /// ```
    pub fn send_stream(&self) -> &S {
        &self.send_stream
    }

    /// The receive stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = anyio_core::create_memory_object_stream::<u8>(1);
    /// let stapled = anyio_core::streams::StapledObjectStream::<_, _, u8>::new(tx, rx);
    /// assert!(!stapled.receive_stream().is_closed());
    /// ```
    pub fn receive_stream(&self) -> &R {
        &self.receive_stream
    }

    /// The two streams.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = anyio_core::create_memory_object_stream::<u8>(1);
    /// let (tx, rx) = anyio_core::streams::StapledObjectStream::<_, _, u8>::new(tx, rx).into_inner();
    /// ```
    pub fn into_inner(self) -> (S, R) {
        (self.send_stream, self.receive_stream)
    }
}

impl<S: TypedAttributeProvider, R: TypedAttributeProvider, T> TypedAttributeProvider
    for StapledObjectStream<S, R, T>
{
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.send_stream.provide_attributes(request);
        self.receive_stream.provide_attributes(request);
    }
}

impl<S: AsyncResource, R: AsyncResource, T> AsyncResource for StapledObjectStream<S, R, T> {
    async fn aclose(&self) {
        close_both(&self.send_stream, &self.receive_stream).await;
    }
}

impl<S, R, T> UnreliableObjectReceiveStream<T> for StapledObjectStream<S, R, T>
where
    S: UnreliableObjectSendStream<T>,
    R: UnreliableObjectReceiveStream<T>,
{
    async fn receive(&self) -> Result<T, StreamError> {
        self.receive_stream.receive().await
    }
}

impl<S, R, T> UnreliableObjectSendStream<T> for StapledObjectStream<S, R, T>
where
    T: Send,
    S: UnreliableObjectSendStream<T>,
    R: UnreliableObjectReceiveStream<T>,
{
    async fn send(&self, item: T) -> Result<(), ObjectSendError<T>> {
        self.send_stream.send(item).await
    }
}

impl<S: ObjectSendStream<T>, R: ObjectReceiveStream<T>, T> ObjectReceiveStream<T>
    for StapledObjectStream<S, R, T>
{
}

impl<S: ObjectSendStream<T>, R: ObjectReceiveStream<T>, T: Send> ObjectSendStream<T>
    for StapledObjectStream<S, R, T>
{
}

impl<S: ObjectSendStream<T>, R: ObjectReceiveStream<T>, T: Send> ObjectStream<T>
    for StapledObjectStream<S, R, T>
{
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.send_stream.aclose().await;
        Ok(())
    }
}
