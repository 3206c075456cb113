//! Child processes through `async-process`, Unix only.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

type StatusFuture = Pin<Box<dyn Future<Output = io::Result<ExitStatus>> + Send>>;

/// Spawns `command` with the given standard streams.
///
/// With `kill_on_drop`, dropping the [`Child`] before it was reaped sends it `SIGKILL`; in any
/// case a child dropped before it was reaped is reaped by async-process in the background, so
/// it leaves no zombie.
///
/// # Errors
///
/// The error of `spawn` (program not found, permission denied...).
pub fn spawn_child(
    command: std::process::Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
    kill_on_drop: bool,
) -> io::Result<Child> {
    let mut command = async_process::Command::from(command);
    command
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(kill_on_drop)
        .reap_on_drop(true);
    let mut child = command.spawn()?;
    Ok(Child {
        pid: child.id(),
        stdin: child.stdin.take().map(ChildStdin),
        stdout: child.stdout.take().map(ChildReader::Stdout),
        stderr: child.stderr.take().map(ChildReader::Stderr),
        child,
        status: None,
        waiting: None,
    })
}

/// A spawned child process.
pub struct Child {
    child: async_process::Child,
    pid: u32,
    status: Option<ExitStatus>,
    /// The wait in progress; it shares the child with us, so dropping it is harmless.
    waiting: Option<StatusFuture>,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildReader>,
    stderr: Option<ChildReader>,
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Child {
    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Takes the child's stdin pipe, if it was piped and not taken yet.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Takes the child's stdout pipe, if it was piped and not taken yet.
    pub fn take_stdout(&mut self) -> Option<ChildReader> {
        self.stdout.take()
    }

    /// Takes the child's stderr pipe, if it was piped and not taken yet.
    pub fn take_stderr(&mut self) -> Option<ChildReader> {
        self.stderr.take()
    }

    /// Reaps the child if it has exited, without blocking.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.child.try_status()?;
        }
        Ok(self.status)
    }

    /// Waits for the child to exit and reaps it. Only the waker of the last call is woken.
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let waiting = self
            .waiting
            .get_or_insert_with(|| Box::pin(self.child.status()));
        let status = match waiting.as_mut().poll(cx) {
            Poll::Ready(status) => status?,
            Poll::Pending => return Poll::Pending,
        };
        self.waiting = None;
        self.status = Some(status);
        Poll::Ready(Ok(status))
    }

    /// Sends `SIGKILL` to the child unless it was reaped already.
    pub fn kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the child has already exited",
            ));
        }
        self.child.kill()
    }
}

/// The write end of a child's stdin.
#[derive(Debug)]
pub struct ChildStdin(async_process::ChildStdin);

impl ChildStdin {
    /// Writes some of `buf` to the pipe.
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    /// Flushes the pipe (pipes are unbuffered: this completes at once).
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    /// Closes the write side (the pipe closes for good when this handle is dropped).
    pub fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// The read end of a child's stdout or stderr.
#[derive(Debug)]
pub enum ChildReader {
    /// The child's stdout.
    Stdout(async_process::ChildStdout),
    /// The child's stderr.
    Stderr(async_process::ChildStderr),
}

impl ChildReader {
    /// Reads some bytes into `buf`; `0` means end of stream.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            ChildReader::Stdout(pipe) => Pin::new(pipe).poll_read(cx, buf),
            ChildReader::Stderr(pipe) => Pin::new(pipe).poll_read(cx, buf),
        }
    }
}
