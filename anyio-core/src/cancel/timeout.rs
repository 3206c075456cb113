use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::deadline::ScopeDeadline;
use super::error::TimeoutError;
use super::scope::{CancelScope, Scoped};
use super::CancelHandle;

/// Runs `future` with a timeout: `Some(value)` if it completes within `timeout`, `None` if the
/// deadline passed first (the future is then dropped at its next `Pending`).
///
/// The timeout counts from the first poll (when the scope is entered), as in Trio, not from
/// this call.
///
/// This is a [`CancelScope`] with a deadline, so it nests with other scopes: an enclosing
/// scope's earlier deadline applies inside it too, and [`Scoped::handle`] moves the deadline.
///
/// # Cancellation
///
/// Dropping the returned future drops `future`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{move_on_after, time::{sleep, Duration}};
/// assert_eq!(move_on_after(Duration::from_secs(5), async { 1 }).await, Some(1));
/// assert_eq!(move_on_after(Duration::from_millis(1), sleep(Duration::from_secs(60))).await, None);
/// # });
/// ```
#[track_caller]
pub fn move_on_after<F: Future>(timeout: Duration, future: F) -> Scoped<F> {
    CancelScope::with(ScopeDeadline::After(timeout)).run(future)
}

/// Like [`move_on_after`], with an absolute deadline on the anyio clock.
///
/// # Cancellation
///
/// Dropping the returned future drops `future`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{move_on_at, time::{current_time, sleep, Duration}};
/// let deadline = current_time() + Duration::from_millis(1);
/// assert_eq!(move_on_at(deadline, sleep(Duration::from_secs(60))).await, None);
/// # });
/// ```
#[track_caller]
pub fn move_on_at<F: Future>(deadline: Instant, future: F) -> Scoped<F> {
    CancelScope::with(ScopeDeadline::At(deadline)).run(future)
}

/// Runs `future` with a timeout, failing with [`TimeoutError`] when the deadline passes first.
/// The timeout counts from the first poll, as with [`move_on_after`].
///
/// Only the deadline produces the error: when an enclosing scope is cancelled instead, this
/// future does not resolve and the enclosing scope catches, as with any scope.
///
/// # Errors
///
/// [`TimeoutError`] when `timeout` elapsed before `future` completed.
///
/// # Cancellation
///
/// Dropping the returned future drops `future`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{fail_after, time::{sleep, Duration}};
/// assert_eq!(fail_after(Duration::from_secs(5), async { 1 }).await, Ok(1));
/// assert!(fail_after(Duration::from_millis(1), sleep(Duration::from_secs(60))).await.is_err());
/// # });
/// ```
#[track_caller]
pub fn fail_after<F: Future>(timeout: Duration, future: F) -> FailAfter<F> {
    FailAfter {
        inner: move_on_after(timeout, future),
    }
}

/// Like [`fail_after`], with an absolute deadline on the anyio clock.
///
/// # Errors
///
/// [`TimeoutError`] when `deadline` passed before `future` completed.
///
/// # Cancellation
///
/// Dropping the returned future drops `future`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{fail_at, time::{current_time, Duration}};
/// let deadline = current_time() + Duration::from_secs(5);
/// assert_eq!(fail_at(deadline, async { "done" }).await, Ok("done"));
/// # });
/// ```
#[track_caller]
pub fn fail_at<F: Future>(deadline: Instant, future: F) -> FailAfter<F> {
    FailAfter {
        inner: move_on_at(deadline, future),
    }
}

pin_project! {
    /// The future returned by [`fail_after`] and [`fail_at`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct FailAfter<F> {
        #[pin]
        inner: Scoped<F>,
    }
}

impl<F> FailAfter<F> {
    /// The deadline of this operation's scope, read-only: use a [`CancelScope`] for a scope you
    /// can also cancel by hand.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::{fail_after, time::Duration};
    /// assert!(fail_after(Duration::from_secs(1), async {}).deadline().is_some());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.handle().deadline()
    }

    fn handle(&self) -> CancelHandle {
        self.inner.handle()
    }
}

impl<F> fmt::Debug for FailAfter<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailAfter")
            .field("deadline", &self.deadline())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for FailAfter<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        // The scope is not reachable from outside, so only its deadline can make it catch.
        match inner.as_mut().poll(cx) {
            Poll::Ready(Some(value)) => Poll::Ready(Ok(value)),
            Poll::Ready(None) => Poll::Ready(Err(TimeoutError {
                deadline: inner.deadline(),
            })),
            Poll::Pending => Poll::Pending,
        }
    }
}
