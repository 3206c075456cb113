//! The `run` calls in progress, and the tasks each must wait for after its main task ended.
//!
//! No anyio task may outlive the `run`/`run_with` call that owns it. A task group's children
//! end before the group does, so waiting for the main task is enough, except for tasks whose
//! owner went away without waiting for them: the children of a task group whose future foreign
//! code dropped (a `select`, a foreign timeout), and the tasks `from_thread::run` starts for a
//! worker thread. Each of those holds a [`Straggler`] of its run until it ended, and the run
//! waits for the last one before it returns. On tokio that also keeps the runtime from
//! dropping them unfinished (a cancelled child's `finally` cleanup still runs); on smol and
//! async-std, whose executors are global, nothing else would.
//!
//! A task knows its run by id ([`RunId`], a copy in its `Runtime`) rather than by a reference:
//! a reference counted at every spawn and dropped on the executor thread at every end would
//! move its cache line between cores twice per child. The id is looked up here, under one
//! lock, only when a straggler appears.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use crate::cancel::node::lock;

/// Which `run` call a task belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RunId(NonZeroU64);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

static RUNS: Mutex<Option<HashMap<RunId, Arc<RunState>>>> = Mutex::new(None);

#[derive(Debug)]
struct RunState {
    stragglers: Mutex<Stragglers>,
    /// The run's end, waiting for the last straggler.
    waker: AtomicWaker,
}

#[derive(Debug)]
struct Stragglers {
    count: usize,
    /// Set once the run stopped waiting: no straggler may join it any more.
    closed: bool,
}

/// A `run` call in progress; dropping it ends the run (it then refuses stragglers).
#[derive(Debug)]
pub(crate) struct RunGuard {
    id: RunId,
    state: Arc<RunState>,
}

impl RunGuard {
    pub(crate) fn begin() -> RunGuard {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let id = RunId(NonZeroU64::new(id).expect("2^64 runs cannot be started"));
        let state = Arc::new(RunState {
            stragglers: Mutex::new(Stragglers {
                count: 0,
                closed: false,
            }),
            waker: AtomicWaker::new(),
        });
        lock(&RUNS)
            .get_or_insert_with(HashMap::new)
            .insert(id, state.clone());
        RunGuard { id, state }
    }

    pub(crate) fn id(&self) -> RunId {
        self.id
    }

    /// Resolves once no straggler is left, and closes the run to new ones.
    pub(crate) fn stragglers_ended(&self) -> StragglersEnded<'_> {
        StragglersEnded { state: &self.state }
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        lock(&self.state.stragglers).closed = true;
        let removed = lock(&RUNS).as_mut().and_then(|runs| runs.remove(&self.id));
        drop(removed);
    }
}

/// The future of [`RunGuard::stragglers_ended`].
#[derive(Debug)]
pub(crate) struct StragglersEnded<'a> {
    state: &'a RunState,
}

impl Future for StragglersEnded<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.state.waker.register(cx.waker());
        let mut stragglers = lock(&self.state.stragglers);
        if stragglers.count > 0 {
            return Poll::Pending;
        }
        stragglers.closed = true;
        Poll::Ready(())
    }
}

/// A task its run must wait for; dropping it tells the run that the task ended.
#[derive(Debug)]
pub(crate) struct Straggler {
    state: Arc<RunState>,
}

impl Straggler {
    /// Counts a straggler in `run`, or `None` once that run has ended (or stopped waiting).
    pub(crate) fn join(run: RunId) -> Option<Straggler> {
        let state = lock(&RUNS).as_ref()?.get(&run)?.clone();
        {
            let mut stragglers = lock(&state.stragglers);
            if stragglers.closed {
                return None;
            }
            stragglers.count += 1;
        }
        Some(Straggler { state })
    }
}

impl Drop for Straggler {
    fn drop(&mut self) {
        let last = {
            let mut stragglers = lock(&self.state.stragglers);
            stragglers.count -= 1;
            stragglers.count == 0
        };
        if last {
            self.state.waker.wake();
        }
    }
}
