use std::any::Any;
use std::sync::Arc;

use crate::cancel::node::Node;

/// How a child task's future ended.
pub(crate) enum Outcome<T> {
    Completed(T),
    Cancelled,
    Panicked(Box<dyn Any + Send>),
}

/// Receives a child task's outcome, exactly once.
pub(crate) trait Finish<T>: Send + 'static {
    fn finish(self, outcome: Outcome<T>);

    /// The node of the group this reports to, under which a child runs while it has no node
    /// of its own (see `child::Root`). Reached through the finisher, which holds the group
    /// anyway, rather than a reference of the child's own: the spawning thread would take
    /// it and the executor thread drop it, both on the group node's count.
    fn group_node(&self) -> Option<&Arc<Node>> {
        None
    }
}
