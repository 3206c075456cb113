use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::child::{ChildTask, Root};
use super::error::{SpawnError, StartError};
use super::held::{HeldChild, Unborn};
use super::outcome::{Finish, Outcome};
use super::route::{FailureHandler, FailureRoute, ToGroup, ToHandler};
use super::shared::{Failure, GroupShared};
use super::start::{StartFinisher, StartSlot, StartWait, TaskStatus};
use super::task_handle::{HandleSlot, TaskHandle};
use super::task_result::{TaskOutput, TaskResult};
use super::TaskError;
use crate::cancel::node::Node;
use crate::cancel::CancelHandle;
use crate::context;
use crate::runtime;
use crate::supervise::ChildFailure;
use crate::task::{TaskIdentity, UnbornIdentity};

/// A handle to a running [`task_group`](super::task_group), for spawning children into it.
///
/// Cheap to clone and `Send`: children may spawn siblings through it. Spawning after the
/// group finished is an error ([`SpawnError::GroupFinished`]), never a silent drop.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::task_group;
/// let total = task_group(|tg| async move {
///     let worker = tg.clone();
///     tg.start_soon(async move {
///         // A child spawning a sibling.
///         worker.start_soon(async {}).unwrap();
///     })
///     .unwrap();
///     Ok::<_, ()>(3)
/// })
/// .await;
/// assert_eq!(total, Ok(3));
/// # });
/// ```
pub struct TaskGroup<E> {
    shared: Arc<GroupShared<E>>,
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            shared: self.shared.clone(),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("cancel_called", &self.shared.node.cancel_called())
            .finish_non_exhaustive()
    }
}

impl<E: Send + 'static> TaskGroup<E> {
    pub(crate) fn new(shared: Arc<GroupShared<E>>) -> TaskGroup<E> {
        TaskGroup { shared }
    }

    /// The group's node.
    pub(crate) fn node(&self) -> &Arc<Node> {
        &self.shared.node
    }

    /// Starts a child task that runs `future` on the backend's executor (in parallel on
    /// multi-threaded runtimes). Its error, if any, cancels the group and is collected.
    ///
    /// # Errors
    ///
    /// [`SpawnError::GroupFinished`] if the group has ended.
    ///
    /// # Panics
    ///
    /// Panics outside any async runtime, with a message saying how to start one.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::task_group;
    /// task_group(|tg| async move {
    ///     tg.start_soon(async { println!("child") })?;
    ///     Ok::<_, anyio_core::SpawnError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn start_soon<F, R>(&self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E>,
    {
        self.task().start_soon(future)
    }

    /// Starts a child task and returns a [`TaskHandle`] to await its value or cancel it alone.
    ///
    /// The child may return any [`TaskOutput`]: a plain value, which the handle yields, or
    /// `Result<T, E>`, whose `T` the handle yields and whose error goes to the group (the
    /// handle then reports [`TaskError::Failed`]), so that an error is never lost with a
    /// dropped handle.
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
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::task_group;
    /// task_group(|tg| async move {
    ///     let a = tg.spawn(async { Ok::<_, ()>(1) }).unwrap();
    ///     let b = tg.spawn(async { 2 }).unwrap(); // a plain value
    ///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F, R>(&self, future: F) -> Result<TaskHandle<R::Value>, SpawnError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskOutput<E>,
        R::Value: Send + 'static,
    {
        self.task().spawn(future)
    }

    /// Starts a task and waits until it calls [`TaskStatus::started`], returning the value it
    /// passed. Until then the task belongs to the caller: the group's cancellation does not
    /// reach it and its failure comes back from `start` (not to the group); afterwards it is
    /// an ordinary child of the group.
    ///
    /// # Errors
    ///
    /// [`StartError`]: the task failed or returned before `started`, it was cancelled before
    /// `started` by something other than the caller's cancellation (its own scope), or the
    /// group had finished. A panic before `started` resumes in the caller.
    ///
    /// # Cancellation
    ///
    /// `start` is a cancellation point: in a cancelled scope it starts nothing and never
    /// completes (the scope that caught the cancellation drops it; code after the `.await`
    /// never runs). If the caller is cancelled while waiting, the task (still the caller's) is
    /// cancelled too, and the caller's scope catches the cancellation: the caller never sees
    /// [`StartError::Cancelled`] for its own cancellation, whichever of the two is polled
    /// first. A task that called `started` before the caller was dropped belongs to the group
    /// and goes on there; once it has, `start` returns its value even if the caller's scope
    /// was cancelled meanwhile, so a caller never starts a task twice by retrying one that
    /// did start.
    ///
    /// If the `start` future is dropped by other means before the task started (a foreign
    /// `select`), the task is cancelled; an error or panic it ends with then goes to the
    /// group, as a child's would, rather than being lost.
    ///
    /// # Examples
    ///
    /// See [`TaskStatus`].
    pub async fn start<F, Fut, V, R>(&self, task: F) -> Result<V, StartError<E>>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
        R: TaskResult<E>,
        V: Send + 'static,
    {
        self.task().start(task).await
    }

    /// Cancels the group: its body and every child (unshielded) are cancelled, and the group
    /// resolves once all of them ended.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{task_group, time::sleep_forever, TaskGroupError};
    /// let result = task_group(|tg| async move {
    ///     tg.start_soon(async { sleep_forever().await; })?;
    ///     tg.cancel();
    ///     sleep_forever().await;
    ///     Ok::<(), anyio_core::SpawnError>(())
    /// })
    /// .await;
    /// assert_eq!(result, Err(TaskGroupError::Cancelled));
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.shared.node.cancel();
    }

    /// A handle to the group's cancel scope: cancel it, or give it a deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{task_group, time::{current_time, sleep_forever, Duration}};
    /// let result = task_group(|tg| async move {
    ///     tg.cancel_handle().set_deadline(current_time() + Duration::from_millis(2));
    ///     sleep_forever().await;
    ///     Ok::<(), ()>(())
    /// })
    /// .await;
    /// assert!(result.is_err());
    /// # });
    /// ```
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle::new(self.shared.node.clone())
    }

    /// A builder for a child with options (a name shown by
    /// [`get_running_tasks`](crate::get_running_tasks)).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{get_current_task, task_group};
    /// task_group(|tg| async move {
    ///     tg.task().name("worker").start_soon(async {
    ///         assert_eq!(get_current_task().unwrap().name.as_deref(), Some("worker"));
    ///     })?;
    ///     Ok::<_, anyio_core::SpawnError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn task(&self) -> TaskBuilder<'_, E> {
        TaskBuilder {
            group: self,
            name: None,
            on_failure: None,
        }
    }

    /// Spawns a child with the root `root` asks for.
    #[track_caller]
    fn spawn_child<F, K>(&self, root: NewRoot, future: F, finisher: K) -> Result<(), SpawnError>
    where
        F: Future + Send + 'static,
        K: Finish<F::Output>,
    {
        let runtime = self.shared.runtime().clone();
        if !self.shared.add_child() {
            return Err(SpawnError::GroupFinished);
        }
        #[cfg(feature = "tracing")]
        let future = {
            let node = match &root {
                NewRoot::Node { node, .. } => Some(node),
                NewRoot::Unborn => None,
            };
            tracing::Instrument::instrument(future, crate::task::span::child_span(node))
        };
        let (root, identity) = match root {
            NewRoot::Node { mut node, parent } => {
                match Arc::get_mut(&mut node) {
                    // Nobody else sees the node yet, so no lock.
                    Some(fresh) => fresh.set_parent_mut(parent),
                    None => node.set_parent(parent),
                }
                node.attach();
                (Root::Born(node), None)
            }
            NewRoot::Unborn => {
                let identity = UnbornIdentity::new(context::current_task_id());
                (Root::Unborn(identity), Some(identity))
            }
        };
        let backend = runtime.backend;
        let child = ChildTask::new(runtime, root, future, finisher);
        let unborn = identity.map(|identity| Unborn::new(identity, child.tracked().cloned()));
        let task = runtime::spawn_held(backend, child);
        self.shared.hold(HeldChild::new(task, unborn));
        Ok(())
    }
}

/// The root a new child starts with.
enum NewRoot {
    /// `node`, hanging under `parent`.
    Node {
        node: Arc<Node>,
        parent: Option<Arc<Node>>,
    },
    /// None until the child needs one (see [`Root`]).
    Unborn,
}

/// Options for one child task; see [`TaskGroup::task`].
pub struct TaskBuilder<'a, E> {
    group: &'a TaskGroup<E>,
    name: Option<String>,
    on_failure: Option<FailureHandler<E>>,
}

impl<E> fmt::Debug for TaskBuilder<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskBuilder")
            .field("name", &self.name)
            .field("on_failure", &self.on_failure.is_some())
            .finish_non_exhaustive()
    }
}

impl<E: Send + 'static> TaskBuilder<'_, E> {
    /// Names the task, for introspection and debugging.
    ///
    /// # Examples
    ///
    /// See [`TaskGroup::task`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Hands this child's failure (the error it returns, or its panic) to `handler` instead of
    /// the group: the group is not cancelled and does not report it, and the siblings go on.
    /// For a long-lived group (a server's) whose children are independent; see
    /// [`supervise`](crate::supervise), which also restarts them.
    ///
    /// The handler runs once, on the thread where the child ended, and should not block. A
    /// handler that panics fails the group with that panic. With
    /// [`start`](TaskBuilder::start), it takes the failures after `started`; earlier ones go
    /// to the caller of `start` as always (to the handler if that caller went away without
    /// taking it).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::task_group;
    /// use std::sync::mpsc;
    ///
    /// let (report, reports) = mpsc::channel();
    /// let result = task_group(|tg| async move {
    ///     tg.task()
    ///         .on_failure(move |failure| report.send(failure.to_string()).unwrap())
    ///         .start_soon(async { panic!("bad state") })?;
    ///     Ok::<_, anyio_core::SpawnError>("the group went on")
    /// })
    /// .await;
    /// assert_eq!(result, Ok("the group went on"));
    /// assert_eq!(reports.recv().unwrap(), "task panicked: bad state");
    /// # });
    /// ```
    pub fn on_failure<H>(mut self, handler: H) -> Self
    where
        H: FnOnce(ChildFailure<E>) + Send + 'static,
    {
        self.on_failure = Some(Box::new(handler));
        self
    }

    /// [`TaskGroup::start_soon`] with these options.
    ///
    /// # Errors
    ///
    /// [`SpawnError::GroupFinished`] if the group has ended.
    ///
    /// # Examples
    ///
    /// See [`TaskGroup::task`].
    #[track_caller]
    pub fn start_soon<F, R>(self, future: F) -> Result<(), SpawnError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E>,
    {
        let group = self.group;
        // Named tasks are for introspection, which shows names from their nodes.
        let root = match self.name {
            None => NewRoot::Unborn,
            Some(name) => NewRoot::Node {
                node: task_node(Some(name)),
                parent: Some(group.shared.node.clone()),
            },
        };
        let shared = group.shared.clone();
        match self.on_failure {
            None => group.spawn_child(
                root,
                future,
                SoonFinisher {
                    shared,
                    route: ToGroup,
                },
            ),
            Some(handler) => {
                let route = ToHandler::new(handler);
                group.spawn_child(root, future, SoonFinisher { shared, route })
            }
        }
    }

    /// [`TaskGroup::spawn`] with these options.
    ///
    /// # Errors
    ///
    /// [`SpawnError::GroupFinished`] if the group has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::task_group;
    /// task_group(|tg| async move {
    ///     let handle = tg.task().name("adder").spawn(async { Ok::<_, ()>(1 + 1) }).unwrap();
    ///     assert_eq!(handle.await, Ok(2));
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F, R>(self, future: F) -> Result<TaskHandle<R::Value>, SpawnError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskOutput<E>,
        R::Value: Send + 'static,
    {
        let group = self.group;
        let slot = HandleSlot::new();
        let shared = group.shared.clone();
        let node = task_node(self.name);
        let root = NewRoot::Node {
            node: node.clone(),
            parent: Some(group.shared.node.clone()),
        };
        match self.on_failure {
            None => {
                let route = ToGroup;
                let finisher = SpawnFinisher {
                    shared,
                    slot: slot.clone(),
                    route,
                };
                group.spawn_child(root, future, finisher)?;
            }
            Some(handler) => {
                let route = ToHandler::new(handler);
                let finisher = SpawnFinisher {
                    shared,
                    slot: slot.clone(),
                    route,
                };
                group.spawn_child(root, future, finisher)?;
            }
        }
        Ok(TaskHandle::new(slot, node))
    }

    /// [`TaskGroup::start`] with these options.
    ///
    /// # Errors
    ///
    /// See [`TaskGroup::start`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{task_group, TaskStatus};
    /// task_group(|tg| async move {
    ///     let ready = tg.task().name("server").start(|status: TaskStatus<&str>| async move {
    ///         status.started("listening");
    ///     });
    ///     assert_eq!(ready.await, Ok("listening"));
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub async fn start<F, Fut, V, R>(self, task: F) -> Result<V, StartError<E>>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
        R: TaskResult<E>,
        V: Send + 'static,
    {
        let group = self.group;
        // A cancellation point, like every call that waits: in a cancelled scope nothing
        // starts, and the scope that caught the cancellation drops the caller.
        crate::checkpoint_if_cancelled().await;
        let slot = StartSlot::new();
        // Until `started`, the task hangs under the caller's scope, not the group's.
        let caller_scope = context::current_scope();
        let node = task_node(self.name);
        let status = TaskStatus::new(slot.clone(), node.clone(), group.shared.node.clone());
        let future = task(status);
        let root = NewRoot::Node {
            node: node.clone(),
            parent: caller_scope,
        };
        let (slot_for_task, shared) = (slot.clone(), group.shared.clone());
        match self.on_failure {
            None => {
                let route = ToGroup;
                let finisher = StartFinisher {
                    slot: slot_for_task,
                    shared,
                    route,
                };
                group.spawn_child(root, future, finisher)?;
            }
            Some(handler) => {
                let route = ToHandler::new(handler);
                let finisher = StartFinisher {
                    slot: slot_for_task,
                    shared,
                    route,
                };
                group.spawn_child(root, future, finisher)?;
            }
        }
        StartWait {
            slot,
            task: node,
            shared: group.shared.clone(),
        }
        .await
    }
}

/// The root node of a new task named `name`, a child of the task calling.
fn task_node(name: Option<String>) -> Arc<Node> {
    Node::task(TaskIdentity::new(name, context::current_task_id()))
}

/// Routes a `start_soon` child's outcome to its group, its failure by `route`.
struct SoonFinisher<E, Route> {
    shared: Arc<GroupShared<E>>,
    route: Route,
}

impl<R, E, Route> Finish<R> for SoonFinisher<E, Route>
where
    R: TaskResult<E>,
    E: Send + 'static,
    Route: FailureRoute<E>,
{
    fn finish(self, outcome: Outcome<R>) {
        let failure = match outcome {
            Outcome::Completed(result) => result.into_result().err().map(Failure::Error),
            Outcome::Cancelled => None,
            Outcome::Panicked(payload) => Some(Failure::Panic(payload)),
        };
        self.route.child_done(&self.shared, failure);
    }

    fn group_node(&self) -> Option<&Arc<Node>> {
        Some(&self.shared.node)
    }
}

/// Routes a `spawn` child's value to its handle and its failure by `route`.
struct SpawnFinisher<T, E, Route> {
    shared: Arc<GroupShared<E>>,
    slot: Arc<HandleSlot<T>>,
    route: Route,
}

impl<R, E, Route> Finish<R> for SpawnFinisher<R::Value, E, Route>
where
    R: TaskOutput<E>,
    R::Value: Send + 'static,
    E: Send + 'static,
    Route: FailureRoute<E>,
{
    fn finish(self, outcome: Outcome<R>) {
        let (result, failure) = match outcome {
            Outcome::Completed(output) => match output.into_output() {
                Ok(value) => (Ok(value), None),
                Err(error) => (Err(TaskError::Failed), Some(Failure::Error(error))),
            },
            Outcome::Cancelled => (Err(TaskError::Cancelled), None),
            Outcome::Panicked(payload) => (Err(TaskError::Panicked), Some(Failure::Panic(payload))),
        };
        self.slot.set(result);
        self.route.child_done(&self.shared, failure);
    }
}
