use std::io;

use super::join::join3;
use super::{
    Command, CompletedProcess, PipeError, Process, ProcessError, ProcessStderr, ProcessStdout,
    Stdio,
};
use crate::cancel::{checkpoint_if_cancelled, finally};

/// Runs `command` to completion and returns its exit status and output.
///
/// - stdout and stderr are piped and collected concurrently unless the command says otherwise
///   (a stream that is not piped comes back empty);
/// - the command's [`input`](Command::input), if any, is written to the child's stdin, which
///   is then closed; without input, stdin is `/dev/null` unless the command says otherwise
///   (as `std::process::Command::output` does);
/// - with [`check`](Command::check) on (the default, as in AnyIO), an unsuccessful exit is
///   [`ProcessError::Failed`], which carries the status and the output.
///
/// A child that exits without reading all its input is not an error (the broken pipe is
/// ignored, as in Python's `communicate`).
///
/// # Errors
///
/// [`ProcessError::NotFound`] naming the program if it does not exist,
/// [`ProcessError::Spawn`] if it cannot be started, [`ProcessError::Failed`] (with `check`),
/// [`ProcessError::Io`] if reading the pipes or waiting fails (the child is then killed and
/// reaped).
///
/// # Cancellation
///
/// When an enclosing scope is cancelled (a deadline, `move_on_after`...), the child is killed
/// (`SIGKILL`) and **reaped** before the scope resolves: no zombie is left, and the output so
/// far is discarded. This is a protected region ([`finally`](crate::finally)) that lasts as
/// long as the kill takes. If the future is dropped by other means (say a plain `select!`),
/// the child is killed at once and reaped in the background by the backend.
///
/// In an already-cancelled scope nothing is started.
///
/// # Panics
///
/// Panics outside an async runtime (see [`NoRuntime`](crate::NoRuntime)).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{move_on_after, process::{run_process, Command}, Duration};
///
/// let done = run_process(Command::new("sort").input("b\na\n")).await?;
/// assert_eq!(done.stdout, b"a\nb\n");
///
/// // A deadline kills (and reaps) the child.
/// let mut sleep = Command::new("sleep");
/// sleep.arg("100");
/// let slow = move_on_after(Duration::from_millis(10), run_process(&sleep));
/// assert!(slow.await.is_none());
/// # Ok::<(), anyio_core::process::ProcessError>(())
/// # }).unwrap();
/// ```
pub async fn run_process(command: &Command) -> Result<CompletedProcess, ProcessError> {
    checkpoint_if_cancelled().await;
    let stdin = match command.input {
        Some(_) => Stdio::Piped,
        None => command.stdin.unwrap_or(Stdio::Null),
    };
    let mut process = Process::spawn(
        command,
        [
            stdin,
            command.stdout.unwrap_or(Stdio::Piped),
            command.stderr.unwrap_or(Stdio::Piped),
        ],
        true,
    )?;
    let stdin = process.stdin.take();
    let stdout = process.stdout.take();
    let stderr = process.stderr.take();
    let process = &process;
    let input = command.input.as_deref();

    let body = async move {
        let feed = async move {
            let (Some(stdin), Some(input)) = (stdin, input) else {
                return Ok(()); // a piped stdin without input is closed at once
            };
            match stdin.send_all(input).await {
                Err(PipeError::Broken(error)) if error.kind() == io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
            stdin.aclose().await;
            Ok::<(), PipeError>(())
        };
        let (fed, stdout, stderr) =
            join3(feed, collect_stdout(stdout), collect_stderr(stderr)).await;
        let io_error = |error: PipeError| ProcessError::Io {
            program: command.program_name(),
            source: error.into(),
        };
        fed.map_err(io_error)?;
        let (stdout, stderr) = (stdout.map_err(io_error)?, stderr.map_err(io_error)?);
        let status = process.wait().await?;
        Ok(CompletedProcess {
            args: process.args().to_vec(),
            status,
            stdout,
            stderr,
        })
    };
    // Kills and reaps the child unless the body reaped it; after a cancellation too.
    let done = finally(body, process.kill_and_reap()).await?;
    if command.check {
        done.check_returncode()
    } else {
        Ok(done)
    }
}

async fn collect_stdout(pipe: Option<ProcessStdout>) -> Result<Vec<u8>, PipeError> {
    match pipe {
        Some(pipe) => pipe.receive_to_end().await,
        None => Ok(Vec::new()),
    }
}

async fn collect_stderr(pipe: Option<ProcessStderr>) -> Result<Vec<u8>, PipeError> {
    match pipe {
        Some(pipe) => pipe.receive_to_end().await,
        None => Ok(Vec::new()),
    }
}
