use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::context;

/// Yields to the scheduler once; inside a cancelled scope it never completes, so the scope
/// drops the caller there (Trio's checkpoint).
///
/// Use it in long computations between awaits so they can be cancelled and do not starve
/// other tasks.
///
/// # Cancellation
///
/// Cancel-safe: it holds nothing.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{checkpoint, CancelScope};
/// checkpoint().await; // just yields
///
/// let scope = CancelScope::new();
/// scope.handle().cancel();
/// let mut reached = false;
/// scope.run(async { checkpoint().await; reached = true }).await;
/// assert!(!reached);
/// # });
/// ```
pub fn checkpoint() -> Checkpoint {
    Checkpoint { yielded: false }
}

/// The future returned by [`checkpoint`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Checkpoint {
    yielded: bool,
}

impl Future for Checkpoint {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if context::current_scope_cancelled() {
            // The enclosing scope was woken by the cancellation and drops us.
            return Poll::Pending;
        }
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Completes at once unless the current scope is cancelled, in which case it never completes
/// and the scope drops the caller. Unlike [`checkpoint`] it does not yield.
///
/// # Cancellation
///
/// Cancel-safe: it holds nothing.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::checkpoint_if_cancelled;
/// checkpoint_if_cancelled().await; // not cancelled: returns immediately
/// # });
/// ```
pub fn checkpoint_if_cancelled() -> CheckpointIfCancelled {
    CheckpointIfCancelled { _private: () }
}

/// The future returned by [`checkpoint_if_cancelled`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct CheckpointIfCancelled {
    _private: (),
}

impl Future for CheckpointIfCancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if context::current_scope_cancelled() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// Resolves when the current scope becomes effectively cancelled (by itself or an enclosing
/// scope); outside any scope it never resolves.
///
/// Code that wants to notice cancellation rather than just be dropped can race this against
/// its work, but note that the scope drops the body at its next `Pending` anyway, so only work
/// done without awaiting (or inside a protected region) runs after it resolves.
///
/// # Cancellation
///
/// Cancel-safe: it holds nothing.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{cancelled, move_on_after, time::Duration};
/// use std::sync::atomic::{AtomicBool, Ordering};
/// let noticed = AtomicBool::new(false);
/// move_on_after(Duration::from_millis(1), async {
///     cancelled().await;
///     noticed.store(true, Ordering::SeqCst);
/// })
/// .await;
/// assert!(noticed.load(Ordering::SeqCst));
/// # });
/// ```
pub fn cancelled() -> Cancelled {
    Cancelled { _private: () }
}

/// The future returned by [`cancelled`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Cancelled {
    _private: (),
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        // The scope's own waker is woken on cancellation and polls us again.
        if context::current_scope_cancelled() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The earliest deadline that applies to the calling code: the minimum over the enclosing
/// scopes up to the first shielded one (across task boundaries), `None` if none has a
/// deadline, and the current time if the current scope is already cancelled.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{current_effective_deadline, move_on_after, time::Duration};
/// assert_eq!(current_effective_deadline(), None);
/// move_on_after(Duration::from_secs(1), async {
///     let inner = move_on_after(Duration::from_secs(10), async { current_effective_deadline() });
///     let deadline = inner.await.unwrap();
///     assert!(deadline.is_some());
/// })
/// .await;
/// # });
/// ```
pub fn current_effective_deadline() -> Option<Instant> {
    context::current_scope().and_then(|node| node.effective_deadline())
}
