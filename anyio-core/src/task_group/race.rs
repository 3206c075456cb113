//! `race` and `race_ok`: run futures as children of a task group, keep the first result, and
//! cancel and await the rest.
//!
//! Built only on the public task group and memory object stream API: each racer is a
//! `start_soon` child that sends its output into a channel with room for every racer (so no
//! send ever waits), and the group's body takes outputs in completion order until one is
//! accepted, then cancels the group. The group then waits for the losers, which is what makes
//! "no racer outlives the call" hold, and carries panics and the caller's cancellation as it
//! does for any child.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;

use super::error::TaskGroupError;
use super::group::task_group;
use super::handle::TaskGroup;
use crate::streams::memory::create_memory_object_stream;

/// Why [`race`] or [`race_ok`] has no winner.
///
/// `E` is the racers' error type for [`race_ok`]; [`race`] accepts any output, so its
/// `RaceError` (with the default `E = Infallible`) is only ever [`RaceError::Empty`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{race_ok, RaceError};
/// let all_failed = race_ok(["a", "b"].map(|error| async move { Err::<(), _>(error) })).await;
/// match all_failed {
///     Err(RaceError::Failed(mut errors)) => {
///         errors.sort();
///         assert_eq!(errors, ["a", "b"]);
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # });
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RaceError<E = Infallible> {
    /// No future was given: a race needs at least one racer (rather than waiting forever).
    #[error("cannot race zero futures")]
    Empty,
    /// Every racer of [`race_ok`] failed; their errors, in the order the racers finished.
    #[error("every raced future failed ({} errors)", .0.len())]
    Failed(Vec<E>),
}

// Written out so that `RaceError<E>` prints for any `E`: the errors are only counted.
impl<E> fmt::Debug for RaceError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaceError::Empty => f.write_str("Empty"),
            RaceError::Failed(errors) => write!(f, "Failed({} errors)", errors.len()),
        }
    }
}

/// Runs every future as a child of a new task group and returns the output of the first to
/// complete, whatever it is; the others are cancelled, and `race` returns only after all of
/// them ended.
///
/// This is `tokio::select!` over a list, or `futures::future::select_all` (and Trio's and
/// AnyIO's "first one wins" recipe) made structured: losers are not just dropped but cancelled
/// *and awaited*, so their cleanup (a `finally`, a shielded scope) has finished when `race`
/// returns, and none of them runs on afterwards. A racer that fails by returning `Err` is a
/// result like any other here and can win; to take the first *success* instead, use
/// [`race_ok`].
///
/// All futures have one type: race futures of different types by boxing them
/// (`futures::FutureExt::boxed`) or by mapping them into one enum. They are children, so they
/// are `Send + 'static` like any task group child, and run in parallel on multi-threaded
/// runtimes.
///
/// # Errors
///
/// [`RaceError::Empty`] if `futures` is empty (at once, without waiting).
///
/// # Panics
///
/// A panic in any racer cancels the others and resumes here once all of them ended. Panics
/// outside any async runtime.
///
/// # Cancellation
///
/// When the caller's scope is cancelled, every racer is cancelled, and `race` waits for all of
/// them to end before the scope drops it (the task group inside is a protected region). If
/// `race` had already taken a winner when the cancellation arrived (it was waiting for the
/// losers), it returns that winner; otherwise it never returns and the scope catches the
/// cancellation, and an output a racer produced but `race` had not taken yet is dropped like a
/// loser's. Dropped by foreign code (a plain `select!`), `race` cancels the racers and leaves
/// them to end on their own, as a dropped [`task_group`](crate::task_group()) does.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{race, sleep, Duration};
/// let winner = race([3, 1, 2].map(|delay| async move {
///     sleep(Duration::from_millis(delay)).await;
///     delay
/// }))
/// .await;
/// assert_eq!(winner, Ok(1));
/// # });
/// ```
pub async fn race<I, F>(futures: I) -> Result<F::Output, RaceError>
where
    I: IntoIterator<Item = F>,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    first_accepted(futures, Ok).await
}

/// Runs every future as a child of a new task group and returns the first `Ok` value; the
/// others are cancelled, and `race_ok` returns only after all of them ended. Errors do not end
/// the race: they are kept, and returned all together if every racer fails.
///
/// This is `futures::future::select_ok` made structured, and the shape of Happy Eyeballs
/// (try several ways at once, keep the first that works): losers are cancelled *and awaited*.
/// `select_ok` returns only the last error; `race_ok` returns every error, in the order the
/// racers finished, so none is lost (as a task group collects every failure).
///
/// # Errors
///
/// [`RaceError::Empty`] if `futures` is empty (at once, without waiting);
/// [`RaceError::Failed`] with every error if every racer returned `Err`.
///
/// # Panics
///
/// A panic in any racer cancels the others and resumes here once all of them ended. Panics
/// outside any async runtime.
///
/// # Cancellation
///
/// As for [`race`]: the caller's cancellation cancels every racer, and `race_ok` waits for
/// them all before its scope drops it. A success it had already taken is returned; otherwise
/// the scope catches the cancellation, and the errors collected so far are dropped.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{race_ok, sleep, Duration};
///
/// async fn connect(address: &'static str, delay: u64) -> Result<&'static str, String> {
///     sleep(Duration::from_millis(delay)).await;
///     if address.starts_with("10.") {
///         Err(format!("{address}: refused"))
///     } else {
///         Ok(address)
///     }
/// }
///
/// let first_ok = race_ok([connect("10.0.0.1", 1), connect("192.0.2.1", 2), connect("192.0.2.2", 5)]);
/// assert_eq!(first_ok.await, Ok("192.0.2.1"));
/// # });
/// ```
pub async fn race_ok<I, F, T, E>(futures: I) -> Result<T, RaceError<E>>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    first_accepted(futures, |output| output).await
}

/// Races `futures`, taking outputs in completion order until `accept` turns one into a winner;
/// returns the rejected ones when none was accepted.
async fn first_accepted<I, F, T, R>(
    futures: I,
    accept: fn(F::Output) -> Result<T, R>,
) -> Result<T, RaceError<R>>
where
    I: IntoIterator<Item = F>,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    R: Send + 'static,
{
    let futures: Vec<F> = futures.into_iter().collect();
    if futures.is_empty() {
        return Err(RaceError::Empty);
    }
    // Room for every racer's output, so a racer never waits to report (and a loser that
    // completes while the winner is taken just leaves its output in the channel).
    let (tx, rx) = create_memory_object_stream(futures.len());
    let outcome = task_group(|tg: TaskGroup<RaceError<R>>| async move {
        for future in futures {
            let tx = tx.clone();
            // The group is running this body, so it accepts children; a refused one would drop
            // its sender unused, which the loop below sees as the end of the stream.
            let _ = tg.start_soon(async move {
                let _ = tx.try_send(future.await);
            });
        }
        // Only the racers hold senders now: the stream ends once every racer ended.
        drop(tx);
        let mut rejected = Vec::new();
        while let Ok(output) = rx.receive().await {
            match accept(output) {
                Ok(winner) => {
                    // The body returns in the same poll, so the group keeps its value.
                    tg.cancel();
                    return Ok(winner);
                }
                Err(error) => rejected.push(error),
            }
        }
        Err(RaceError::Failed(rejected))
    })
    .await;
    match outcome {
        Ok(winner) => Ok(winner),
        // The body's error is the group's only failure: racers never fail the group.
        Err(TaskGroupError::Failed(mut errors)) => {
            Err(errors.pop().unwrap_or(RaceError::Failed(Vec::new())))
        }
        // Only the body cancels the group, as it returns the winner; so no winner means every
        // racer ended without an output.
        Err(TaskGroupError::Cancelled) => Err(RaceError::Failed(Vec::new())),
    }
}
