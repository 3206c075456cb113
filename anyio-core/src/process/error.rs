use std::io;

use super::CompletedProcess;
use crate::signal::Signal;
use crate::sync::BusyResourceError;

/// Why running or talking to a child process failed.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{run_process, Command, ProcessError};
///
/// let error = run_process(&Command::new("no-such-program-anywhere")).await.unwrap_err();
/// assert!(matches!(error, ProcessError::NotFound { .. }));
/// assert_eq!(error.to_string(), "command not found: no-such-program-anywhere");
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The program does not exist (not in `PATH`, or no such file).
    #[error("command not found: {program}")]
    NotFound {
        /// The program that was asked for.
        program: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The program exists but could not be started (permission denied, missing working
    /// directory, too many processes...).
    #[error("failed to start {program}")]
    Spawn {
        /// The program that was asked for.
        program: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// With [`check`](super::Command::check) on, the child exited unsuccessfully. The
    /// completed process (status and collected output) comes with the error.
    #[error("command `{}` failed with {}", .0.command_line(), .0.status)]
    Failed(Box<CompletedProcess>),
    /// Waiting for the child, or reading or writing its pipes, failed.
    #[error("i/o error while running {program}")]
    Io {
        /// The program of the child.
        program: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Sending a signal to the child failed.
    #[error("failed to send {signal} to {program}")]
    Signal {
        /// The program of the child.
        program: String,
        /// The signal that was not sent.
        signal: Signal,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

impl ProcessError {
    /// The completed process of a [`ProcessError::Failed`]: exit status and output.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let error = run_process(&Command::shell("echo oops >&2; exit 3")).await.unwrap_err();
    /// let done = error.completed_process().unwrap();
    /// assert_eq!(done.returncode(), 3);
    /// assert_eq!(done.stderr, b"oops\n");
    /// # });
    /// ```
    pub fn completed_process(&self) -> Option<&CompletedProcess> {
        match self {
            ProcessError::Failed(done) => Some(done),
            _ => None,
        }
    }
}

impl From<ProcessError> for io::Error {
    /// The operating system's error kind where there is one ([`ProcessError::Failed`] is
    /// [`Other`](io::ErrorKind::Other)), the whole error kept as the source.
    fn from(error: ProcessError) -> io::Error {
        let kind = match &error {
            ProcessError::NotFound { .. } => io::ErrorKind::NotFound,
            ProcessError::Spawn { source, .. }
            | ProcessError::Io { source, .. }
            | ProcessError::Signal { source, .. } => source.kind(),
            ProcessError::Failed(_) => io::ErrorKind::Other,
        };
        io::Error::new(kind, error)
    }
}

/// Why an operation on a child's pipe failed. The kinds are AnyIO's (`EndOfStream`,
/// `ClosedResourceError`, `BrokenResourceError`, `BusyResourceError`), and map one to one onto
/// the stream framework's `StreamError`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{open_process, Command, PipeError};
///
/// let process = open_process(&Command::new("true")).await?;
/// let stdout = process.stdout.as_ref().unwrap();
/// assert!(matches!(stdout.receive(1024).await, Err(PipeError::EndOfStream)));
/// # Ok::<(), anyio_core::process::ProcessError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipeError {
    /// The child closed its end: no more bytes will come.
    #[error("end of stream")]
    EndOfStream,
    /// This end of the pipe was closed (by `aclose`).
    #[error("the pipe was closed")]
    Closed,
    /// Another task is already receiving from (or sending to) this pipe.
    #[error(transparent)]
    BusyResource(#[from] BusyResourceError),
    /// The operating system reported an error; for a write, usually that the child closed
    /// its end ([`io::ErrorKind::BrokenPipe`]).
    #[error("the pipe is broken")]
    Broken(#[source] io::Error),
    /// A receive was asked for `max_bytes` bytes, which is not a positive number.
    #[error("invalid max_bytes {max_bytes}: a receive needs room for at least one byte")]
    InvalidMaxBytes {
        /// The value given.
        max_bytes: usize,
    },
}

impl From<PipeError> for crate::streams::StreamError {
    /// The stream framework's error for the same condition.
    fn from(error: PipeError) -> crate::streams::StreamError {
        use crate::streams::StreamError;
        match error {
            PipeError::EndOfStream => StreamError::EndOfStream,
            PipeError::Closed => StreamError::ClosedResource,
            PipeError::BusyResource(busy) => StreamError::BusyResource(busy),
            PipeError::Broken(source) => StreamError::broken(source),
            PipeError::InvalidMaxBytes { max_bytes } => StreamError::InvalidMaxBytes { max_bytes },
        }
    }
}

impl From<PipeError> for io::Error {
    /// Converts to an `io::Error` of kind `UnexpectedEof`, `NotConnected`, or the original.
    fn from(error: PipeError) -> io::Error {
        match error {
            PipeError::EndOfStream => io::Error::new(io::ErrorKind::UnexpectedEof, error),
            PipeError::Closed => io::Error::new(io::ErrorKind::NotConnected, error),
            PipeError::BusyResource(_) => io::Error::new(io::ErrorKind::ResourceBusy, error),
            PipeError::Broken(source) => source,
            PipeError::InvalidMaxBytes { .. } => io::Error::new(io::ErrorKind::InvalidInput, error),
        }
    }
}
