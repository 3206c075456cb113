//! Task identity and introspection: [`get_current_task`] and [`get_running_tasks`].
//!
//! An anyio task's identity lives in its root node of the cancel-scope tree, so spawning a
//! task registers nothing globally: [`get_running_tasks`] walks the tree down from the few
//! nodes that have nothing above them (a root task such as `"main"`, or a task group run
//! outside any anyio task), which `registry.rs` keeps.

mod identity;
mod in_task;
pub(crate) mod registry;
pub(crate) mod runs;
#[cfg(feature = "tracing")]
pub(crate) mod span;

pub use identity::{get_current_task, TaskId, TaskInfo};
pub(crate) use identity::{TaskIdentity, UnbornIdentity};
pub(crate) use in_task::InTask;
pub use registry::get_running_tasks;
