use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Mutex as StdMutex, PoisonError};
use std::task::{Context, Poll};

use super::error::WouldBlock;
use super::lock::{Lock, LockAcquire, LockGuard, LockStatistics};

/// A value protected by a FIFO-fair asynchronous [`Lock`]: [`lock`](Mutex::lock) waits for the
/// lock and returns a guard that dereferences to the value.
///
/// It has every property of [`Lock`] (FIFO hand-off, no barging, owner in the statistics,
/// cancel-safe acquisition). The value *moves* into the guard while it is locked and back when
/// the guard drops, which keeps the crate free of `unsafe`; box large values if that copy
/// matters.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::Mutex, task_group};
/// use std::sync::Arc;
///
/// let counter = Arc::new(Mutex::new(0));
/// task_group(|tg| {
///     let counter = counter.clone();
///     async move {
///         for _ in 0..10 {
///             let counter = counter.clone();
///             tg.start_soon(async move { *counter.lock().await += 1 })?;
///         }
///         Ok::<_, anyio_core::SpawnError>(())
///     }
/// })
/// .await
/// .unwrap();
/// assert_eq!(*counter.lock().await, 10);
/// # });
/// ```
pub struct Mutex<T> {
    pub(super) lock: Lock,
    /// The value while nobody holds the lock; it lives in the guard meanwhile.
    value: StdMutex<Option<T>>,
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &self.lock.locked())
            .finish_non_exhaustive()
    }
}

impl<T> Mutex<T> {
    /// A mutex holding `value`, unlocked.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(vec![1, 2]);
    /// assert!(!mutex.is_locked());
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            lock: Lock::new(),
            value: StdMutex::new(Some(value)),
        }
    }

    /// Waits for the lock and returns a guard to the value.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe, like [`Lock::acquire`]: a dropped future never leaves the mutex locked,
    /// even when the lock had already been handed to it.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let mutex = anyio_core::sync::Mutex::new(String::from("a"));
    /// mutex.lock().await.push('b');
    /// assert_eq!(*mutex.lock().await, "ab");
    /// # });
    /// ```
    pub fn lock(&self) -> MutexLock<'_, T> {
        MutexLock {
            mutex: self,
            acquire: self.lock.acquire(),
        }
    }

    /// Locks the mutex if it is free and nobody is waiting for it.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when it is locked or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// assert_eq!(*guard, 1);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, WouldBlock> {
        let guard = self.lock.try_acquire()?;
        Ok(self.guard(guard))
    }

    /// Whether the mutex is locked.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(());
    /// let _guard = mutex.try_lock().unwrap();
    /// assert!(mutex.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.lock.locked()
    }

    /// A snapshot of the lock's state.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(0);
    /// assert_eq!(mutex.statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> LockStatistics {
        self.lock.statistics()
    }

    /// The value, through exclusive access (no locking needed).
    ///
    /// # Panics
    ///
    /// Panics if a guard of this mutex was leaked with `std::mem::forget`, which took the
    /// value with it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = anyio_core::sync::Mutex::new(1);
    /// *mutex.get_mut() += 1;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .expect("a guard of this mutex was leaked with its value")
    }

    /// Consumes the mutex and returns the value.
    ///
    /// # Panics
    ///
    /// Panics if a guard of this mutex was leaked with `std::mem::forget`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new("value");
    /// assert_eq!(mutex.into_inner(), "value");
    /// ```
    pub fn into_inner(self) -> T {
        self.value
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .expect("a guard of this mutex was leaked with its value")
    }

    fn guard<'a>(&'a self, lock: LockGuard<'a>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex: self,
            value: Some(self.take_value()),
            _lock: lock,
        }
    }

    /// Moves the value out for a guard; the caller holds the lock.
    pub(super) fn take_value(&self) -> T {
        self.value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("the value is in the mutex whenever its lock is free")
    }

    /// Puts a guard's value back, before the guard releases the lock.
    pub(super) fn put_back(&self, value: Option<T>) {
        *self.value.lock().unwrap_or_else(PoisonError::into_inner) = value;
    }
}

/// The future returned by [`Mutex::lock`].
#[must_use = "futures do nothing unless awaited"]
pub struct MutexLock<'a, T> {
    mutex: &'a Mutex<T>,
    acquire: LockAcquire<'a>,
}

impl<T> fmt::Debug for MutexLock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexLock")
            .field("acquire", &self.acquire)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Future for MutexLock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let mutex = self.mutex;
        Pin::new(&mut self.acquire)
            .poll(cx)
            .map(|lock| mutex.guard(lock))
    }
}

/// Holds a [`Mutex`] locked and gives access to its value; dropping it puts the value back and
/// releases the lock (to the first waiter, if any).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let mutex = anyio_core::sync::Mutex::new(vec![1]);
/// let mut guard = mutex.lock().await;
/// guard.push(2);
/// drop(guard);
/// assert_eq!(mutex.lock().await.len(), 2);
/// # });
/// ```
#[must_use = "the mutex is unlocked as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    /// `Some` until the guard drops.
    value: Option<T>,
    /// Declared after `value`: the lock is released after the value went back.
    _lock: LockGuard<'a>,
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MutexGuard").field(&**self).finish()
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("the value is present while the guard lives")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_mut()
            .expect("the value is present while the guard lives")
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.put_back(self.value.take());
        // `_lock` drops next and releases the lock.
    }
}
