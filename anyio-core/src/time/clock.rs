use std::time::{Duration, Instant};

/// The current time of the clock anyio runs on.
///
/// This is the time every anyio timer, deadline and cancel scope compares against; use it
/// instead of `Instant::now()` in code that computes deadlines, so the code also works on
/// virtual time.
///
/// Under a virtual clock (`MockClock`, `#[anyio::test(autojump)]`) this is virtual time. On
/// the tokio backend it is tokio's clock (`tokio::time::Instant::now()`), so a paused tokio
/// runtime (`#[tokio::test(start_paused = true)]`, `tokio::time::pause`) governs anyio's
/// deadlines too. Otherwise it is `Instant::now()`.
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
    let (virtual_now, backend) =
        crate::context::with_clock_and_backend(|clock, backend| (clock.map(|c| c.now()), backend));
    match virtual_now {
        Some(now) => now,
        None => real_now(backend),
    }
}

/// The backend's own clock: tokio's on the tokio backend, so that `tokio::time::pause` and
/// `advance` govern anyio as they govern tokio's timers, which fire on that clock.
#[inline]
fn real_now(backend: Option<crate::Backend>) -> Instant {
    match backend {
        // Outside an anyio task tokio is the backend exactly when a tokio runtime is ambient,
        // and tokio's clock reads `Instant::now()` when none is.
        #[cfg(feature = "tokio")]
        Some(crate::Backend::Tokio) | None => anyio_tokio::now(),
        _ => Instant::now(),
    }
}

/// `now + duration`, or `None` when that is too far away to represent (which callers treat as
/// "never").
#[inline]
pub(crate) fn deadline_after(duration: Duration) -> Option<Instant> {
    current_time().checked_add(duration)
}
