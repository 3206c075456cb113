//! `race` and `race_ok`: the winner comes back, every loser is cancelled and has ended before
//! the call returns, errors and empty input are reported, and the caller's cancellation and a
//! racer's panic reach every racer.

use crate::common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::{
    checkpoint, finally, move_on_after, race, race_ok, sleep, sleep_forever, CancelScope, Duration,
    Event, RaceError,
};
use common::{Counter, Flag};
use futures::FutureExt;

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(3600);

type Racer<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A racer that sleeps `delay` and returns `value`. Cancelled or not, it then cleans up for
/// `SHORT` (which a race must wait for) and only then sets `ended`.
fn racer<T: Send + 'static>(delay: Duration, value: T, ended: &Flag) -> Racer<T> {
    let ended = ended.clone();
    async move {
        finally(sleep(delay), async move {
            sleep(SHORT).await;
            ended.set();
        })
        .await;
        value
    }
    .boxed()
}

fn flags(n: usize) -> Vec<Flag> {
    (0..n).map(|_| Flag::new()).collect()
}

fn millis(delay: u64) -> Duration {
    Duration::from_millis(delay)
}

#[anyio::test(autojump)]
async fn the_first_to_complete_wins_and_losers_end_before_race_returns() {
    let ended = flags(3);
    let racers = [(3, "slow"), (1, "fast"), (2, "middle")]
        .into_iter()
        .zip(&ended)
        .map(|((delay, name), ended)| racer(millis(delay), name, ended));
    assert_eq!(race(racers).await, Ok("fast"));
    for (index, flag) in ended.iter().enumerate() {
        assert!(
            flag.is_set(),
            "racer {index} finished its cleanup before race returned"
        );
    }
}

#[anyio::test(autojump)]
async fn in_race_an_error_that_completes_first_wins() {
    let ended = flags(2);
    let racers = vec![
        racer(millis(2), Ok("late success"), &ended[0]),
        racer(millis(1), Err("early failure"), &ended[1]),
    ];
    assert_eq!(race(racers).await, Ok(Err("early failure")));
    assert!(ended.iter().all(Flag::is_set));
}

#[anyio::test(autojump)]
async fn race_ok_skips_errors_and_returns_the_first_success() {
    let ended = flags(3);
    let racers = vec![
        racer(millis(1), Err("refused"), &ended[0]),
        racer(millis(2), Ok("connected"), &ended[1]),
        racer(millis(3), Ok("too late"), &ended[2]),
    ];
    assert_eq!(race_ok(racers).await, Ok("connected"));
    assert!(ended.iter().all(Flag::is_set));
}

#[anyio::test(autojump)]
async fn race_ok_returns_every_error_in_completion_order_when_all_fail() {
    let racers = [(3, "c"), (1, "a"), (2, "b")].map(|(delay, error)| async move {
        sleep(millis(delay)).await;
        Err::<(), _>(error)
    });
    match race_ok(racers).await {
        Err(RaceError::Failed(errors)) => assert_eq!(errors, ["a", "b", "c"]),
        other => panic!("expected every error, got {other:?}"),
    }
}

#[anyio::test]
async fn empty_input_is_an_error_not_a_hang() {
    let none: Vec<Racer<u8>> = Vec::new();
    assert_eq!(race(none).await, Err(RaceError::Empty));
    let none: Vec<Racer<Result<u8, ()>>> = Vec::new();
    assert_eq!(race_ok(none).await, Err(RaceError::Empty));
    assert_eq!(
        RaceError::<()>::Empty.to_string(),
        "cannot race zero futures"
    );
}

#[anyio::test(autojump)]
async fn a_single_racer_wins_alone() {
    assert_eq!(race([async { 7 }]).await, Ok(7));
    assert_eq!(race_ok([async { Ok::<_, ()>(8) }]).await, Ok(8));
}

#[anyio::test(autojump)]
async fn cancelling_the_caller_cancels_and_awaits_every_racer() {
    let ended = flags(3);
    let racers: Vec<_> = ended.iter().map(|flag| racer(LONG, (), flag)).collect();
    let outcome = move_on_after(SHORT, race(racers)).await;
    assert_eq!(outcome, None, "the caller's scope caught its cancellation");
    for (index, flag) in ended.iter().enumerate() {
        assert!(
            flag.is_set(),
            "racer {index} ended before the scope returned"
        );
    }
}

#[anyio::test(autojump)]
async fn a_panicking_racer_cancels_the_others_and_the_panic_resumes() {
    let ended = flags(2);
    let mut racers = vec![racer(LONG, (), &ended[0]), racer(LONG, (), &ended[1])];
    racers.push(
        async {
            checkpoint().await;
            if std::hint::black_box(true) {
                panic!("racer panicked");
            }
        }
        .boxed(),
    );
    let payload = std::panic::AssertUnwindSafe(race(racers))
        .catch_unwind()
        .await
        .expect_err("the panic resumes in the caller");
    assert_eq!(common::panic_message(&*payload), "racer panicked");
    assert!(ended.iter().all(Flag::is_set));
}

/// A cancellation that reaches the caller after a racer completed but before the race took its
/// output: the caller sees only its cancellation, and the output is dropped like a loser's.
#[anyio::test]
async fn a_cancellation_before_the_winner_is_taken_drops_it() {
    let scope = CancelScope::new();
    let caller = scope.handle();
    let dropped = Counter::new();
    let loser_ended = Flag::new();
    let loser_running = Arc::new(Event::new());
    let racers: Vec<Racer<Counted>> = vec![
        {
            let (dropped, loser_running) = (dropped.clone(), loser_running.clone());
            async move {
                loser_running.wait().await;
                caller.cancel();
                Counted(dropped)
            }
            .boxed()
        },
        {
            let loser = racer(LONG, Counted(dropped.clone()), &loser_ended);
            async move {
                loser_running.set();
                loser.await
            }
            .boxed()
        },
    ];
    let outcome = scope.run(race(racers)).await;
    assert!(outcome.is_none(), "the race was cancelled");
    assert!(
        loser_ended.is_set(),
        "the loser ended before the race returned"
    );
    assert_eq!(
        dropped.get(),
        2,
        "the untaken output and the loser's were dropped"
    );
}

/// The converse: once the race took the winner, a cancellation that arrives while it waits for
/// the losers does not take the winner away.
#[anyio::test]
async fn a_winner_taken_before_the_cancellation_is_returned() {
    let scope = CancelScope::new();
    let caller = scope.handle();
    let loser_running = Arc::new(Event::new());
    let racers: Vec<Racer<&str>> = vec![
        {
            let loser_running = loser_running.clone();
            async move {
                loser_running.wait().await;
                "winner"
            }
            .boxed()
        },
        async move {
            loser_running.set();
            // Cancelled once the race took the winner; the cleanup then cancels the caller.
            finally(sleep_forever(), async move { caller.cancel() }).await;
            "loser"
        }
        .boxed(),
    ];
    let outcome = scope.run(race(racers)).await;
    assert_eq!(outcome, Some(Ok("winner")));
}

struct Counted(Counter);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.add();
    }
}

#[anyio::test]
async fn stress_racers_that_finish_together_yield_one_winner_and_drop_the_other_outputs() {
    for round in 0..20 {
        let n = 50;
        let created = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let racers = (0..n).map(|index| {
            let (created, dropped) = (created.clone(), dropped.clone());
            async move {
                for _ in 0..index % 3 {
                    checkpoint().await;
                }
                created.fetch_add(1, Ordering::SeqCst);
                Guarded(index, dropped)
            }
        });
        let winner = race(racers).await.expect("a winner");
        assert!(winner.0 < n, "round {round}");
        let created = created.load(Ordering::SeqCst);
        assert!(created >= 1, "round {round}");
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            created - 1,
            "round {round}: every output but the winner's was dropped by the time race returned"
        );
    }
}

struct Guarded(usize, Arc<AtomicUsize>);

impl Drop for Guarded {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

/// The caller's cancellation landing at every point of a race (before any racer finished,
/// between a racer's end and the race taking it, while the losers are cancelled): the race
/// either returns a racer's value or is caught by the scope, and never leaves a racer running.
#[anyio::test]
async fn stress_the_callers_cancellation_at_any_moment_leaves_no_racer_running() {
    for round in 0..100usize {
        let n = 8;
        let ended = Arc::new(AtomicUsize::new(0));
        let scope = CancelScope::new();
        let caller = scope.handle();
        let racers = (0..n).map(|index| {
            let (ended, caller) = (ended.clone(), caller.clone());
            async move {
                let _ended = EndGuard(ended);
                for _ in 0..(index + round) % 5 {
                    checkpoint().await;
                }
                if index == round % n {
                    caller.cancel();
                }
                index
            }
        });
        let outcome = scope.run(race(racers)).await;
        assert_eq!(
            ended.load(Ordering::SeqCst),
            n,
            "round {round}: every racer ended before the race returned ({outcome:?})"
        );
        if let Some(winner) = outcome {
            assert!(winner.expect("racers were given") < n);
        }
    }
}

struct EndGuard(Arc<AtomicUsize>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
