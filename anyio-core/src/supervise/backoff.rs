use std::time::Duration;

/// How long a [`Supervisor`](super::Supervisor) waits before each restart.
///
/// The delay grows with the number of *consecutive* failures: an attempt that stays up for at
/// least the longest delay counts as healthy, and the next failure starts over from the first
/// delay.
///
/// # Examples
///
/// ```
/// use anyio_core::supervise::Backoff;
/// use std::time::Duration;
///
/// let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1));
/// let delays: Vec<_> = (0..6).map(|failures| backoff.delay(failures)).collect();
/// assert_eq!(delays, [100, 200, 400, 800, 1000, 1000].map(Duration::from_millis));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    exponential: bool,
}

impl Backoff {
    /// Restarts at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::supervise::Backoff;
    /// assert_eq!(Backoff::none().delay(10), std::time::Duration::ZERO);
    /// ```
    pub fn none() -> Backoff {
        Backoff::constant(Duration::ZERO)
    }

    /// Waits `delay` before every restart.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::supervise::Backoff;
    /// use std::time::Duration;
    /// assert_eq!(Backoff::constant(Duration::from_secs(1)).delay(5), Duration::from_secs(1));
    /// ```
    pub fn constant(delay: Duration) -> Backoff {
        Backoff {
            initial: delay,
            max: delay,
            exponential: false,
        }
    }

    /// Waits `initial` before the first restart, doubling after each consecutive failure up
    /// to `max`. A `max` below `initial` is taken as `initial`.
    ///
    /// # Examples
    ///
    /// See [`Backoff`].
    pub fn exponential(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max: max.max(initial),
            exponential: true,
        }
    }

    /// The wait before the restart that follows `consecutive_failures` earlier consecutive
    /// failures (0 for the first).
    ///
    /// # Examples
    ///
    /// See [`Backoff`].
    pub fn delay(&self, consecutive_failures: u32) -> Duration {
        if !self.exponential {
            return self.initial;
        }
        let factor = 2u32.checked_pow(consecutive_failures).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The longest wait: an attempt that stays up this long was healthy.
    pub(crate) fn max(&self) -> Duration {
        self.max
    }
}

impl Default for Backoff {
    /// Exponential from 100 ms to 30 s.
    fn default() -> Backoff {
        Backoff::exponential(Duration::from_millis(100), Duration::from_secs(30))
    }
}
