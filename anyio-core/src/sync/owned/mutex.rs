use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::sync::error::WouldBlock;
use crate::sync::lock::LockWait;
use crate::sync::mutex::Mutex;

impl<T> Mutex<T> {
    /// Waits for the lock, like [`lock`](Mutex::lock), and returns an owned guard that keeps an
    /// `Arc` of the mutex: it is `'static` (for `T: 'static`), so it can move into a spawned
    /// task or a worker thread and unlock the mutex there.
    ///
    /// # Cancellation
    ///
    /// Exactly as [`Lock::acquire`](crate::sync::Lock::acquire): a cancellation point that
    /// takes nothing in an effectively cancelled scope, and cancel-safe: dropping the future
    /// withdraws its place in the queue, and a lock already handed to it goes on to the next
    /// waiter (or is unlocked). A waiter whose scope is cancelled while it waits does not take
    /// the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::Mutex;
    /// use std::sync::Arc;
    ///
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let mut guard = names.lock_owned().await;
    /// anyio_core::to_thread::run_sync(move || guard.push("from a thread")).await;
    /// assert_eq!(*names.lock().await, ["from a thread"]);
    /// # });
    /// ```
    pub fn lock_owned(self: &Arc<Self>) -> OwnedMutexLock<T> {
        OwnedMutexLock {
            mutex: Arc::clone(self),
            wait: LockWait::default(),
        }
    }

    /// Locks the mutex if it is free and nobody is waiting, like
    /// [`try_lock`](Mutex::try_lock), returning an owned guard.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when it is locked or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Mutex;
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let mut guard = mutex.try_lock_owned().unwrap();
    /// assert!(mutex.try_lock_owned().is_err());
    /// *guard += 1;
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock().unwrap(), 2);
    /// ```
    pub fn try_lock_owned(self: &Arc<Self>) -> Result<OwnedMutexGuard<T>, WouldBlock> {
        self.lock.try_take()?;
        Ok(OwnedMutexGuard::new(Arc::clone(self)))
    }
}

/// The future returned by [`Mutex::lock_owned`]: waits in the mutex's one FIFO queue,
/// alongside [`Mutex::lock`]'s futures.
///
/// # Cancellation
///
/// A cancellation point: polled first in an effectively cancelled scope it stays pending and
/// takes nothing. Dropping it withdraws its waiter; if the lock had already been handed to it,
/// the drop passes the lock to the next waiter (or unlocks it), and the value stays in the
/// mutex. Once cancelled while queued it never completes.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::Mutex;
/// use std::sync::Arc;
///
/// let mutex = Arc::new(Mutex::new(1));
/// let waiting = mutex.lock_owned();
/// assert_eq!(*waiting.await, 1);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedMutexLock<T> {
    mutex: Arc<Mutex<T>>,
    wait: LockWait,
}

impl<T> fmt::Debug for OwnedMutexLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedMutexLock")
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl<T> Future for OwnedMutexLock<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        let this = &mut *self;
        this.wait
            .poll(&this.mutex.lock, cx)
            .map(|()| OwnedMutexGuard::new(Arc::clone(&this.mutex)))
    }
}

impl<T> Drop for OwnedMutexLock<T> {
    fn drop(&mut self) {
        self.wait.cancel(&self.mutex.lock);
    }
}

/// Holds a [`Mutex`] locked through an `Arc` and gives access to its value; dropping it puts
/// the value back and unlocks the mutex (to the first waiter, if any), from whichever task or
/// thread drops it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::Mutex;
/// use std::sync::Arc;
///
/// let mutex = Arc::new(Mutex::new(0));
/// let mut guard = mutex.lock_owned().await;
/// *guard += 1;
/// drop(guard);
/// assert_eq!(*mutex.lock().await, 1);
/// # });
/// ```
#[must_use = "the mutex is unlocked as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T> {
    mutex: Arc<Mutex<T>>,
    /// `Some` until the guard drops.
    value: Option<T>,
}

impl<T> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedMutexGuard").finish_non_exhaustive()
    }
}

impl<T> OwnedMutexGuard<T> {
    /// Takes the value out of a mutex whose lock the caller just took.
    fn new(mutex: Arc<Mutex<T>>) -> OwnedMutexGuard<T> {
        let value = Some(mutex.take_value());
        OwnedMutexGuard { mutex, value }
    }

    /// The mutex this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Mutex;
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(Mutex::new(()));
    /// let guard = mutex.try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("the value is present while the guard lives")
    }
}

impl<T> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_mut()
            .expect("the value is present while the guard lives")
    }
}

impl<T> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        // The value goes back before the lock is released, so the next holder finds it.
        self.mutex.put_back(self.value.take());
        self.mutex.lock.unlock();
    }
}
