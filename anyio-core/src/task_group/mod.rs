//! Task groups: structured concurrency, where no task outlives the group that spawned it.
//!
//! [`task_group`] runs a body with a [`TaskGroup`] handle; children spawned through it run on
//! the backend's executor (in parallel on multi-threaded runtimes) and the group resolves only
//! after all of them ended. The first failure cancels the rest; every error is collected.
//!
//! | anyio | AnyIO | Trio |
//! |---|---|---|
//! | `task_group(\|tg\| ...)` | `async with create_task_group() as tg:` | `async with open_nursery() as n:` |
//! | `tg.start_soon(f)` | `tg.start_soon(f)` | `n.start_soon(f)` |
//! | `tg.start(\|status\| f)` | `await tg.start(f)` | `await n.start(f)` |
//! | `tg.spawn(f)` → [`TaskHandle`] | — | — |
//! | [`TaskSet`]: values in completion order | — | — |
//! | [`race`], [`race_ok`] | — | — |
//! | `tg.cancel()` | `tg.cancel_scope.cancel()` | `n.cancel_scope.cancel()` |
//! | [`TaskGroupError::Failed`] | `ExceptionGroup` | `ExceptionGroup` |
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::{task_group, TaskGroupError};
//!
//! let result = task_group(|tg| async move {
//!     tg.start_soon(async { Err::<(), _>("first failure") }).unwrap();
//!     tg.start_soon(async { anyio_core::time::sleep_forever().await; }).unwrap(); // cancelled
//!     Ok(())
//! })
//! .await;
//! assert_eq!(result, Err(TaskGroupError::Failed(vec!["first failure"])));
//! # });
//! ```

pub(crate) mod child;
mod count;
mod error;
mod group;
mod handle;
pub(crate) mod held;
mod io_error;
mod orphan;
pub(crate) mod outcome;
mod race;
mod results;
mod route;
mod shared;
pub(crate) mod shutdown;
mod start;
mod task_handle;
mod task_result;

pub use error::{SpawnError, StartError, TaskError, TaskGroupError};
pub use group::{task_group, TaskGroupFuture};
pub use handle::{TaskBuilder, TaskGroup};
pub use race::{race, race_ok, RaceError};
pub use results::TaskSet;
pub use shutdown::{is_shutdown_requested, shutdown_requested, with_graceful_shutdown};
pub use start::TaskStatus;
pub use task_handle::TaskHandle;
pub use task_result::{TaskOutput, TaskResult};
