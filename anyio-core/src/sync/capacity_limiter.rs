use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::borrower::Borrower;
use super::error::LimiterError;
use super::shim::Mutex;
use super::waiters::{scope_cancelled, wake_all, WaitList};

/// Limits how many borrowers use a resource at once, with a token count you can change at run
/// time (Trio's and AnyIO's `CapacityLimiter`).
///
/// Unlike a [`Semaphore`](super::Semaphore), tokens are tied to *borrowers*: by default the
/// current anyio task, or any [`Borrower`] through
/// [`acquire_on_behalf_of`](CapacityLimiter::acquire_on_behalf_of). A borrower holds at most
/// one token, so borrowing twice is an error rather than a silent deadlock, and so is releasing
/// a token you do not hold. Waiters are served in FIFO order, and `try_*` calls fail while
/// anyone waits.
///
/// [`set_total_tokens`](CapacityLimiter::set_total_tokens) raises or lowers the limit: raising
/// it wakes waiters at once; lowering it never revokes a token, it only delays new borrowers
/// until enough were returned.
///
/// Outside anyio tasks (a plain `tokio::spawn`ed task) there is no current task: each
/// [`acquire`](CapacityLimiter::acquire) there borrows as a fresh anonymous borrower, so
/// borrowing twice cannot be detected, and [`release`](CapacityLimiter::release) has nothing
/// to release.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holding {
    /// Held through a live [`LimiterToken`].
    Guarded,
    /// Kept past its token with [`LimiterToken::detach`]; released explicitly.
    Detached,
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
    /// `Ok(false)` if it must wait.
    fn try_take(&mut self, borrower: Borrower) -> Result<bool, LimiterError> {
        if !self.waiters.is_empty() {
            return if self.is_borrowing(borrower) {
                Err(LimiterError::AlreadyBorrowing)
            } else {
                Ok(false)
            };
        }
        if self.holders.contains(borrower) {
            return Err(LimiterError::AlreadyBorrowing);
        }
        if self.holders.len() >= self.total {
            return Ok(false);
        }
        self.holders.insert(borrower, Holding::Guarded);
        Ok(true)
    }

    /// Grants free tokens to the front waiters; returns their wakers.
    fn grant(&mut self, wakers: &mut Vec<Waker>) {
        while self.holders.len() < self.total {
            let Some((key, waker)) = self.waiters.pop_front() else {
                break;
            };
            let waiter = self.waiters.state_mut(key);
            waiter.granted = true;
            self.holders.insert(waiter.borrower, Holding::Guarded);
            wakers.extend(waker);
        }
    }

    /// Returns `borrower`'s token and grants what became free.
    fn release(&mut self, borrower: Borrower, wakers: &mut Vec<Waker>) {
        if self.holders.remove(borrower).is_some() {
            self.grant(wakers);
        }
    }
}

impl fmt::Debug for CapacityLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("CapacityLimiter")
            .field("borrowed_tokens", &state.holders.len())
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

    /// Waits for a token for the current task (outside anyio tasks: for a fresh anonymous
    /// borrower).
    ///
    /// Completes at once, without yielding, when a token is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`LimiterError::AlreadyBorrowing`] if the current task already holds (or waits for) a
    /// token of this limiter.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: dropping the future withdraws the borrower, and a token already granted to
    /// it goes on to the next waiter. No token ever leaks. A waiter whose cancel scope is
    /// cancelled while it waits does not take a token.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::{CapacityLimiter, LimiterError};
    /// let limiter = CapacityLimiter::new(2);
    /// let token = limiter.acquire().await.unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// // A task holds at most one token.
    /// assert_eq!(limiter.acquire().await.unwrap_err(), LimiterError::AlreadyBorrowing);
    /// drop(token);
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// # });
    /// ```
    pub fn acquire(&self) -> LimiterAcquire<'_> {
        LimiterAcquire {
            limiter: self,
            borrower: None,
            key: None,
        }
    }

    /// Waits for a token for `borrower`.
    ///
    /// # Errors
    ///
    /// [`LimiterError::AlreadyBorrowing`] if `borrower` already holds (or waits for) a token of
    /// this limiter.
    ///
    /// # Cancellation
    ///
    /// As [`acquire`](CapacityLimiter::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// let limiter = CapacityLimiter::new(1);
    /// let job = Borrower::from_id(42);
    /// let token = limiter.acquire_on_behalf_of(job).await.unwrap();
    /// assert_eq!(token.borrower(), job);
    /// assert_eq!(limiter.statistics().borrowers, vec![job]);
    /// # });
    /// ```
    pub fn acquire_on_behalf_of(&self, borrower: Borrower) -> LimiterAcquire<'_> {
        LimiterAcquire {
            limiter: self,
            borrower: Some(borrower),
            key: None,
        }
    }

    /// Takes a token for the current task if one is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`LimiterError::AlreadyBorrowing`] as for [`acquire`](CapacityLimiter::acquire), or
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
        self.try_acquire_on_behalf_of(Borrower::current_or_anonymous())
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
        if !self.state.lock().try_take(borrower)? {
            return Err(LimiterError::WouldBlock);
        }
        Ok(LimiterToken {
            limiter: self,
            borrower,
        })
    }

    /// Releases the token the current task kept with [`LimiterToken::detach`].
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

    /// Releases the token `borrower` kept with [`LimiterToken::detach`]; it goes to the first
    /// waiter, if any.
    ///
    /// # Errors
    ///
    /// - [`LimiterError::NotBorrowing`]: `borrower` holds no token.
    /// - [`LimiterError::Guarded`]: it holds its token through a live [`LimiterToken`]; drop
    ///   that instead.
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
            match state.holders.get_mut(borrower).copied() {
                None => return Err(LimiterError::NotBorrowing),
                Some(Holding::Guarded) => return Err(LimiterError::Guarded),
                Some(Holding::Detached) => state.release(borrower, &mut wakers),
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
        self.state.lock().holders.len()
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
        state.total.saturating_sub(state.holders.len())
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
            borrowed_tokens: state.holders.len(),
            total_tokens: state.total,
            borrowers: state.holders.keys().collect(),
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
    /// Who holds the borrowed tokens, in no particular order.
    pub borrowers: Vec<Borrower>,
    /// How many are waiting for a token.
    pub tasks_waiting: usize,
}

/// The future returned by [`CapacityLimiter::acquire`] and
/// [`CapacityLimiter::acquire_on_behalf_of`].
#[must_use = "futures do nothing unless awaited"]
pub struct LimiterAcquire<'a> {
    limiter: &'a CapacityLimiter,
    /// Resolved on the first poll for the default borrower (the task polling it).
    borrower: Option<Borrower>,
    key: Option<usize>,
}

impl fmt::Debug for LimiterAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimiterAcquire")
            .field("borrower", &self.borrower)
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Future for LimiterAcquire<'a> {
    type Output = Result<LimiterToken<'a>, LimiterError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let limiter = self.limiter;
        if self.key.is_some() && scope_cancelled() {
            // Blocked, then cancelled: `Drop` passes on a token handed to us meanwhile.
            return Poll::Pending;
        }
        let borrower = *self
            .borrower
            .get_or_insert_with(Borrower::current_or_anonymous);
        let mut state = limiter.state.lock();
        if let Some(key) = self.key {
            if !state.waiters.state(key).granted {
                state.waiters.register(key, cx.waker());
                return Poll::Pending;
            }
            // Granted by a release: the holder entry was recorded then.
            state.waiters.remove(key);
            self.key = None;
        } else {
            match state.try_take(borrower) {
                Err(error) => return Poll::Ready(Err(error)),
                Ok(true) => {}
                Ok(false) => {
                    self.key = Some(state.waiters.push_back(
                        LimiterWaiter {
                            borrower,
                            granted: false,
                        },
                        cx.waker(),
                    ));
                    return Poll::Pending;
                }
            }
        }
        drop(state);
        Poll::Ready(Ok(LimiterToken { limiter, borrower }))
    }
}

impl Drop for LimiterAcquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut wakers = Vec::new();
        {
            let mut state = self.limiter.state.lock();
            let waiter = state.waiters.remove(key);
            if waiter.granted {
                // Granted but never received: pass the token on.
                state.release(waiter.borrower, &mut wakers);
            }
        }
        wake_all(wakers);
    }
}

/// A borrowed [`CapacityLimiter`] token; dropping it returns the token (to the first waiter,
/// if any).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let limiter = anyio_core::sync::CapacityLimiter::new(1);
/// let token = limiter.acquire().await.unwrap();
/// assert_eq!(limiter.available_tokens(), 0);
/// drop(token);
/// assert_eq!(limiter.available_tokens(), 1);
/// # });
/// ```
#[must_use = "the token is returned as soon as it is dropped"]
pub struct LimiterToken<'a> {
    limiter: &'a CapacityLimiter,
    borrower: Borrower,
}

impl fmt::Debug for LimiterToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimiterToken")
            .field("borrower", &self.borrower)
            .finish_non_exhaustive()
    }
}

impl LimiterToken<'_> {
    /// Who holds this token.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// let limiter = CapacityLimiter::new(1);
    /// let borrower = Borrower::new();
    /// assert_eq!(limiter.try_acquire_on_behalf_of(borrower).unwrap().borrower(), borrower);
    /// ```
    pub fn borrower(&self) -> Borrower {
        self.borrower
    }

    /// Keeps the token borrowed past this guard; release it later with
    /// [`CapacityLimiter::release`] or [`CapacityLimiter::release_on_behalf_of`] (Trio's and
    /// AnyIO's `acquire()`/`release()` style).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// let limiter = CapacityLimiter::new(1);
    /// let borrower = Borrower::new();
    /// limiter.try_acquire_on_behalf_of(borrower).unwrap().detach();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// limiter.release_on_behalf_of(borrower).unwrap();
    /// ```
    pub fn detach(self) {
        if let Some(holding) = self.limiter.state.lock().holders.get_mut(self.borrower) {
            *holding = Holding::Detached;
        }
        std::mem::forget(self);
    }
}

impl Drop for LimiterToken<'_> {
    fn drop(&mut self) {
        let mut wakers = Vec::new();
        self.limiter
            .state
            .lock()
            .release(self.borrower, &mut wakers);
        wake_all(wakers);
    }
}

/// The borrowers holding tokens: a short vector searched linearly while few hold tokens (the
/// common case, and faster than hashing), a hash map once more do.
#[derive(Debug, Default)]
struct Holders {
    small: Vec<(Borrower, Holding)>,
    /// In use (and then `small` is empty) once more than `SMALL` borrowers hold tokens.
    large: HashMap<Borrower, Holding, BuildHasherDefault<IdHasher>>,
}

impl Holders {
    const SMALL: usize = 16;

    fn len(&self) -> usize {
        self.small.len() + self.large.len()
    }

    fn contains(&self, borrower: Borrower) -> bool {
        if self.large.is_empty() {
            self.small.iter().any(|(holder, _)| *holder == borrower)
        } else {
            self.large.contains_key(&borrower)
        }
    }

    fn get_mut(&mut self, borrower: Borrower) -> Option<&mut Holding> {
        if self.large.is_empty() {
            self.small
                .iter_mut()
                .find(|(holder, _)| *holder == borrower)
                .map(|(_, holding)| holding)
        } else {
            self.large.get_mut(&borrower)
        }
    }

    /// Adds a borrower that holds nothing yet.
    fn insert(&mut self, borrower: Borrower, holding: Holding) {
        if self.large.is_empty() && self.small.len() < Self::SMALL {
            self.small.push((borrower, holding));
        } else {
            self.large.extend(self.small.drain(..));
            self.large.insert(borrower, holding);
        }
    }

    fn remove(&mut self, borrower: Borrower) -> Option<Holding> {
        if self.large.is_empty() {
            let index = self
                .small
                .iter()
                .position(|(holder, _)| *holder == borrower)?;
            Some(self.small.swap_remove(index).1)
        } else {
            self.large.remove(&borrower)
        }
    }

    fn keys(&self) -> impl Iterator<Item = Borrower> + '_ {
        self.small
            .iter()
            .map(|(holder, _)| *holder)
            .chain(self.large.keys().copied())
    }
}

/// A fast hasher for borrower keys (ids, not attacker-controlled data).
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn write_isize(&mut self, value: isize) {
        self.write_u64(value as u64);
    }
}
