//! Owned guards: `'static` versions of the lock, mutex, semaphore and limiter guards that hold
//! an [`Arc`](std::sync::Arc) of their primitive, so they can move into a spawned task or a
//! worker thread and release there (tokio's `acquire_owned`, async-lock's `*_arc`).
//!
//! Each `*_owned` method takes `self: &Arc<Self>`. Its future and guard are thin wrappers
//! around the same acquisition state as the borrowed ones (`LockWait`, `SemaphoreWait`,
//! `LimiterWait`): one waiter queue per primitive, the same FIFO order, cancellation point and
//! cancel-safety, and the same statistics. A guard releases when dropped, on whatever task or
//! thread that happens.

mod limiter;
mod lock;
mod mutex;
mod semaphore;

pub use limiter::{OwnedLimiterAcquire, OwnedLimiterToken};
pub use lock::{OwnedLockAcquire, OwnedLockGuard};
pub use mutex::{OwnedMutexGuard, OwnedMutexLock};
pub use semaphore::{OwnedSemaphoreAcquire, OwnedSemaphorePermit};
