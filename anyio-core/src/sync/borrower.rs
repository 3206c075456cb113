use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::waiters::current_task_id;
use crate::task::TaskId;

/// Who holds a [`CapacityLimiter`](super::CapacityLimiter) token: a task, or any other party
/// a token is borrowed on behalf of.
///
/// Plain [`acquire`](super::CapacityLimiter::acquire) records its token for the current anyio
/// task, one token per call. A borrower you name with
/// [`acquire_on_behalf_of`](super::CapacityLimiter::acquire_on_behalf_of) holds at most one
/// token of a limiter (AnyIO's rule), for work that is not a task (a thread, a connection, a job
/// id) or to make the current task hold only one ([`Borrower::current_task`]).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::Borrower;
/// let a = Borrower::new();
/// assert_ne!(a, Borrower::new()); // each `new` is a distinct borrower
/// assert_eq!(Borrower::from_id(7), Borrower::from_id(7));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Borrower(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Task(TaskId),
    Unique(u64),
    Id(u64),
}

static NEXT_UNIQUE: AtomicU64 = AtomicU64::new(1);

impl Borrower {
    /// A new borrower, distinct from every other (like a fresh `object()` in Python).
    ///
    /// # Examples
    ///
    /// ```
    /// let borrower = anyio_core::sync::Borrower::new();
    /// assert_eq!(borrower, borrower);
    /// ```
    #[allow(clippy::new_without_default)] // a default value that differs on every call would surprise
    pub fn new() -> Borrower {
        Borrower(Kind::Unique(NEXT_UNIQUE.fetch_add(1, Ordering::Relaxed)))
    }

    /// The borrower identified by your own number: equal numbers are the same borrower (and
    /// never equal to a task or to a [`Borrower::new`] one).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Borrower;
    /// assert_eq!(Borrower::from_id(1), Borrower::from_id(1));
    /// assert_ne!(Borrower::from_id(1), Borrower::from_id(2));
    /// ```
    pub fn from_id(id: u64) -> Borrower {
        Borrower(Kind::Id(id))
    }

    /// The current anyio task as a borrower, or `None` outside anyio tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::Borrower;
    /// let me = anyio_core::get_current_task().unwrap().id;
    /// assert_eq!(Borrower::current_task(), Some(Borrower::from(me)));
    /// # });
    /// ```
    pub fn current_task() -> Option<Borrower> {
        current_task_id().map(Borrower::from)
    }

    /// The task this borrower is, if it is one.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::sync::Borrower;
    /// let me = anyio_core::get_current_task().unwrap().id;
    /// assert_eq!(Borrower::from(me).task_id(), Some(me));
    /// assert_eq!(Borrower::new().task_id(), None);
    /// # });
    /// ```
    pub fn task_id(&self) -> Option<TaskId> {
        match self.0 {
            Kind::Task(id) => Some(id),
            Kind::Unique(_) | Kind::Id(_) => None,
        }
    }

    /// The borrower for code that does not name one: the current task, or outside anyio tasks
    /// a fresh anonymous borrower.
    pub(crate) fn current_or_anonymous() -> Borrower {
        Borrower::current_task().unwrap_or_else(Borrower::new)
    }
}

impl From<TaskId> for Borrower {
    fn from(id: TaskId) -> Borrower {
        Borrower(Kind::Task(id))
    }
}

impl fmt::Debug for Borrower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Task(id) => write!(f, "Borrower(task {id})"),
            Kind::Unique(n) => write!(f, "Borrower(#{n})"),
            Kind::Id(n) => write!(f, "Borrower(id {n})"),
        }
    }
}
