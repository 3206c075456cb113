//! Supervision: children of a long-lived task group that fail without taking their siblings
//! down.
//!
//! A task group follows Trio's rule: the first child to fail cancels the others, and the group
//! reports every error. That is what a request handler wants (its parts are one piece of
//! work), and it stays the default. A server's group is different: its listener and its
//! background jobs are independent, and a cache refresher that panics must not close the
//! listener. Two tools change the rule for one child at a time, where the child is spawned:
//!
//! - [`TaskBuilder::on_failure`](crate::task_group::TaskBuilder::on_failure): the child's
//!   error or panic goes to a handler instead of the group. The siblings go on.
//! - [`Supervisor`]: restarts the child after each failure, with a [`Backoff`], reporting each
//!   failure to a handler; past a restart limit it gives up and the failure reaches the group
//!   after all, so a child that cannot recover still stops the service (Erlang/OTP's restart
//!   intensity).
//!
//! # Why per child, and not a different kind of group
//!
//! - tokio-util's `TaskTracker` never propagates a failure: each task's error stays in its
//!   `JoinHandle`, and one nobody awaits is lost. A failure here always reaches someone: the
//!   group, a handler, or a supervisor that reports it.
//! - Erlang/OTP decides restarts per child (`permanent`, `transient`) under a supervisor
//!   strategy; `one_for_one` restarts only the child that failed. [`Supervisor`] is that
//!   strategy for one child; a group with several supervised children is a `one_for_one`
//!   supervisor whose children each have their own intensity.
//! - Trio's service-nursery discussions (python-trio/trio#1521) converge on keeping the
//!   nursery's rule and wrapping the children that may fail alone. Doing it at the spawn
//!   site keeps the decision next to the code that knows whether a failure is fatal.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::{task_group, Duration};
//! use std::sync::{Arc, Mutex};
//!
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let seen = log.clone();
//! let served = task_group(|tg| async move {
//!     tg.task()
//!         .name("refresher")
//!         .on_failure(move |failure| seen.lock().unwrap().push(failure.to_string()))
//!         .start_soon(async { Err(std::io::Error::other("cache backend down")) })?;
//!     // The "listener" goes on serving.
//!     anyio_core::sleep(Duration::from_millis(5)).await;
//!     Ok::<_, std::io::Error>("still serving")
//! })
//! .await;
//! assert_eq!(served.unwrap(), "still serving");
//! assert_eq!(*log.lock().unwrap(), ["task failed: cache backend down"]);
//! # });
//! ```

mod backoff;
mod catch_panic;
mod failure;
mod supervisor;

pub use backoff::Backoff;
pub use failure::ChildFailure;
pub use supervisor::Supervisor;
