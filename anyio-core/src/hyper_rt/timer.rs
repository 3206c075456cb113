use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::time::{current_time, sleep, sleep_until, Sleep};

/// hyper's [`Timer`](hyper::rt::Timer) on anyio's clock: hyper's timeouts (such as
/// `http1::Builder::header_read_timeout` and HTTP/2 keep-alive) sleep on the backend in force,
/// and on virtual time under a [`MockClock`](crate::testing::MockClock).
///
/// hyper reads the time through [`now`](hyper::rt::Timer::now), which is
/// [`current_time`], and passes deadlines computed from it back to
/// [`sleep_until`](hyper::rt::Timer::sleep_until): both are instants of anyio's clock, so
/// virtual deadlines need no conversion.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::hyper_rt::AnyioTimer;
/// use anyio_core::time::{current_time, Duration};
/// use hyper::rt::Timer;
///
/// let timer = AnyioTimer::new();
/// let start = timer.now();
/// timer.sleep(Duration::from_millis(2)).await;
/// assert!(current_time() - start >= Duration::from_millis(2));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyioTimer {
    _private: (),
}

impl AnyioTimer {
    /// The timer. It holds nothing: every sleep reads the clock of the task polling it.
    ///
    /// # Examples
    ///
    /// See [`AnyioTimer`].
    pub fn new() -> AnyioTimer {
        AnyioTimer { _private: () }
    }
}

impl hyper::rt::Timer for AnyioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(AnyioSleep::new(sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(AnyioSleep::new(sleep_until(deadline)))
    }

    fn now(&self) -> Instant {
        current_time()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        // Reuses the allocation when the sleep is ours (hyper resets its timers often).
        match sleep.as_mut().downcast_mut_pin::<AnyioSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

pin_project! {
    /// The sleep [`AnyioTimer`] gives hyper: an anyio [`Sleep`] that hyper can hold in a
    /// `Send + Sync` connection.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: dropping it stops the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::hyper_rt::{AnyioSleep, AnyioTimer};
    /// use anyio_core::time::Duration;
    /// use hyper::rt::Timer;
    ///
    /// let mut sleep = AnyioTimer::new().sleep(Duration::from_millis(1));
    /// assert!(sleep.is::<AnyioSleep>());
    /// sleep.as_mut().await;
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct AnyioSleep {
        #[pin]
        inner: Sleep,
    }
}

impl AnyioSleep {
    fn new(inner: Sleep) -> AnyioSleep {
        AnyioSleep { inner }
    }

    /// The instant this sleep ends on anyio's clock, or `None` if it never does.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::hyper_rt::{AnyioSleep, AnyioTimer};
    /// use anyio_core::time::{current_time, Duration};
    /// use hyper::rt::Timer;
    ///
    /// let deadline = current_time() + Duration::from_secs(1);
    /// let mut sleep = AnyioTimer::new().sleep_until(deadline);
    /// let ours = sleep.as_mut().downcast_mut_pin::<AnyioSleep>().unwrap();
    /// assert_eq!(ours.deadline(), Some(deadline));
    /// # });
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline()
    }

    /// Moves the deadline to `deadline`, as if the sleep had just been made for it.
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().inner.set(sleep_until(deadline));
    }
}

impl Future for AnyioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl hyper::rt::Sleep for AnyioSleep {}
