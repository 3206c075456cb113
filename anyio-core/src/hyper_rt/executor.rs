use std::fmt;
use std::future::Future;

use crate::task_group::{TaskGroup, TaskResult};

/// hyper's [`Executor`](hyper::rt::Executor) on an anyio task group: every future hyper spawns
/// (an HTTP/2 stream, a client connection's background work) becomes a child of the group,
/// so it is cancelled with the group and the group waits for it. Nothing is detached.
///
/// Give it to `hyper::server::conn::http2::Builder::new` or
/// `hyper::client::conn::http2::Builder::new`. Cloning is cheap (it clones the
/// [`TaskGroup`] handle).
///
/// A future that cannot be spawned because the group has finished is dropped without being
/// polled: hyper's `execute` has no way to report an error, and running the future anywhere
/// else would detach it from the structure. hyper treats such a stream as abandoned.
///
/// # Panics
///
/// `execute` panics outside any async runtime, like [`TaskGroup::start_soon`]; hyper calls it
/// from inside the connection it drives, which runs in an anyio task.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::hyper_rt::TaskGroupExecutor;
/// use anyio_core::task_group;
/// use hyper::rt::Executor;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = ran.clone();
/// task_group(|tg| async move {
///     let executor = TaskGroupExecutor::new(tg);
///     executor.execute(async move { flag.store(true, Ordering::SeqCst) });
///     Ok::<_, ()>(())
/// })
/// .await
/// .unwrap();
/// // The group waited for the spawned future.
/// assert!(ran.load(Ordering::SeqCst));
/// # });
/// ```
pub struct TaskGroupExecutor<E> {
    group: TaskGroup<E>,
}

impl<E: Send + 'static> TaskGroupExecutor<E> {
    /// An executor spawning into `group`.
    ///
    /// # Examples
    ///
    /// See [`TaskGroupExecutor`].
    pub fn new(group: TaskGroup<E>) -> TaskGroupExecutor<E> {
        TaskGroupExecutor { group }
    }

    /// The group this executor spawns into.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::hyper_rt::TaskGroupExecutor;
    /// anyio_core::task_group(|tg| async move {
    ///     let executor = TaskGroupExecutor::new(tg);
    ///     executor.group().start_soon(async {}).unwrap();
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn group(&self) -> &TaskGroup<E> {
        &self.group
    }
}

impl<E: Send + 'static> From<TaskGroup<E>> for TaskGroupExecutor<E> {
    fn from(group: TaskGroup<E>) -> TaskGroupExecutor<E> {
        TaskGroupExecutor::new(group)
    }
}

impl<E> Clone for TaskGroupExecutor<E> {
    fn clone(&self) -> Self {
        TaskGroupExecutor {
            group: self.group.clone(),
        }
    }
}

impl<E> fmt::Debug for TaskGroupExecutor<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupExecutor")
            .field("group", &self.group)
            .finish()
    }
}

impl<E, F> hyper::rt::Executor<F> for TaskGroupExecutor<E>
where
    E: Send + 'static,
    F: Future + Send + 'static,
    F::Output: TaskResult<E>,
{
    fn execute(&self, future: F) {
        // A finished group refuses the child and `start_soon` drops the future unpolled;
        // hyper's `execute` cannot report that (see the type's documentation).
        let _refused = self.group.start_soon(future);
    }
}
