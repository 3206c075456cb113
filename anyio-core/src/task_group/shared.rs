use std::any::Any;
use std::sync::{Arc, Mutex, OnceLock};

use super::count::ChildCount;
use super::held::{HeldChild, HeldTasks};
use crate::cancel::node::{lock, Node};
use crate::context::Runtime;

/// What a panic unwinds with.
pub(crate) type PanicPayload = Box<dyn Any + Send>;

/// The state a task group shares with its handles and children.
#[derive(Debug)]
pub(crate) struct GroupShared<E> {
    pub(crate) node: Arc<Node>,
    runtime: OnceLock<Runtime>,
    /// Children spawned and ended; spawning and ending one take no lock.
    children: ChildCount,
    /// What failed children left; only locked on failure and when the group closes.
    state: Mutex<GroupState<E>>,
}

#[derive(Debug)]
pub(crate) struct GroupState<E> {
    pub(crate) errors: Vec<E>,
    pub(crate) panic: Option<PanicPayload>,
}

/// A failure a child reports to its group.
pub(crate) enum Failure<E> {
    Error(E),
    Panic(PanicPayload),
}

impl<E> GroupShared<E> {
    pub(crate) fn new() -> Arc<GroupShared<E>> {
        Arc::new(GroupShared {
            node: Node::group(),
            runtime: OnceLock::new(),
            children: ChildCount::new(),
            state: Mutex::new(GroupState {
                errors: Vec::new(),
                panic: None,
            }),
        })
    }

    /// What children run on: the runtime in force where the group first ran or spawned.
    #[track_caller]
    pub(crate) fn runtime(&self) -> &Runtime {
        self.runtime_for(std::panic::Location::caller())
    }

    /// [`runtime`](GroupShared::runtime), its panic outside any runtime naming `caller`.
    #[track_caller]
    pub(crate) fn runtime_for(&self, caller: &'static std::panic::Location<'static>) -> &Runtime {
        if let Some(runtime) = self.runtime.get() {
            return runtime;
        }
        // Resolved here rather than in a closure, which would hide the caller from the panic.
        let runtime = Runtime::current_for(caller);
        self.runtime.get_or_init(|| runtime)
    }

    /// The runtime, if the group ever ran or spawned.
    pub(crate) fn runtime_if_set(&self) -> Option<&Runtime> {
        self.runtime.get()
    }

    /// Counts a new child, unless the group has finished.
    pub(crate) fn add_child(&self) -> bool {
        if self.children.add() {
            return true;
        }
        // The refused child counted in for a moment; whoever waits for a dropped group's
        // children may have seen it (see `ChildCount::all_ended`).
        self.node.wake();
        false
    }

    /// Keeps what the spawning side needs of a child until it finished (see `held`). Locked
    /// by spawners, introspection, and when the group closes.
    fn held(&self) -> &Mutex<HeldTasks> {
        self.node
            .held()
            .expect("a task group's node keeps its children")
    }

    /// Keeps a child's backend handle and, while it has no node, its listing (see `held`).
    pub(crate) fn hold(&self, child: HeldChild) {
        lock(self.held()).hold(child);
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
        if let Some(failure) = failure {
            let mut state = lock(&self.state);
            match failure {
                Failure::Error(error) => state.errors.push(error),
                Failure::Panic(payload) => {
                    state.panic.get_or_insert(payload);
                }
            }
        }
        // The failure recorded above is visible to the group once it closes.
        let wake = self.children.end();
        if failed {
            self.node.cancel();
        }
        if wake {
            self.node.wake();
        }
    }

    /// Closes the group if no child is alive, handing back what it collected. Otherwise the
    /// child that ends last wakes the group's node, where the caller registered its waker.
    pub(crate) fn try_close(&self) -> Option<(Vec<E>, Option<PanicPayload>)> {
        if !self.children.try_close() {
            return None;
        }
        // Every child reported its end; dropping a handle whose task is still returning from
        // that last poll does not disturb it.
        let held = lock(self.held()).take();
        drop(held);
        let mut state = lock(&self.state);
        Some((std::mem::take(&mut state.errors), state.panic.take()))
    }

    /// Closes the group whatever its children do (its future was dropped).
    pub(crate) fn close(&self) {
        self.children.close();
    }

    /// Whether a child was ever counted in.
    pub(crate) fn ever_spawned(&self) -> bool {
        self.children.ever_added()
    }

    /// After [`GroupShared::close`]: whether every child ended. If not, the last one to end
    /// wakes the group's node.
    pub(crate) fn all_ended(&self) -> bool {
        self.children.all_ended()
    }
}
