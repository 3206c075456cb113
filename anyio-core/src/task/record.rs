use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use slab::Slab;

use crate::cancel::node::{lock, Node};
use crate::context::{self, Runtime};
use crate::time::virtual_clock::{poll_tracked, TrackedTask};

/// A unique identifier of an anyio task within the process.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let task = anyio_core::get_current_task().unwrap();
/// println!("running as task {}", task.id);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    /// The identifier as a number.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// assert!(anyio_core::get_current_task().unwrap().id.as_u64() > 0);
    /// # });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What anyio knows about a task: its id, name and the task that spawned it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let main = anyio_core::get_current_task().unwrap();
/// assert_eq!(main.name.as_deref(), Some("main"));
/// assert_eq!(main.parent_id, None);
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task's unique id.
    pub id: TaskId,
    /// The name given when it was spawned, if any.
    pub name: Option<String>,
    /// The task that spawned it; `None` for a root task.
    pub parent_id: Option<TaskId>,
}

/// The registry entry of a live anyio task.
#[derive(Debug)]
pub(crate) struct TaskRecord {
    id: TaskId,
    name: Option<String>,
    parent_id: Option<TaskId>,
    /// Our key in our shard of the registry.
    slot: usize,
}

const SHARDS: usize = 16;

/// Live tasks, sharded by id so that spawns on different threads rarely meet on one lock. A
/// slab rather than a map: each record knows its slot, so registering and unregistering hash
/// nothing.
type Shard = Mutex<Slab<Arc<TaskRecord>>>;

static REGISTRY: LazyLock<[Shard; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(Slab::new())));

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl TaskRecord {
    /// Registers a new live task; [`TaskRecord::unregister`] removes it.
    pub(crate) fn register(name: Option<String>, parent_id: Option<TaskId>) -> Arc<TaskRecord> {
        let id = TaskId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let mut slots = lock(&REGISTRY[shard(id)]);
        let entry = slots.vacant_entry();
        let record = Arc::new(TaskRecord {
            id,
            name,
            parent_id,
            slot: entry.key(),
        });
        entry.insert(record.clone());
        record
    }

    pub(crate) fn unregister(&self) {
        let mut slots = lock(&REGISTRY[shard(self.id)]);
        // Idempotent: once we left, the slot may hold another task.
        if slots
            .get(self.slot)
            .is_some_and(|record| record.id == self.id)
        {
            slots.remove(self.slot);
        }
    }

    pub(crate) fn id(&self) -> TaskId {
        self.id
    }

    fn info(&self) -> TaskInfo {
        TaskInfo {
            id: self.id,
            name: self.name.clone(),
            parent_id: self.parent_id,
        }
    }
}

fn shard(id: TaskId) -> usize {
    (id.0 % SHARDS as u64) as usize
}

/// The anyio task this code runs in, or `None` outside anyio tasks (for example in a task
/// spawned with plain `tokio::spawn`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let task = anyio_core::get_current_task().expect("inside anyio::run");
/// assert_eq!(task.name.as_deref(), Some("main"));
/// # });
/// ```
pub fn get_current_task() -> Option<TaskInfo> {
    context::current_task().map(|record| record.info())
}

/// Every live anyio task in the process, in no particular order.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// let me = anyio_core::get_current_task().unwrap();
/// assert!(anyio_core::get_running_tasks().iter().any(|task| task.id == me.id));
/// # });
/// ```
pub fn get_running_tasks() -> Vec<TaskInfo> {
    REGISTRY
        .iter()
        .flat_map(|shard| {
            lock(shard)
                .iter()
                .map(|(_, record)| record.info())
                .collect::<Vec<_>>()
        })
        .collect()
}

pin_project! {
    /// Polls a future inside the context of an anyio task: its backend, record and root scope.
    #[derive(Debug)]
    pub(crate) struct InTask<F> {
        runtime: Runtime,
        // Present on a virtual clock, where it counts this task as runnable or blocked.
        tracked: Option<Arc<TrackedTask>>,
        record: Arc<TaskRecord>,
        root: Option<Arc<Node>>,
        #[pin]
        future: F,
    }

    impl<F> PinnedDrop for InTask<F> {
        fn drop(this: Pin<&mut Self>) {
            this.record.unregister();
            if let Some(tracked) = this.tracked.as_ref() {
                tracked.exit_done();
            }
        }
    }
}

impl<F> InTask<F> {
    pub(crate) fn new(runtime: Runtime, record: Arc<TaskRecord>, future: F) -> InTask<F> {
        InTask {
            tracked: runtime.clock.clone().map(TrackedTask::new),
            runtime,
            record,
            root: None,
            future,
        }
    }
}

impl<F: Future> Future for InTask<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered =
            context::enter_task(this.runtime, Some(this.record.clone()), this.root.clone());
        let future = this.future;
        poll_tracked(this.tracked.as_ref(), cx, |cx| future.poll(cx))
    }
}
