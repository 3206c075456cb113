//! RFC 8305 connection racing (`anyio::net::happy_eyeballs`, used by `connect_tcp`), tested
//! on virtual time with scripted connection attempts: exact start times, winners, ordering,
//! cancellation and error aggregation, on every backend.
#![cfg(feature = "net")]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::net::{happy_eyeballs, interleave_families};
use anyio::{current_time, fail_after, move_on_after, sleep, sleep_forever, CancelScope, Instant};

const DELAY: Duration = Duration::from_millis(250);

fn address(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// What a scripted attempt does: after `after`, succeed or fail (or never finish).
#[derive(Clone, Copy)]
enum Outcome {
    Connect(Duration),
    Fail(Duration),
    Hang,
}

/// A scripted "connection": counts how many are alive, so tests see that losers are closed.
struct Connection {
    address: SocketAddr,
    alive: Arc<AtomicUsize>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Records each attempt's start (relative to the race's start) and whether its future was
/// dropped before it finished.
#[derive(Clone, Default)]
struct Script {
    started: Arc<Mutex<Vec<(SocketAddr, Duration)>>>,
    cancelled: Arc<Mutex<Vec<SocketAddr>>>,
    alive: Arc<AtomicUsize>,
}

struct CancelledOnDrop {
    address: SocketAddr,
    finished: bool,
    cancelled: Arc<Mutex<Vec<SocketAddr>>>,
}

impl Drop for CancelledOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            self.cancelled.lock().unwrap().push(self.address);
        }
    }
}

impl Script {
    async fn race(
        &self,
        plan: &[(&str, Outcome)],
    ) -> (Instant, Result<Connection, Vec<(SocketAddr, String)>>) {
        let origin = current_time();
        let plan: Vec<(SocketAddr, Outcome)> = plan
            .iter()
            .map(|(text, outcome)| (address(text), *outcome))
            .collect();
        let lookup = plan.clone();
        let script = self.clone();
        let result = happy_eyeballs(plan.iter().map(|(a, _)| *a), DELAY, move |target| {
            let outcome = lookup.iter().find(|(a, _)| *a == target).unwrap().1;
            script
                .started
                .lock()
                .unwrap()
                .push((target, current_time() - origin));
            let (cancelled, alive) = (script.cancelled.clone(), script.alive.clone());
            async move {
                let mut guard = CancelledOnDrop {
                    address: target,
                    finished: false,
                    cancelled,
                };
                let result = match outcome {
                    Outcome::Connect(after) => {
                        sleep(after).await;
                        alive.fetch_add(1, Ordering::SeqCst);
                        Ok(Connection {
                            address: target,
                            alive,
                        })
                    }
                    Outcome::Fail(after) => {
                        sleep(after).await;
                        Err(format!("{target} refused"))
                    }
                    Outcome::Hang => {
                        sleep_forever().await;
                        unreachable!("sleep_forever returned")
                    }
                };
                guard.finished = true;
                result
            }
        })
        .await;
        (origin, result)
    }

    fn starts(&self) -> Vec<(SocketAddr, Duration)> {
        self.started.lock().unwrap().clone()
    }

    /// How many of the attempts' connections are open.
    fn open(&self) -> usize {
        self.alive.load(Ordering::SeqCst)
    }

    fn cancelled(&self) -> Vec<SocketAddr> {
        let mut cancelled = self.cancelled.lock().unwrap().clone();
        cancelled.sort();
        cancelled
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[test]
fn families_alternate_starting_with_the_first() {
    let ordered = interleave_families(
        ["[::1]:1", "[::2]:1", "[::3]:1", "10.0.0.1:1", "10.0.0.2:1"].map(address),
    );
    assert_eq!(
        ordered,
        ["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1", "[::3]:1"].map(address)
    );
    let ordered = interleave_families(["10.0.0.1:1", "10.0.0.2:1", "[::1]:1"].map(address));
    assert_eq!(
        ordered,
        ["10.0.0.1:1", "[::1]:1", "10.0.0.2:1"].map(address)
    );
    assert!(interleave_families([]).is_empty());
}

#[anyio::test(autojump)]
async fn attempts_start_a_delay_apart_until_one_connects() {
    let script = Script::default();
    let (origin, result) = script
        .race(&[
            ("[::1]:80", Outcome::Hang),
            ("[::2]:80", Outcome::Hang),
            ("10.0.0.1:80", Outcome::Connect(ms(1000))),
            ("10.0.0.2:80", Outcome::Hang),
        ])
        .await;
    let winner = result.unwrap_or_else(|_| panic!("one attempt connects"));
    assert_eq!(winner.address, address("10.0.0.1:80"));
    // Families alternate: the first IPv4 address is tried second, at exactly 250 ms.
    assert_eq!(
        script.starts(),
        [
            (address("[::1]:80"), ms(0)),
            (address("10.0.0.1:80"), ms(250)),
            (address("[::2]:80"), ms(500)),
            (address("10.0.0.2:80"), ms(750)),
        ]
    );
    assert_eq!(
        current_time() - origin,
        ms(1250),
        "won 1 s after it started"
    );
    // Every other attempt was cancelled when the winner connected.
    let mut losers = vec![
        address("[::1]:80"),
        address("[::2]:80"),
        address("10.0.0.2:80"),
    ];
    losers.sort();
    assert_eq!(script.cancelled(), losers);
    assert_eq!(script.open(), 1, "only the winner is open");
    drop(winner);
    assert_eq!(script.open(), 0);
}

#[anyio::test(autojump)]
async fn an_early_failure_starts_the_next_attempt_at_once() {
    let script = Script::default();
    let (origin, result) = script
        .race(&[
            ("[::1]:80", Outcome::Fail(ms(100))),
            ("10.0.0.1:80", Outcome::Fail(ms(30))),
            ("[::2]:80", Outcome::Connect(ms(10))),
        ])
        .await;
    assert_eq!(result.ok().unwrap().address, address("[::2]:80"));
    assert_eq!(
        script.starts(),
        [
            (address("[::1]:80"), ms(0)),
            (address("10.0.0.1:80"), ms(100)),
            (address("[::2]:80"), ms(130)),
        ]
    );
    assert_eq!(current_time() - origin, ms(140));
    assert!(script.cancelled().is_empty(), "nothing was left in flight");
}

#[anyio::test(autojump)]
async fn a_later_attempt_can_win_and_the_earlier_is_cancelled() {
    let script = Script::default();
    let (origin, result) = script
        .race(&[
            ("[::1]:80", Outcome::Connect(ms(400))),
            ("10.0.0.1:80", Outcome::Connect(ms(50))),
        ])
        .await;
    let winner = result.ok().unwrap();
    assert_eq!(winner.address, address("10.0.0.1:80"));
    assert_eq!(current_time() - origin, ms(300));
    assert_eq!(script.cancelled(), [address("[::1]:80")]);
    assert_eq!(script.open(), 1);
}

#[anyio::test(autojump)]
async fn simultaneous_successes_leave_only_the_winner_open() {
    let script = Script::default();
    // Both connect at exactly 300 ms.
    let (_, result) = script
        .race(&[
            ("[::1]:80", Outcome::Connect(ms(300))),
            ("10.0.0.1:80", Outcome::Connect(ms(50))),
        ])
        .await;
    let winner = result.ok().unwrap();
    assert_eq!(script.open(), 1, "the loser's connection was closed");
    drop(winner);
    assert_eq!(script.open(), 0);
}

#[anyio::test(autojump)]
async fn every_failure_is_reported_in_attempt_order() {
    let script = Script::default();
    let (origin, result) = script
        .race(&[
            ("[::1]:80", Outcome::Fail(ms(500))),
            ("[::2]:80", Outcome::Fail(ms(10))),
            ("10.0.0.1:80", Outcome::Fail(ms(20))),
        ])
        .await;
    let errors = result.err().unwrap();
    assert_eq!(
        errors,
        [
            (address("[::1]:80"), "[::1]:80 refused".to_owned()),
            (address("10.0.0.1:80"), "10.0.0.1:80 refused".to_owned()),
            (address("[::2]:80"), "[::2]:80 refused".to_owned()),
        ]
    );
    // 10.0.0.1 started at 250 and failed at 270, so [::2] started at 270 and failed at 280;
    // the result waits for the slow first attempt.
    assert_eq!(
        script.starts(),
        [
            (address("[::1]:80"), ms(0)),
            (address("10.0.0.1:80"), ms(250)),
            (address("[::2]:80"), ms(270)),
        ]
    );
    assert_eq!(current_time() - origin, ms(500));
}

#[anyio::test(autojump)]
async fn cancelling_the_race_cancels_every_attempt() {
    let script = Script::default();
    let outcome = move_on_after(
        ms(600),
        script.race(&[
            ("[::1]:80", Outcome::Hang),
            ("10.0.0.1:80", Outcome::Hang),
            ("[::2]:80", Outcome::Hang),
            ("10.0.0.2:80", Outcome::Connect(ms(1000))),
        ]),
    )
    .await;
    assert!(outcome.is_none());
    assert_eq!(
        script.starts().len(),
        3,
        "the fourth attempt was due at 750 ms"
    );
    let mut started: Vec<SocketAddr> = script.starts().into_iter().map(|(a, _)| a).collect();
    started.sort();
    assert_eq!(script.cancelled(), started);
    assert_eq!(script.open(), 0);
}

/// Regression: once the last attempt had started, the race's task group had nothing left to
/// run in its body, so a cancellation from outside ended it "successfully" and the race
/// reported a failure with no attempts instead of letting the enclosing scope catch.
#[anyio::test(autojump)]
async fn a_deadline_after_the_last_attempt_started_is_a_timeout_not_a_failure() {
    let script = Script::default();
    let outcome = move_on_after(ms(300), script.race(&[("127.0.0.1:80", Outcome::Hang)])).await;
    assert!(outcome.is_none(), "the deadline is caught by its scope");
    assert_eq!(script.cancelled(), [address("127.0.0.1:80")]);

    let script = Script::default();
    let outcome = move_on_after(
        ms(300),
        script.race(&[("[::1]:80", Outcome::Hang), ("10.0.0.1:80", Outcome::Hang)]),
    )
    .await;
    assert!(outcome.is_none(), "both attempts had started at 250 ms");
    assert_eq!(script.starts().len(), 2);
    assert_eq!(script.open(), 0);
}

#[anyio::test(autojump)]
async fn fail_after_around_the_race_is_its_timeout_error() {
    let script = Script::default();
    let origin = current_time();
    let outcome = fail_after(ms(300), script.race(&[("127.0.0.1:80", Outcome::Hang)])).await;
    let error = outcome.err().expect("the deadline passed");
    assert_eq!(error.deadline(), Some(origin + ms(300)));
}

#[anyio::test(autojump)]
async fn a_deadline_while_a_failed_attempt_is_reported_is_still_a_timeout() {
    // The only attempt fails at 300 ms, the deadline passes at 200 ms: whatever the attempts
    // did so far, a cancelled race gives no error of its own.
    let script = Script::default();
    let outcome = move_on_after(
        ms(200),
        script.race(&[
            ("[::1]:80", Outcome::Fail(ms(100))),
            ("10.0.0.1:80", Outcome::Fail(ms(200))),
        ]),
    )
    .await;
    assert!(outcome.is_none());
}

#[anyio::test(autojump)]
async fn no_attempt_starts_in_a_cancelled_scope() {
    let script = Script::default();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let outcome = scope
        .run(script.race(&[("127.0.0.1:80", Outcome::Connect(ms(1)))]))
        .await;
    assert!(outcome.is_none());
    assert!(script.starts().is_empty(), "no attempt was made");
}

/// Every deadline against every stage of a few races: the outcome is the deadline (`None`), a
/// winner, or a failure that lists every attempt; never a failure that lists fewer (the
/// cancelled ones taken for failures), and nothing is left open.
#[anyio::test(autojump)]
async fn a_deadline_at_any_moment_is_a_timeout_a_winner_or_a_complete_failure() {
    let plans: [&[(&str, Outcome)]; 4] = [
        &[("127.0.0.1:80", Outcome::Hang)],
        &[
            ("[::1]:80", Outcome::Fail(ms(100))),
            ("10.0.0.1:80", Outcome::Fail(ms(400))),
        ],
        &[
            ("[::1]:80", Outcome::Hang),
            ("10.0.0.1:80", Outcome::Fail(ms(30))),
            ("[::2]:80", Outcome::Connect(ms(200))),
        ],
        &[
            ("[::1]:80", Outcome::Fail(ms(250))),
            ("10.0.0.1:80", Outcome::Fail(ms(1))),
        ],
    ];
    for plan in plans {
        for deadline in (0..=900).step_by(5).map(ms) {
            let script = Script::default();
            match move_on_after(deadline, script.race(plan)).await {
                None => {}
                Some((_, Ok(winner))) => drop(winner),
                Some((_, Err(failures))) => assert_eq!(
                    failures.len(),
                    plan.len(),
                    "a failure at {deadline:?} lists every attempt: {failures:?}"
                ),
            }
            assert_eq!(script.open(), 0, "at {deadline:?}");
        }
    }
}

#[anyio::test(autojump)]
async fn no_addresses_is_an_empty_failure() {
    let script = Script::default();
    let (_, result) = script.race(&[]).await;
    assert!(result.err().unwrap().is_empty());
}

#[anyio::test]
async fn connect_tcp_falls_back_to_the_family_that_listens() {
    // "localhost" may resolve to ::1 and 127.0.0.1; only IPv4 listens. The IPv6 attempt is
    // refused at once, so the IPv4 one starts without waiting for the delay.
    let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    let port = listener.local_addrs()[0].port();
    let stream = anyio::net::TcpConnectOptions::new("localhost", port)
        .happy_eyeballs_delay(Duration::from_secs(3600))
        .connect()
        .await
        .unwrap();
    assert_eq!(stream.peer_addr(), listener.local_addrs()[0]);
}
