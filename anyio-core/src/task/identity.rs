use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::context;

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
    /// A fresh id, never handed out before. Each thread takes ids from the shared counter in
    /// batches: a counter every spawning thread bumps for every task would be one more line
    /// bouncing between cores per spawn.
    pub(crate) fn next() -> TaskId {
        thread_local! {
            static RESERVED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        RESERVED.with(|reserved| {
            let (mut next, mut end) = reserved.get();
            if next == end {
                next = NEXT_ID.fetch_add(ID_BATCH, Ordering::Relaxed);
                end = next + ID_BATCH;
            }
            reserved.set((next + 1, end));
            TaskId(next)
        })
    }

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

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How many ids a thread takes from [`NEXT_ID`] at a time.
const ID_BATCH: u64 = 256;

/// The identity of a task, kept in its root node of the scope tree.
#[derive(Debug)]
pub(crate) struct TaskIdentity {
    id: TaskId,
    name: Option<String>,
    parent_id: Option<TaskId>,
}

impl TaskIdentity {
    /// A new task with a fresh id.
    pub(crate) fn new(name: Option<String>, parent_id: Option<TaskId>) -> TaskIdentity {
        TaskIdentity {
            id: TaskId::next(),
            name,
            parent_id,
        }
    }

    pub(crate) fn id(&self) -> TaskId {
        self.id
    }

    pub(crate) fn info(&self) -> TaskInfo {
        TaskInfo {
            id: self.id,
            name: self.name.clone(),
            parent_id: self.parent_id,
        }
    }
}

/// Who a task without a root node is; it has no name (named tasks get their node at spawn).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnbornIdentity {
    pub(crate) id: TaskId,
    pub(crate) parent_id: Option<TaskId>,
}

impl UnbornIdentity {
    /// A new unnamed task, child of `parent_id`.
    pub(crate) fn new(parent_id: Option<TaskId>) -> UnbornIdentity {
        UnbornIdentity {
            id: TaskId::next(),
            parent_id,
        }
    }

    /// What introspection shows of it.
    pub(crate) fn info(self) -> TaskInfo {
        TaskInfo {
            id: self.id,
            name: None,
            parent_id: self.parent_id,
        }
    }
}

/// The identity a task keeps once it has its root node.
impl From<UnbornIdentity> for TaskIdentity {
    fn from(identity: UnbornIdentity) -> TaskIdentity {
        TaskIdentity {
            id: identity.id,
            name: None,
            parent_id: identity.parent_id,
        }
    }
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
    context::current_task_info()
}
