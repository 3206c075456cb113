use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::sync::borrower::Borrower;
use crate::sync::capacity_limiter::{CapacityLimiter, LimiterWait};
use crate::sync::error::LimiterError;

impl CapacityLimiter {
    /// Waits for one more token, like [`acquire`](CapacityLimiter::acquire), and returns an
    /// owned token that keeps an `Arc` of the limiter: it is `'static`, so it can move into a
    /// spawned task or a worker thread and be returned there.
    ///
    /// The token is recorded for the task that polls this future (outside anyio tasks: a fresh
    /// anonymous borrower), and it returns on behalf of that same borrower wherever it is
    /// dropped. To record it for the task or thread that will use it, acquire on its behalf
    /// with [`acquire_on_behalf_of_owned`](CapacityLimiter::acquire_on_behalf_of_owned).
    ///
    /// # Errors
    ///
    /// Never fails; the output is a `Result` because the future is shared with
    /// [`acquire_on_behalf_of_owned`](CapacityLimiter::acquire_on_behalf_of_owned).
    ///
    /// # Cancellation
    ///
    /// Exactly as [`acquire`](CapacityLimiter::acquire): a cancellation point that takes
    /// nothing in an effectively cancelled scope, and cancel-safe: dropping the future
    /// withdraws its place in the queue, and a token already granted to it goes on to the next
    /// waiter. A waiter whose scope is cancelled while it waits does not take a token.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{sync::CapacityLimiter, task_group};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(1));
    /// let token = limiter.acquire_owned().await.unwrap();
    /// task_group(|tg| async move {
    ///     tg.start_soon(async move { drop(token) })?;
    ///     Ok::<_, anyio_core::SpawnError>(())
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// # });
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedLimiterAcquire {
        OwnedLimiterAcquire::new(self, None)
    }

    /// Waits for a token for `borrower`, which may hold only one, like
    /// [`acquire_on_behalf_of`](CapacityLimiter::acquire_on_behalf_of), and returns an owned
    /// token.
    ///
    /// # Errors
    ///
    /// [`LimiterError::AlreadyBorrowing`] if `borrower` already holds (or waits for) a token of
    /// this limiter, however it got it.
    ///
    /// # Cancellation
    ///
    /// As [`acquire_owned`](CapacityLimiter::acquire_owned).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(2));
    /// let job = Borrower::from_id(7);
    /// let token = limiter.acquire_on_behalf_of_owned(job).await.unwrap();
    /// assert_eq!(limiter.statistics().borrowers, vec![job]);
    /// anyio_core::to_thread::run_sync(move || drop(token)).await;
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// # });
    /// ```
    pub fn acquire_on_behalf_of_owned(self: &Arc<Self>, borrower: Borrower) -> OwnedLimiterAcquire {
        OwnedLimiterAcquire::new(self, Some(borrower))
    }

    /// Takes one more token for the current task if one is free and nobody waits, like
    /// [`try_acquire`](CapacityLimiter::try_acquire), returning an owned token.
    ///
    /// # Errors
    ///
    /// [`LimiterError::WouldBlock`] when no token is free or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{CapacityLimiter, LimiterError};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(1));
    /// let token = limiter.try_acquire_owned().unwrap();
    /// assert_eq!(limiter.try_acquire_owned().unwrap_err(), LimiterError::WouldBlock);
    /// std::thread::spawn(move || drop(token)).join().unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedLimiterToken, LimiterError> {
        self.try_take_owned(Borrower::current_or_anonymous(), false)
    }

    /// Takes a token for `borrower` if one is free and nobody waits, like
    /// [`try_acquire_on_behalf_of`](CapacityLimiter::try_acquire_on_behalf_of), returning an
    /// owned token.
    ///
    /// # Errors
    ///
    /// [`LimiterError::AlreadyBorrowing`] if `borrower` holds or waits for a token already, or
    /// [`LimiterError::WouldBlock`] when no token is free or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter, LimiterError};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(2));
    /// let borrower = Borrower::new();
    /// let token = limiter.try_acquire_on_behalf_of_owned(borrower).unwrap();
    /// assert_eq!(token.borrower(), borrower);
    /// assert_eq!(
    ///     limiter.try_acquire_on_behalf_of_owned(borrower).unwrap_err(),
    ///     LimiterError::AlreadyBorrowing,
    /// );
    /// ```
    pub fn try_acquire_on_behalf_of_owned(
        self: &Arc<Self>,
        borrower: Borrower,
    ) -> Result<OwnedLimiterToken, LimiterError> {
        self.try_take_owned(borrower, true)
    }

    fn try_take_owned(
        self: &Arc<Self>,
        borrower: Borrower,
        exclusive: bool,
    ) -> Result<OwnedLimiterToken, LimiterError> {
        self.try_take_for(borrower, exclusive)?;
        Ok(OwnedLimiterToken::new(Arc::clone(self), borrower))
    }
}

/// The future returned by [`CapacityLimiter::acquire_owned`] and
/// [`CapacityLimiter::acquire_on_behalf_of_owned`]: waits in the limiter's one FIFO queue,
/// alongside the borrowed acquisitions.
///
/// # Cancellation
///
/// A cancellation point: polled first in an effectively cancelled scope it stays pending and
/// takes nothing. Dropping it withdraws its waiter; if a token had already been granted to it,
/// the drop returns it for the same borrower, which passes it to the next waiter. Once
/// cancelled while queued it never completes.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::CapacityLimiter;
/// use std::sync::Arc;
///
/// let limiter = Arc::new(CapacityLimiter::new(1));
/// let waiting = limiter.acquire_owned();
/// let _token = waiting.await.unwrap();
/// assert_eq!(limiter.borrowed_tokens(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedLimiterAcquire {
    limiter: Arc<CapacityLimiter>,
    wait: LimiterWait,
}

impl OwnedLimiterAcquire {
    fn new(limiter: &Arc<CapacityLimiter>, borrower: Option<Borrower>) -> OwnedLimiterAcquire {
        OwnedLimiterAcquire {
            limiter: Arc::clone(limiter),
            wait: LimiterWait::new(borrower),
        }
    }
}

impl fmt::Debug for OwnedLimiterAcquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLimiterAcquire")
            .field("borrower", &self.wait.borrower())
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl Future for OwnedLimiterAcquire {
    type Output = Result<OwnedLimiterToken, LimiterError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.wait
            .poll(&this.limiter, cx)
            .map_ok(|borrower| OwnedLimiterToken::new(Arc::clone(&this.limiter), borrower))
    }
}

impl Drop for OwnedLimiterAcquire {
    fn drop(&mut self) {
        self.wait.cancel(&self.limiter);
    }
}

/// A [`CapacityLimiter`] token held through an `Arc`; dropping it returns the token (to the
/// first waiter, if any) on behalf of the borrower it was taken for, from whichever task or
/// thread drops it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::CapacityLimiter;
/// use std::sync::Arc;
///
/// let limiter = Arc::new(CapacityLimiter::new(1));
/// let token = limiter.acquire_owned().await.unwrap();
/// assert_eq!(limiter.available_tokens(), 0);
/// drop(token);
/// assert_eq!(limiter.available_tokens(), 1);
/// # });
/// ```
#[must_use = "the token is returned as soon as it is dropped"]
pub struct OwnedLimiterToken {
    limiter: Arc<CapacityLimiter>,
    borrower: Borrower,
    /// Set by `detach`: the token stays borrowed past this guard.
    detached: bool,
}

impl fmt::Debug for OwnedLimiterToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLimiterToken")
            .field("borrower", &self.borrower)
            .finish_non_exhaustive()
    }
}

impl OwnedLimiterToken {
    fn new(limiter: Arc<CapacityLimiter>, borrower: Borrower) -> OwnedLimiterToken {
        OwnedLimiterToken {
            limiter,
            borrower,
            detached: false,
        }
    }

    /// Who holds this token: the borrower it was taken for, wherever the token is now.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(1));
    /// let borrower = Borrower::new();
    /// let token = limiter.try_acquire_on_behalf_of_owned(borrower).unwrap();
    /// assert_eq!(token.borrower(), borrower);
    /// ```
    pub fn borrower(&self) -> Borrower {
        self.borrower
    }

    /// Keeps the token borrowed past this guard, as
    /// [`LimiterToken::detach`](crate::sync::LimiterToken::detach); release it later with
    /// [`CapacityLimiter::release_on_behalf_of`] for [`borrower`](OwnedLimiterToken::borrower)
    /// (or [`CapacityLimiter::release`] in the task that acquired it).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(1));
    /// let borrower = Borrower::new();
    /// limiter.try_acquire_on_behalf_of_owned(borrower).unwrap().detach();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// limiter.release_on_behalf_of(borrower).unwrap();
    /// ```
    pub fn detach(mut self) {
        self.limiter.detach_token(self.borrower);
        self.detached = true;
    }

    /// The limiter this token belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::CapacityLimiter;
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(CapacityLimiter::new(1));
    /// let token = limiter.try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(token.limiter(), &limiter));
    /// ```
    pub fn limiter(&self) -> &Arc<CapacityLimiter> {
        &self.limiter
    }
}

impl Drop for OwnedLimiterToken {
    fn drop(&mut self) {
        if !self.detached {
            self.limiter.give_back(self.borrower);
        }
    }
}
