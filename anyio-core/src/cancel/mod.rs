//! Cancel scopes, timeouts and cancellation points: Trio's cancellation model, delivered the
//! Rust way.
//!
//! # The model
//!
//! Rust cancels a future by dropping it, which works for every future (a tokio socket read, an
//! HTTP request, a database query) with no cooperation. anyio uses that as its *delivery*
//! mechanism, and Trio's tree of cancel scopes to decide *when*:
//!
//! - A [`CancelScope`] runs a future inside it. Scopes nest: a scope's parent is the enclosing
//!   scope in the same task, and a task group child's root scope has the group's scope as
//!   parent. A scope is *effectively cancelled* when it was cancelled itself (by
//!   [`CancelHandle::cancel`] or its deadline), or when its parent is and it is not shielded.
//! - When a scope is effectively cancelled, its body is dropped at its next `Pending`
//!   (level-triggered: inside a cancelled scope nothing can block). The **outermost** cancelled
//!   scope of a task catches: [`CancelScope::run`] resolves to `None` there; inner scopes do not
//!   resolve, they go with it.
//! - *Protected regions* defer the drop until they end: a shielded scope, a task group waiting
//!   for its children, and [`finally`] cleanup. After the region, the next `Pending` drops.
//! - Primitives that must not lose data when dropped mid-operation say so under
//!   `# Cancellation` in their docs.
//! - A relative timeout ([`move_on_after`], [`fail_after`], [`CancelScope::with_timeout`])
//!   counts from the scope's entry (its first poll), as in Trio, not from the call that built
//!   it.
//! - Scopes are cheap: a scope joins the tree only when something needs it (a handle, code
//!   inside asking for the current scope, or a body that blocks), so a timeout around an
//!   operation that completes at once costs about what `tokio::time::timeout` does.
//!
//! | anyio | Trio | AnyIO |
//! |---|---|---|
//! | `CancelScope::new().run(f)` | `with CancelScope():` | `with CancelScope():` |
//! | `move_on_after(d, f)` | `with move_on_after(d):` | `with move_on_after(d):` |
//! | `fail_after(d, f)` | `with fail_after(d):` | `with fail_after(d):` |
//! | `CancelScope::new().shielded(true)` | `CancelScope(shield=True)` | `CancelScope(shield=True)` |
//! | `finally(body, cleanup)` | `try: … finally: with CancelScope(shield=True): …` | same |
//! | `checkpoint()` | `trio.lowlevel.checkpoint()` | `anyio.lowlevel.checkpoint()` |
//! | `cancelled()` | — | — |
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::{move_on_after, time::{sleep, Duration}};
//!
//! // A deadline around any future, including foreign ones.
//! let reply = move_on_after(Duration::from_millis(10), std::future::pending::<()>()).await;
//! assert_eq!(reply, None);
//! # });
//! ```

pub(crate) mod budget;
mod checkpoint;
mod deadline;
mod error;
mod finally;
mod handle;
pub(crate) mod node;
mod scope;
mod timeout;

pub use checkpoint::{
    cancelled, checkpoint, checkpoint_if_cancelled, current_effective_deadline, Cancelled,
    Checkpoint, CheckpointIfCancelled,
};
pub(crate) use deadline::DeadlineTimer;
pub use error::TimeoutError;
pub use finally::{finally, Finally};
pub use handle::CancelHandle;
pub use scope::{CancelScope, Scoped};
pub use timeout::{fail_after, fail_at, move_on_after, move_on_at, FailAfter};
