//! The write end of a child's stdin.

use std::future::poll_fn;
use std::io;
use std::task::{ready, Context, Poll};

use super::SharedPipe;
use crate::process::PipeError;
use crate::runtime;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::{AsyncResource, ByteSendStream, PollByteSend, StreamError};
use crate::sync::waiters::poll_cancel_point;

/// The write end of a child's stdin.
///
/// Send bytes with [`send_all`](ProcessStdin::send_all), then [`aclose`](ProcessStdin::aclose)
/// (or drop) it so that the child sees end of input. Its methods take `&self`. It implements
/// the stream framework's [`ByteSendStream`] (with [`StreamError`]s), its poll core
/// [`PollByteSend`] (where ending the sending closes the pipe), and the writing traits
/// `futures_io::AsyncWrite`, `tokio::io::AsyncWrite` (feature `tokio-io`) and
/// `hyper::rt::Write` (feature `hyper`), for the pipe and for `&ProcessStdin`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{open_process, Command};
///
/// let mut cat = open_process(&Command::new("cat")).await?;
/// let stdin = cat.stdin.take().unwrap();
/// stdin.send_all(b"ping").await?;
/// stdin.aclose().await; // cat sees end of input and exits
/// let stdout = cat.stdout.as_ref().unwrap();
/// assert_eq!(stdout.receive(1024).await?, b"ping");
/// assert!(cat.wait().await?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ProcessStdin {
    shared: SharedPipe<runtime::ChildStdin>,
}

impl ProcessStdin {
    pub(in crate::process) fn new(pipe: runtime::ChildStdin) -> ProcessStdin {
        ProcessStdin {
            shared: SharedPipe::new(pipe, "writing to"),
        }
    }

    /// Writes all of `data` to the child.
    ///
    /// # Errors
    ///
    /// [`PipeError::Closed`] after (or during) [`aclose`](ProcessStdin::aclose);
    /// [`PipeError::Broken`] when the child closed its end (it exited, or closed its stdin)
    /// or another I/O error; [`PipeError::BusyResource`] if another task is sending.
    ///
    /// # Cancellation
    ///
    /// In an already-cancelled scope it writes nothing and never completes (the scope
    /// catches). Dropping it part-way may leave a prefix of `data` written: the child has
    /// received an unknown number of leading bytes. Nothing is written twice.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command, PipeError};
    ///
    /// // `true` exits without reading: writing then fails with a broken pipe.
    /// let process = open_process(&Command::new("true")).await?;
    /// process.wait().await?;
    /// let stdin = process.stdin.as_ref().unwrap();
    /// assert!(matches!(stdin.send_all(b"x").await, Err(PipeError::Broken(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn send_all(&self, data: &[u8]) -> Result<(), PipeError> {
        let _sending = self.shared.guard.enter()?;
        // A cancellation point even for empty data, like every other stream's send.
        poll_fn(poll_cancel_point).await;
        let mut rest = data;
        while !rest.is_empty() {
            let written = poll_fn(|cx| self.poll_write_pipe(cx, rest)).await?;
            rest = &rest[written..];
        }
        poll_fn(|cx| self.shared.poll_with(cx, |pipe, cx| pipe.poll_flush(cx))).await
    }

    /// Closes the pipe: the child reads end of input, and a `send_all` in progress fails with
    /// [`PipeError::Closed`]. Closing twice is harmless.
    ///
    /// # Cancellation
    ///
    /// The pipe is closed by the first poll, whether or not the call completes.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command, PipeError};
    /// let cat = open_process(&Command::new("cat")).await?;
    /// let stdin = cat.stdin.as_ref().unwrap();
    /// stdin.aclose().await;
    /// assert!(stdin.is_closed());
    /// assert!(matches!(stdin.send_all(b"late").await, Err(PipeError::Closed)));
    /// assert!(cat.wait().await?.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn aclose(&self) {
        if let Some(mut pipe) = self.shared.take() {
            // Pipes have nothing to flush; the close itself is the drop.
            let _ = poll_fn(|cx| pipe.poll_close(cx)).await;
        }
    }

    /// Whether [`aclose`](ProcessStdin::aclose) was called (or the sending was ended through
    /// [`PollByteSend::poll_send_eof`] or an I/O trait's close).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let cat = open_process(&Command::new("cat")).await.unwrap();
    /// assert!(!cat.stdin.as_ref().unwrap().is_closed());
    /// # });
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// One write: a cancellation point, then the backend's write when the pipe is writable.
    fn poll_write_pipe(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, PipeError>> {
        ready!(poll_cancel_point(cx));
        if data.is_empty() {
            return Poll::Ready(if self.is_closed() {
                Err(PipeError::Closed)
            } else {
                Ok(0)
            });
        }
        let written = ready!(self
            .shared
            .poll_with(cx, |pipe, cx| pipe.poll_write(cx, data)))?;
        if written == 0 {
            return Poll::Ready(Err(PipeError::Broken(io::ErrorKind::WriteZero.into())));
        }
        Poll::Ready(Ok(written))
    }
}

impl TypedAttributeProvider for ProcessStdin {}

impl AsyncResource for ProcessStdin {
    async fn aclose(&self) {
        ProcessStdin::aclose(self).await;
    }
}

impl ByteSendStream for ProcessStdin {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        Ok(ProcessStdin::send_all(self, data).await?)
    }
}

impl PollByteSend for ProcessStdin {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        self.poll_write_pipe(cx, data).map_err(StreamError::from)
    }

    /// Flushes the pipe; a closed pipe has nothing left to flush, so closing twice through an
    /// I/O trait (flush, then end) is harmless.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        match ready!(self.shared.poll_with(cx, |pipe, cx| pipe.poll_flush(cx))) {
            Err(PipeError::Closed) => Poll::Ready(Ok(())),
            result => Poll::Ready(result.map_err(StreamError::from)),
        }
    }

    /// Closes the pipe (the child reads end of input) once the backend's close completes;
    /// a `Pending` leaves it open. Ending an already closed pipe is not an error.
    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        let closed = ready!(self.shared.poll_with(cx, |pipe, cx| pipe.poll_close(cx)));
        drop(self.shared.take());
        match closed {
            Err(PipeError::Closed) => Poll::Ready(Ok(())),
            result => Poll::Ready(result.map_err(StreamError::from)),
        }
    }
}

crate::streams::io::impl_write_traits!([] ProcessStdin);
