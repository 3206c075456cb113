//! `TaskSet`: children of a task group whose values are received in completion order.
//!
//! Built on the public task group and memory object stream API. Every child owns a
//! `Delivery`, created at spawn, which sends exactly one item when it is dropped: the child's
//! value, or `None` when the child ended without one (its error went to the group, it was
//! cancelled or panicked, or it never ran). The set counts the children it spawned and the
//! items it received, so it knows when no value can come any more without the channel having
//! to end; and the channel's receive gives back an item to a receive dropped after it was
//! handed one, so an abandoned `next` loses nothing.

use std::fmt;
use std::future::Future;

use super::error::SpawnError;
use super::handle::TaskGroup;
use super::task_result::TaskOutput;
use crate::streams::memory::{create_memory_object_stream, MemoryReceiveStream, MemorySendStream};

/// Children of a [`TaskGroup`] whose values are received as they finish, in completion order:
/// the structured counterpart of tokio's `JoinSet::join_next`, without sharing a
/// `Arc<Mutex<Vec<_>>>` between the children.
///
/// The children are ordinary children of the group: the group's cancellation reaches them, an
/// error one returns goes to the group (cancelling it, as [`TaskGroup::spawn`] does) and is
/// not delivered here, a panic resumes where the group is awaited, and the group waits for
/// them. Dropping the set does not cancel them; their values are then dropped.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sleep, task_group, Duration, TaskSet};
/// task_group(|tg| async move {
///     let mut set = TaskSet::new(&tg);
///     for delay in [3, 1, 2] {
///         set.spawn(async move {
///             sleep(Duration::from_millis(delay)).await;
///             Ok(delay)
///         })?;
///     }
///     let mut finished = Vec::new();
///     while let Some(delay) = set.next().await {
///         finished.push(delay);
///     }
///     assert_eq!(finished.len(), 3);
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub struct TaskSet<T, E> {
    group: TaskGroup<E>,
    tx: MemorySendStream<Option<T>>,
    rx: MemoryReceiveStream<Option<T>>,
    // Children spawned whose item has not been received yet.
    pending: usize,
}

impl<T, E> fmt::Debug for TaskSet<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static, E: Send + 'static> TaskSet<T, E> {
    /// An empty set whose children will run in `group`.
    ///
    /// # Examples
    ///
    /// See [`TaskSet`].
    pub fn new(group: &TaskGroup<E>) -> TaskSet<T, E> {
        // Unbounded, so a child's delivery (from a destructor, which cannot wait) never fails
        // for want of room.
        let (tx, rx) = create_memory_object_stream(usize::MAX);
        TaskSet {
            group: group.clone(),
            tx,
            rx,
            pending: 0,
        }
    }

    /// Starts `future` as a child of the set's group; its value (a plain value, or the `Ok` of a
    /// `Result`, see [`TaskOutput`]) will come from [`next`](TaskSet::next), and its `Err` goes
    /// to the group (cancelling it), as with [`TaskGroup::spawn`].
    ///
    /// # Errors
    ///
    /// [`SpawnError::GroupFinished`] if the group has ended.
    ///
    /// # Panics
    ///
    /// Panics outside any async runtime.
    ///
    /// # Examples
    ///
    /// See [`TaskSet`].
    #[track_caller]
    pub fn spawn<F, R>(&mut self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskOutput<E, Value = T>,
    {
        let delivery = Delivery {
            tx: self.tx.clone(),
            value: None,
        };
        // Counted even if the group refuses the child: the refused future is dropped, and its
        // delivery with it, which sends the `None` that this count waits for.
        self.pending += 1;
        self.group.start_soon(async move {
            let mut delivery = delivery;
            match future.await.into_output() {
                Ok(value) => {
                    delivery.value = Some(value);
                    Ok(())
                }
                Err(error) => Err(error),
            }
        })
    }

    /// The value of the next child to finish, in completion order; `None` once every child
    /// spawned so far has ended and its value (if it had one) was received, like
    /// `JoinSet::join_next`. Children that end without a value (failed, cancelled, panicked)
    /// are skipped.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a `next` dropped while waiting (its scope cancelled, a timeout, a
    /// `select!`) loses no value. The value it was about to return stays in the set for the
    /// next call, so every value is received exactly once. Inside a cancelled scope `next`
    /// takes nothing and waits until the scope drops it, except that with nothing left to
    /// wait for it returns `None` at once.
    ///
    /// # Examples
    ///
    /// See [`TaskSet`].
    pub async fn next(&mut self) -> Option<T> {
        while self.pending > 0 {
            // The set holds a sender and never closes its receiver, so the stream cannot end
            // or close while it exists.
            let item = self.rx.receive().await.ok()?;
            self.pending -= 1;
            if let Some(value) = item {
                return Some(value);
            }
        }
        None
    }

    /// How many children have not been accounted for yet: still running, or finished with a
    /// value that [`next`](TaskSet::next) has not returned.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{task_group, TaskSet};
    /// task_group(|tg| async move {
    ///     let mut set = TaskSet::new(&tg);
    ///     set.spawn(async { Ok(1) })?;
    ///     assert_eq!(set.len(), 1);
    ///     assert_eq!(set.next().await, Some(1));
    ///     assert!(set.is_empty());
    ///     Ok::<_, anyio_core::SpawnError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.pending
    }

    /// Whether [`len`](TaskSet::len) is zero, so that [`next`](TaskSet::next) returns `None`.
    ///
    /// # Examples
    ///
    /// See [`TaskSet::len`].
    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }
}

/// A child's one report to its set, sent when the child's future is dropped, however it ends.
struct Delivery<T> {
    tx: MemorySendStream<Option<T>>,
    value: Option<T>,
}

impl<T> Drop for Delivery<T> {
    fn drop(&mut self) {
        // Fails only when the set is gone, and the value with it.
        let _ = self.tx.try_send(self.value.take());
    }
}
