use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::sync::error::WouldBlock;
use crate::sync::lock::{Lock, LockWait};

impl Lock {
    /// Waits for the lock, like [`acquire`](Lock::acquire), and returns an owned guard that
    /// keeps an `Arc` of the lock: it is `'static`, so it can move into a spawned task or a
    /// worker thread and release the lock there.
    ///
    /// The owner recorded for [`statistics`](Lock::statistics) and [`release`](Lock::release)
    /// is the task that acquired the lock, wherever the guard moves afterwards.
    ///
    /// # Cancellation
    ///
    /// Exactly as [`acquire`](Lock::acquire): a cancellation point that takes nothing in an
    /// effectively cancelled scope, and cancel-safe: dropping the future withdraws its place in
    /// the queue, and a lock already handed to it goes on to the next waiter (or is unlocked).
    /// A waiter whose scope is cancelled while it waits does not take the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{sync::Lock, task_group};
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(Lock::new());
    /// let guard = lock.acquire_owned().await;
    /// task_group(|tg| async move {
    ///     // The child holds the lock and releases it when it ends.
    ///     tg.start_soon(async move { drop(guard) })?;
    ///     Ok::<_, anyio_core::SpawnError>(())
    /// })
    /// .await
    /// .unwrap();
    /// assert!(!lock.locked());
    /// # });
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedLockAcquire {
        OwnedLockAcquire {
            lock: Arc::clone(self),
            wait: LockWait::default(),
        }
    }

    /// Takes the lock if it is free and nobody is waiting, like
    /// [`try_acquire`](Lock::try_acquire), returning an owned guard.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held or someone is already queued for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Lock;
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(Lock::new());
    /// let guard = lock.try_acquire_owned().unwrap();
    /// assert!(lock.try_acquire_owned().is_err());
    /// std::thread::spawn(move || drop(guard)).join().unwrap();
    /// assert!(!lock.locked());
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedLockGuard, WouldBlock> {
        self.try_take()?;
        Ok(OwnedLockGuard::new(Arc::clone(self)))
    }
}

/// The future returned by [`Lock::acquire_owned`]: waits in the lock's one FIFO queue,
/// alongside [`Lock::acquire`]'s futures.
///
/// # Cancellation
///
/// A cancellation point: polled first in an effectively cancelled scope it stays pending and
/// takes nothing. Dropping it withdraws its waiter; if the lock had already been handed to it,
/// the drop passes the lock to the next waiter (or unlocks it). Once cancelled while queued it
/// never completes, even if the lock is handed to it meanwhile.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::Lock;
/// use std::sync::Arc;
///
/// let lock = Arc::new(Lock::new());
/// let held = lock.try_acquire_owned().unwrap();
/// let waiting = lock.acquire_owned();
/// drop(held);
/// let _guard = waiting.await;
/// assert!(lock.locked());
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedLockAcquire {
    lock: Arc<Lock>,
    wait: LockWait,
}

impl fmt::Debug for OwnedLockAcquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLockAcquire")
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl Future for OwnedLockAcquire {
    type Output = OwnedLockGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedLockGuard> {
        let this = &mut *self;
        this.wait
            .poll(&this.lock, cx)
            .map(|()| OwnedLockGuard::new(Arc::clone(&this.lock)))
    }
}

impl Drop for OwnedLockAcquire {
    fn drop(&mut self) {
        self.wait.cancel(&self.lock);
    }
}

/// Holds a [`Lock`] through an `Arc`; dropping it releases the lock (to the first waiter, if
/// any) from whichever task or thread drops it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::Lock;
/// use std::sync::Arc;
///
/// let lock = Arc::new(Lock::new());
/// let guard = lock.acquire_owned().await;
/// anyio_core::to_thread::run_sync(move || drop(guard)).await;
/// assert!(!lock.locked());
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedLockGuard {
    lock: Arc<Lock>,
    /// Set by `detach`: the hold outlives the guard.
    detached: bool,
}

impl fmt::Debug for OwnedLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLockGuard").finish_non_exhaustive()
    }
}

impl OwnedLockGuard {
    fn new(lock: Arc<Lock>) -> OwnedLockGuard {
        OwnedLockGuard {
            lock,
            detached: false,
        }
    }

    /// Keeps the lock held past this guard: the calling task becomes its owner and releases it
    /// later with [`Lock::release`], as [`LockGuard::detach`](crate::sync::LockGuard::detach).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::Lock;
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(Lock::new());
    /// lock.acquire_owned().await.detach();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// # });
    /// ```
    pub fn detach(mut self) {
        self.lock.detach_hold();
        self.detached = true;
    }

    /// The lock this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Lock;
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(Lock::new());
    /// let guard = lock.try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.lock(), &lock));
    /// ```
    pub fn lock(&self) -> &Arc<Lock> {
        &self.lock
    }
}

impl Drop for OwnedLockGuard {
    fn drop(&mut self) {
        if !self.detached {
            self.lock.unlock();
        }
    }
}
