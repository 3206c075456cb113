use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::pin;
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::catch_panic::CatchPanic;
use super::failure::ChildFailure;
use crate::task_group::shutdown::unless_shutdown;
use crate::task_group::{is_shutdown_requested, shutdown_requested, TaskResult};
use crate::time::{current_time, sleep};

/// The failure handler of a [`Supervisor`].
type FailureHandler<E> = Box<dyn FnMut(&ChildFailure<E>) + Send>;

/// Keeps a child running: restarts it when it fails (an error or a panic), after a
/// [`Backoff`], without failing its task group; gives up, and lets the failure reach the group
/// as usual, only past a restart limit you choose. Erlang/OTP calls this a `one_for_one`
/// supervisor with a restart intensity.
///
/// [`run`](Supervisor::run) takes a function that starts one attempt, and is itself the
/// future to spawn: `tg.start_soon(Supervisor::new().run(|| job()))`.
///
/// | option | default |
/// |---|---|
/// | [`backoff`](Supervisor::backoff) | exponential, 100 ms to 30 s |
/// | [`max_restarts`](Supervisor::max_restarts) | no limit |
/// | [`restart_on_success`](Supervisor::restart_on_success) | `false`: an attempt that returns `Ok` ends the supervisor |
/// | [`on_failure`](Supervisor::on_failure) | none: failures are only counted |
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::supervise::{Backoff, Supervisor};
/// use anyio_core::{task_group, Duration};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
///
/// let attempts = Arc::new(AtomicU32::new(0));
/// let counted = attempts.clone();
/// task_group(|tg| async move {
///     tg.start_soon(
///         Supervisor::new()
///             .backoff(Backoff::constant(Duration::from_millis(1)))
///             .on_failure(|failure| eprintln!("refresher: {failure}"))
///             .run(move || {
///                 let counted = counted.clone();
///                 async move {
///                     // Fails twice, then succeeds; the siblings never notice.
///                     if counted.fetch_add(1, Ordering::SeqCst) < 2 {
///                         return Err(std::io::Error::other("upstream down"));
///                     }
///                     Ok(())
///                 }
///             }),
///     )?;
///     Ok::<_, std::io::Error>(())
/// })
/// .await
/// .unwrap();
/// assert_eq!(attempts.load(Ordering::SeqCst), 3);
/// # });
/// ```
pub struct Supervisor<E> {
    backoff: Backoff,
    limit: Option<(u32, Duration)>,
    restart_on_success: bool,
    on_failure: Option<FailureHandler<E>>,
}

impl<E> fmt::Debug for Supervisor<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("backoff", &self.backoff)
            .field("limit", &self.limit)
            .field("restart_on_success", &self.restart_on_success)
            .field("on_failure", &self.on_failure.is_some())
            .finish()
    }
}

impl<E> Default for Supervisor<E> {
    fn default() -> Supervisor<E> {
        Supervisor::new()
    }
}

impl<E> Supervisor<E> {
    /// A supervisor with the defaults in the table above.
    ///
    /// # Examples
    ///
    /// See [`Supervisor`].
    pub fn new() -> Supervisor<E> {
        Supervisor {
            backoff: Backoff::default(),
            limit: None,
            restart_on_success: false,
            on_failure: None,
        }
    }

    /// How long to wait before each restart.
    ///
    /// # Examples
    ///
    /// See [`Supervisor`].
    pub fn backoff(mut self, backoff: Backoff) -> Supervisor<E> {
        self.backoff = backoff;
        self
    }

    /// Gives up after more than `restarts` restarts within any `within`: the failure that
    /// would need one more then ends the supervisor as the child's own failure would (the
    /// error goes to the group, a panic resumes), and the group's usual rule applies.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::supervise::{Backoff, Supervisor};
    /// use anyio_core::{task_group, Duration, TaskGroupError};
    ///
    /// let result = task_group(|tg| async move {
    ///     tg.start_soon(
    ///         Supervisor::new()
    ///             .backoff(Backoff::none())
    ///             .max_restarts(2, Duration::from_secs(60))
    ///             .run(|| async { Err("always fails") }),
    ///     )
    ///     .unwrap();
    ///     Ok::<_, &str>(())
    /// })
    /// .await;
    /// // Three attempts (two restarts), then the third failure reaches the group.
    /// assert_eq!(result, Err(TaskGroupError::Failed(vec!["always fails"])));
    /// # });
    /// ```
    pub fn max_restarts(mut self, restarts: u32, within: Duration) -> Supervisor<E> {
        self.limit = Some((restarts, within));
        self
    }

    /// Restarts an attempt that ended without failing too (OTP's `permanent` child), for a
    /// service loop that must always run. By default such an attempt ends the supervisor.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::supervise::Supervisor;
    /// let supervisor = Supervisor::<std::io::Error>::new().restart_on_success(true);
    /// # drop(supervisor);
    /// ```
    pub fn restart_on_success(mut self, restart: bool) -> Supervisor<E> {
        self.restart_on_success = restart;
        self
    }

    /// Calls `handler` with each failure, before the restart (or before giving up): log it,
    /// count it, report it.
    ///
    /// # Examples
    ///
    /// See [`Supervisor`].
    pub fn on_failure<H>(mut self, handler: H) -> Supervisor<E>
    where
        H: FnMut(&ChildFailure<E>) + Send + 'static,
    {
        self.on_failure = Some(Box::new(handler));
        self
    }

    /// Runs attempts made by `start_attempt` until one ends without failing (or forever, with
    /// [`restart_on_success`](Supervisor::restart_on_success)), restarting after each
    /// failure.
    ///
    /// # Errors
    ///
    /// The last error, once the [restart limit](Supervisor::max_restarts) is exceeded. A panic
    /// past the limit resumes instead.
    ///
    /// # Cancellation
    ///
    /// Cancelling the supervisor (its group, say) cancels the running attempt or the backoff
    /// wait, and nothing restarts: a cancelled attempt is not a failure.
    ///
    /// A graceful shutdown of an enclosing group ([`TaskGroup::shutdown`](crate::TaskGroup::shutdown))
    /// stops the restarts: the running attempt goes on (it may watch
    /// [`shutdown_requested`](crate::shutdown_requested) itself), a backoff wait ends at once,
    /// and the supervisor returns `Ok(())` when the attempt ends, whatever its end (a failure
    /// is still reported to [`on_failure`](Supervisor::on_failure)).
    ///
    /// # Examples
    ///
    /// See [`Supervisor`].
    pub async fn run<F, Fut, R>(mut self, mut start_attempt: F) -> Result<(), E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = R>,
        R: TaskResult<E>,
    {
        let mut restarts: VecDeque<Instant> = VecDeque::new();
        let mut consecutive_failures = 0u32;
        loop {
            let started = current_time();
            let failure = match CatchPanic::new(start_attempt()).await {
                Ok(output) => match output.into_result() {
                    Ok(()) if self.restart_on_success => None,
                    Ok(()) => return Ok(()),
                    Err(error) => Some(ChildFailure::Error(error)),
                },
                Err(payload) => Some(ChildFailure::Panic(payload)),
            };
            let now = current_time();
            if now.saturating_duration_since(started) >= self.backoff.max() || failure.is_none() {
                consecutive_failures = 0;
            }
            if let Some(failure) = &failure {
                if let Some(handler) = self.on_failure.as_mut() {
                    handler(failure);
                }
            }
            // A service going down restarts nothing; the failure was reported.
            if is_shutdown_requested() {
                return Ok(());
            }
            if let Some(failure) = failure {
                if !self.may_restart(&mut restarts, now) {
                    return match failure {
                        ChildFailure::Error(error) => Err(error),
                        ChildFailure::Panic(payload) => resume_unwind(payload),
                    };
                }
                let backoff = sleep(self.backoff.delay(consecutive_failures));
                if unless_shutdown(backoff, pin!(shutdown_requested()))
                    .await
                    .is_none()
                {
                    return Ok(());
                }
                consecutive_failures = consecutive_failures.saturating_add(1);
            } else {
                // A clean exit of a permanent child restarts at once, but still yields.
                crate::checkpoint().await;
            }
        }
    }

    /// Records a restart at `now`, unless that exceeds the limit.
    fn may_restart(&self, restarts: &mut VecDeque<Instant>, now: Instant) -> bool {
        let Some((limit, within)) = self.limit else {
            return true;
        };
        while restarts
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= within)
        {
            restarts.pop_front();
        }
        if restarts.len() >= limit as usize {
            return false;
        }
        restarts.push_back(now);
        true
    }
}
