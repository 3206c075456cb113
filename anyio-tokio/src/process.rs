//! Child processes on tokio (`tokio::process`), Unix only.

use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Spawns `command` with the given standard streams.
///
/// With `kill_on_drop`, dropping the [`Child`] before it was reaped sends it `SIGKILL`; in any
/// case a child dropped before it was reaped is reaped by tokio in the background, so it
/// leaves no zombie.
///
/// # Errors
///
/// The error of `spawn` (program not found, permission denied...), or of installing the
/// `SIGCHLD` listener.
///
/// # Panics
///
/// Panics outside a tokio runtime with the I/O and signal drivers enabled.
pub fn spawn_child(
    command: std::process::Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
    kill_on_drop: bool,
) -> io::Result<Child> {
    // Listen before the child exists, so its exit cannot be missed.
    let sigchld = signal(SignalKind::child())?;
    let mut command = tokio::process::Command::from(command);
    command
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(kill_on_drop);
    let mut child = command.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the child was reaped at spawn"))?;
    Ok(Child {
        stdin: child.stdin.take().map(ChildStdin),
        stdout: child.stdout.take().map(ChildReader::Stdout),
        stderr: child.stderr.take().map(ChildReader::Stderr),
        child,
        sigchld,
        pid,
    })
}

/// A spawned child process.
#[derive(Debug)]
pub struct Child {
    child: tokio::process::Child,
    sigchld: Signal,
    pid: u32,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildReader>,
    stderr: Option<ChildReader>,
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
        self.child.try_wait()
    }

    /// Waits for the child to exit and reaps it. Only the waker of the last call is woken.
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            // Every SIGCHLD since the last check wakes us to look again.
            if ready!(self.sigchld.poll_recv(cx)).is_none() {
                return Poll::Ready(Err(io::Error::other(
                    "the tokio runtime's signal driver shut down",
                )));
            }
        }
    }

    /// Sends `SIGKILL` to the child unless it was reaped already.
    pub fn kill(&mut self) -> io::Result<()> {
        self.child.start_kill()
    }
}

/// The write end of a child's stdin.
#[derive(Debug)]
pub struct ChildStdin(tokio::process::ChildStdin);

impl ChildStdin {
    /// Writes some of `buf` to the pipe.
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    /// Flushes the pipe (pipes are unbuffered: this completes at once).
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    /// Shuts the write side down; the pipe closes when this handle is dropped.
    pub fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The read end of a child's stdout or stderr.
#[derive(Debug)]
pub enum ChildReader {
    /// The child's stdout.
    Stdout(tokio::process::ChildStdout),
    /// The child's stderr.
    Stderr(tokio::process::ChildStderr),
}

impl ChildReader {
    /// Reads some bytes into `buf`; `0` means end of stream.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        match self {
            ChildReader::Stdout(pipe) => ready!(Pin::new(pipe).poll_read(cx, &mut buf))?,
            ChildReader::Stderr(pipe) => ready!(Pin::new(pipe).poll_read(cx, &mut buf))?,
        }
        Poll::Ready(Ok(buf.filled().len()))
    }
}
