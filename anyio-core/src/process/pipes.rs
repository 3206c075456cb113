//! The parent's ends of a child's standard streams.
//!
//! Every method takes `&self`, like the stream framework's traits: one task may receive while
//! another sends or closes. A second concurrent receive (or send) on one pipe fails with
//! [`PipeError::BusyResource`] instead of interleaving, and closing a pipe wakes the task
//! waiting on it with [`PipeError::Closed`].

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

use super::PipeError;
use crate::cancel::checkpoint_if_cancelled;
use crate::runtime;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, StreamError};
use crate::sync::ResourceGuard;

/// At most this many bytes are read per `receive` (a pipe's default capacity on Linux).
const MAX_CHUNK: usize = 65_536;

fn closed_error() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, PipeError::Closed)
}

/// A backend pipe that `aclose` may take away while an operation waits on it.
#[derive(Debug)]
struct PipeState<P> {
    pipe: Option<P>,
    /// The task waiting on the pipe, woken when it is closed.
    waiter: Option<Waker>,
}

#[derive(Debug)]
struct SharedPipe<P> {
    state: Mutex<PipeState<P>>,
    guard: ResourceGuard,
}

impl<P> SharedPipe<P> {
    fn new(pipe: P, action: &'static str) -> SharedPipe<P> {
        SharedPipe {
            state: Mutex::new(PipeState {
                pipe: Some(pipe),
                waiter: None,
            }),
            guard: ResourceGuard::new(action),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PipeState<P>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls `operation` on the pipe, or fails with `Closed` once it is closed.
    fn poll_with<R>(
        &self,
        cx: &mut Context<'_>,
        operation: impl FnOnce(&mut P, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<Result<R, PipeError>> {
        let mut state = self.lock();
        let Some(pipe) = state.pipe.as_mut() else {
            return Poll::Ready(Err(PipeError::Closed));
        };
        match operation(pipe, cx) {
            Poll::Ready(result) => Poll::Ready(result.map_err(PipeError::Broken)),
            Poll::Pending => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Takes the pipe out (closing it when dropped) and wakes the task waiting on it.
    fn take(&self) -> Option<P> {
        let (pipe, waiter) = {
            let mut state = self.lock();
            (state.pipe.take(), state.waiter.take())
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        pipe
    }

    fn is_closed(&self) -> bool {
        self.lock().pipe.is_none()
    }

    /// The pipe, for the `futures::io` traits (which have `&mut self`).
    fn get_mut(&mut self) -> Option<&mut P> {
        self.state
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .pipe
            .as_mut()
    }
}

/// The write end of a child's stdin.
///
/// Send bytes with [`send_all`](ProcessStdin::send_all), then [`aclose`](ProcessStdin::aclose)
/// (or drop) it so that the child sees end of input. Its methods take `&self`. It implements
/// the stream framework's [`ByteSendStream`] (with [`StreamError`]s) and
/// [`futures_io::AsyncWrite`].
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
    pub(super) fn new(pipe: runtime::ChildStdin) -> ProcessStdin {
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
    pub async fn send_all(&self, mut data: &[u8]) -> Result<(), PipeError> {
        let _sending = self.shared.guard.enter()?;
        // A cancellation point that moves no data, like every other stream's send.
        checkpoint_if_cancelled().await;
        while !data.is_empty() {
            let written = poll_fn(|cx| {
                self.shared
                    .poll_with(cx, |pipe, cx| pipe.poll_write(cx, data))
            })
            .await?;
            if written == 0 {
                return Err(PipeError::Broken(io::ErrorKind::WriteZero.into()));
            }
            data = &data[written..];
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

    /// Whether [`aclose`](ProcessStdin::aclose) was called.
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

impl AsyncWrite for ProcessStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().shared.get_mut() {
            Some(pipe) => pipe.poll_write(cx, buf),
            None => Poll::Ready(Err(closed_error())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().shared.get_mut() {
            Some(pipe) => pipe.poll_flush(cx),
            None => Poll::Ready(Err(closed_error())),
        }
    }

    /// Closes the pipe (the child reads end of input); closing twice is harmless.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let shared = &mut self.get_mut().shared;
        if let Some(pipe) = shared.get_mut() {
            let result = std::task::ready!(pipe.poll_close(cx));
            drop(shared.take());
            return Poll::Ready(result);
        }
        Poll::Ready(Ok(()))
    }
}

/// The read end of a child's stdout or stderr, shared by both public types.
#[derive(Debug)]
struct ReadPipe {
    shared: SharedPipe<runtime::ChildReader>,
}

impl ReadPipe {
    fn new(pipe: runtime::ChildReader) -> ReadPipe {
        ReadPipe {
            shared: SharedPipe::new(pipe, "reading from"),
        }
    }

    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, PipeError> {
        if buf.is_empty() {
            return Err(PipeError::InvalidMaxBytes { max_bytes: 0 });
        }
        let _receiving = self.shared.guard.enter()?;
        checkpoint_if_cancelled().await;
        let read = poll_fn(|cx| {
            self.shared
                .poll_with(cx, |pipe, cx| pipe.poll_read(cx, buf))
        })
        .await?;
        if read == 0 {
            return Err(PipeError::EndOfStream);
        }
        Ok(read)
    }

    async fn receive(&self, max_bytes: usize) -> Result<Vec<u8>, PipeError> {
        if max_bytes == 0 {
            return Err(PipeError::InvalidMaxBytes { max_bytes });
        }
        let mut buf = vec![0; max_bytes.min(MAX_CHUNK)];
        let read = self.receive_into(&mut buf).await?;
        buf.truncate(read);
        Ok(buf)
    }

    /// Everything up to end of stream (empty if already there).
    async fn receive_to_end(&self) -> Result<Vec<u8>, PipeError> {
        let mut all = Vec::new();
        loop {
            match self.receive(MAX_CHUNK).await {
                Ok(chunk) => all.extend_from_slice(&chunk),
                Err(PipeError::EndOfStream) => return Ok(all),
                Err(error) => return Err(error),
            }
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.shared.get_mut() {
            Some(pipe) => pipe.poll_read(cx, buf),
            None => Poll::Ready(Err(closed_error())),
        }
    }
}

macro_rules! read_pipe {
    ($(#[$doc:meta])* $name:ident, $stream:literal, $command:literal, $field:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            inner: ReadPipe,
        }

        impl $name {
            pub(super) fn new(pipe: runtime::ChildReader) -> $name {
                $name {
                    inner: ReadPipe::new(pipe),
                }
            }

            #[doc = concat!("Receives the next bytes the child wrote to ", $stream, ", at most `max_bytes` (and at")]
            /// most 64 KiB) at a time, waiting if none are available yet.
            ///
            /// # Errors
            ///
            /// [`PipeError::InvalidMaxBytes`] for a `max_bytes` of 0;
            /// [`PipeError::EndOfStream`] once the child closed its end and every byte was
            /// received; [`PipeError::Closed`] after (or during) [`aclose`](Self::aclose);
            /// [`PipeError::Broken`] on an I/O error; [`PipeError::BusyResource`] if another
            /// task is receiving.
            ///
            /// # Cancellation
            ///
            /// Cancel-safe: bytes are taken from the pipe only by the poll that returns them, so
            /// a dropped `receive` loses nothing. In an already-cancelled scope it takes nothing
            /// and never completes (the scope catches).
            ///
            /// # Examples
            ///
            /// ```
            /// # anyio_core::run(async {
            /// use anyio_core::process::{open_process, Command, PipeError};
            ///
            #[doc = concat!("let process = open_process(&Command::shell(\"", $command, "\")).await?;")]
            #[doc = concat!("let pipe = process.", stringify!($field), ".as_ref().unwrap();")]
            /// let mut received = Vec::new();
            /// loop {
            ///     match pipe.receive(65_536).await {
            ///         Ok(bytes) => received.extend(bytes),
            ///         Err(PipeError::EndOfStream) => break,
            ///         Err(error) => return Err(error.into()),
            ///     }
            /// }
            /// assert_eq!(received, b"hi\n");
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # }).unwrap();
            /// ```
            pub async fn receive(&self, max_bytes: usize) -> Result<Vec<u8>, PipeError> {
                self.inner.receive(max_bytes).await
            }

            /// Closes this end of the pipe: a receive in progress and later ones fail with
            /// [`PipeError::Closed`], and the child gets `SIGPIPE` or `EPIPE` if it writes
            /// more. Closing twice is harmless.
            ///
            /// # Cancellation
            ///
            /// Completes at once: the pipe is closed by the first poll.
            ///
            /// # Examples
            ///
            /// ```
            /// # anyio_core::run(async {
            /// use anyio_core::process::{open_process, Command, PipeError};
            ///
            #[doc = concat!("let process = open_process(&Command::shell(\"", $command, "\")).await?;")]
            #[doc = concat!("let pipe = process.", stringify!($field), ".as_ref().unwrap();")]
            /// pipe.aclose().await;
            /// assert!(matches!(pipe.receive(10).await, Err(PipeError::Closed)));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # }).unwrap();
            /// ```
            pub async fn aclose(&self) {
                drop(self.inner.shared.take());
            }

            /// Whether [`aclose`](Self::aclose) was called.
            ///
            /// # Examples
            ///
            /// ```
            /// # anyio_core::run(async {
            /// use anyio_core::process::{open_process, Command};
            #[doc = concat!("let process = open_process(&Command::shell(\"", $command, "\")).await.unwrap();")]
            #[doc = concat!("assert!(!process.", stringify!($field), ".as_ref().unwrap().is_closed());")]
            /// # });
            /// ```
            pub fn is_closed(&self) -> bool {
                self.inner.shared.is_closed()
            }

            pub(super) async fn receive_to_end(&self) -> Result<Vec<u8>, PipeError> {
                self.inner.receive_to_end().await
            }
        }

        impl AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().inner.poll_read(cx, buf)
            }
        }

        impl TypedAttributeProvider for $name {}

        impl AsyncResource for $name {
            async fn aclose(&self) {
                $name::aclose(self).await;
            }
        }

        impl ByteReceiveStream for $name {
            async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
                Ok(self.inner.receive_into(buf).await?)
            }
        }
    };
}

read_pipe! {
    /// The read end of a child's stdout.
    ///
    /// Receive with [`receive`](ProcessStdout::receive) (end of stream is
    /// [`PipeError::EndOfStream`]); its methods take `&self`. It also implements
    /// [`futures_io::AsyncRead`], where end of stream is a read of 0 bytes, and the stream
    /// framework's [`ByteReceiveStream`] (with [`StreamError`]s), so the stream wrappers
    /// (line framing, text decoding) work on it.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// use futures::AsyncReadExt;
    ///
    /// let mut process = open_process(Command::new("echo").arg("hello")).await?;
    /// let mut text = String::new();
    /// process.stdout.as_mut().unwrap().read_to_string(&mut text).await?;
    /// assert_eq!(text, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ProcessStdout, "stdout", "echo hi", stdout
}

read_pipe! {
    /// The read end of a child's stderr.
    ///
    /// Receive with [`receive`](ProcessStderr::receive) (end of stream is
    /// [`PipeError::EndOfStream`]); its methods take `&self`. It also implements
    /// [`futures_io::AsyncRead`], where end of stream is a read of 0 bytes, and the stream
    /// framework's [`ByteReceiveStream`] (with [`StreamError`]s), so the stream wrappers
    /// (line framing, text decoding) work on it.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// use futures::AsyncReadExt;
    ///
    /// let mut process = open_process(&Command::shell("echo oops >&2")).await?;
    /// let mut text = String::new();
    /// process.stderr.as_mut().unwrap().read_to_string(&mut text).await?;
    /// assert_eq!(text, "oops\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ProcessStderr, "stderr", "echo hi >&2", stderr
}
