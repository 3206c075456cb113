//! Synchronization primitives for tasks: FIFO-fair, runtime-neutral and cancel-safe.
//!
//! | anyio | use it to | Trio / AnyIO |
//! |---|---|---|
//! | [`Event`] | wake every waiter once something happened | `Event` |
//! | [`Lock`] | let one task at a time into a section; knows its owner | `Lock` |
//! | [`Mutex<T>`](Mutex) | protect a value with a [`Lock`] | — |
//! | [`Semaphore`] | hand out `n` tokens, optionally bounded | `Semaphore(n, max_value=...)` |
//! | [`Condition`] | wait, holding a lock, until another holder notifies | `Condition` |
//! | [`CapacityLimiter`] | limit concurrent users, with an adjustable total and named borrowers | `CapacityLimiter` |
//! | [`ResourceGuard`] | turn concurrent use of a one-user resource into an error | `ResourceGuard` |
//!
//! # Common behaviour
//!
//! - **Guards.** Every acquisition returns a guard that releases when dropped, also on panic
//!   and when the holding task is cancelled. Trio's `acquire()`/`release()` style is there for
//!   code that needs it: [`LockGuard::detach`] or [`LimiterToken::detach`] keep the hold past
//!   the guard, and `release` then checks ownership ([`ReleaseError`], [`LimiterError`]).
//! - **Owned guards.** With the primitive in an `Arc`, `acquire_owned` (`lock_owned` for
//!   [`Mutex`]) returns a `'static` guard ([`OwnedLockGuard`], [`OwnedMutexGuard`],
//!   [`OwnedSemaphorePermit`], [`OwnedLimiterToken`]) that can move into a spawned task or a
//!   worker thread and releases wherever it is dropped. It waits in the same queue as the
//!   borrowed `acquire`, with the same fairness, cancellation rules and statistics.
//! - **Fairness.** Waiters are served in the order they started waiting: a release hands the
//!   lock or token straight to the first waiter, and every `try_*` call fails with
//!   [`WouldBlock`] while anyone is queued, so nobody barges ahead.
//! - **Cancellation points.** Every `acquire`, `lock` and `wait` is a cancellation point, also
//!   when it would not block (Trio's and AnyIO's rule): in an effectively cancelled scope it
//!   never completes and takes nothing, so the code after it does not run.
//! - **Cancellation.** Cancelling a task drops its futures. A dropped `acquire` withdraws its
//!   waiter; if the lock or token had already been handed to it, it passes it to the next
//!   waiter, so nothing ever leaks and nothing stays locked. A dropped
//!   [`ConditionGuard::wait`] that had been notified passes the notification on. Each future
//!   documents this under `# Cancellation`.
//! - **Speed.** When free, `Lock`/`Semaphore` acquire and release are one atomic operation each
//!   (plus the cancellation check, a few thread-local and atomic loads); waiting uses one
//!   mutex-protected FIFO queue per primitive, with no allocation per wait once warmed up.
//!   Operations that can complete at once do so on their first poll, except that each thread
//!   forces one yield every 128 of them, so that a loop of uncontended acquisitions still lets
//!   deadlines and other tasks run (tokio's coop budget, made runtime-neutral).
//! - **Tasks.** "Current task" means the anyio task (see
//!   [`get_current_task`](crate::get_current_task)). Nothing assumes a task does one thing at a
//!   time: futures joined in one task may each acquire (a limiter gives each its own token). In
//!   code outside anyio tasks (a plain `tokio::spawn`), a lock is owned anonymously and a
//!   limiter borrows as a fresh anonymous [`Borrower`] per acquisition; everything else works
//!   the same.
//! - **Runtime-neutral.** Nothing here depends on a backend: the primitives work on tokio, smol
//!   and async-std, and across them.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::{sync::{CapacityLimiter, Event}, task_group};
//! use std::sync::Arc;
//!
//! let limiter = Arc::new(CapacityLimiter::new(2));
//! let go = Arc::new(Event::new());
//! task_group(|tg| {
//!     let (limiter, go) = (limiter.clone(), go.clone());
//!     async move {
//!         for _ in 0..4 {
//!             let (limiter, go) = (limiter.clone(), go.clone());
//!             tg.start_soon(async move {
//!                 go.wait().await;
//!                 let _token = limiter.acquire().await.unwrap();
//!             })?;
//!         }
//!         go.set();
//!         Ok::<_, anyio_core::SpawnError>(())
//!     }
//! })
//! .await
//! .unwrap();
//! assert_eq!(limiter.borrowed_tokens(), 0);
//! # });
//! ```

mod borrower;
mod capacity_limiter;
mod condition;
mod error;
mod event;
mod lock;
mod mutex;
mod owned;
mod permits;
mod resource_guard;
mod semaphore;
pub(crate) mod shim;
pub(crate) mod waiters;

pub use borrower::Borrower;
pub use capacity_limiter::{
    CapacityLimiter, CapacityLimiterStatistics, LimiterAcquire, LimiterToken,
};
pub use condition::{
    Condition, ConditionAcquire, ConditionGuard, ConditionStatistics, ConditionWait,
};
pub use error::{BusyResourceError, LimiterError, ReleaseError, SemaphoreFullError, WouldBlock};
pub use event::{Event, EventStatistics, EventWait};
pub use lock::{Lock, LockAcquire, LockGuard, LockStatistics};
pub use mutex::{Mutex, MutexGuard, MutexLock};
pub use owned::{
    OwnedLimiterAcquire, OwnedLimiterToken, OwnedLockAcquire, OwnedLockGuard, OwnedMutexGuard,
    OwnedMutexLock, OwnedSemaphoreAcquire, OwnedSemaphorePermit,
};
pub use resource_guard::{ResourceGuard, ResourceInUse};
pub use semaphore::{Semaphore, SemaphoreAcquire, SemaphorePermit, SemaphoreStatistics};
