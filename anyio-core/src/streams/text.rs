//! Text (UTF-8) streams over byte streams.

use std::sync::{Mutex, PoisonError};

use crate::streams::attributes::{AttributeRequest, TypedAttributeProvider};
use crate::streams::error::{ObjectSendError, StreamError};
use crate::streams::traits::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, ObjectStream, UnreliableObjectReceiveStream, UnreliableObjectSendStream,
    DEFAULT_MAX_BYTES,
};
use crate::sync::ResourceGuard;

/// Decodes a [`ByteReceiveStream`] as UTF-8 text (AnyIO's `TextReceiveStream`, UTF-8 only).
///
/// Decoding is incremental: a character split across chunks is decoded once its last byte
/// arrives. Each receive returns a non-empty string.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteSendStream, TextReceiveStream, UnreliableObjectReceiveStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let text = TextReceiveStream::new(b);
/// let snowman = "☃".as_bytes();
/// a.send_all(&snowman[..1]).await.unwrap(); // half a character...
/// a.send_all(&snowman[1..]).await.unwrap(); // ...and the rest
/// assert_eq!(text.receive().await.unwrap(), "☃");
/// # });
/// ```
#[derive(Debug)]
pub struct TextReceiveStream<R> {
    inner: R,
    /// The start of a character whose remaining bytes have not arrived yet (at most 3 bytes).
    pending: Mutex<Vec<u8>>,
    receiving: ResourceGuard,
}

impl<R> TextReceiveStream<R> {
    /// Decodes `inner` as UTF-8.
    ///
    /// # Examples
    ///
    /// See [`TextReceiveStream`].
    pub fn new(inner: R) -> Self {
        TextReceiveStream {
            inner,
            pending: Mutex::new(Vec::new()),
            receiving: ResourceGuard::new("receiving from"),
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_a, b) = anyio_core::testing::memory_stream_pair();
    /// let text = anyio_core::streams::TextReceiveStream::new(b);
    /// let _bytes = text.get_ref();
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: ByteReceiveStream> TextReceiveStream<R> {
    async fn receive_text(&self) -> Result<String, StreamError> {
        let _receiving = self.receiving.enter()?;
        let mut chunk = vec![0; DEFAULT_MAX_BYTES];
        loop {
            let n = match self.inner.receive_into(&mut chunk).await {
                Ok(n) => n,
                Err(StreamError::EndOfStream) => {
                    let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                    if pending.is_empty() {
                        return Err(StreamError::EndOfStream);
                    }
                    return Err(StreamError::InvalidUtf8 { valid_up_to: 0 });
                }
                Err(error) => return Err(error),
            };
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let mut bytes = std::mem::take(&mut *pending);
            bytes.extend_from_slice(&chunk[..n]);
            match String::from_utf8(bytes) {
                Ok(text) => return Ok(text),
                Err(error) => {
                    let utf8 = error.utf8_error();
                    if utf8.error_len().is_some() {
                        return Err(StreamError::InvalidUtf8 {
                            valid_up_to: utf8.valid_up_to(),
                        });
                    }
                    // The data ends inside a character: keep its start for the next chunk.
                    let mut bytes = error.into_bytes();
                    *pending = bytes.split_off(utf8.valid_up_to());
                    if !bytes.is_empty() {
                        return Ok(String::from_utf8(bytes).expect("checked valid prefix"));
                    }
                }
            }
        }
    }
}

impl<R: TypedAttributeProvider> TypedAttributeProvider for TextReceiveStream<R> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.inner.provide_attributes(request);
    }
}

impl<R: AsyncResource> AsyncResource for TextReceiveStream<R> {
    async fn aclose(&self) {
        self.inner.aclose().await;
    }
}

impl<R: ByteReceiveStream> UnreliableObjectReceiveStream<String> for TextReceiveStream<R> {
    /// Receives the next piece of text (never empty).
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidUtf8`] for bytes that are not UTF-8 (or a stream that ends in
    /// the middle of a character); otherwise the inner stream's errors.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: the start of a split character stays for the next receive.
    async fn receive(&self) -> Result<String, StreamError> {
        self.receive_text().await
    }
}

impl<R: ByteReceiveStream> ObjectReceiveStream<String> for TextReceiveStream<R> {}

/// Encodes text as UTF-8 onto a [`ByteSendStream`] (AnyIO's `TextSendStream`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{ByteReceiveStream, TextSendStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let text = TextSendStream::new(a);
/// text.send_str("héllo").await.unwrap();
/// assert_eq!(b.receive(64).await.unwrap(), "héllo".as_bytes());
/// # });
/// ```
#[derive(Debug)]
pub struct TextSendStream<S> {
    inner: S,
}

impl<S> TextSendStream<S> {
    /// Encodes text onto `inner`.
    ///
    /// # Examples
    ///
    /// See [`TextSendStream`].
    pub fn new(inner: S) -> Self {
        TextSendStream { inner }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = anyio_core::testing::memory_stream_pair();
    /// let _bytes = anyio_core::streams::TextSendStream::new(a).get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: ByteSendStream> TextSendStream<S> {
    /// Sends `text`.
    ///
    /// # Errors
    ///
    /// The inner stream's errors.
    ///
    /// # Cancellation
    ///
    /// As [`ByteSendStream::send_all`].
    ///
    /// # Examples
    ///
    /// See [`TextSendStream`].
    pub async fn send_str(&self, text: &str) -> Result<(), StreamError> {
        self.inner.send_all(text.as_bytes()).await
    }
}

impl<S: TypedAttributeProvider> TypedAttributeProvider for TextSendStream<S> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.inner.provide_attributes(request);
    }
}

impl<S: AsyncResource> AsyncResource for TextSendStream<S> {
    async fn aclose(&self) {
        self.inner.aclose().await;
    }
}

impl<S: ByteSendStream> UnreliableObjectSendStream<String> for TextSendStream<S> {
    async fn send(&self, item: String) -> Result<(), ObjectSendError<String>> {
        match self.inner.send_all(item.as_bytes()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(ObjectSendError::new(error, item)),
        }
    }
}

impl<S: ByteSendStream> ObjectSendStream<String> for TextSendStream<S> {}

/// A two-way text stream over a [`ByteStream`] (AnyIO's `TextStream`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{TextStream, UnreliableObjectReceiveStream};
/// let (a, b) = anyio_core::testing::memory_stream_pair();
/// let (a, b) = (TextStream::new(a), TextStream::new(b));
/// a.send_str("ping").await.unwrap();
/// assert_eq!(b.receive().await.unwrap(), "ping");
/// # });
/// ```
#[derive(Debug)]
pub struct TextStream<S> {
    receiver: TextReceiveStream<S>,
}

impl<S> TextStream<S> {
    /// Text over `inner`.
    ///
    /// # Examples
    ///
    /// See [`TextStream`].
    pub fn new(inner: S) -> Self {
        TextStream {
            receiver: TextReceiveStream::new(inner),
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = anyio_core::testing::memory_stream_pair();
    /// let _bytes = anyio_core::streams::TextStream::new(a).get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.receiver.inner
    }
}

impl<S: ByteStream> TextStream<S> {
    /// Sends `text`.
    ///
    /// # Errors
    ///
    /// The inner stream's errors.
    ///
    /// # Cancellation
    ///
    /// As [`ByteSendStream::send_all`].
    ///
    /// # Examples
    ///
    /// See [`TextStream`].
    pub async fn send_str(&self, text: &str) -> Result<(), StreamError> {
        self.receiver.inner.send_all(text.as_bytes()).await
    }
}

impl<S: TypedAttributeProvider> TypedAttributeProvider for TextStream<S> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.receiver.provide_attributes(request);
    }
}

impl<S: AsyncResource> AsyncResource for TextStream<S> {
    async fn aclose(&self) {
        self.receiver.aclose().await;
    }
}

impl<S: ByteStream> UnreliableObjectReceiveStream<String> for TextStream<S> {
    async fn receive(&self) -> Result<String, StreamError> {
        self.receiver.receive_text().await
    }
}

impl<S: ByteStream> ObjectReceiveStream<String> for TextStream<S> {}

impl<S: ByteStream> UnreliableObjectSendStream<String> for TextStream<S> {
    async fn send(&self, item: String) -> Result<(), ObjectSendError<String>> {
        match self.receiver.inner.send_all(item.as_bytes()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(ObjectSendError::new(error, item)),
        }
    }
}

impl<S: ByteStream> ObjectSendStream<String> for TextStream<S> {}

impl<S: ByteStream> ObjectStream<String> for TextStream<S> {
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.receiver.inner.send_eof().await
    }
}
