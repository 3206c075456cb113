use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::backend::{Backend, BackendUnavailable};
use crate::context;
use crate::run::run_in;
use crate::time::virtual_clock::{VirtualClock, WaitIdle};

/// A virtual clock for tests (Trio's `MockClock`): time moves only when the test says so, or,
/// with autojump, whenever every anyio task is blocked.
///
/// Cloning gives another handle to the same clock. Run code on it with [`run_with_clock`] or
/// `#[anyio::test(autojump)]`; everything spawned from there inherits it.
///
/// # Examples
///
/// ```
/// use anyio_core::testing::{run_with_clock, MockClock};
/// use anyio_core::{move_on_after, time::{current_time, sleep, Duration}, task_group, Backend};
///
/// // Manual jumps: a child advances time while the body sleeps.
/// let clock = MockClock::new();
/// let jumper = clock.clone();
/// # let backend = Backend::default_backend().unwrap();
/// run_with_clock(backend, &clock, async move {
///     let start = current_time();
///     task_group(|tg| async move {
///         tg.start_soon(async move {
///             anyio_core::testing::wait_all_tasks_blocked().await;
///             jumper.jump(Duration::from_secs(5));
///         })?;
///         sleep(Duration::from_secs(5)).await;
///         Ok::<_, anyio_core::SpawnError>(())
///     })
///     .await
///     .unwrap();
///     assert_eq!(current_time() - start, Duration::from_secs(5));
/// });
/// ```
#[derive(Clone)]
pub struct MockClock {
    inner: Arc<VirtualClock>,
}

impl MockClock {
    /// A clock starting at the current real time, without autojump.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::testing::MockClock;
    /// let clock = MockClock::new();
    /// let before = clock.now();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert_eq!(clock.now(), before, "virtual time does not follow real time");
    /// ```
    pub fn new() -> MockClock {
        MockClock {
            inner: VirtualClock::new(Instant::now(), false),
        }
    }

    /// Turns autojump on: whenever every anyio task is blocked, time jumps to the earliest
    /// pending timer (Trio's `autojump_threshold=0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::testing::MockClock;
    /// assert!(MockClock::new().with_autojump().autojump());
    /// ```
    pub fn with_autojump(self) -> MockClock {
        self.set_autojump(true);
        self
    }

    /// Whether autojump is on.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::testing::MockClock;
    /// assert!(!MockClock::new().autojump());
    /// ```
    pub fn autojump(&self) -> bool {
        self.inner.autojump()
    }

    /// Turns autojump on or off while code runs on the clock. Turning it on when every task is
    /// already blocked jumps at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::testing::MockClock;
    /// let clock = MockClock::new();
    /// clock.set_autojump(true);
    /// assert!(clock.autojump());
    /// ```
    pub fn set_autojump(&self, autojump: bool) {
        self.inner.set_autojump(autojump);
    }

    /// The current virtual time.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::testing::MockClock;
    /// use std::time::Duration;
    /// let clock = MockClock::new();
    /// let start = clock.now();
    /// clock.jump(Duration::from_secs(2));
    /// assert_eq!(clock.now() - start, Duration::from_secs(2));
    /// ```
    pub fn now(&self) -> Instant {
        self.inner.now()
    }

    /// Moves virtual time forward by `duration` (time never moves backwards) and fires every
    /// timer that became due.
    ///
    /// # Examples
    ///
    /// See [`MockClock::now`].
    pub fn jump(&self, duration: Duration) {
        self.inner.jump(duration);
    }
}

impl Default for MockClock {
    fn default() -> Self {
        MockClock::new()
    }
}

impl fmt::Debug for MockClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockClock")
            .field("now", &self.now())
            .field("autojump", &self.autojump())
            .finish()
    }
}

/// Runs `future` to completion on `backend`, with `clock` as the clock of every anyio task.
///
/// # Panics
///
/// Panics when `backend` is not compiled in; [`try_run_with_clock`] returns that as an error.
///
/// # Examples
///
/// See the [module docs](crate::testing).
pub fn run_with_clock<F: Future>(backend: Backend, clock: &MockClock, future: F) -> F::Output {
    try_run_with_clock(backend, clock, future).unwrap_or_else(|error| panic!("{error}"))
}

/// [`run_with_clock`], or an error when `backend` was not compiled in.
///
/// # Errors
///
/// [`BackendUnavailable`], naming the cargo feature to enable.
///
/// # Examples
///
/// ```
/// use anyio_core::{testing::{try_run_with_clock, MockClock}, Backend};
/// let outcome = try_run_with_clock(Backend::Smol, &MockClock::new(), async { 1 });
/// assert_eq!(outcome.is_ok(), Backend::Smol.is_available());
/// ```
pub fn try_run_with_clock<F: Future>(
    backend: Backend,
    clock: &MockClock,
    future: F,
) -> Result<F::Output, BackendUnavailable> {
    run_in(backend, Some(clock.inner.clone()), future)
}

/// Waits until every other anyio task is blocked (Trio's `wait_all_tasks_blocked`): a
/// quiescence point for tests, computed from the same task accounting as autojump, with no
/// polling. Waiters are woken before an autojump, so time does not move past them.
///
/// # Panics
///
/// The returned future panics when polled outside code running on a [`MockClock`] (the
/// accounting exists only there).
///
/// # Cancellation
///
/// Cancel-safe.
///
/// # Examples
///
/// See [`MockClock`].
pub fn wait_all_tasks_blocked() -> WaitAllTasksBlocked {
    WaitAllTasksBlocked { inner: None }
}

/// The future returned by [`wait_all_tasks_blocked`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct WaitAllTasksBlocked {
    inner: Option<WaitIdle>,
}

impl Future for WaitAllTasksBlocked {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = self.inner.get_or_insert_with(|| {
            let clock = context::clock().unwrap_or_else(|| {
                panic!(
                    "wait_all_tasks_blocked needs the task accounting of a MockClock: run the code \
                     with anyio::testing::run_with_clock or #[anyio::test(autojump)]"
                )
            });
            WaitIdle::new(clock)
        });
        Pin::new(inner).poll(cx)
    }
}
