use std::any::Any;
use std::sync::Arc;

use crate::cancel::node::Node;

/// What a child task's future may return: `()` for a task that cannot fail, or `Result<(), E>`
/// whose error goes to the task group.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// anyio_core::task_group(|tg| async move {
///     tg.start_soon(async {}).unwrap(); // `()`
///     tg.start_soon(async { Ok(()) }).unwrap(); // `Result<(), E>`
///     tg.start_soon(anyio_core::sleep_forever()).unwrap(); // `Infallible`
///     tg.cancel();
///     Ok::<_, std::io::Error>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub trait TaskResult<E> {
    /// Converts the task's output into the group's error type.
    fn into_result(self) -> Result<(), E>;
}

impl<E> TaskResult<E> for () {
    fn into_result(self) -> Result<(), E> {
        Ok(())
    }
}

/// A task that can only end by cancellation, such as
/// [`sleep_forever`](crate::time::sleep_forever).
impl<E> TaskResult<E> for std::convert::Infallible {
    fn into_result(self) -> Result<(), E> {
        match self {}
    }
}

impl<E> TaskResult<E> for Result<(), E> {
    fn into_result(self) -> Result<(), E> {
        self
    }
}

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
