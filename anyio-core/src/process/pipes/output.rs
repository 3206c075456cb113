//! The read ends of a child's stdout and stderr.

use std::future::poll_fn;
use std::task::{ready, Context, Poll};

use super::SharedPipe;
use crate::process::PipeError;
use crate::runtime;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::{AsyncResource, ByteReceiveStream, PollByteReceive, StreamError};
use crate::sync::waiters::poll_cancel_point;

/// At most this many bytes are read per `receive` (a pipe's default capacity on Linux).
const MAX_CHUNK: usize = 65_536;

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

    /// The poll core: a cancellation point, then one read when the pipe is readable.
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, PipeError>> {
        if buf.is_empty() {
            return Poll::Ready(Err(PipeError::InvalidMaxBytes { max_bytes: 0 }));
        }
        ready!(poll_cancel_point(cx));
        match ready!(self
            .shared
            .poll_with(cx, |pipe, cx| pipe.poll_read(cx, buf)))
        {
            Ok(0) => Poll::Ready(Err(PipeError::EndOfStream)),
            result => Poll::Ready(result),
        }
    }

    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, PipeError> {
        if buf.is_empty() {
            return Err(PipeError::InvalidMaxBytes { max_bytes: 0 });
        }
        let _receiving = self.shared.guard.enter()?;
        poll_fn(|cx| self.poll_receive_into(cx, buf)).await
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
}

macro_rules! read_pipe {
    ($(#[$doc:meta])* $name:ident, $stream:literal, $command:literal, $field:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            inner: ReadPipe,
        }

        impl $name {
            pub(in crate::process) fn new(pipe: runtime::ChildReader) -> $name {
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

            pub(in crate::process) async fn receive_to_end(&self) -> Result<Vec<u8>, PipeError> {
                self.inner.receive_to_end().await
            }
        }

        impl PollByteReceive for $name {
            fn poll_receive_into(
                &self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<Result<usize, StreamError>> {
                self.inner.poll_receive_into(cx, buf).map_err(StreamError::from)
            }
        }

        crate::streams::io::impl_read_traits!([] $name);

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
    /// [`PipeError::EndOfStream`]); its methods take `&self`. It also implements the stream
    /// framework's [`ByteReceiveStream`] (with [`StreamError`]s), so the stream wrappers
    /// (line framing, text decoding) work on it, its poll core [`PollByteReceive`], and the
    /// reading traits `futures_io::AsyncRead`, `tokio::io::AsyncRead` (feature `tokio-io`)
    /// and `hyper::rt::Read` (feature `hyper`), for the pipe and for a shared reference to
    /// it, where end of stream is a read of 0 bytes.
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
    /// [`PipeError::EndOfStream`]); its methods take `&self`. It also implements the stream
    /// framework's [`ByteReceiveStream`] (with [`StreamError`]s), so the stream wrappers
    /// (line framing, text decoding) work on it, its poll core [`PollByteReceive`], and the
    /// reading traits `futures_io::AsyncRead`, `tokio::io::AsyncRead` (feature `tokio-io`)
    /// and `hyper::rt::Read` (feature `hyper`), for the pipe and for a shared reference to
    /// it, where end of stream is a read of 0 bytes.
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
