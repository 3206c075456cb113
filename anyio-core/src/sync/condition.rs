use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::WouldBlock;
use super::lock::{Lock, LockAcquire, LockGuard, LockStatistics};
use super::shim::Mutex;
use super::waiters::{poll_cancel_point, scope_cancelled, wake_all, WaitList};

/// A condition variable: tasks holding its lock wait until another task holding it notifies
/// them (Trio's and AnyIO's `Condition`).
///
/// [`acquire`](Condition::acquire) takes the condition's [`Lock`] and returns a
/// [`ConditionGuard`]; waiting and notifying are methods of the guard, so "you must hold the
/// lock" is checked by the compiler. [`ConditionGuard::wait`] releases the lock, waits for a
/// notification and takes the lock again before it returns the guard. Notifications wake
/// waiters in the order they started waiting; a notification sent while nobody waits is lost,
/// as usual for condition variables, so always wait in a loop on your predicate
/// ([`ConditionGuard::wait_for`]).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::Condition, task_group};
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let condition = Arc::new(Condition::new());
/// let ready = Arc::new(AtomicBool::new(false));
/// task_group(|tg| {
///     let (condition, ready) = (condition.clone(), ready.clone());
///     async move {
///         let (waiter_condition, waiter_ready) = (condition.clone(), ready.clone());
///         tg.start_soon(async move {
///             let guard = waiter_condition.acquire().await;
///             let _guard = guard.wait_for(|| waiter_ready.load(Ordering::SeqCst)).await;
///         })?;
///         let guard = condition.acquire().await;
///         ready.store(true, Ordering::SeqCst);
///         guard.notify_all();
///         Ok::<_, anyio_core::SpawnError>(())
///     }
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct Condition {
    lock: Lock,
    /// Waiters and whether each was notified.
    waiters: Mutex<WaitList<bool>>,
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.lock.locked())
            .finish_non_exhaustive()
    }
}

impl Condition {
    /// A condition with its own, unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!anyio_core::sync::Condition::new().locked());
    /// ```
    pub fn new() -> Condition {
        Condition {
            lock: Lock::new(),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Waits for the condition's lock.
    ///
    /// # Cancellation
    ///
    /// As [`Lock::acquire`]: a cancellation point even when the lock is free, and cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.acquire().await;
    /// assert!(condition.locked());
    /// drop(guard);
    /// # });
    /// ```
    pub fn acquire(&self) -> ConditionAcquire<'_> {
        ConditionAcquire {
            condition: self,
            acquire: self.lock.acquire(),
        }
    }

    /// Takes the condition's lock if it is free and nobody is waiting for it.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held or someone is queued for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let _guard = condition.try_acquire().unwrap();
    /// assert!(condition.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<ConditionGuard<'_>, WouldBlock> {
        let lock = self.lock.try_acquire()?;
        Ok(ConditionGuard {
            condition: self,
            lock,
        })
    }

    /// Whether the condition's lock is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let _guard = condition.try_acquire().unwrap();
    /// assert!(condition.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// A snapshot of the condition's state.
    ///
    /// # Examples
    ///
    /// ```
    /// let statistics = anyio_core::sync::Condition::new().statistics();
    /// assert_eq!(statistics.tasks_waiting, 0);
    /// assert!(!statistics.lock_statistics.locked);
    /// ```
    pub fn statistics(&self) -> ConditionStatistics {
        ConditionStatistics {
            tasks_waiting: self.waiters.lock().len(),
            lock_statistics: self.lock.statistics(),
        }
    }

    /// Notifies up to `n` queued waiters, front first; returns how many.
    fn notify(&self, n: usize) -> usize {
        let mut wakers = Vec::new();
        {
            let mut waiters = self.waiters.lock();
            while wakers.len() < n {
                let Some((key, waker)) = waiters.pop_front() else {
                    break;
                };
                *waiters.state_mut(key) = true;
                wakers.extend(waker);
            }
        }
        let count = wakers.len();
        wake_all(wakers);
        count
    }
}

/// A snapshot of a [`Condition`]'s state.
///
/// # Examples
///
/// ```
/// let statistics = anyio_core::sync::Condition::new().statistics();
/// assert_eq!(statistics.tasks_waiting, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConditionStatistics {
    /// How many are waiting for a notification.
    pub tasks_waiting: usize,
    /// The state of the condition's lock.
    pub lock_statistics: LockStatistics,
}

/// The future returned by [`Condition::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionAcquire<'a> {
    condition: &'a Condition,
    acquire: LockAcquire<'a>,
}

impl fmt::Debug for ConditionAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionAcquire")
            .field("acquire", &self.acquire)
            .finish_non_exhaustive()
    }
}

impl<'a> Future for ConditionAcquire<'a> {
    type Output = ConditionGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a>> {
        let condition = self.condition;
        Pin::new(&mut self.acquire)
            .poll(cx)
            .map(|lock| ConditionGuard { condition, lock })
    }
}

/// Holds a [`Condition`]'s lock; the way to wait on the condition and to notify it. Dropping it
/// releases the lock.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let condition = anyio_core::sync::Condition::new();
/// let guard = condition.acquire().await;
/// assert_eq!(guard.notify(1), 0); // nobody waits
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a> {
    condition: &'a Condition,
    lock: LockGuard<'a>,
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard").finish_non_exhaustive()
    }
}

impl<'a> ConditionGuard<'a> {
    /// Wakes up to `n` tasks waiting on the condition, in the order they started waiting, and
    /// returns how many were woken. They run once they get the lock back, so after this guard
    /// is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.try_acquire().unwrap();
    /// assert_eq!(guard.notify(3), 0);
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        self.condition.notify(n)
    }

    /// Wakes every task waiting on the condition; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.try_acquire().unwrap();
    /// assert_eq!(guard.notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.condition.notify(usize::MAX)
    }

    /// Releases the lock, waits to be notified, takes the lock again and returns the new
    /// guard.
    ///
    /// The waiter is queued before the lock is released, so a notification sent by the next
    /// holder of the lock cannot be missed.
    ///
    /// # Cancellation
    ///
    /// Never completes in an effectively cancelled scope: there it does not even queue, and
    /// the scope drops it with the guard it took, which releases the lock. Dropping the future
    /// before it was notified only withdraws the waiter (the lock stays released). If it had already been notified, or was taking the lock back, the
    /// notification it could not act on passes to the next waiter, so a `notify(1)` is never
    /// swallowed by a cancelled task. A pending re-acquisition is cancel-safe like
    /// [`Lock::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{sync::Condition, task_group};
    /// use std::sync::Arc;
    /// let condition = Arc::new(Condition::new());
    /// task_group(|tg| {
    ///     let condition = condition.clone();
    ///     async move {
    ///         let guard = condition.acquire().await;
    ///         let notifier = condition.clone();
    ///         tg.start_soon(async move {
    ///             // Gets the lock once `wait` released it.
    ///             notifier.acquire().await.notify(1);
    ///         })?;
    ///         let _guard = guard.wait().await;
    ///         Ok::<_, anyio_core::SpawnError>(())
    ///     }
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn wait(self) -> ConditionWait<'a> {
        ConditionWait {
            condition: self.condition,
            state: WaitState::Start(Some(self.lock)),
        }
    }

    /// Waits (as [`wait`](ConditionGuard::wait) does, in a loop) until `predicate` returns
    /// true; the predicate runs with the lock held. If it already holds, returns without
    /// waiting (but, like [`Lock::acquire`], yields once every so often first).
    ///
    /// # Cancellation
    ///
    /// A cancellation point like [`wait`](ConditionGuard::wait), even when the predicate
    /// already holds: in an effectively cancelled scope it never completes, and the scope
    /// drops it with the guard, releasing the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.acquire().await;
    /// let _guard = guard.wait_for(|| true).await; // already true: no wait
    /// # });
    /// ```
    pub async fn wait_for(self, mut predicate: impl FnMut() -> bool) -> ConditionGuard<'a> {
        let mut guard = self;
        std::future::poll_fn(poll_cancel_point).await;
        while !predicate() {
            guard = guard.wait().await;
        }
        guard
    }
}

enum WaitState<'a> {
    /// Not yet polled: still holding the lock.
    Start(Option<LockGuard<'a>>),
    /// Queued as waiter `key`, lock released.
    Waiting(usize),
    /// Notified; taking the lock back.
    Reacquiring(LockAcquire<'a>),
    Done,
}

/// The future returned by [`ConditionGuard::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'a> {
    condition: &'a Condition,
    state: WaitState<'a>,
}

impl fmt::Debug for ConditionWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            WaitState::Start(_) => "start",
            WaitState::Waiting(_) => "waiting",
            WaitState::Reacquiring(_) => "reacquiring",
            WaitState::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl<'a> Future for ConditionWait<'a> {
    type Output = ConditionGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a>> {
        let condition = self.condition;
        loop {
            match &mut self.state {
                WaitState::Start(lock) => {
                    if scope_cancelled() {
                        // Not queued: the scope drops us, and the guard we hold with us.
                        return Poll::Pending;
                    }
                    let lock = lock.take();
                    let key = condition.waiters.lock().push_back(false, cx.waker());
                    self.state = WaitState::Waiting(key);
                    // Queued first, then released: the next holder's notify reaches us.
                    drop(lock);
                    return Poll::Pending;
                }
                WaitState::Waiting(key) => {
                    let key = *key;
                    if scope_cancelled() {
                        // Cancelled while waiting: do not act on a notification; `Drop` passes
                        // it on.
                        return Poll::Pending;
                    }
                    let mut waiters = condition.waiters.lock();
                    if !*waiters.state(key) {
                        waiters.register(key, cx.waker());
                        return Poll::Pending;
                    }
                    waiters.remove(key);
                    drop(waiters);
                    self.state = WaitState::Reacquiring(condition.lock.acquire());
                }
                WaitState::Reacquiring(acquire) => {
                    let lock = std::task::ready!(Pin::new(acquire).poll(cx));
                    self.state = WaitState::Done;
                    return Poll::Ready(ConditionGuard { condition, lock });
                }
                WaitState::Done => panic!("`ConditionWait` polled after completion"),
            }
        }
    }
}

impl Drop for ConditionWait<'_> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.state, WaitState::Done) {
            WaitState::Waiting(key) => {
                let notified = self.condition.waiters.lock().remove(key);
                if notified {
                    self.condition.notify(1);
                }
            }
            WaitState::Reacquiring(acquire) => {
                drop(acquire);
                self.condition.notify(1);
            }
            WaitState::Start(_) | WaitState::Done => {}
        }
    }
}
