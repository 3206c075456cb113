use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use super::ProcessError;

/// A child process that ran to completion: what [`run_process`](super::run_process) returns.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{run_process, Command};
///
/// let done = run_process(&Command::shell("echo out; echo err >&2")).await?;
/// assert_eq!(done.args, ["sh", "-c", "echo out; echo err >&2"]);
/// assert!(done.status.success());
/// assert_eq!((done.stdout.as_slice(), done.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
/// # Ok::<(), anyio_core::process::ProcessError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompletedProcess {
    /// The program and its arguments.
    pub args: Vec<OsString>,
    /// How the child exited.
    pub status: ExitStatus,
    /// Everything the child wrote to stdout, if it was piped (empty otherwise).
    pub stdout: Vec<u8>,
    /// Everything the child wrote to stderr, if it was piped (empty otherwise).
    pub stderr: Vec<u8>,
}

impl CompletedProcess {
    /// The exit code, or the negated signal number if a signal ended the child (Python's
    /// convention: `-9` for `SIGKILL`).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::shell("kill -9 $$").check(false)).await?;
    /// assert_eq!(done.returncode(), -9);
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn returncode(&self) -> i32 {
        returncode(self.status)
    }

    /// `Err(ProcessError::Failed)` if the child exited unsuccessfully, else `self` back.
    ///
    /// # Errors
    ///
    /// [`ProcessError::Failed`] carrying this completed process.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::new("false").check(false)).await?;
    /// assert!(done.check_returncode().is_err());
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn check_returncode(self) -> Result<CompletedProcess, ProcessError> {
        if self.status.success() {
            Ok(self)
        } else {
            Err(ProcessError::Failed(Box::new(self)))
        }
    }

    /// The command line for messages: the arguments joined by spaces.
    pub(super) fn command_line(&self) -> String {
        let args: Vec<_> = self.args.iter().map(|arg| arg.to_string_lossy()).collect();
        args.join(" ")
    }
}

/// The exit code, or the negated number of the signal that ended the child.
pub(super) fn returncode(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| -signal))
        .unwrap_or(-1)
}
