use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{SemaphoreFullError, WouldBlock};
use super::permits::{Permits, MAX_PERMITS};
use super::waiters::{poll_cancel_point, scope_cancelled};

/// A FIFO-fair counting semaphore, optionally bounded (Trio's `Semaphore(initial,
/// max_value=...)`).
///
/// [`acquire`](Semaphore::acquire) waits for a token and returns a [`SemaphorePermit`] that
/// gives it back when dropped. Waiters are served in order, and
/// [`try_acquire`](Semaphore::try_acquire) fails while anyone waits (no barging).
/// [`release`](Semaphore::release) adds a token explicitly; on a bounded semaphore it refuses
/// to go past the maximum (permits still out count toward it, since they will come back).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::Semaphore, task_group};
/// use std::sync::Arc;
///
/// // At most two downloads at a time.
/// let slots = Arc::new(Semaphore::new(2));
/// task_group(|tg| async move {
///     for _ in 0..5 {
///         let slots = slots.clone();
///         tg.start_soon(async move {
///             let _permit = slots.acquire().await;
///             assert!(slots.value() <= 1);
///         })?;
///     }
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct Semaphore {
    pub(super) permits: Permits,
    max: Option<usize>,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .field("max_value", &self.max)
            .finish_non_exhaustive()
    }
}

impl Semaphore {
    /// A semaphore with `initial` tokens and no maximum.
    ///
    /// # Panics
    ///
    /// Panics if `initial` exceeds 2³¹ − 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.value(), 3);
    /// assert_eq!(semaphore.max_value(), None);
    /// ```
    pub fn new(initial: usize) -> Semaphore {
        Semaphore {
            permits: Permits::new(initial),
            max: None,
        }
    }

    /// A semaphore with `initial` tokens that [`release`](Semaphore::release) never raises
    /// above `max`.
    ///
    /// # Panics
    ///
    /// Panics if `initial > max` or `max` exceeds 2³¹ − 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::with_max(0, 2);
    /// assert_eq!(semaphore.max_value(), Some(2));
    /// semaphore.release().unwrap();
    /// semaphore.release().unwrap();
    /// assert!(semaphore.release().is_err());
    /// ```
    pub fn with_max(initial: usize, max: usize) -> Semaphore {
        assert!(
            initial <= max,
            "the maximum value of a semaphore must be >= its initial value"
        );
        assert!(
            max <= MAX_PERMITS,
            "a semaphore can have at most {MAX_PERMITS} permits"
        );
        Semaphore {
            permits: Permits::new(initial),
            max: Some(max),
        }
    }

    /// Waits for a token.
    ///
    /// When a token is free and nobody waits it completes on its first poll, except that every
    /// so often it yields once first, so that a loop of acquisitions lets deadlines and other
    /// tasks run.
    ///
    /// # Cancellation
    ///
    /// A cancellation point: in an effectively cancelled scope it never completes, even when a
    /// token is free, and takes nothing (the scope drops it). Cancel-safe: dropping the future
    /// withdraws the waiter, and a token already handed to it
    /// goes on to the next waiter (or back to the semaphore). No token ever leaks. A waiter
    /// whose cancel scope is cancelled while it waits does not take a token.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// let permit = semaphore.acquire().await;
    /// assert_eq!(semaphore.value(), 0);
    /// drop(permit);
    /// assert_eq!(semaphore.value(), 1);
    /// # });
    /// ```
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            semaphore: self,
            wait: SemaphoreWait::default(),
        }
    }

    /// Takes a token if one is free and nobody is waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when no token is free or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, WouldBlock> {
        if self.permits.try_acquire() {
            Ok(SemaphorePermit { semaphore: self })
        } else {
            Err(WouldBlock)
        }
    }

    /// Adds a token: it goes to the first waiter, or raises the value.
    ///
    /// # Errors
    ///
    /// [`SemaphoreFullError`] on a bounded semaphore when the free tokens plus the permits still
    /// out would exceed the maximum.
    ///
    /// # Panics
    ///
    /// Panics on an unbounded semaphore whose value would exceed 2³¹ − 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::with_max(1, 1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// semaphore.release().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    pub fn release(&self) -> Result<(), SemaphoreFullError> {
        match self.permits.add(self.max, &()) {
            Ok(()) => Ok(()),
            Err(()) if self.max.is_some() => Err(SemaphoreFullError),
            Err(()) => panic!("a semaphore can have at most {MAX_PERMITS} permits"),
        }
    }

    /// The number of free tokens.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio_core::sync::Semaphore::new(2).value(), 2);
    /// ```
    pub fn value(&self) -> usize {
        self.permits.value()
    }

    /// The maximum value, if bounded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio_core::sync::Semaphore::with_max(1, 5).max_value(), Some(5));
    /// ```
    pub fn max_value(&self) -> Option<usize> {
        self.max
    }

    /// A snapshot of the semaphore's state.
    ///
    /// # Examples
    ///
    /// ```
    /// let statistics = anyio_core::sync::Semaphore::new(1).statistics();
    /// assert_eq!(statistics.tasks_waiting, 0);
    /// assert_eq!(statistics.value, 1);
    /// ```
    pub fn statistics(&self) -> SemaphoreStatistics {
        SemaphoreStatistics {
            value: self.value(),
            max_value: self.max,
            tasks_waiting: self.permits.waiting(),
        }
    }
}

/// A snapshot of a [`Semaphore`]'s state.
///
/// # Examples
///
/// ```
/// let statistics = anyio_core::sync::Semaphore::with_max(0, 1).statistics();
/// assert_eq!((statistics.value, statistics.max_value), (0, Some(1)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemaphoreStatistics {
    /// Free tokens.
    pub value: usize,
    /// The maximum value, if bounded.
    pub max_value: Option<usize>,
    /// How many are waiting for a token.
    pub tasks_waiting: usize,
}

/// The state of one acquisition of a [`Semaphore`], shared by the borrowed and the owned
/// acquire futures so that both wait in the semaphore's one queue with the same rules.
#[derive(Debug, Default)]
pub(super) struct SemaphoreWait {
    key: Option<usize>,
}

impl SemaphoreWait {
    /// Whether this acquisition is queued.
    pub(super) fn is_waiting(&self) -> bool {
        self.key.is_some()
    }

    /// Polls for a token of `semaphore`; `Ready` once it is taken (the caller makes the permit).
    pub(super) fn poll(&mut self, semaphore: &Semaphore, cx: &mut Context<'_>) -> Poll<()> {
        if self.key.is_none() {
            std::task::ready!(poll_cancel_point(cx));
        } else if scope_cancelled() {
            // Blocked, then cancelled: leave any token handed to us to `cancel`, which passes
            // it on.
            return Poll::Pending;
        }
        semaphore.permits.poll_acquire(&mut self.key, 0, cx)
    }

    /// Withdraws a dropped acquisition; a token already handed to it goes on.
    pub(super) fn cancel(&mut self, semaphore: &Semaphore) {
        if let Some(key) = self.key.take() {
            semaphore.permits.cancel(key, &());
        }
    }
}

/// The future returned by [`Semaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquire<'a> {
    semaphore: &'a Semaphore,
    wait: SemaphoreWait,
}

impl fmt::Debug for SemaphoreAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreAcquire")
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let semaphore = self.semaphore;
        self.wait
            .poll(semaphore, cx)
            .map(|()| SemaphorePermit { semaphore })
    }
}

impl Drop for SemaphoreAcquire<'_> {
    fn drop(&mut self) {
        self.wait.cancel(self.semaphore);
    }
}

/// A token of a [`Semaphore`]; dropping it gives the token back (to the first waiter, if any).
///
/// # Examples
///
/// ```
/// let semaphore = anyio_core::sync::Semaphore::new(1);
/// {
///     let _permit = semaphore.try_acquire().unwrap();
///     assert_eq!(semaphore.value(), 0);
/// }
/// assert_eq!(semaphore.value(), 1);
/// ```
#[must_use = "the token is given back as soon as the permit is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

impl SemaphorePermit<'_> {
    /// Keeps the token taken without this permit; [`Semaphore::release`] gives it back later
    /// (Trio's `acquire()`/`release()` style).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// semaphore.release().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    pub fn forget(self) {
        self.semaphore.permits.forget();
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.permits.release(&());
    }
}
