//! Taking a limiter token: the acquisition state shared by the borrowed and owned futures,
//! the borrowed future and its token.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{CapacityLimiter, LimiterWaiter};
use crate::sync::borrower::Borrower;
use crate::sync::error::LimiterError;
use crate::sync::waiters::{poll_cancel_point, scope_cancelled, wake_all};

/// The state of one acquisition of a [`CapacityLimiter`] token, shared by the borrowed and
/// the owned acquire futures so that both wait in the limiter's one queue with the same rules.
#[derive(Debug)]
pub(in crate::sync) struct LimiterWait {
    /// Resolved on the first poll for the default borrower (the task polling it).
    borrower: Option<Borrower>,
    /// A named borrower: at most one token.
    exclusive: bool,
    key: Option<usize>,
}

impl LimiterWait {
    /// An acquisition for `borrower`, or for the polling task when `None`; a named borrower
    /// may hold or wait for one token only.
    pub(in crate::sync) fn new(borrower: Option<Borrower>) -> LimiterWait {
        LimiterWait {
            borrower,
            exclusive: borrower.is_some(),
            key: None,
        }
    }

    /// The borrower, once known.
    pub(in crate::sync) fn borrower(&self) -> Option<Borrower> {
        self.borrower
    }

    /// Whether this acquisition is queued.
    pub(in crate::sync) fn is_waiting(&self) -> bool {
        self.key.is_some()
    }

    /// Polls for a token of `limiter`; `Ready(Ok(borrower))` once it is recorded for
    /// `borrower` (the caller makes the guard).
    pub(in crate::sync) fn poll(
        &mut self,
        limiter: &CapacityLimiter,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Borrower, LimiterError>> {
        if self.key.is_some() {
            if scope_cancelled() {
                // Blocked, then cancelled: `cancel` passes on a token handed to us meanwhile.
                return Poll::Pending;
            }
        } else {
            std::task::ready!(poll_cancel_point(cx));
        }
        let borrower = *self
            .borrower
            .get_or_insert_with(Borrower::current_or_anonymous);
        let mut state = limiter.state.lock();
        if let Some(key) = self.key {
            if !state.waiters.state(key).granted {
                state.waiters.register(key, cx.waker());
                return Poll::Pending;
            }
            // Granted by a release: the holder entry was recorded then.
            state.waiters.remove(key);
            self.key = None;
        } else {
            match state.try_take(borrower, self.exclusive) {
                Err(error) => return Poll::Ready(Err(error)),
                Ok(true) => {}
                Ok(false) => {
                    self.key = Some(state.waiters.push_back(
                        LimiterWaiter {
                            borrower,
                            granted: false,
                        },
                        cx.waker(),
                    ));
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(Ok(borrower))
    }

    /// Withdraws a dropped acquisition; a token already granted to it goes on.
    pub(in crate::sync) fn cancel(&mut self, limiter: &CapacityLimiter) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut wakers = Vec::new();
        {
            let mut state = limiter.state.lock();
            let waiter = state.waiters.remove(key);
            if waiter.granted {
                // Granted but never received: pass the token on.
                state.release(waiter.borrower, &mut wakers);
            }
        }
        wake_all(wakers);
    }
}

/// The future returned by [`CapacityLimiter::acquire`] and
/// [`CapacityLimiter::acquire_on_behalf_of`].
#[must_use = "futures do nothing unless awaited"]
pub struct LimiterAcquire<'a> {
    limiter: &'a CapacityLimiter,
    wait: LimiterWait,
}

impl<'a> LimiterAcquire<'a> {
    pub(super) fn new(limiter: &'a CapacityLimiter, borrower: Option<Borrower>) -> Self {
        LimiterAcquire {
            limiter,
            wait: LimiterWait::new(borrower),
        }
    }
}

impl fmt::Debug for LimiterAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimiterAcquire")
            .field("borrower", &self.wait.borrower())
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl<'a> Future for LimiterAcquire<'a> {
    type Output = Result<LimiterToken<'a>, LimiterError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let limiter = self.limiter;
        self.wait
            .poll(limiter, cx)
            .map_ok(|borrower| LimiterToken { limiter, borrower })
    }
}

impl Drop for LimiterAcquire<'_> {
    fn drop(&mut self) {
        self.wait.cancel(self.limiter);
    }
}

/// A borrowed [`CapacityLimiter`] token; dropping it returns the token (to the first waiter,
/// if any).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let limiter = anyio_core::sync::CapacityLimiter::new(1);
/// let token = limiter.acquire().await.unwrap();
/// assert_eq!(limiter.available_tokens(), 0);
/// drop(token);
/// assert_eq!(limiter.available_tokens(), 1);
/// # });
/// ```
#[must_use = "the token is returned as soon as it is dropped"]
pub struct LimiterToken<'a> {
    pub(super) limiter: &'a CapacityLimiter,
    pub(super) borrower: Borrower,
}

impl fmt::Debug for LimiterToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimiterToken")
            .field("borrower", &self.borrower)
            .finish_non_exhaustive()
    }
}

impl LimiterToken<'_> {
    /// Who holds this token.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// let limiter = CapacityLimiter::new(1);
    /// let borrower = Borrower::new();
    /// assert_eq!(limiter.try_acquire_on_behalf_of(borrower).unwrap().borrower(), borrower);
    /// ```
    pub fn borrower(&self) -> Borrower {
        self.borrower
    }

    /// Keeps the token borrowed past this guard; release it later with
    /// [`CapacityLimiter::release`] or [`CapacityLimiter::release_on_behalf_of`] (Trio's and
    /// AnyIO's `acquire()`/`release()` style).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    /// let limiter = CapacityLimiter::new(1);
    /// let borrower = Borrower::new();
    /// limiter.try_acquire_on_behalf_of(borrower).unwrap().detach();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// limiter.release_on_behalf_of(borrower).unwrap();
    /// ```
    pub fn detach(self) {
        self.limiter.detach_token(self.borrower);
        std::mem::forget(self);
    }
}

impl Drop for LimiterToken<'_> {
    fn drop(&mut self) {
        self.limiter.give_back(self.borrower);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::future::block_on;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    use crate::sync::shim::loom_model as model;

    /// A plain acquisition for `borrower`, as `acquire` makes for the current task.
    fn plain(limiter: &CapacityLimiter, borrower: Borrower) -> LimiterAcquire<'_> {
        let mut acquire = LimiterAcquire::new(limiter, Some(borrower));
        acquire.wait.exclusive = false;
        acquire
    }

    /// One borrower (a task running two operations at once) takes two tokens by plain
    /// acquisitions while a named borrower competes: never more holders than tokens, the
    /// per-borrower counts come back to zero, and nobody waits forever.
    #[test]
    fn one_borrower_holding_several_tokens_returns_them_all() {
        model(|| {
            let limiter = Arc::new(CapacityLimiter::new(2));
            let holders = Arc::new(AtomicUsize::new(0));
            let task = Borrower::from_id(1);
            let worker = |borrower: Borrower, named: bool| {
                let (limiter, holders) = (limiter.clone(), holders.clone());
                thread::spawn(move || {
                    let token = if named {
                        block_on(limiter.acquire_on_behalf_of(borrower)).unwrap()
                    } else {
                        block_on(plain(&limiter, borrower)).unwrap()
                    };
                    assert!(holders.fetch_add(1, Ordering::SeqCst) < 2, "three holders");
                    holders.fetch_sub(1, Ordering::SeqCst);
                    drop(token);
                })
            };
            let workers = [
                worker(task, false),
                worker(task, false),
                worker(Borrower::from_id(2), true),
            ];
            for worker in workers {
                worker.join().unwrap();
            }
            let statistics = limiter.statistics();
            assert_eq!(statistics.borrowed_tokens, 0);
            assert!(statistics.borrowers.is_empty());
            assert_eq!(statistics.tasks_waiting, 0);
        });
    }
}
