//! Task identity and introspection: [`get_current_task`] and [`get_running_tasks`].

mod record;

pub use record::{get_current_task, get_running_tasks, TaskId, TaskInfo};
pub(crate) use record::{InTask, TaskRecord};
