use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use super::node::Node;

/// Controls a [`CancelScope`](super::CancelScope) (or a task group, or a task) from any task or
/// thread.
///
/// Cheap to clone; it stays valid after the scope ended (calls then change nothing that runs).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{CancelScope, time::{sleep, Duration}};
///
/// let scope = CancelScope::new();
/// let handle = scope.handle();
/// let canceller = std::thread::spawn(move || handle.cancel());
/// assert_eq!(scope.run(sleep(Duration::from_secs(60))).await, None);
/// canceller.join().unwrap();
/// # });
/// ```
#[derive(Clone)]
pub struct CancelHandle {
    node: Arc<Node>,
}

impl CancelHandle {
    pub(crate) fn new(node: Arc<Node>) -> CancelHandle {
        CancelHandle { node }
    }

    /// Cancels the scope and every unshielded scope and task inside it, waking them wherever
    /// they run. Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// let handle = CancelScope::new().handle();
    /// handle.cancel();
    /// assert!(handle.cancel_called());
    /// ```
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called or the deadline passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// assert!(!CancelScope::new().handle().cancel_called());
    /// ```
    pub fn cancel_called(&self) -> bool {
        self.node.cancel_called()
    }

    /// Whether the scope is cancelled, by itself or through an unshielded enclosing scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// let handle = CancelScope::new().handle();
    /// handle.cancel();
    /// assert!(handle.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Whether this scope caught a cancellation: its body was dropped and it resolved as
    /// cancelled (rather than an enclosing scope catching it).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{CancelScope, checkpoint};
    /// let scope = CancelScope::new();
    /// let handle = scope.handle();
    /// handle.cancel();
    /// scope.run(checkpoint()).await;
    /// assert!(handle.cancelled_caught());
    /// # });
    /// ```
    pub fn cancelled_caught(&self) -> bool {
        self.node.caught()
    }

    /// The scope's own deadline, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// assert_eq!(CancelScope::new().handle().deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline()
    }

    /// Moves the deadline, earlier or later, while the scope runs. A deadline already passed
    /// cancels the scope at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{move_on_after, time::{current_time, sleep, Duration}};
    /// let scoped = move_on_after(Duration::from_secs(3600), sleep(Duration::from_secs(60)));
    /// scoped.handle().set_deadline(current_time() + Duration::from_millis(2));
    /// assert_eq!(scoped.await, None);
    /// # });
    /// ```
    pub fn set_deadline(&self, deadline: Instant) {
        self.node.set_deadline(Some(deadline));
    }

    /// Removes the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::{CancelScope, time::{current_time, Duration}};
    /// let handle = CancelScope::new().with_timeout(Duration::from_secs(1)).handle();
    /// handle.clear_deadline();
    /// assert_eq!(handle.deadline(), None);
    /// ```
    pub fn clear_deadline(&self) {
        self.node.set_deadline(None);
    }

    /// Whether the scope is shielded from enclosing cancellation.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// assert!(CancelScope::new().shielded(true).handle().shield());
    /// ```
    pub fn shield(&self) -> bool {
        self.node.shield()
    }

    /// Raises or lowers the shield while the scope runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// let handle = CancelScope::new().handle();
    /// handle.set_shield(true);
    /// assert!(handle.shield());
    /// ```
    pub fn set_shield(&self, shield: bool) {
        self.node.set_shield(shield);
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("deadline", &self.node.deadline())
            .field("shield", &self.node.shield())
            .field("cancel_called", &self.node.cancel_called())
            .field("cancelled_caught", &self.node.caught())
            .finish()
    }
}
