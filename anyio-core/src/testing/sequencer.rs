use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::cancel::node::lock;

/// Forces an order across tasks: [`wait(n)`](Sequencer::wait) completes only after the holder
/// of every position below `n` released its guard.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, testing::Sequencer};
/// use std::sync::{Arc, Mutex};
///
/// let sequencer = Sequencer::new();
/// let order = Arc::new(Mutex::new(Vec::new()));
/// task_group(|tg| async move {
///     for position in [2, 0, 1] {
///         let (sequencer, order) = (sequencer.clone(), order.clone());
///         tg.start_soon(async move {
///             let _turn = sequencer.wait(position).await.unwrap();
///             order.lock().unwrap().push(position);
///         })?;
///     }
///     Ok::<_, anyio_core::SpawnError>(order)
/// })
/// .await
/// .map(|order| assert_eq!(*order.lock().unwrap(), [0, 1, 2]))
/// .unwrap();
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Sequencer {
    shared: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    next: usize,
    claimed: Vec<usize>,
    waiters: Vec<Waker>,
}

/// Misuse of a [`Sequencer`].
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::testing::{Sequencer, SequencerError};
/// let sequencer = Sequencer::new();
/// let _first = sequencer.wait(0).await.unwrap();
/// assert_eq!(sequencer.wait(0).await.unwrap_err(), SequencerError::AlreadyClaimed(0));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SequencerError {
    /// Two waits for the same position.
    #[error("sequencer position {0} was already waited for")]
    AlreadyClaimed(usize),
}

impl Sequencer {
    /// A sequencer whose first position is 0.
    ///
    /// # Examples
    ///
    /// See [`Sequencer`].
    pub fn new() -> Sequencer {
        Sequencer::default()
    }

    /// Waits for `position`'s turn; the turn lasts until the guard is dropped.
    ///
    /// # Errors
    ///
    /// [`SequencerError::AlreadyClaimed`] when `position` was already waited for.
    ///
    /// # Cancellation
    ///
    /// Cancelling the wait gives the position back: it can be waited for again. Note that the
    /// positions after it cannot proceed until someone takes and releases it.
    ///
    /// # Examples
    ///
    /// See [`Sequencer`].
    pub fn wait(&self, position: usize) -> SequencerWait {
        SequencerWait {
            shared: self.shared.clone(),
            position,
            claimed: false,
        }
    }
}

impl fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sequencer")
            .field("next", &lock(&self.shared).next)
            .finish()
    }
}

/// The future returned by [`Sequencer::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct SequencerWait {
    shared: Arc<Mutex<State>>,
    position: usize,
    claimed: bool,
}

impl fmt::Debug for SequencerWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SequencerWait")
            .field("position", &self.position)
            .finish()
    }
}

impl Future for SequencerWait {
    type Output = Result<SequencerGuard, SequencerError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = lock(&this.shared);
        if !this.claimed {
            if state.claimed.contains(&this.position) || state.next > this.position {
                return Poll::Ready(Err(SequencerError::AlreadyClaimed(this.position)));
            }
            state.claimed.push(this.position);
            this.claimed = true;
        }
        if state.next == this.position {
            this.claimed = false;
            return Poll::Ready(Ok(SequencerGuard {
                shared: this.shared.clone(),
                position: this.position,
            }));
        }
        state.waiters.push(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for SequencerWait {
    fn drop(&mut self) {
        if self.claimed {
            let position = self.position;
            lock(&self.shared).claimed.retain(|&p| p != position);
        }
    }
}

/// A turn of a [`Sequencer`]: the next position proceeds when it is dropped.
pub struct SequencerGuard {
    shared: Arc<Mutex<State>>,
    position: usize,
}

impl fmt::Debug for SequencerGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SequencerGuard")
            .field("position", &self.position)
            .finish()
    }
}

impl Drop for SequencerGuard {
    fn drop(&mut self) {
        let waiters = {
            let mut state = lock(&self.shared);
            state.next = self.position + 1;
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }
}
