use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

use super::ProcessError;

/// What to connect a child's standard stream to.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{run_process, Command, Stdio};
///
/// // Discard stderr instead of collecting it.
/// let done = run_process(Command::shell("echo out; echo err >&2").stderr(Stdio::Null)).await?;
/// assert_eq!(done.stdout, b"out\n");
/// assert!(done.stderr.is_empty());
/// # Ok::<(), anyio_core::process::ProcessError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stdio {
    /// A pipe to this process: the stream appears on [`Process`](super::Process) (or is
    /// collected by [`run_process`](super::run_process)).
    Piped,
    /// `/dev/null`.
    Null,
    /// This process's own stream.
    Inherit,
}

impl Stdio {
    pub(super) fn to_std(self) -> std::process::Stdio {
        match self {
            Stdio::Piped => std::process::Stdio::piped(),
            Stdio::Null => std::process::Stdio::null(),
            Stdio::Inherit => std::process::Stdio::inherit(),
        }
    }
}

/// A command to run: program, arguments, environment, working directory, standard streams, and
/// the options of [`run_process`](super::run_process).
///
/// The builder methods take and return `&mut Command`, as `std::process::Command`'s do, so a
/// command can be built and run in one expression, or built once and run many times.
///
/// Unset standard streams default, for [`run_process`](super::run_process), to stdin from
/// `/dev/null` (or a pipe fed with [`input`](Command::input)) and stdout and stderr piped and
/// collected; for [`open_process`](super::open_process), to all three piped, as in AnyIO.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::process::{run_process, Command};
///
/// let mut command = Command::new("sh");
/// command.args(["-c", "echo $GREETING from $PWD"]).env("GREETING", "hi").current_dir("/");
/// let done = run_process(&command).await?;
/// assert_eq!(done.stdout, b"hi from /\n");
/// # Ok::<(), anyio_core::process::ProcessError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Command {
    program: OsString,
    args: Vec<OsString>,
    env_clear: bool,
    /// Changes applied in order: `None` removes the variable.
    env: Vec<(OsString, Option<OsString>)>,
    current_dir: Option<PathBuf>,
    pub(super) stdin: Option<Stdio>,
    pub(super) stdout: Option<Stdio>,
    pub(super) stderr: Option<Stdio>,
    pub(super) input: Option<Vec<u8>>,
    pub(super) check: bool,
    pub(super) kill_on_drop: bool,
}

impl Command {
    /// A command running `program`, looked up in `PATH` unless it contains a `/`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// let command = Command::new("ls");
    /// assert_eq!(command.get_program(), "ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env_clear: false,
            env: Vec::new(),
            current_dir: None,
            stdin: None,
            stdout: None,
            stderr: None,
            input: None,
            check: true,
            kill_on_drop: true,
        }
    }

    /// A command running `command_line` through the shell, `sh -c command_line` (what AnyIO
    /// does with a string command). Do not build `command_line` from untrusted input.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(&Command::shell("echo a b | wc -w")).await?;
    /// assert_eq!(String::from_utf8_lossy(&done.stdout).trim(), "2");
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn shell(command_line: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("sh");
        command.arg("-c").arg(command_line);
        command
    }

    /// Adds an argument.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// let mut command = Command::new("ls");
    /// command.arg("-l").arg("/tmp");
    /// assert_eq!(command.get_args().collect::<Vec<_>>(), ["-l", "/tmp"]);
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// let mut command = Command::new("ls");
    /// command.args(["-l", "/tmp"]);
    /// assert_eq!(command.get_args().count(), 2);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable of the child.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::shell("echo $NAME").env("NAME", "anyio")).await?;
    /// assert_eq!(done.stdout, b"anyio\n");
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Sets several environment variables of the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// let mut command = Command::new("env");
    /// command.envs([("A", "1"), ("B", "2")]);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (key, value) in vars {
            self.env(key, value);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::shell("echo \"[$HOME]\"").env_remove("HOME")).await?;
    /// assert_eq!(done.stdout, b"[]\n");
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Starts the child with an empty environment (plus the variables set after this call).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::new("/usr/bin/env").env_clear().env("ONLY", "1")).await?;
    /// assert_eq!(done.stdout, b"ONLY=1\n");
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// Runs the child in `dir`.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::new("pwd").current_dir("/")).await?;
    /// assert_eq!(done.stdout, b"/\n");
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.current_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// What the child's stdin is connected to. With [`input`](Command::input),
    /// [`run_process`](super::run_process) pipes stdin whatever this says.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::{Command, Stdio};
    /// let mut command = Command::new("cat");
    /// command.stdin(Stdio::Null);
    /// ```
    pub fn stdin(&mut self, stdio: Stdio) -> &mut Command {
        self.stdin = Some(stdio);
        self
    }

    /// What the child's stdout is connected to.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::{Command, Stdio};
    /// let mut command = Command::new("ls");
    /// command.stdout(Stdio::Inherit); // print straight to our stdout
    /// ```
    pub fn stdout(&mut self, stdio: Stdio) -> &mut Command {
        self.stdout = Some(stdio);
        self
    }

    /// What the child's stderr is connected to.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::{Command, Stdio};
    /// let mut command = Command::new("ls");
    /// command.stderr(Stdio::Null);
    /// ```
    pub fn stderr(&mut self, stdio: Stdio) -> &mut Command {
        self.stderr = Some(stdio);
        self
    }

    /// Bytes that [`run_process`](super::run_process) writes to the child's stdin (then
    /// closing it). [`open_process`](super::open_process) ignores it.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// let done = run_process(Command::new("tr").args(["a-z", "A-Z"]).input("shout")).await?;
    /// assert_eq!(done.stdout, b"SHOUT");
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn input(&mut self, input: impl Into<Vec<u8>>) -> &mut Command {
        self.input = Some(input.into());
        self
    }

    /// Whether [`run_process`](super::run_process) fails with [`ProcessError::Failed`] when
    /// the child exits unsuccessfully. On by default, as in AnyIO.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::process::{run_process, Command};
    /// assert!(run_process(&Command::new("false")).await.is_err());
    /// let done = run_process(Command::new("false").check(false)).await?;
    /// assert_eq!(done.returncode(), 1);
    /// # Ok::<(), anyio_core::process::ProcessError>(())
    /// # }).unwrap();
    /// ```
    pub fn check(&mut self, check: bool) -> &mut Command {
        self.check = check;
        self
    }

    /// Whether dropping the [`Process`](super::Process) of a child that is still running
    /// kills it (`SIGKILL`). On by default; either way a dropped child is reaped in the
    /// background when it exits. [`run_process`](super::run_process) always kills.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// let mut daemon = Command::new("sleep");
    /// daemon.arg("1").kill_on_drop(false); // let it finish on its own
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The program to run.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// assert_eq!(Command::shell("ls").get_program(), "sh");
    /// ```
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// The arguments, not including the program.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// let command = Command::shell("ls");
    /// assert_eq!(command.get_args().collect::<Vec<_>>(), ["-c", "ls"]);
    /// ```
    pub fn get_args(&self) -> impl ExactSizeIterator<Item = &OsStr> {
        self.args.iter().map(OsString::as_os_str)
    }

    /// The working directory set with [`current_dir`](Command::current_dir).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::process::Command;
    /// assert_eq!(Command::new("ls").get_current_dir(), None);
    /// ```
    pub fn get_current_dir(&self) -> Option<&Path> {
        self.current_dir.as_deref()
    }

    /// The program and its arguments, as `CompletedProcess::args` reports them.
    pub(super) fn argv(&self) -> Vec<OsString> {
        std::iter::once(self.program.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// The program's name for error messages.
    pub(super) fn program_name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// The standard library command (standard streams are set by the spawner).
    pub(super) fn to_std(&self) -> std::process::Command {
        let mut command = std::process::Command::new(&self.program);
        command.args(&self.args);
        if self.env_clear {
            command.env_clear();
        }
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }

    /// The error for a failed spawn: "not found" only when the program is what is missing.
    pub(super) fn spawn_error(&self, source: io::Error) -> ProcessError {
        let missing_dir = self.current_dir.as_ref().is_some_and(|dir| !dir.is_dir());
        if source.kind() == io::ErrorKind::NotFound && !missing_dir {
            ProcessError::NotFound {
                program: self.program_name(),
                source,
            }
        } else {
            ProcessError::Spawn {
                program: self.program_name(),
                source,
            }
        }
    }
}
