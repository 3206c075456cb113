//! Child processes (DESIGN §9, Unix): `run_process` output, input, `check`, not-found errors,
//! cancellation that kills and reaps, and `open_process` pipes, waiting and signals, on every
//! backend.
#![cfg(all(unix, feature = "process"))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyio::process::{open_process, run_process, Command, PipeError, ProcessError, Stdio};
use anyio::signal::Signal;
use anyio::{current_backend, move_on_after, task_group, CancelScope, Duration, SpawnError};
use futures::{AsyncReadExt, AsyncWriteExt};

/// Whether `pid` names a process, running or zombie (Linux: its `/proc` entry exists).
fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A path in the temp dir unique to this test and backend.
fn temp_path(test: &str) -> PathBuf {
    let backend = current_backend().map(|b| b.to_string()).unwrap_or_default();
    std::env::temp_dir().join(format!(
        "anyio-process-{test}-{backend}-{}",
        std::process::id()
    ))
}

/// Waits (in real time, up to 10 s) for `pid` to disappear.
async fn wait_until_gone(pid: u32) -> bool {
    for _ in 0..1000 {
        if !process_exists(pid) {
            return true;
        }
        anyio::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[anyio::test]
async fn run_process_collects_stdout() {
    let done = run_process(Command::new("echo").args(["hello", "world"]))
        .await
        .unwrap();
    assert_eq!(done.stdout, b"hello world\n");
    assert!(done.stderr.is_empty());
    assert_eq!(done.returncode(), 0);
    assert!(done.status.success());
    assert_eq!(done.args, ["echo", "hello", "world"]);
}

#[anyio::test]
async fn stdout_and_stderr_are_collected_concurrently() {
    // Far more than a pipe holds on each stream: reading one after the other would deadlock.
    let done = run_process(&Command::shell(
        "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2; head -c 300000 /dev/zero",
    ))
    .await
    .unwrap();
    assert_eq!(done.stdout.len(), 600_000);
    assert_eq!(done.stderr.len(), 200_000);
}

#[anyio::test]
async fn input_is_written_to_stdin_and_closed() {
    let input: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let done = run_process(Command::new("cat").input(input.clone()))
        .await
        .unwrap();
    assert_eq!(done.stdout, input);
}

#[anyio::test]
async fn input_the_child_does_not_read_is_not_an_error() {
    let done = run_process(Command::new("true").input(vec![b'x'; 1_000_000]))
        .await
        .unwrap();
    assert!(done.status.success());
}

#[anyio::test]
async fn without_input_stdin_is_empty() {
    let done = run_process(&Command::new("cat")).await.unwrap();
    assert!(done.stdout.is_empty());
}

#[anyio::test]
async fn check_turns_a_failure_into_an_error_with_status_and_output() {
    let error = run_process(&Command::shell("echo out; echo err >&2; exit 3"))
        .await
        .unwrap_err();
    let ProcessError::Failed(done) = &error else {
        panic!("expected Failed, got {error:?}");
    };
    assert_eq!(done.returncode(), 3);
    assert_eq!(done.status.code(), Some(3));
    assert_eq!(done.stdout, b"out\n");
    assert_eq!(done.stderr, b"err\n");
    assert_eq!(
        error.to_string(),
        "command `sh -c echo out; echo err >&2; exit 3` failed with exit status: 3"
    );
}

#[anyio::test]
async fn without_check_a_failure_is_a_result() {
    let done = run_process(Command::new("false").check(false))
        .await
        .unwrap();
    assert_eq!(done.returncode(), 1);
    assert!(done.check_returncode().is_err());
}

#[anyio::test]
async fn a_missing_program_is_a_clear_error_naming_it() {
    let error = run_process(&Command::new("anyio-no-such-program"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProcessError::NotFound { program, .. } if program == "anyio-no-such-program"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "command not found: anyio-no-such-program"
    );
    let error = open_process(&Command::new("anyio-no-such-program"))
        .await
        .unwrap_err();
    assert!(matches!(error, ProcessError::NotFound { .. }));
}

#[anyio::test]
async fn a_missing_working_directory_is_not_reported_as_a_missing_program() {
    let error = run_process(Command::new("true").current_dir("/anyio/no/such/dir"))
        .await
        .unwrap_err();
    assert!(matches!(error, ProcessError::Spawn { .. }), "{error:?}");
}

#[anyio::test]
async fn environment_and_working_directory_are_applied() {
    let done = run_process(
        Command::shell("echo $ANYIO_TEST_VAR; pwd")
            .env("ANYIO_TEST_VAR", "set")
            .current_dir("/"),
    )
    .await
    .unwrap();
    assert_eq!(done.stdout, b"set\n/\n");
}

#[anyio::test]
async fn streams_not_piped_are_not_collected() {
    let done = run_process(Command::shell("echo out; echo err >&2").stdout(Stdio::Null))
        .await
        .unwrap();
    assert!(done.stdout.is_empty());
    assert_eq!(done.stderr, b"err\n");
}

#[anyio::test]
async fn cancelling_run_process_kills_and_reaps_the_child() {
    let pid_file = temp_path("cancel");
    let _ = std::fs::remove_file(&pid_file);
    // `exec` keeps the shell's pid, so the pid written is the child's own.
    let command = Command::shell(format!(
        "echo $$ > '{}'; exec sleep 100",
        pid_file.display()
    ));
    let scope = CancelScope::new();
    let handle = scope.handle();
    let started = std::time::Instant::now();
    let outcome = scope
        .run(async {
            let canceller = async {
                while !pid_file_ready(&pid_file) {
                    anyio::sleep(Duration::from_millis(5)).await;
                }
                handle.cancel();
            };
            futures::future::join(run_process(&command), canceller).await
        })
        .await;
    assert!(outcome.is_none(), "the cancellation ended the run");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("the child wrote its pid")
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    // Reaped before the scope resolved: not even a zombie is left.
    assert!(!process_exists(pid), "process {pid} still exists");
}

#[anyio::test]
async fn a_deadline_kills_and_reaps_the_child() {
    let pid_file = temp_path("deadline");
    let _ = std::fs::remove_file(&pid_file);
    let command = Command::shell(format!(
        "echo $$ > '{}'; exec sleep 100",
        pid_file.display()
    ));
    let outcome = move_on_after(Duration::from_millis(300), run_process(&command)).await;
    assert!(outcome.is_none(), "the deadline ended the run");
    // The shell may not have got as far as writing its pid on a loaded machine.
    if let Ok(text) = std::fs::read_to_string(&pid_file) {
        std::fs::remove_file(&pid_file).unwrap();
        if let Ok(pid) = text.trim().parse::<u32>() {
            assert!(!process_exists(pid), "process {pid} still exists");
        }
    }
}

#[anyio::test]
async fn cancelling_in_a_task_group_kills_and_reaps_the_child() {
    let pid_file = temp_path("group");
    let _ = std::fs::remove_file(&pid_file);
    let command = Command::shell(format!(
        "echo $$ > '{}'; exec sleep 100",
        pid_file.display()
    ));
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            let _ = run_process(&command).await;
        })?;
        while !pid_file_ready(&temp_path("group")) {
            anyio::sleep(Duration::from_millis(5)).await;
        }
        tg.cancel();
        Ok::<_, SpawnError>(())
    })
    .await;
    assert!(result.is_ok() || matches!(result, Err(anyio::TaskGroupError::Cancelled)));
    let pid_file = temp_path("group");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    assert!(!process_exists(pid), "process {pid} still exists");
}

fn pid_file_ready(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.ends_with('\n'))
}

#[anyio::test]
async fn nothing_starts_in_an_already_cancelled_scope() {
    let marker = temp_path("cancelled-scope");
    let _ = std::fs::remove_file(&marker);
    let scope = CancelScope::new();
    scope.handle().cancel();
    let command = Command::new("touch").arg(&marker).clone();
    assert!(scope.run(run_process(&command)).await.is_none());
    // Give a wrongly started child time to create the file.
    anyio::sleep(Duration::from_millis(100)).await;
    assert!(!marker.exists());
}

#[anyio::test]
async fn fail_after_around_run_process_is_its_timeout_error_and_the_child_is_reaped() {
    let pid_file = temp_path("fail-after");
    let _ = std::fs::remove_file(&pid_file);
    let command = Command::shell(format!("echo $$ > '{}'; exec sleep 10", pid_file.display()));
    let origin = anyio::current_time();
    let outcome = anyio::fail_after(Duration::from_millis(300), run_process(&command)).await;
    let error = outcome.expect_err("the deadline passed");
    // The deadline counts from the first poll, a moment after `origin`.
    assert!(error.deadline().unwrap() >= origin + Duration::from_millis(300));
    if let Ok(text) = std::fs::read_to_string(&pid_file) {
        std::fs::remove_file(&pid_file).unwrap();
        if let Ok(pid) = text.trim().parse::<u32>() {
            assert!(!process_exists(pid), "process {pid} still exists");
        }
    }
}

/// Regression: on smol and async-std (sometimes tokio) a send in an already-cancelled scope
/// wrote its data to the child before the scope caught.
#[anyio::test]
async fn a_pipe_send_in_a_cancelled_scope_writes_nothing() {
    let cat = open_process(&Command::new("cat")).await.unwrap();
    let (stdin, stdout) = (cat.stdin.as_ref().unwrap(), cat.stdout.as_ref().unwrap());
    // A first send leaves the pipe known writable on every backend (tokio included), so the
    // cancelled send below would write at its first poll.
    stdin.send_all(b"x").await.unwrap();
    assert_eq!(stdout.receive(1024).await.unwrap(), b"x");
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(stdin.send_all(b"cancelled")).await.is_none());
    stdin.aclose().await;
    let mut echoed = Vec::new();
    loop {
        match stdout.receive(1024).await {
            Ok(bytes) => echoed.extend(bytes),
            Err(PipeError::EndOfStream) => break,
            Err(error) => panic!("{error}"),
        }
    }
    assert!(echoed.is_empty(), "the child read {echoed:?}");
    assert!(cat.wait().await.unwrap().success());
}

#[anyio::test]
async fn a_pipe_receive_in_a_cancelled_scope_takes_nothing() {
    let process = open_process(&Command::shell("echo kept")).await.unwrap();
    process.wait().await.unwrap();
    let stdout = process.stdout.as_ref().unwrap();
    // A first receive leaves the pipe known readable on every backend.
    assert_eq!(stdout.receive(1).await.unwrap(), b"k");
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(stdout.receive(1024)).await.is_none());
    assert_eq!(stdout.receive(1024).await.unwrap(), b"ept\n");
}

#[anyio::test]
async fn wait_in_a_cancelled_scope_is_caught_even_for_an_exited_child() {
    let process = open_process(&Command::new("true")).await.unwrap();
    // The status is known from now on: a wait without a cancellation point returns it at once.
    assert!(process.wait().await.unwrap().success());
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(process.wait()).await.is_none());
    assert!(process.wait().await.unwrap().success());
}

#[anyio::test]
async fn open_process_round_trip_through_the_pipes() {
    let mut cat = open_process(&Command::new("cat")).await.unwrap();
    let stdin = cat.stdin.as_mut().unwrap();
    let stdout = cat.stdout.as_mut().unwrap();
    for message in [&b"first"[..], b"second"] {
        stdin.send_all(message).await.unwrap();
        let mut echoed = Vec::new();
        while echoed.len() < message.len() {
            echoed.extend(stdout.receive(1024).await.unwrap());
        }
        assert_eq!(echoed, message);
    }
    stdin.aclose().await;
    assert!(matches!(
        stdout.receive(1024).await,
        Err(PipeError::EndOfStream)
    ));
    assert!(cat.wait().await.unwrap().success());
    assert_eq!(cat.returncode(), Some(0));
}

#[anyio::test]
async fn closed_pipes_report_closed() {
    let mut cat = open_process(&Command::new("cat")).await.unwrap();
    let stdin = cat.stdin.as_mut().unwrap();
    stdin.aclose().await;
    stdin.aclose().await; // twice is harmless
    assert!(matches!(stdin.send_all(b"x").await, Err(PipeError::Closed)));
    let stdout = cat.stdout.as_mut().unwrap();
    stdout.aclose().await;
    assert!(matches!(stdout.receive(10).await, Err(PipeError::Closed)));
    assert!(cat.wait().await.unwrap().success());
}

#[anyio::test]
async fn writing_to_a_child_that_exited_is_a_broken_pipe() {
    let mut process = open_process(&Command::new("true")).await.unwrap();
    process.wait().await.unwrap();
    let stdin = process.stdin.as_mut().unwrap();
    assert!(matches!(
        stdin.send_all(&[0; 100_000]).await,
        Err(PipeError::Broken(_))
    ));
}

#[anyio::test]
async fn pipes_implement_futures_io() {
    let mut process = open_process(&Command::shell("cat; echo done >&2"))
        .await
        .unwrap();
    let mut stdin = process.stdin.take().unwrap();
    stdin.write_all(b"via AsyncWrite").await.unwrap();
    stdin.close().await.unwrap();
    let mut out = String::new();
    process
        .stdout
        .as_mut()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    assert_eq!(out, "via AsyncWrite");
    let mut err = Vec::new();
    process
        .stderr
        .as_mut()
        .unwrap()
        .read_to_end(&mut err)
        .await
        .unwrap();
    assert_eq!(err, b"done\n");
    assert!(process.wait().await.unwrap().success());
}

#[anyio::test]
async fn unpiped_streams_are_absent() {
    let process = open_process(
        Command::new("true")
            .stdin(Stdio::Null)
            .stdout(Stdio::Null)
            .stderr(Stdio::Inherit),
    )
    .await
    .unwrap();
    assert!(process.stdin.is_none() && process.stdout.is_none() && process.stderr.is_none());
    assert!(process.wait().await.unwrap().success());
}

#[anyio::test]
async fn terminate_kill_and_send_signal_end_the_child() {
    for (signal, expected) in [
        (Some(Signal::Terminate), -Signal::Terminate.as_raw()),
        (None, -9),
        (Some(Signal::User1), -Signal::User1.as_raw()),
    ] {
        let process = open_process(Command::new("sleep").arg("100"))
            .await
            .unwrap();
        assert_eq!(process.returncode(), None);
        assert!(process.try_wait().unwrap().is_none());
        match signal {
            Some(Signal::Terminate) => process.terminate().unwrap(),
            Some(signal) => process.send_signal(signal).unwrap(),
            None => process.kill().unwrap(),
        }
        let status = process.wait().await.unwrap();
        assert_eq!(status.code(), None);
        assert_eq!(process.returncode(), Some(expected));
        // Signalling a reaped child is a no-op, never a signal to a reused pid.
        process.kill().unwrap();
        process.terminate().unwrap();
    }
}

#[anyio::test]
async fn a_cancelled_wait_leaves_the_child_running() {
    let process = open_process(Command::new("sleep").arg("100"))
        .await
        .unwrap();
    assert!(move_on_after(Duration::from_millis(20), process.wait())
        .await
        .is_none());
    assert!(process_exists(process.pid()));
    assert_eq!(process.returncode(), None);
    process.kill().unwrap();
    process.wait().await.unwrap();
    assert!(!process_exists(process.pid()));
}

#[anyio::test]
async fn several_tasks_can_wait_for_one_child() {
    let process = Arc::new(
        open_process(Command::new("sleep").arg("0.2"))
            .await
            .unwrap(),
    );
    let result = task_group(|tg| {
        let process = process.clone();
        async move {
            for _ in 0..3 {
                let process = process.clone();
                tg.start_soon(async move {
                    assert!(process.wait().await.unwrap().success());
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(process.returncode(), Some(0));
}

#[anyio::test]
async fn aclose_waits_and_a_cancelled_aclose_kills_and_reaps() {
    let process = open_process(Command::new("sh").args(["-c", "exit 4"]))
        .await
        .unwrap();
    assert_eq!(process.aclose().await.unwrap().code(), Some(4));

    let process = open_process(Command::new("sleep").arg("100"))
        .await
        .unwrap();
    let pid = process.pid();
    assert!(move_on_after(Duration::from_millis(50), process.aclose())
        .await
        .is_none());
    assert!(!process_exists(pid), "process {pid} still exists");
}

#[anyio::test]
async fn dropping_a_process_kills_it_and_it_is_reaped_in_the_background() {
    let process = open_process(Command::new("sleep").arg("100"))
        .await
        .unwrap();
    let pid = process.pid();
    drop(process);
    assert!(wait_until_gone(pid).await, "process {pid} still exists");
}

#[anyio::test]
async fn kill_on_drop_false_lets_the_child_run() {
    let process = open_process(Command::new("sleep").arg("2").kill_on_drop(false))
        .await
        .unwrap();
    let pid = process.pid();
    drop(process);
    anyio::sleep(Duration::from_millis(100)).await;
    assert!(process_exists(pid), "the child was killed");
    assert!(wait_until_gone(pid).await, "process {pid} was not reaped");
}

#[anyio::test]
async fn a_run_process_dropped_outside_any_scope_is_killed_and_reaped_in_the_background() {
    let pid_file = temp_path("foreign-drop");
    let _ = std::fs::remove_file(&pid_file);
    let command = Command::shell(format!(
        "echo $$ > '{}'; exec sleep 100",
        pid_file.display()
    ));
    {
        // A plain `select`, not an anyio scope: the run is simply dropped.
        let run = std::pin::pin!(run_process(&command));
        let wait = std::pin::pin!(async {
            while !pid_file_ready(&pid_file) {
                anyio::sleep(Duration::from_millis(5)).await;
            }
        });
        futures::future::select(run, wait).await;
    }
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    assert!(wait_until_gone(pid).await, "process {pid} still exists");
}

#[cfg(feature = "tokio")]
mod ambient_tokio {
    use super::*;

    /// A plain `#[tokio::test]`: processes work without `anyio::run`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn processes_work_inside_a_bare_tokio_runtime() {
        let done = run_process(Command::new("echo").arg("plain"))
            .await
            .unwrap();
        assert_eq!(done.stdout, b"plain\n");

        let process = open_process(Command::new("sleep").arg("100"))
            .await
            .unwrap();
        let pid = process.pid();
        assert!(move_on_after(Duration::from_millis(20), process.aclose())
            .await
            .is_none());
        assert!(!process_exists(pid), "process {pid} still exists");
    }
}

#[anyio::test]
async fn pipes_are_shared_between_concurrent_users() {
    let process = open_process(&Command::new("cat")).await.unwrap();
    let (stdin, stdout) = (
        process.stdin.as_ref().unwrap(),
        process.stdout.as_ref().unwrap(),
    );
    // Feed and read at once through shared references, while waiting for the exit.
    let data = vec![b'z'; 500_000];
    let feed = async {
        stdin.send_all(&data).await.unwrap();
        stdin.aclose().await;
    };
    let read = async {
        let mut received = 0;
        loop {
            match stdout.receive(65_536).await {
                Ok(bytes) => received += bytes.len(),
                Err(PipeError::EndOfStream) => return received,
                Err(error) => panic!("{error}"),
            }
        }
    };
    let (_, received, status) = futures::join!(feed, read, process.wait());
    assert_eq!(received, data.len());
    assert!(status.unwrap().success());
}

#[anyio::test]
async fn a_second_concurrent_receive_is_busy_and_aclose_wakes_the_first() {
    let process = open_process(Command::new("sleep").arg("100"))
        .await
        .unwrap();
    let stdout = process.stdout.as_ref().unwrap();
    let first = async { stdout.receive(10).await };
    let second = async {
        anyio::sleep(Duration::from_millis(20)).await;
        let busy = stdout.receive(10).await;
        assert!(matches!(busy, Err(PipeError::BusyResource(_))), "{busy:?}");
        // Closing the pipe wakes the receive waiting on it.
        stdout.aclose().await;
    };
    let (first, ()) = futures::join!(first, second);
    assert!(matches!(first, Err(PipeError::Closed)), "{first:?}");
    process.kill().unwrap();
    process.wait().await.unwrap();
}

#[anyio::test]
async fn pipes_are_byte_streams_for_the_stream_wrappers() {
    use anyio::streams::{
        AsyncResource, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, StreamError,
        TextReceiveStream, UnreliableObjectReceiveStream,
    };
    let cat = anyio::open_process(&anyio::process::Command::new("cat"))
        .await
        .unwrap();
    let stdin = cat.stdin.as_ref().unwrap();
    let stdout = cat.stdout.as_ref().unwrap();
    // Through the trait, as generic stream code sees them.
    ByteSendStream::send_all(stdin, b"first line\nsecond")
        .await
        .unwrap();
    AsyncResource::aclose(stdin).await;
    let lines = BufferedByteReceiveStream::new(stdout);
    assert_eq!(lines.receive_until(b"\n", 64).await.unwrap(), b"first line");
    assert_eq!(lines.receive_exactly(6).await.unwrap(), b"second");
    assert!(matches!(
        ByteReceiveStream::receive(stdout, 8).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(matches!(
        ByteReceiveStream::receive(stdout, 0).await,
        Err(StreamError::InvalidMaxBytes { max_bytes: 0 })
    ));
    assert!(matches!(
        stdout.receive(0).await,
        Err(anyio::process::PipeError::InvalidMaxBytes { max_bytes: 0 })
    ));
    assert!(cat.wait().await.unwrap().success());

    let echo = anyio::open_process(&anyio::process::Command::shell("printf 'h\\303\\251llo'"))
        .await
        .unwrap();
    let text = TextReceiveStream::new(echo.stdout.as_ref().unwrap());
    let mut received = String::new();
    loop {
        match UnreliableObjectReceiveStream::<String>::receive(&text).await {
            Ok(chunk) => received.push_str(&chunk),
            Err(StreamError::EndOfStream) => break,
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(received, "héllo");
    let closed = echo.stdin.as_ref().unwrap();
    AsyncResource::aclose(closed).await;
    assert!(matches!(
        ByteSendStream::send_all(closed, b"x").await,
        Err(StreamError::ClosedResource)
    ));
}
