//! The errors of the synchronization primitives.

/// A `try_*` operation could not complete without waiting: the primitive is taken, or someone is
/// already queued for it (anyio never lets a `try_*` call barge ahead of a waiter).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Lock, WouldBlock};
/// let lock = Lock::new();
/// let _held = lock.try_acquire().unwrap();
/// assert_eq!(lock.try_acquire().unwrap_err(), WouldBlock);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("operation would block")]
pub struct WouldBlock;

/// Why [`Lock::release`](super::Lock::release) refused to release the lock.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Lock, ReleaseError};
/// let lock = Lock::new();
/// assert_eq!(lock.release(), Err(ReleaseError::NotLocked));
/// let guard = lock.try_acquire().unwrap();
/// assert_eq!(lock.release(), Err(ReleaseError::Guarded));
/// drop(guard);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// Nobody holds the lock.
    #[error("lock is not held")]
    NotLocked,
    /// Another task (or code outside anyio tasks, when called from a task) holds the lock.
    #[error("lock is held by another task")]
    NotOwner,
    /// The caller holds the lock through a live guard: drop the guard to release it. Only a
    /// hold kept with [`LockGuard::detach`](super::LockGuard::detach) is released by `release`.
    #[error("lock is held through a guard; drop the guard to release it")]
    Guarded,
}

/// [`Semaphore::release`](super::Semaphore::release) would raise the semaphore above its
/// maximum value.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Semaphore, SemaphoreFullError};
/// let semaphore = Semaphore::with_max(1, 1);
/// assert_eq!(semaphore.release(), Err(SemaphoreFullError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("semaphore released too many times")]
pub struct SemaphoreFullError;

/// Why a [`CapacityLimiter`](super::CapacityLimiter) operation failed.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Borrower, CapacityLimiter, LimiterError};
/// let limiter = CapacityLimiter::new(1);
/// let borrower = Borrower::new();
/// assert_eq!(limiter.release_on_behalf_of(borrower), Err(LimiterError::NotBorrowing));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum LimiterError {
    /// The named borrower already holds (or is already waiting for) a token of this limiter;
    /// a borrower named with `acquire_on_behalf_of` holds at most one. Plain `acquire` never
    /// gives it.
    #[error("this borrower is already holding one of this capacity limiter's tokens")]
    AlreadyBorrowing,
    /// The borrower holds no token of this limiter.
    #[error("this borrower is not holding any of this capacity limiter's tokens")]
    NotBorrowing,
    /// The borrower holds its token through a live [`LimiterToken`](super::LimiterToken):
    /// drop it to release. Only a token kept with
    /// [`LimiterToken::detach`](super::LimiterToken::detach) is released explicitly.
    #[error("this borrower holds its token through a guard; drop the guard to release it")]
    Guarded,
    /// (`try_*` only) No token is free, or other borrowers are already queued.
    #[error("operation would block")]
    WouldBlock,
}

/// Two tasks tried to use a resource that allows one user at a time (see
/// [`ResourceGuard`](super::ResourceGuard)).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::ResourceGuard;
/// let guard = ResourceGuard::new("reading from");
/// let _reading = guard.enter().unwrap();
/// let error = guard.enter().unwrap_err();
/// assert_eq!(error.to_string(), "another task is already reading from this resource");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("another task is already {action} this resource")]
pub struct BusyResourceError {
    /// What the other task is doing, as given to [`ResourceGuard::new`](super::ResourceGuard::new)
    /// ("reading from", "writing to"...).
    pub action: &'static str,
}
