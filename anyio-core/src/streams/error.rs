//! The errors of byte and object streams, following AnyIO's exception kinds.

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::sync::BusyResourceError;

/// Why a stream operation failed (AnyIO's stream exceptions as one enum).
///
/// | variant | AnyIO | meaning |
/// |---|---|---|
/// | [`BusyResource`](StreamError::BusyResource) | `BusyResourceError` | another task is already receiving (or sending) on this stream |
/// | [`ClosedResource`](StreamError::ClosedResource) | `ClosedResourceError` | *this* end was closed (by `aclose`, or `send_eof` for sending) |
/// | [`BrokenResource`](StreamError::BrokenResource) | `BrokenResourceError` | the other end is gone or the transport failed |
/// | [`EndOfStream`](StreamError::EndOfStream) | `EndOfStream` | the peer closed its sending side: no more data will come |
/// | [`IncompleteRead`](StreamError::IncompleteRead) | `IncompleteRead` | the stream ended before the requested data was complete |
/// | [`DelimiterNotFound`](StreamError::DelimiterNotFound) | `DelimiterNotFound` | no delimiter within the maximum number of bytes |
///
/// # Examples
///
/// ```
/// use anyio_core::streams::StreamError;
/// assert_eq!(StreamError::EndOfStream.to_string(), "end of stream");
/// assert!(StreamError::EndOfStream.is_end_of_stream());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// Another task is already using this side of the stream.
    #[error(transparent)]
    BusyResource(#[from] BusyResourceError),
    /// This end of the stream was closed.
    #[error("the stream was closed")]
    ClosedResource,
    /// The other end is gone or the transport failed; the cause, when there is one, is the
    /// error's `source`.
    #[error("the stream is broken")]
    BrokenResource(#[source] Option<Arc<io::Error>>),
    /// The peer closed its sending side and everything it sent was received.
    #[error("end of stream")]
    EndOfStream,
    /// The stream ended before the requested number of bytes or the delimiter arrived.
    #[error("the stream ended before the read was complete")]
    IncompleteRead,
    /// The delimiter was not found within the first `max_bytes` bytes.
    #[error("delimiter not found within the first {max_bytes} bytes")]
    DelimiterNotFound {
        /// The limit that was reached.
        max_bytes: usize,
    },
    /// A receive was asked for `max_bytes` bytes (or given a buffer of that size), which is
    /// not a positive number.
    #[error("invalid max_bytes {max_bytes}: a receive needs room for at least one byte")]
    InvalidMaxBytes {
        /// The value given.
        max_bytes: usize,
    },
    /// A text stream received bytes that are not valid UTF-8 (or the stream ended in the
    /// middle of a character).
    #[error("the stream carried invalid UTF-8 ({valid_up_to} valid bytes before the error)")]
    InvalidUtf8 {
        /// How many bytes of the undecoded data were valid before the error.
        valid_up_to: usize,
    },
}

impl StreamError {
    /// A [`BrokenResource`](StreamError::BrokenResource) error caused by `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StreamError;
    /// let error = StreamError::broken(std::io::ErrorKind::ConnectionReset.into());
    /// assert!(matches!(error, StreamError::BrokenResource(Some(_))));
    /// ```
    pub fn broken(error: io::Error) -> StreamError {
        StreamError::BrokenResource(Some(Arc::new(error)))
    }

    /// Whether this is [`StreamError::EndOfStream`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StreamError;
    /// assert!(!StreamError::ClosedResource.is_end_of_stream());
    /// ```
    pub fn is_end_of_stream(&self) -> bool {
        matches!(self, StreamError::EndOfStream)
    }
}

/// Checks a receive's `max_bytes` (Trio and AnyIO refuse zero).
pub(crate) fn check_max_bytes(max_bytes: usize) -> Result<(), StreamError> {
    if max_bytes == 0 {
        Err(StreamError::InvalidMaxBytes { max_bytes })
    } else {
        Ok(())
    }
}

impl From<io::Error> for StreamError {
    /// I/O errors become [`StreamError::BrokenResource`], except `UnexpectedEof`
    /// ([`StreamError::EndOfStream`]).
    fn from(error: io::Error) -> StreamError {
        match error.kind() {
            io::ErrorKind::UnexpectedEof => StreamError::EndOfStream,
            _ => StreamError::broken(error),
        }
    }
}

impl From<StreamError> for io::Error {
    fn from(error: StreamError) -> io::Error {
        let kind = match &error {
            StreamError::BusyResource(_) => io::ErrorKind::ResourceBusy,
            StreamError::ClosedResource => io::ErrorKind::NotConnected,
            StreamError::BrokenResource(Some(source)) => source.kind(),
            StreamError::BrokenResource(None) => io::ErrorKind::BrokenPipe,
            StreamError::EndOfStream | StreamError::IncompleteRead => io::ErrorKind::UnexpectedEof,
            StreamError::DelimiterNotFound { .. }
            | StreamError::InvalidMaxBytes { .. }
            | StreamError::InvalidUtf8 { .. } => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// Why an object send failed: the [`StreamError`] and the item, which comes back.
///
/// Its `Debug` form does not require `T: Debug`.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::{ObjectSendError, StreamError};
/// let error = ObjectSendError::new(StreamError::ClosedResource, "item");
/// assert!(matches!(error.error(), StreamError::ClosedResource));
/// assert_eq!(error.into_inner(), "item");
/// ```
#[derive(Clone)]
pub struct ObjectSendError<T> {
    error: StreamError,
    item: T,
}

impl<T> ObjectSendError<T> {
    /// A failed send of `item`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::{ObjectSendError, StreamError};
    /// let error = ObjectSendError::new(StreamError::BrokenResource(None), 1);
    /// assert_eq!(error.to_string(), "the stream is broken");
    /// ```
    pub fn new(error: StreamError, item: T) -> ObjectSendError<T> {
        ObjectSendError { error, item }
    }

    /// Why the send failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::{ObjectSendError, StreamError};
    /// let error = ObjectSendError::new(StreamError::ClosedResource, ());
    /// assert!(matches!(error.error(), StreamError::ClosedResource));
    /// ```
    pub fn error(&self) -> &StreamError {
        &self.error
    }

    /// The item that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::{ObjectSendError, StreamError};
    /// assert_eq!(ObjectSendError::new(StreamError::ClosedResource, 5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.item
    }

    /// Both parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::{ObjectSendError, StreamError};
    /// let (error, item) = ObjectSendError::new(StreamError::ClosedResource, 5).into_parts();
    /// assert_eq!(item, 5);
    /// ```
    pub fn into_parts(self) -> (StreamError, T) {
        (self.error, self.item)
    }

    /// Drops the item, keeping the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::{ObjectSendError, StreamError};
    /// let error = ObjectSendError::new(StreamError::ClosedResource, 5).into_error();
    /// assert!(matches!(error, StreamError::ClosedResource));
    /// ```
    pub fn into_error(self) -> StreamError {
        self.error
    }
}

impl<T> fmt::Debug for ObjectSendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectSendError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for ObjectSendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<T> std::error::Error for ObjectSendError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<T> From<ObjectSendError<T>> for StreamError {
    fn from(error: ObjectSendError<T>) -> StreamError {
        error.error
    }
}
