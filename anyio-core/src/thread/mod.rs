//! Thread offload both ways: run blocking code on a worker thread without blocking the event
//! loop ([`to_thread`]), and call back into the event loop from such a thread
//! ([`from_thread`]).
//!
//! Worker threads started by [`to_thread::run_sync`] carry an anyio context (the runtime and the
//! calling task's cancel scope), which is what lets [`from_thread`] run code on the right
//! runtime, inside the caller's scope, and report cancellation with
//! [`from_thread::check_cancelled`].
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::{from_thread, to_thread};
//!
//! let answer = to_thread::run_sync(|| {
//!     // Blocking work here, then back to the event loop for an async step.
//!     let doubled = from_thread::run(async { 21 * 2 }).unwrap();
//!     doubled
//! })
//! .await;
//! assert_eq!(answer, 42);
//! # });
//! ```

mod error;
pub mod from_thread;
mod handoff;
mod portal;
mod portal_task;
pub mod to_thread;
pub(crate) mod worker;

pub use error::FromThreadError;
pub use portal::{start_blocking_portal, BlockingPortal};
pub use portal_task::{PortalError, PortalStartError, PortalTask};
