use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::error::TaskError;
use crate::cancel::node::{lock, Node};
use crate::cancel::CancelHandle;

/// Where a spawned task leaves its value for its [`TaskHandle`].
pub(crate) struct HandleSlot<T> {
    result: Mutex<Option<Result<T, TaskError>>>,
    waker: AtomicWaker,
}

impl<T> HandleSlot<T> {
    pub(crate) fn new() -> Arc<HandleSlot<T>> {
        Arc::new(HandleSlot {
            result: Mutex::new(None),
            waker: AtomicWaker::new(),
        })
    }

    pub(crate) fn set(&self, result: Result<T, TaskError>) {
        *lock(&self.result) = Some(result);
        self.waker.wake();
    }
}

/// A handle to a task started with [`TaskGroup::spawn`](super::TaskGroup::spawn): await it for
/// the task's value, or cancel just that task.
///
/// Dropping the handle does not cancel the task; it keeps running in its group.
///
/// # Cancellation
///
/// Awaiting is cancel-safe: the handle is `Unpin`, so `(&mut handle).await` can be dropped
/// (say by a timeout) and awaited again later without losing the value.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::task_group;
/// task_group(|tg| async move {
///     let handle = tg.spawn(async { Ok::<_, ()>(21 * 2) }).unwrap();
///     assert_eq!(handle.await, Ok(42));
///     Ok::<_, ()>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct TaskHandle<T> {
    slot: Arc<HandleSlot<T>>,
    node: Arc<Node>,
}

impl<T> TaskHandle<T> {
    pub(crate) fn new(slot: Arc<HandleSlot<T>>, node: Arc<Node>) -> TaskHandle<T> {
        TaskHandle { slot, node }
    }

    /// Cancels this task only. The group does not fail; awaiting the handle then reports
    /// [`TaskError::Cancelled`] (unless the task completed first).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{task_group, time::sleep_forever, TaskError};
    /// task_group(|tg| async move {
    ///     let handle = tg.spawn(async { sleep_forever().await; Ok::<(), ()>(()) }).unwrap();
    ///     handle.cancel();
    ///     assert_eq!(handle.await, Err(TaskError::Cancelled));
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// A handle to the task's root cancel scope (deadline, shield, cancel).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{task_group, time::{current_time, sleep_forever, Duration}, TaskError};
    /// task_group(|tg| async move {
    ///     let handle = tg.spawn(async { sleep_forever().await; Ok::<(), ()>(()) }).unwrap();
    ///     handle.cancel_handle().set_deadline(current_time() + Duration::from_millis(1));
    ///     assert_eq!(handle.await, Err(TaskError::Cancelled));
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle::new(self.node.clone())
    }

    /// Whether the task has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::task_group;
    /// task_group(|tg| async move {
    ///     let handle = tg.spawn(async { Ok::<_, ()>(()) }).unwrap();
    ///     let _ = handle.is_finished(); // racy by nature
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        lock(&self.slot.result).is_some()
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

impl<T> Unpin for TaskHandle<T> {}

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.waker.register(cx.waker());
        match lock(&self.slot.result).take() {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }
}
