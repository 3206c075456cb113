//! A child's pipes through their poll core and the ecosystem's I/O traits, on every backend.
#![cfg(all(unix, feature = "process"))]

use std::task::{Context, Poll, Waker};

use anyio::process::{open_process, Command};
use anyio::streams::{
    BufferedByteReceiveStream, ByteReceiveStream, PollByteReceive, PollByteSend, StapledByteStream,
    StreamError,
};
use anyio::CancelScope;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 % 251) as u8).collect()
}

/// More than a pipe holds, so writing and reading must overlap.
const LARGE: usize = 300_000;

#[anyio::test]
async fn cat_echoes_through_futures_io_copy_close_and_read_to_end() {
    let mut cat = open_process(&Command::new("cat")).await.unwrap();
    let mut stdin = cat.stdin.take().unwrap();
    let mut stdout = cat.stdout.take().unwrap();
    let data = payload(LARGE);
    let write = async {
        let copied = futures::io::copy(&mut &data[..], &mut stdin).await.unwrap();
        stdin.close().await.unwrap();
        assert!(stdin.is_closed(), "closing ends the pipe");
        stdin.close().await.unwrap();
        copied
    };
    let read = async {
        let mut echoed = Vec::new();
        stdout.read_to_end(&mut echoed).await.unwrap();
        echoed
    };
    let (copied, echoed) = futures::join!(write, read);
    assert_eq!(copied, LARGE as u64);
    assert!(echoed == data, "cat echoed every byte in order");
    assert!(cat.wait().await.unwrap().success());
}

#[cfg(feature = "tokio-io")]
#[anyio::test]
async fn cat_echoes_through_tokio_io() {
    let cat = open_process(&Command::new("cat")).await.unwrap();
    let (stdin, stdout) = (cat.stdin.as_ref().unwrap(), cat.stdout.as_ref().unwrap());
    let data = payload(LARGE);
    let write = async {
        // Shared references implement the traits too.
        let mut writer = stdin;
        tokio::io::copy(&mut &data[..], &mut writer).await.unwrap();
        tokio::io::AsyncWriteExt::shutdown(&mut writer)
            .await
            .unwrap();
    };
    let read = async {
        let mut echoed = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut &*stdout, &mut echoed)
            .await
            .unwrap();
        echoed
    };
    let ((), echoed) = futures::join!(write, read);
    assert!(echoed == data, "cat echoed every byte in order");
    assert!(cat.wait().await.unwrap().success());
}

/// Each poll call in a cancelled scope is `Pending`: nothing is written, read or closed.
#[anyio::test]
async fn pipe_poll_calls_in_a_cancelled_scope_are_pending_and_take_nothing() {
    let cat = open_process(&Command::new("cat")).await.unwrap();
    let (stdin, stdout) = (cat.stdin.as_ref().unwrap(), cat.stdout.as_ref().unwrap());
    // Round trip first, so the pipes are known ready and a poll would act at once.
    stdin.send_all(b"x").await.unwrap();
    assert_eq!(stdout.receive(8).await.unwrap(), b"x");
    stdin.send_all(b"kept").await.unwrap();
    let mut received = Vec::new();
    while received.len() < 4 {
        // Wait until the child echoed, so a read would take it.
        anyio::sleep(anyio::Duration::from_millis(10)).await;
        let scope = CancelScope::new();
        scope.handle().cancel();
        let pending = scope
            .run(async {
                let mut cx = Context::from_waker(Waker::noop());
                let mut buf = [0; 8];
                [
                    stdout.poll_receive_into(&mut cx, &mut buf).is_pending(),
                    stdin.poll_send(&mut cx, b"lost").is_pending(),
                    stdin.poll_send_eof(&mut cx).is_pending(),
                ]
            })
            .await;
        assert_eq!(pending, Some([true; 3]));
        assert!(
            !stdin.is_closed(),
            "a cancelled end of sending closes nothing"
        );
        received.extend(stdout.receive(8).await.unwrap());
    }
    assert_eq!(received, b"kept", "the cancelled read took nothing");
    stdin.aclose().await;
    assert!(
        matches!(
            stdout.receive(8).await,
            Err(anyio::process::PipeError::EndOfStream)
        ),
        "the cancelled send wrote nothing"
    );
    assert!(cat.wait().await.unwrap().success());
}

#[anyio::test]
async fn stdin_poll_send_eof_closes_the_pipe_and_ending_twice_is_harmless() {
    let cat = open_process(&Command::new("cat")).await.unwrap();
    let stdin = cat.stdin.as_ref().unwrap();
    std::future::poll_fn(|cx| stdin.poll_send_eof(cx))
        .await
        .unwrap();
    assert!(stdin.is_closed());
    std::future::poll_fn(|cx| stdin.poll_send_eof(cx))
        .await
        .unwrap();
    assert!(matches!(
        std::future::poll_fn(|cx| stdin.poll_send(cx, b"late")).await,
        Err(StreamError::ClosedResource)
    ));
    let error = (&*stdin).write(b"late").await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
    assert!(cat.wait().await.unwrap().success());
}

#[anyio::test]
async fn empty_and_closed_reads_follow_the_stream_contract() {
    let cat = open_process(&Command::new("cat")).await.unwrap();
    let stdout = cat.stdout.as_ref().unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(
        stdout.poll_receive_into(&mut cx, &mut []),
        Poll::Ready(Err(StreamError::InvalidMaxBytes { max_bytes: 0 }))
    ));
    assert_eq!((&*stdout).read(&mut []).await.unwrap(), 0);
    stdout.aclose().await;
    let error = (&*stdout).read(&mut [0; 4]).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
    cat.stdin.as_ref().unwrap().aclose().await;
    assert!(cat.wait().await.unwrap().success());
}

/// A child's stdin and stdout stapled into one two-way stream, buffered for lines.
#[anyio::test]
async fn stapled_pipes_are_one_stream_for_the_io_traits() {
    let mut cat = open_process(&Command::new("cat")).await.unwrap();
    let (stdin, stdout) = (cat.stdin.take().unwrap(), cat.stdout.take().unwrap());
    let mut stream = StapledByteStream::new(stdin, BufferedByteReceiveStream::new(stdout));
    stream.write_all(b"first\nsecond\n").await.unwrap();
    stream.flush().await.unwrap();
    let line = stream.receive_stream().receive_until(b"\n", 64).await;
    assert_eq!(line.unwrap(), b"first");
    stream.close().await.unwrap(); // ends stdin only: cat finishes its output
                                   // What receive_until left buffered comes first.
    let mut rest = String::new();
    stream.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "second\n");
    assert!(cat.wait().await.unwrap().success());
}

#[anyio::test]
async fn buffered_stdout_reads_lines_with_async_buf_read() {
    let process = open_process(&Command::shell("printf 'one\\ntwo\\nthree'"))
        .await
        .unwrap();
    let mut process = process;
    let stdout = process.stdout.take().unwrap();
    let mut lines = BufferedByteReceiveStream::new(stdout).lines();
    let mut collected = Vec::new();
    while let Some(line) = futures::StreamExt::next(&mut lines).await {
        collected.push(line.unwrap());
    }
    assert_eq!(collected, ["one", "two", "three"]);
    assert!(process.wait().await.unwrap().success());
}

#[anyio::test]
async fn stream_wrappers_still_receive_through_the_async_methods() {
    let process = open_process(&Command::shell("echo hi")).await.unwrap();
    let stdout = process.stdout.as_ref().unwrap();
    assert_eq!(
        ByteReceiveStream::receive(stdout, 64).await.unwrap(),
        b"hi\n"
    );
    assert!(matches!(
        ByteReceiveStream::receive(stdout, 64).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(process.wait().await.unwrap().success());
}
