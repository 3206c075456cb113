//! Child processes (Unix only): [`run_process`] to run a command to completion and collect its
//! output, [`open_process`] to talk to a running one through its pipes.
//!
//! Both take a [`Command`]: the program, its arguments, environment, working directory and
//! standard streams ([`Stdio`]), plus the options of `run_process` (input bytes, `check`).
//! Semantics follow AnyIO and are the same on every backend:
//!
//! - `run_process` collects stdout and stderr concurrently (no pipe-buffer deadlock), feeds the
//!   optional input, and with `check` (the default, as in AnyIO) turns a non-zero exit into
//!   [`ProcessError::Failed`], which carries the status and the output.
//! - Cancelling a `run_process` kills the child **and reaps it** before the enclosing scope
//!   resolves: no zombie is left behind.
//! - A [`Process`] gives its pipes as [`ProcessStdin`], [`ProcessStdout`] and
//!   [`ProcessStderr`], with `send_all`/`receive` (end of stream is
//!   [`PipeError::EndOfStream`], as AnyIO's `EndOfStream`) and the I/O traits, and
//!   offers `wait`, `kill`, `terminate`, `send_signal`, `pid` and `returncode`.
//! - A program that does not exist is [`ProcessError::NotFound`], naming it.
//!
//! The pipes are also the stream framework's byte streams, with a poll core and the
//! ecosystem's I/O traits (`futures_io`, `tokio::io` with feature `tokio-io`, `hyper::rt`
//! with feature `hyper`) that poll the backend's pipe in place.
//!
//! Spawning (`fork`/`exec`) happens on the calling thread, as tokio and async-process do;
//! waiting and pipe I/O are driven by the backend's reactor (tokio's `SIGCHLD` listener and
//! pipes; async-process's reaper and async-io pipes on smol and async-std). There is no
//! benchmark of its own: the cost is the operating system's.
//!
//! | anyio | AnyIO |
//! |---|---|
//! | `run_process(Command::new("ls").arg("-l"))` | `await run_process(["ls", "-l"])` |
//! | `run_process(&Command::shell("ls -l"))` | `await run_process("ls -l")` |
//! | `.input(b"data")`, `.check(false)` | `input=b"data"`, `check=False` |
//! | `open_process(&command)` | `await open_process(command)` |
//! | `process.aclose()` | `async with process:` |
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::process::{run_process, Command};
//!
//! let done = run_process(Command::new("echo").arg("hello")).await?;
//! assert_eq!(done.stdout, b"hello\n");
//! assert_eq!(done.returncode(), 0);
//! # Ok::<(), anyio_core::process::ProcessError>(())
//! # }).unwrap();
//! ```

mod child;
mod command;
mod completed;
mod error;
mod handle;
mod join;
mod pipes;
mod run;

pub use command::{Command, Stdio};
pub use completed::CompletedProcess;
pub use error::{PipeError, ProcessError};
pub use handle::{open_process, Process};
pub use pipes::{ProcessStderr, ProcessStdin, ProcessStdout};
pub use run::run_process;
