use std::time::Instant;

/// A [`fail_after`](super::fail_after) or [`fail_at`](super::fail_at) deadline passed before
/// the operation completed.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{fail_after, time::{sleep, Duration}};
/// let error = fail_after(Duration::from_millis(1), sleep(Duration::from_secs(60)))
///     .await
///     .unwrap_err();
/// assert_eq!(error.to_string(), "operation timed out");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("operation timed out")]
pub struct TimeoutError {
    pub(crate) deadline: Option<Instant>,
}

impl TimeoutError {
    /// The deadline that passed.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{fail_at, time::{current_time, Duration}, sleep_forever};
    /// let deadline = current_time() + Duration::from_millis(1);
    /// let error = fail_at(deadline, sleep_forever()).await.unwrap_err();
    /// assert_eq!(error.deadline(), Some(deadline));
    /// # });
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl From<TimeoutError> for std::io::Error {
    /// A [`std::io::ErrorKind::TimedOut`] error whose source is the timeout, so `?` takes a
    /// [`fail_after`](super::fail_after) into `io::Result` with the rest of a connection's
    /// errors.
    fn from(error: TimeoutError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, error)
    }
}
