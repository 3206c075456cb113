use std::time::{Duration, Instant};

/// The current time of the clock anyio runs on.
///
/// This is the time every anyio timer, deadline and cancel scope compares against; use it
/// instead of `Instant::now()` in code that computes deadlines, so the code also works on
/// virtual time.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::time::{current_time, sleep, Duration};
///
/// let start = current_time();
/// sleep(Duration::from_millis(5)).await;
/// assert!(current_time() - start >= Duration::from_millis(5));
/// # });
/// ```
#[inline]
pub fn current_time() -> Instant {
    crate::context::with_clock(|clock| clock.map(|clock| clock.now())).unwrap_or_else(Instant::now)
}

/// `now + duration`, or `None` when that is too far away to represent (which callers treat as
/// "never").
#[inline]
pub(crate) fn deadline_after(duration: Duration) -> Option<Instant> {
    current_time().checked_add(duration)
}
