use std::any::Any;
use std::sync::{Arc, Mutex, OnceLock};

use crate::backend::{require_backend, Backend};
use crate::cancel::node::{lock, Node};

/// The state a task group shares with its handles and children.
#[derive(Debug)]
pub(crate) struct GroupShared<E> {
    pub(crate) node: Arc<Node>,
    backend: OnceLock<Backend>,
    state: Mutex<GroupState<E>>,
}

#[derive(Debug)]
pub(crate) struct GroupState<E> {
    /// Children spawned and not yet ended.
    pub(crate) live: usize,
    /// Set when the group ended; spawning is then an error.
    pub(crate) closed: bool,
    pub(crate) errors: Vec<E>,
    pub(crate) panic: Option<Box<dyn Any + Send>>,
}

/// A failure a child reports to its group.
pub(crate) enum Failure<E> {
    Error(E),
    Panic(Box<dyn Any + Send>),
}

impl<E> GroupShared<E> {
    pub(crate) fn new() -> Arc<GroupShared<E>> {
        Arc::new(GroupShared {
            node: Node::new(false),
            backend: OnceLock::new(),
            state: Mutex::new(GroupState {
                live: 0,
                closed: false,
                errors: Vec::new(),
                panic: None,
            }),
        })
    }

    /// The backend children run on: the one in force where the group first ran or spawned.
    pub(crate) fn backend(&self) -> Backend {
        *self.backend.get_or_init(require_backend)
    }

    /// Counts a new child, unless the group has finished.
    pub(crate) fn add_child(&self) -> bool {
        let mut state = lock(&self.state);
        if state.closed {
            return false;
        }
        state.live += 1;
        true
    }

    /// Records a failure without ending a child (the body's error).
    pub(crate) fn fail(&self, failure: Failure<E>) {
        {
            let mut state = lock(&self.state);
            match failure {
                Failure::Error(error) => state.errors.push(error),
                Failure::Panic(payload) => {
                    state.panic.get_or_insert(payload);
                }
            }
        }
        self.node.cancel();
    }

    /// A child ended, with an optional failure; the first failure cancels the group.
    pub(crate) fn child_done(&self, failure: Option<Failure<E>>) {
        let failed = failure.is_some();
        let last = {
            let mut state = lock(&self.state);
            match failure {
                Some(Failure::Error(error)) => state.errors.push(error),
                Some(Failure::Panic(payload)) => {
                    state.panic.get_or_insert(payload);
                }
                None => {}
            }
            state.live -= 1;
            state.live == 0
        };
        if failed {
            self.node.cancel();
        }
        if last {
            self.node.wake();
        }
    }

    /// Closes the group if no child is alive, handing back what it collected.
    pub(crate) fn try_close(&self) -> Option<(Vec<E>, Option<Box<dyn Any + Send>>)> {
        let mut state = lock(&self.state);
        if state.live > 0 {
            return None;
        }
        state.closed = true;
        Some((std::mem::take(&mut state.errors), state.panic.take()))
    }

    /// Closes the group whatever its children do (its future was dropped).
    pub(crate) fn close(&self) {
        lock(&self.state).closed = true;
    }
}
