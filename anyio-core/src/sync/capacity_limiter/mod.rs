//! [`CapacityLimiter`]: the limiter and its state here, taking a token in `acquire`, the
//! borrowers' holdings in `holders`.

mod acquire;
mod holders;

use std::fmt;
use std::task::Waker;

use super::borrower::Borrower;
use super::error::LimiterError;
use super::shim::Mutex;
use super::waiters::{wake_all, WaitList};
pub(super) use acquire::LimiterWait;
pub use acquire::{LimiterAcquire, LimiterToken};
use holders::{Holders, Holding};

/// Limits how many borrowers use a resource at once, with a token count you can change at run
/// time (Trio's and AnyIO's `CapacityLimiter`).
///
/// Unlike a [`Semaphore`](super::Semaphore), tokens are recorded with their *borrowers*, which
/// [`statistics`](CapacityLimiter::statistics) reports and the Trio-style explicit
/// [`release`](CapacityLimiter::release) checks. Waiters are served in FIFO order, and `try_*`
/// calls fail while anyone waits.
///
/// # Borrowers
///
/// - [`acquire`](CapacityLimiter::acquire) and [`try_acquire`](CapacityLimiter::try_acquire)
///   take **one token per call**, recorded for the current anyio task. A Rust task often runs
///   several operations at once (`join!`, `select!`, a stream of futures), each of which may
///   need its own token, so these never fail with [`LimiterError::AlreadyBorrowing`]: two
///   futures joined in one task each get a token, as they would in a plain tokio task.
/// - [`acquire_on_behalf_of`](CapacityLimiter::acquire_on_behalf_of) and
///   [`try_acquire_on_behalf_of`](CapacityLimiter::try_acquire_on_behalf_of) keep AnyIO's and
///   Trio's rule for a borrower you name: it holds (or waits for) at most one token, so
///   borrowing twice is an [`AlreadyBorrowing`](LimiterError::AlreadyBorrowing) error rather
///   than a silent deadlock. Name `Borrower::current_task()` to get AnyIO's
///   one-token-per-task behaviour. Releasing a token a borrower does not hold is an error
///   too.
///
/// [`set_total_tokens`](CapacityLimiter::set_total_tokens) raises or lowers the limit: raising
/// it wakes waiters at once; lowering it never revokes a token, it only delays new borrowers
/// until enough were returned.
///
/// Outside anyio tasks (a plain `tokio::spawn`ed task) there is no current task: each
/// [`acquire`](CapacityLimiter::acquire) there borrows as a fresh anonymous borrower, and
/// [`release`](CapacityLimiter::release) has nothing to release.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::CapacityLimiter, task_group};
/// use std::sync::Arc;
///
/// let limiter = Arc::new(CapacityLimiter::new(2));
/// task_group(|tg| async move {
///     for _ in 0..6 {
///         let limiter = limiter.clone();
///         tg.start_soon(async move {
///             let _token = limiter.acquire().await.unwrap();
///             assert!(limiter.borrowed_tokens() <= 2);
///         })?;
///     }
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct CapacityLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    total: usize,
    holders: Holders,
    waiters: WaitList<LimiterWaiter>,
}

#[derive(Debug)]
struct LimiterWaiter {
    borrower: Borrower,
    granted: bool,
}

impl State {
    fn is_borrowing(&self, borrower: Borrower) -> bool {
        self.holders.contains(borrower)
            || (!self.waiters.is_empty() && self.waiters.queued().any(|w| w.borrower == borrower))
    }

    /// Takes a token for `borrower` if nobody is queued and one is free: `Ok(true)` if taken,
    /// `Ok(false)` if it must wait. An `exclusive` (named) borrower may hold or wait for one
    /// token only.
    fn try_take(&mut self, borrower: Borrower, exclusive: bool) -> Result<bool, LimiterError> {
        if exclusive && self.is_borrowing(borrower) {
            return Err(LimiterError::AlreadyBorrowing);
        }
        if !self.waiters.is_empty() || self.holders.tokens() >= self.total {
            return Ok(false);
        }
        self.holders.take(borrower);
        Ok(true)
    }

    /// Grants free tokens to the front waiters; returns their wakers.
    fn grant(&mut self, wakers: &mut Vec<Waker>) {
        while self.holders.tokens() < self.total {
            let Some((key, waker)) = self.waiters.pop_front() else {
                break;
            };
            let waiter = self.waiters.state_mut(key);
            waiter.granted = true;
            self.holders.take(waiter.borrower);
            wakers.extend(waker);
        }
    }

    /// Returns one of `borrower`'s guarded tokens and grants what became free.
    fn release(&mut self, borrower: Borrower, wakers: &mut Vec<Waker>) {
        if self.holders.give_back(borrower, Holding::Guarded) {
            self.grant(wakers);
        }
    }
}

impl fmt::Debug for CapacityLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("CapacityLimiter")
            .field("borrowed_tokens", &state.holders.tokens())
            .field("total_tokens", &state.total)
            .field("tasks_waiting", &state.waiters.len())
            .finish()
    }
}

impl CapacityLimiter {
    /// A limiter with `total_tokens` tokens. `0` lets nobody through until the total is
    /// raised; `usize::MAX` is unlimited.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(4);
    /// assert_eq!(limiter.total_tokens(), 4);
    /// assert_eq!(limiter.available_tokens(), 4);
    /// ```
    pub fn new(total_tokens: usize) -> CapacityLimiter {
        CapacityLimiter {
            state: Mutex::new(State {
                total: total_tokens,
                holders: Holders::default(),
                waiters: WaitList::new(),
            }),
        }
    }

    /// Waits for one more token, recorded for the current task (outside anyio tasks: for a
    /// fresh anonymous borrower).
    ///
    /// Each call takes its own token, also when the task already holds one (see
    /// [Borrowers](CapacityLimiter#borrowers)). When a token is free and nobody waits it
    /// completes on its first poll, except that every so often it yields once first so that a
    /// loop of acquisitions lets deadlines and other tasks run.
    ///
    /// # Errors
    ///
    /// Never fails; the output is a `Result` because the future is shared with
    /// [`acquire_on_behalf_of`](CapacityLimiter::acquire_on_behalf_of).
    ///
    /// # Cancellation
    ///
    /// A cancellation point: in an effectively cancelled scope it never completes, even when a
    /// token is free, and takes nothing (the scope drops it). Cancel-safe: dropping the future
    /// withdraws the waiter, and a token already granted to it goes on to the next waiter. No
    /// token ever leaks. A waiter whose cancel scope is cancelled while it waits does not take
    /// a token, even if one was granted to it meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let limiter = anyio_core::sync::CapacityLimiter::new(2);
    /// // Two operations of one task, each with its own token.
    /// let (a, b) = futures::join!(limiter.acquire(), limiter.acquire());
    /// assert_eq!(limiter.borrowed_tokens(), 2);
    /// drop((a.unwrap(), b.unwrap()));
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// # });
    /// ```
    pub fn acquire(&self) -> LimiterAcquire<'_> {
        LimiterAcquire::new(self, None)
    }

    /// Waits for a token for `borrower`, which may hold only one (AnyIO's and Trio's rule).
    ///
    /// # Errors
    ///
    /// [`LimiterError::AlreadyBorrowing`] if `borrower` already holds (or waits for) a token of
    /// this limiter, however it got it.
    ///
    /// # Cancellation
    ///
    /// As [`acquire`](CapacityLimiter::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::{Borrower, CapacityLimiter, LimiterError};
    /// let limiter = CapacityLimiter::new(2);
    /// let job = Borrower::from_id(42);
    /// let token = limiter.acquire_on_behalf_of(job).await.unwrap();
    /// assert_eq!(token.borrower(), job);
    /// assert_eq!(limiter.statistics().borrowers, vec![job]);
    /// // A named borrower holds at most one token.
    /// let again = limiter.acquire_on_behalf_of(job).await;
    /// assert_eq!(again.unwrap_err(), LimiterError::AlreadyBorrowing);
    /// # });
    /// ```
    pub fn acquire_on_behalf_of(&self, borrower: Borrower) -> LimiterAcquire<'_> {
        LimiterAcquire::new(self, Some(borrower))
    }

    /// Takes one more token for the current task (outside anyio tasks: for a fresh anonymous
    /// borrower) if one is free and nobody waits; like [`acquire`](CapacityLimiter::acquire),
    /// one token per call.
    ///
    /// # Errors
    ///
    /// [`LimiterError::WouldBlock`] when no token is free or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::{CapacityLimiter, LimiterError};
    /// let limiter = CapacityLimiter::new(0);
    /// assert_eq!(limiter.try_acquire().unwrap_err(), LimiterError::WouldBlock);
    /// # });
    /// ```
    pub fn try_acquire(&self) -> Result<LimiterToken<'_>, LimiterError> {
        self.try_take(Borrower::current_or_anonymous(), false)
    }

    /// Takes a token for `borrower` if one is free and nobody waits.
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
    /// let limiter = CapacityLimiter::new(1);
    /// let (a, b) = (Borrower::new(), Borrower::new());
    /// let _token = limiter.try_acquire_on_behalf_of(a).unwrap();
    /// assert_eq!(limiter.try_acquire_on_behalf_of(b).unwrap_err(), LimiterError::WouldBlock);
    /// ```
    pub fn try_acquire_on_behalf_of(
        &self,
        borrower: Borrower,
    ) -> Result<LimiterToken<'_>, LimiterError> {
        self.try_take(borrower, true)
    }

    fn try_take(
        &self,
        borrower: Borrower,
        exclusive: bool,
    ) -> Result<LimiterToken<'_>, LimiterError> {
        self.try_take_for(borrower, exclusive)?;
        Ok(LimiterToken {
            limiter: self,
            borrower,
        })
    }

    /// Records a token for `borrower` if one is free and nobody waits; the caller makes the
    /// guard.
    pub(super) fn try_take_for(
        &self,
        borrower: Borrower,
        exclusive: bool,
    ) -> Result<(), LimiterError> {
        if self.state.lock().try_take(borrower, exclusive)? {
            Ok(())
        } else {
            Err(LimiterError::WouldBlock)
        }
    }

    /// Returns a token `borrower` held through a guard, from whichever task or thread drops
    /// the guard: the borrower travels with the guard, so the right holder entry goes.
    pub(super) fn give_back(&self, borrower: Borrower) {
        let mut wakers = Vec::new();
        self.state.lock().release(borrower, &mut wakers);
        wake_all(wakers);
    }

    /// Turns a guarded token of `borrower` into a detached one (its guard is forgotten).
    pub(super) fn detach_token(&self, borrower: Borrower) {
        self.state.lock().holders.detach(borrower);
    }

    /// Releases a token the current task kept with [`LimiterToken::detach`] (if it kept
    /// several, one of them).
    ///
    /// # Errors
    ///
    /// As [`release_on_behalf_of`](CapacityLimiter::release_on_behalf_of);
    /// [`LimiterError::NotBorrowing`] outside anyio tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1);
    /// limiter.acquire().await.unwrap().detach();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// limiter.release().unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// # });
    /// ```
    pub fn release(&self) -> Result<(), LimiterError> {
        match Borrower::current_task() {
            Some(borrower) => self.release_on_behalf_of(borrower),
            None => Err(LimiterError::NotBorrowing),
        }
    }

    /// Releases a token `borrower` kept with [`LimiterToken::detach`]; it goes to the first
    /// waiter, if any.
    ///
    /// # Errors
    ///
    /// - [`LimiterError::NotBorrowing`]: `borrower` holds no token.
    /// - [`LimiterError::Guarded`]: it holds tokens only through live [`LimiterToken`]s; drop
    ///   those instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter, LimiterError};
    /// let limiter = CapacityLimiter::new(1);
    /// let borrower = Borrower::new();
    /// limiter.try_acquire_on_behalf_of(borrower).unwrap().detach();
    /// limiter.release_on_behalf_of(borrower).unwrap();
    /// assert_eq!(limiter.release_on_behalf_of(borrower), Err(LimiterError::NotBorrowing));
    /// ```
    pub fn release_on_behalf_of(&self, borrower: Borrower) -> Result<(), LimiterError> {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.lock();
            match state.holders.get(borrower) {
                None => return Err(LimiterError::NotBorrowing),
                Some(held) if held.detached == 0 => return Err(LimiterError::Guarded),
                Some(_) => {
                    state.holders.give_back(borrower, Holding::Detached);
                    state.grant(&mut wakers);
                }
            }
        }
        wake_all(wakers);
        Ok(())
    }

    /// The number of tokens.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio_core::sync::CapacityLimiter::new(3).total_tokens(), 3);
    /// ```
    pub fn total_tokens(&self) -> usize {
        self.state.lock().total
    }

    /// Changes the number of tokens. Raising it grants tokens to waiters at once; lowering it
    /// revokes nothing: borrowers keep their tokens and new ones wait until the borrowed count
    /// is below the new total.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// let limiter = CapacityLimiter::new(2);
    /// let _a = limiter.try_acquire_on_behalf_of(Borrower::new()).unwrap();
    /// let _b = limiter.try_acquire_on_behalf_of(Borrower::new()).unwrap();
    /// limiter.set_total_tokens(1);
    /// assert_eq!(limiter.borrowed_tokens(), 2); // nothing revoked
    /// assert_eq!(limiter.available_tokens(), 0);
    /// ```
    pub fn set_total_tokens(&self, total_tokens: usize) {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.lock();
            state.total = total_tokens;
            state.grant(&mut wakers);
        }
        wake_all(wakers);
    }

    /// Tokens currently borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio_core::sync::CapacityLimiter::new(3).borrowed_tokens(), 0);
    /// ```
    pub fn borrowed_tokens(&self) -> usize {
        self.state.lock().holders.tokens()
    }

    /// Tokens free to borrow (zero while the total is below the borrowed count).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio_core::sync::CapacityLimiter::new(3).available_tokens(), 3);
    /// ```
    pub fn available_tokens(&self) -> usize {
        let state = self.state.lock();
        state.total.saturating_sub(state.holders.tokens())
    }

    /// A snapshot of the limiter's state.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(2);
    /// let statistics = limiter.statistics();
    /// assert_eq!((statistics.borrowed_tokens, statistics.total_tokens), (0, 2));
    /// assert!(statistics.borrowers.is_empty());
    /// assert_eq!(statistics.tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> CapacityLimiterStatistics {
        let state = self.state.lock();
        CapacityLimiterStatistics {
            borrowed_tokens: state.holders.tokens(),
            total_tokens: state.total,
            borrowers: state.holders.borrowers().collect(),
            tasks_waiting: state.waiters.len(),
        }
    }
}

/// A snapshot of a [`CapacityLimiter`]'s state.
///
/// # Examples
///
/// ```
/// let statistics = anyio_core::sync::CapacityLimiter::new(1).statistics();
/// assert_eq!(statistics.total_tokens, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapacityLimiterStatistics {
    /// Tokens currently borrowed.
    pub borrowed_tokens: usize,
    /// The number of tokens.
    pub total_tokens: usize,
    /// Who holds the borrowed tokens, once per token (a task that took two tokens with plain
    /// [`acquire`](CapacityLimiter::acquire) calls is there twice), in no particular order.
    pub borrowers: Vec<Borrower>,
    /// How many are waiting for a token.
    pub tasks_waiting: usize,
}
