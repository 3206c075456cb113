use std::ffi::OsString;
use std::fmt;
use std::future::poll_fn;
use std::process::ExitStatus;

use super::child::ChildCell;
use super::completed::returncode;
use super::{Command, ProcessError, ProcessStderr, ProcessStdin, ProcessStdout, Stdio};
use crate::backend::require_backend;
use crate::cancel::{checkpoint_if_cancelled, finally};
use crate::runtime;
use crate::signal::Signal;

/// Starts `command` and returns the running [`Process`], to talk to through its pipes.
///
/// Standard streams not set on the command are all piped (AnyIO's default), and appear as
/// [`Process::stdin`], [`Process::stdout`] and [`Process::stderr`]. The command's
/// [`input`](Command::input) and [`check`](Command::check) are for
/// [`run_process`](super::run_process) and are ignored here.
///
/// Dropping the `Process` of a child that is still running kills it, unless the command says
/// [`kill_on_drop(false)`](Command::kill_on_drop); a dropped child is reaped in the background
/// once it exits. To wait for the child (and kill it if cancelled meanwhile), use
/// [`Process::aclose`].
///
/// # Errors
///
/// [`ProcessError::NotFound`] naming the program if it does not exist,
/// [`ProcessError::Spawn`] if it cannot be started.
///
/// # Cancellation
///
/// The child is started by the first poll, which also completes the call (unless the
/// enclosing scope is already cancelled, in which case nothing is started).
///
/// # Panics
///
/// Panics outside an async runtime (see [`NoRuntime`](crate::NoRuntime)).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{open_process, Command};
///
/// let process = open_process(Command::new("tr").args(["a-z", "A-Z"])).await?;
/// let (stdin, stdout) = (process.stdin.as_ref().unwrap(), process.stdout.as_ref().unwrap());
/// stdin.send_all(b"hello").await?;
/// stdin.aclose().await;
/// let reply = stdout.receive(1024).await?;
/// assert_eq!(reply, b"HELLO");
/// assert_eq!(process.wait().await?.code(), Some(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub async fn open_process(command: &Command) -> Result<Process, ProcessError> {
    checkpoint_if_cancelled().await;
    let or_piped = |stdio: Option<Stdio>| stdio.unwrap_or(Stdio::Piped);
    Process::spawn(
        command,
        [
            or_piped(command.stdin),
            or_piped(command.stdout),
            or_piped(command.stderr),
        ],
        command.kill_on_drop,
    )
}

/// A running child process; see [`open_process`].
///
/// The pipes are public fields, `None` when the stream was not piped. Every method of the
/// process and of its pipes takes `&self`, so one task may wait while others feed stdin, read
/// stdout or signal the child (share the process by reference or in an `Arc`, or `take()` a
/// pipe to move it elsewhere).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{move_on_after, process::{open_process, Command}, Duration};
///
/// let process = open_process(Command::new("sleep").arg("10")).await?;
/// // Not done after 10 ms: terminate it.
/// assert!(move_on_after(Duration::from_millis(10), process.wait()).await.is_none());
/// process.terminate()?;
/// process.wait().await?;
/// assert_eq!(process.returncode(), Some(-15)); // ended by SIGTERM
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Process {
    /// The child's stdin, if piped.
    pub stdin: Option<ProcessStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ProcessStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ProcessStderr>,
    child: ChildCell,
    args: Vec<OsString>,
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("args", &self.args)
            .field("pid", &self.pid())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}

impl Process {
    pub(super) fn spawn(
        command: &Command,
        stdio: [Stdio; 3],
        kill_on_drop: bool,
    ) -> Result<Process, ProcessError> {
        let mut child = runtime::spawn_child(
            require_backend(),
            command.to_std(),
            stdio.map(Stdio::to_std),
            kill_on_drop,
        )
        .map_err(|error| command.spawn_error(error))?;
        Ok(Process {
            stdin: child.take_stdin().map(ProcessStdin::new),
            stdout: child.take_stdout().map(ProcessStdout::new),
            stderr: child.take_stderr().map(ProcessStderr::new),
            child: ChildCell::new(child),
            args: command.argv(),
        })
    }

    pub(super) fn args(&self) -> &[OsString] {
        &self.args
    }

    fn program(&self) -> String {
        self.args[0].to_string_lossy().into_owned()
    }

    fn io_error(&self, source: std::io::Error) -> ProcessError {
        ProcessError::Io {
            program: self.program(),
            source,
        }
    }

    /// The child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let process = open_process(&Command::new("true")).await.unwrap();
    /// assert!(process.pid() > 0);
    /// # });
    /// ```
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The exit code once the child has exited, without waiting: `None` while it runs. A child
    /// ended by a signal has the negated signal number (`-9` for `SIGKILL`), as in Python.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let process = open_process(Command::new("sh").args(["-c", "exit 7"])).await.unwrap();
    /// process.wait().await.unwrap();
    /// assert_eq!(process.returncode(), Some(7));
    /// # });
    /// ```
    pub fn returncode(&self) -> Option<i32> {
        self.child.try_wait().ok().flatten().map(returncode)
    }

    /// The exit status if the child has exited (reaping it), without waiting.
    ///
    /// # Errors
    ///
    /// [`ProcessError::Io`] if the operating system cannot tell.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let process = open_process(Command::new("sleep").arg("10")).await?;
    /// assert_eq!(process.try_wait()?, None);
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, ProcessError> {
        self.child.try_wait().map_err(|error| self.io_error(error))
    }

    /// Waits for the child to exit, reaps it, and returns how it exited.
    ///
    /// Unlike `std::process::Child::wait`, this does not close stdin (as in AnyIO): a child
    /// that reads its input to the end (`cat`) only exits once [`stdin`](Process::stdin) is
    /// closed (`aclose`d or dropped). Several tasks may wait at once.
    ///
    /// # Errors
    ///
    /// [`ProcessError::Io`] if waiting fails.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: dropping the wait leaves the child running and its status available to a
    /// later `wait`. In an already-cancelled scope it never completes, even for a child that
    /// exited (the scope catches; a later `wait` gets the status).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let process = open_process(&Command::new("false")).await?;
    /// let status = process.wait().await?;
    /// assert_eq!(status.code(), Some(1));
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub async fn wait(&self) -> Result<ExitStatus, ProcessError> {
        checkpoint_if_cancelled().await;
        poll_fn(|cx| self.child.poll_wait(cx))
            .await
            .map_err(|error| self.io_error(error))
    }

    /// Kills the child (`SIGKILL`). Does nothing if it has already exited. Call
    /// [`wait`](Process::wait) afterwards to reap it.
    ///
    /// # Errors
    ///
    /// [`ProcessError::Signal`] if the signal cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let process = open_process(Command::new("sleep").arg("10")).await?;
    /// process.kill()?;
    /// process.wait().await?;
    /// assert_eq!(process.returncode(), Some(-9));
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn kill(&self) -> Result<(), ProcessError> {
        self.child
            .kill()
            .map(drop)
            .map_err(|source| self.signal_error(Signal::Kill, source))
    }

    /// Asks the child to terminate (`SIGTERM`). Does nothing if it has already exited.
    ///
    /// # Errors
    ///
    /// [`ProcessError::Signal`] if the signal cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{open_process, Command};
    /// let process = open_process(Command::new("sleep").arg("10")).await?;
    /// process.terminate()?;
    /// assert_eq!(process.wait().await?.code(), None); // ended by a signal
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn terminate(&self) -> Result<(), ProcessError> {
        self.send_signal(Signal::Terminate)
    }

    /// Sends `signal` to the child. Does nothing if it has already exited (so a reused process
    /// id is never signalled).
    ///
    /// # Errors
    ///
    /// [`ProcessError::Signal`] if the signal cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{process::{open_process, Command}, signal::Signal};
    /// let process = open_process(Command::new("sleep").arg("10")).await?;
    /// process.send_signal(Signal::Interrupt)?;
    /// process.wait().await?;
    /// assert_eq!(process.returncode(), Some(-Signal::Interrupt.as_raw()));
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn send_signal(&self, signal: Signal) -> Result<(), ProcessError> {
        self.child
            .send_signal(signal)
            .map(drop)
            .map_err(|source| self.signal_error(signal, source))
    }

    fn signal_error(&self, signal: Signal, source: std::io::Error) -> ProcessError {
        ProcessError::Signal {
            program: self.program(),
            signal,
            source,
        }
    }

    /// Kills the child if it is still running and reaps it; errors are ignored (this is
    /// cleanup).
    pub(super) async fn kill_and_reap(&self) {
        if self.child.kill().is_ok() {
            let _ = self.wait().await;
        }
    }

    /// Closes the pipes, waits for the child to exit, and returns its status (AnyIO's
    /// `Process.aclose`, the end of `async with process:`).
    ///
    /// # Errors
    ///
    /// [`ProcessError::Io`] if waiting fails.
    ///
    /// # Cancellation
    ///
    /// A protected region ([`finally`]): if the enclosing scope is cancelled while the
    /// child runs, the child is killed and reaped before the scope resolves. Dropped by other
    /// means (say a plain `select!`), the child is killed unless the command said
    /// [`kill_on_drop(false)`](Command::kill_on_drop), and reaped in the background.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{move_on_after, process::{open_process, Command}, Duration};
    ///
    /// let process = open_process(Command::new("sleep").arg("10")).await?;
    /// let pid = process.pid();
    /// // The scope's deadline kills the child; it is reaped before `move_on_after` returns.
    /// assert!(move_on_after(Duration::from_millis(10), process.aclose()).await.is_none());
    /// assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || cfg!(not(target_os = "linux")));
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub async fn aclose(mut self) -> Result<ExitStatus, ProcessError> {
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        let this = &self;
        finally(this.wait(), this.kill_and_reap()).await
    }
}
