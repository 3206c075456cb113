use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::clock::{current_time, deadline_after};
use crate::backend::require_backend_for;
use crate::runtime::Timer;

/// Waits until `duration` has passed on the anyio clock.
///
/// A zero duration still yields once to the scheduler, like Trio's `sleep(0)`. A duration too
/// long to represent as an instant (such as `Duration::MAX`) sleeps forever instead of
/// panicking.
///
/// # Panics
///
/// The returned future panics when first polled outside any async runtime (see
/// [`current_backend`](crate::current_backend)), with a message saying how to start one and
/// naming the line that called `sleep`.
///
/// # Cancellation
///
/// Cancel-safe: dropping the future simply stops the wait.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::time::{sleep, Duration};
/// sleep(Duration::from_millis(1)).await;
/// # });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(deadline_after(duration))
}

/// Waits until the anyio clock reaches `deadline`.
///
/// A deadline already passed yields once to the scheduler and completes.
///
/// # Panics
///
/// The returned future panics when first polled outside any async runtime, naming the line
/// that called `sleep_until`.
///
/// # Cancellation
///
/// Cancel-safe: dropping the future simply stops the wait.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::time::{current_time, sleep_until, Duration};
/// let deadline = current_time() + Duration::from_millis(2);
/// sleep_until(deadline).await;
/// assert!(current_time() >= deadline);
/// # });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Some(deadline))
}

/// Waits forever: only cancellation (dropping the future) ends it.
///
/// # Cancellation
///
/// Cancel-safe: this future exists to be cancelled.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{move_on_after, time::{sleep_forever, Duration}};
/// let result = move_on_after(Duration::from_millis(1), sleep_forever()).await;
/// assert_eq!(result, None);
/// # });
/// ```
pub fn sleep_forever() -> SleepForever {
    SleepForever { _private: () }
}

/// The future returned by [`sleep_forever`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct SleepForever {
    _private: (),
}

impl Future for SleepForever {
    type Output = std::convert::Infallible;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`].
    ///
    /// The backend timer is created on first poll, so a `Sleep` can be built outside a runtime
    /// and awaited inside one.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Sleep {
        deadline: Option<Instant>,
        // Named by the panic of a first poll outside any runtime.
        caller: &'static Location<'static>,
        state: SleepState,
        #[pin]
        timer: Option<Timer>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SleepState {
    Unpolled,
    Yielded,
    Waiting,
}

impl Sleep {
    #[track_caller]
    fn new(deadline: Option<Instant>) -> Sleep {
        Sleep {
            deadline,
            caller: Location::caller(),
            state: SleepState::Unpolled,
            timer: None,
        }
    }

    /// The instant this sleep ends, or `None` if it never does.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::time::{sleep, Duration};
    /// assert!(sleep(Duration::from_secs(1)).deadline().is_some());
    /// assert!(sleep(Duration::MAX).deadline().is_none());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        match *this.state {
            SleepState::Unpolled => {
                let backend = require_backend_for(this.caller);
                let Some(deadline) = *this.deadline else {
                    *this.state = SleepState::Waiting;
                    return Poll::Pending;
                };
                if deadline <= current_time() {
                    // A sleep that is already due is still a scheduling point.
                    *this.state = SleepState::Yielded;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                this.timer.set(Some(Timer::new(backend, deadline)));
                *this.state = SleepState::Waiting;
            }
            SleepState::Yielded => return Poll::Ready(()),
            SleepState::Waiting => {}
        }
        match this.timer.as_pin_mut() {
            Some(timer) => timer.poll(cx),
            None => Poll::Pending,
        }
    }
}
