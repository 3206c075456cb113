//! The synchronization building blocks of the waiter queues and the memory-stream core, swapped
//! for [loom](https://docs.rs/loom)'s model-checked versions when built with `--cfg loom`.
//!
//! Only the state that the loom models exercise goes through here (wait lists, permits, the
//! capacity limiter, the channel core, a task group's child count). Process-wide counters (handle ids, borrower tokens) stay
//! on `std` atomics on purpose: loom types cannot live in statics.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

#[cfg(loom)]
use loom::sync as imp;
#[cfg(not(loom))]
use std::sync as imp;

/// A mutex whose `lock` ignores poisoning: every critical section in this crate leaves its data
/// consistent before anything that can panic (user code never runs under these locks).
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(imp::Mutex<T>);

/// The guard of [`Mutex`].
pub(crate) type MutexGuard<'a, T> = imp::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Mutex<T> {
        Mutex(imp::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Checks the loom model `f` with the models' default preemption bound of 3, unless
/// `LOOM_MAX_PREEMPTIONS` sets one. Public (hidden) only under `--cfg loom`, for the crate's
/// own models and those in `anyio-core/tests/loom_*.rs`.
#[cfg(loom)]
#[doc(hidden)]
pub fn loom_model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}
