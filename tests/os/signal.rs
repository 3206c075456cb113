//! Unix signals (DESIGN §9): a receiver opened with `open_signal_receiver` gets the signals the
//! process sends itself, as a stream, on every backend.
//!
//! Only harmless signals are sent (`SIGUSR1`, `SIGUSR2`, `SIGWINCH`), and always after this
//! test's receiver for them is installed, so no signal can reach the test harness unhandled.
//! The three backends' copies of a test run in parallel and may see each other's signals:
//! the assertions tolerate extra deliveries.
#![cfg(all(unix, feature = "signal", feature = "process"))]

use std::collections::HashSet;

use anyio::process::{run_process, Command};
use anyio::signal::{open_signal_receiver, Signal, SignalError};
use anyio::{fail_after, move_on_after, Duration};
use futures::StreamExt;

const PATIENCE: Duration = Duration::from_secs(10);

/// Sends `signal` to this process with the `kill` utility.
async fn send_to_self(signal: Signal) {
    let name = signal.name().trim_start_matches("SIG");
    run_process(Command::new("kill").args([format!("-{name}"), std::process::id().to_string()]))
        .await
        .unwrap();
}

#[anyio::test]
async fn a_signal_sent_to_the_process_is_received() {
    let mut signals = open_signal_receiver(&[Signal::User1]).unwrap();
    send_to_self(Signal::User1).await;
    let received = fail_after(PATIENCE, signals.receive()).await.unwrap();
    assert_eq!(received, Some(Signal::User1));
}

#[anyio::test]
async fn one_receiver_gets_every_kind_it_listens_for() {
    let mut signals = open_signal_receiver(&[Signal::User2, Signal::WindowChange]).unwrap();
    assert_eq!(signals.signals(), [Signal::User2, Signal::WindowChange]);
    send_to_self(Signal::User2).await;
    send_to_self(Signal::WindowChange).await;
    let mut seen = HashSet::new();
    fail_after(PATIENCE, async {
        while seen.len() < 2 {
            // The receiver implements `Stream`.
            let signal = signals.next().await.expect("the stream does not end");
            assert!(matches!(signal, Signal::User2 | Signal::WindowChange));
            seen.insert(signal);
        }
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_cancelled_receive_loses_no_signal() {
    let mut signals = open_signal_receiver(&[Signal::WindowChange]).unwrap();
    // Nothing sent yet (another backend's copy of a test may send one: that is fine too).
    let _ = move_on_after(Duration::from_millis(20), signals.receive()).await;
    // The receive that gave up took nothing; a signal sent now reaches the next receive.
    send_to_self(Signal::WindowChange).await;
    let received = fail_after(PATIENCE, signals.receive()).await.unwrap();
    assert_eq!(received, Some(Signal::WindowChange));
}

#[anyio::test]
async fn two_receivers_both_get_the_signal() {
    let mut first = open_signal_receiver(&[Signal::User1]).unwrap();
    let mut second = open_signal_receiver(&[Signal::User1]).unwrap();
    send_to_self(Signal::User1).await;
    for receiver in [&mut first, &mut second] {
        let received = fail_after(PATIENCE, receiver.receive()).await.unwrap();
        assert_eq!(received, Some(Signal::User1));
    }
}

#[anyio::test]
async fn uncatchable_signals_are_refused() {
    for signal in [Signal::Kill, Signal::Stop] {
        let error = open_signal_receiver(&[Signal::User1, signal]).unwrap_err();
        assert!(matches!(error, SignalError::Uncatchable(s) if s == signal));
        assert_eq!(error.to_string(), format!("{signal} cannot be caught"));
    }
}

#[test]
#[cfg(target_os = "linux")]
fn signal_names_and_numbers() {
    assert_eq!(Signal::Interrupt.to_string(), "SIGINT");
    assert_eq!(Signal::Terminate.as_raw(), 15);
    assert_eq!(Signal::Hangup.as_raw(), 1);
    assert_eq!(Signal::from_raw(9), Some(Signal::Kill));
    assert_eq!(Signal::from_raw(-1), None);
}
