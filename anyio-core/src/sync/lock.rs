use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{ReleaseError, WouldBlock};
use super::permits::{Handoff, Permits};
use super::shim::{AtomicU64, Ordering};
use super::waiters::{current_task_id, poll_cancel_point, scope_cancelled};
use crate::task::{get_running_tasks, TaskId, TaskInfo};

/// The owner word: `id << 1 | detached`, `0` when unlocked.
const NO_OWNER: u64 = 0;
const DETACHED: u64 = 1;
/// The id recorded for code that runs outside any anyio task.
const ANONYMOUS: u64 = u64::MAX >> 1;

fn owner_word(task: Option<TaskId>) -> u64 {
    task.map_or(ANONYMOUS, TaskId::as_u64) << 1
}

fn current_owner_word() -> u64 {
    owner_word(current_task_id())
}

/// The owner slot as seen by [`Permits`] hand-offs.
#[derive(Debug)]
pub(super) struct Owner(AtomicU64);

impl Handoff for Owner {
    fn granted(&self, tag: u64) {
        self.0.store(tag, Ordering::Release);
    }

    fn abandoned(&self) {
        self.0.store(NO_OWNER, Ordering::Release);
    }
}

/// A FIFO-fair asynchronous lock that knows which task holds it (Trio's and AnyIO's `Lock`).
///
/// [`acquire`](Lock::acquire) waits for the lock and returns a [`LockGuard`] that releases it
/// when dropped. Waiters get the lock in the order they started waiting: a release hands it
/// straight to the first waiter, and [`try_acquire`](Lock::try_acquire) fails while anyone
/// waits, so nobody barges ahead.
///
/// The owner is the anyio task that acquired the lock ([`statistics`](Lock::statistics)
/// reports it). Code outside any anyio task (say, a plain `tokio::spawn`ed task) acquires as an
/// *anonymous* owner. Ownership matters for the explicit [`release`](Lock::release), for code
/// that keeps the lock past its guard with [`LockGuard::detach`]: only the owner may release.
///
/// To protect data, [`Mutex`](super::Mutex) wraps a value with the same lock.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::Lock, task_group};
/// use std::sync::Arc;
///
/// let lock = Arc::new(Lock::new());
/// task_group(|tg| async move {
///     for _ in 0..3 {
///         let lock = lock.clone();
///         tg.start_soon(async move {
///             let _guard = lock.acquire().await;
///             // one task at a time here
///         })?;
///     }
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct Lock {
    pub(super) permits: Permits,
    pub(super) owner: Owner,
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

impl Lock {
    /// An unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// assert!(!lock.locked());
    /// ```
    pub fn new() -> Lock {
        Lock {
            permits: Permits::new(1),
            owner: Owner(AtomicU64::new(NO_OWNER)),
        }
    }

    /// Waits for the lock and takes it for the current task.
    ///
    /// When the lock is free and nobody waits it completes on its first poll, except that
    /// every so often it yields once first, so that a loop of acquisitions lets deadlines and
    /// other tasks run.
    ///
    /// # Cancellation
    ///
    /// A cancellation point: in an effectively cancelled scope it never completes, even when
    /// the lock is free, and takes nothing (the scope drops it). Cancel-safe: dropping the
    /// future withdraws the waiter. If the lock had already been
    /// handed to it, the dropped future passes the lock on to the next waiter (or unlocks it),
    /// so a cancelled acquisition never leaves the lock held. A waiter whose cancel scope is
    /// cancelled while it waits does not take the lock, even if it was handed over meanwhile
    /// (Trio's rule: a cancelled blocking call does not complete).
    ///
    /// Waiting for a lock that the same sequential code already holds never completes (as with
    /// any mutex); concurrent futures of one task (`join!`) may each take it in turn.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let lock = anyio_core::sync::Lock::new();
    /// let guard = lock.acquire().await;
    /// assert!(lock.locked());
    /// drop(guard);
    /// assert!(!lock.locked());
    /// # });
    /// ```
    pub fn acquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            lock: self,
            wait: LockWait::default(),
        }
    }

    /// Takes the lock if it is free and nobody is waiting for it.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held or someone is already queued for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_err());
    /// drop(guard);
    /// assert!(lock.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<LockGuard<'_>, WouldBlock> {
        self.try_take()?;
        Ok(LockGuard { lock: self })
    }

    /// Takes the lock for the current task if it is free and nobody waits; the caller wraps
    /// the hold in a guard.
    pub(super) fn try_take(&self) -> Result<(), WouldBlock> {
        if self.permits.try_acquire() {
            self.owner.0.store(current_owner_word(), Ordering::Release);
            Ok(())
        } else {
            Err(WouldBlock)
        }
    }

    /// Releases a lock that the calling task holds without a guard (see
    /// [`LockGuard::detach`]): to the first waiter, or unlocks it.
    ///
    /// Outside anyio tasks the caller counts as the anonymous owner, so it may release a lock
    /// detached by other code outside anyio tasks.
    ///
    /// A lock held through a live guard, borrowed or [owned](Lock::acquire_owned), is never
    /// released here: only dropping (or detaching) the guard ends that hold. The owner of a
    /// guarded hold is the task that acquired it, wherever the guard has moved since, so this
    /// returns [`ReleaseError::Guarded`] in that task and [`ReleaseError::NotOwner`] in any
    /// other.
    ///
    /// # Errors
    ///
    /// - [`ReleaseError::NotLocked`]: nobody holds the lock.
    /// - [`ReleaseError::NotOwner`]: another task holds it.
    /// - [`ReleaseError::Guarded`]: the caller holds it through a live guard; drop the guard.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::Lock;
    /// let lock = Lock::new();
    /// lock.acquire().await.detach(); // held past the guard
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// assert!(!lock.locked());
    /// # });
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        let word = self.owner.0.load(Ordering::Acquire);
        if word == NO_OWNER || !self.locked() {
            return Err(ReleaseError::NotLocked);
        }
        if word & !DETACHED != current_owner_word() {
            return Err(ReleaseError::NotOwner);
        }
        if word & DETACHED == 0 {
            return Err(ReleaseError::Guarded);
        }
        // Claim the release so that two racing callers cannot both release.
        if self
            .owner
            .0
            .compare_exchange(word, NO_OWNER, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ReleaseError::NotOwner);
        }
        // One permit exists; adding it back cannot exceed the maximum of one.
        let _ = self.permits.add(Some(1), &self.owner);
        Ok(())
    }

    /// Whether the lock is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// let _guard = lock.try_acquire().unwrap();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.permits.value() == 0
    }

    /// A snapshot of the lock's state.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let lock = anyio_core::sync::Lock::new();
    /// let _guard = lock.acquire().await;
    /// let statistics = lock.statistics();
    /// assert!(statistics.locked);
    /// assert_eq!(statistics.owner.unwrap().name.as_deref(), Some("main"));
    /// assert_eq!(statistics.tasks_waiting, 0);
    /// # });
    /// ```
    pub fn statistics(&self) -> LockStatistics {
        let locked = self.locked();
        let word = self.owner.0.load(Ordering::Acquire);
        let id = word >> 1;
        let owner = if locked && word != NO_OWNER && id != ANONYMOUS {
            get_running_tasks()
                .into_iter()
                .find(|task| task.id.as_u64() == id)
        } else {
            None
        };
        LockStatistics {
            locked,
            owner,
            tasks_waiting: self.permits.waiting(),
        }
    }

    /// Ends a guarded hold, from whichever task or thread drops the guard: ownership was
    /// checked when the guard was made, so nothing is checked here.
    pub(super) fn unlock(&self) {
        self.owner.0.store(NO_OWNER, Ordering::Release);
        self.permits.release(&self.owner);
    }

    /// Turns a guarded hold into a detached one owned by the calling task, which may then
    /// [`release`](Lock::release) it. The caller forgets its guard.
    pub(super) fn detach_hold(&self) {
        // The detaching task becomes the owner: an owned guard may have moved to another task
        // since it was acquired, and the task that detaches is the one that will release.
        self.owner
            .0
            .store(current_owner_word() | DETACHED, Ordering::Release);
        self.permits.forget();
    }
}

/// A snapshot of a [`Lock`]'s (or [`Mutex`](super::Mutex)'s) state.
///
/// # Examples
///
/// ```
/// let lock = anyio_core::sync::Lock::new();
/// let statistics = lock.statistics();
/// assert!(!statistics.locked);
/// assert_eq!(statistics.owner, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockStatistics {
    /// Whether the lock is held.
    pub locked: bool,
    /// The anyio task holding the lock; `None` when unlocked, when held by code outside anyio
    /// tasks, or when the owning task has already ended (a detached hold it never released).
    pub owner: Option<TaskInfo>,
    /// How many are waiting to acquire it.
    pub tasks_waiting: usize,
}

/// The state of one acquisition of a [`Lock`], shared by the borrowed and the owned acquire
/// futures so that both wait in the lock's one queue with the same rules.
#[derive(Debug, Default)]
pub(super) struct LockWait {
    key: Option<usize>,
}

impl LockWait {
    /// Whether this acquisition is queued.
    pub(super) fn is_waiting(&self) -> bool {
        self.key.is_some()
    }

    /// Polls for `lock`; `Ready` once the calling task holds it (the caller makes the guard).
    pub(super) fn poll(&mut self, lock: &Lock, cx: &mut Context<'_>) -> Poll<()> {
        let first = self.key.is_none();
        if first {
            std::task::ready!(poll_cancel_point(cx));
        } else if scope_cancelled() {
            // Blocked and then cancelled: do not take the lock (it may have been handed to us
            // already); the scope drops us and `cancel` passes it on.
            return Poll::Pending;
        }
        let tag = if first { current_owner_word() } else { 0 };
        let ready = lock.permits.poll_acquire(&mut self.key, tag, cx);
        if ready.is_ready() && first {
            // Taken without waiting; a hand-off recorded the owner already.
            lock.owner.0.store(tag, Ordering::Release);
        }
        ready
    }

    /// Withdraws a dropped acquisition; a lock already handed to it goes on.
    pub(super) fn cancel(&mut self, lock: &Lock) {
        if let Some(key) = self.key.take() {
            lock.permits.cancel(key, &lock.owner);
        }
    }
}

/// The future returned by [`Lock::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct LockAcquire<'a> {
    lock: &'a Lock,
    wait: LockWait,
}

impl fmt::Debug for LockAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockAcquire")
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl<'a> Future for LockAcquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.lock;
        self.wait.poll(lock, cx).map(|()| LockGuard { lock })
    }
}

impl Drop for LockAcquire<'_> {
    fn drop(&mut self) {
        self.wait.cancel(self.lock);
    }
}

/// Holds a [`Lock`]; dropping it releases the lock (to the first waiter, if any).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let lock = anyio_core::sync::Lock::new();
/// {
///     let _guard = lock.acquire().await;
///     assert!(lock.locked());
/// }
/// assert!(!lock.locked());
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

impl<'a> LockGuard<'a> {
    /// Keeps the lock held past this guard: the calling task becomes its owner and releases it
    /// later with [`Lock::release`] (Trio's and AnyIO's `acquire()`/`release()` style).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let lock = anyio_core::sync::Lock::new();
    /// lock.acquire().await.detach();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// # });
    /// ```
    pub fn detach(self) {
        self.lock.detach_hold();
        std::mem::forget(self);
    }

    /// The lock this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(std::ptr::eq(guard.lock(), &lock));
    /// ```
    pub fn lock(&self) -> &'a Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.unlock();
    }
}
