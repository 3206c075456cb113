use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::deadline::DeadlineTimer;
use super::handle::CancelHandle;
use super::node::{Node, Protection};
use crate::context;
use crate::time::{current_time, deadline_after};

/// A cancel scope: a region of code that can be cancelled as a unit, by a call or a deadline.
///
/// Build one, optionally take a [`CancelHandle`] to control it from anywhere, then
/// [`run`](CancelScope::run) a future inside it. Scopes nest: a scope run inside another one
/// (in the same task, or in a task group's child) is cancelled with it unless shielded.
///
/// When the scope is cancelled, the future running inside is dropped at its next `Pending`
/// and `run` resolves to `None`. If the future completes first, its value wins.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{CancelScope, time::{sleep, Duration}};
///
/// let scope = CancelScope::new();
/// let handle = scope.handle();
/// handle.cancel();
/// let result = scope.run(sleep(Duration::from_secs(3600))).await;
/// assert_eq!(result, None);
/// assert!(handle.cancelled_caught());
/// # });
/// ```
pub struct CancelScope {
    node: Arc<Node>,
}

impl CancelScope {
    /// A scope with no deadline, not shielded.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::CancelScope;
    /// assert_eq!(CancelScope::new().run(async { 7 }).await, Some(7));
    /// # });
    /// ```
    pub fn new() -> CancelScope {
        CancelScope {
            node: Node::scope(),
        }
    }

    /// Sets the instant at which the scope cancels itself. A deadline already passed cancels
    /// the scope as soon as its body first blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{CancelScope, time::{current_time, sleep, Duration}};
    /// let deadline = current_time() + Duration::from_millis(5);
    /// let scope = CancelScope::new().with_deadline(deadline);
    /// assert_eq!(scope.run(sleep(Duration::from_secs(60))).await, None);
    /// # });
    /// ```
    pub fn with_deadline(self, deadline: Instant) -> CancelScope {
        self.set_deadline(Some(deadline))
    }

    /// Sets the deadline to `timeout` from now on the anyio clock. A timeout too large to
    /// represent (such as `Duration::MAX`) means no deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{CancelScope, time::{sleep, Duration}};
    /// let scope = CancelScope::new().with_timeout(Duration::from_millis(5));
    /// assert_eq!(scope.run(sleep(Duration::from_secs(60))).await, None);
    /// # });
    /// ```
    pub fn with_timeout(self, timeout: Duration) -> CancelScope {
        self.set_deadline(deadline_after(timeout))
    }

    fn set_deadline(mut self, deadline: Option<Instant>) -> CancelScope {
        match Arc::get_mut(&mut self.node) {
            // No handle was taken: nobody can observe the node, so skip its lock and waker.
            Some(node) => node.init_deadline(deadline),
            None => self.node.set_deadline(deadline),
        }
        self
    }

    /// Shields the scope: cancellation of enclosing scopes does not reach inside it, and they
    /// wait for it to finish before dropping their own body. The scope's own `cancel()` and
    /// deadline still apply.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{CancelScope, move_on_after, time::{sleep, Duration}};
    /// let outcome = move_on_after(Duration::from_millis(1), async {
    ///     // Runs to completion although the outer deadline passes meanwhile.
    ///     CancelScope::new().shielded(true).run(sleep(Duration::from_millis(20))).await
    /// })
    /// .await;
    /// assert_eq!(outcome, Some(Some(())));
    /// # });
    /// ```
    pub fn shielded(mut self, shield: bool) -> CancelScope {
        match Arc::get_mut(&mut self.node) {
            Some(node) => node.init_shield(shield),
            None => self.node.set_shield(shield),
        }
        self
    }

    /// A handle that controls this scope from any task or thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::CancelScope;
    /// let scope = CancelScope::new();
    /// let handle = scope.handle();
    /// assert!(!handle.cancel_called());
    /// ```
    pub fn handle(&self) -> CancelHandle {
        CancelHandle::new(self.node.clone())
    }

    /// Runs `future` inside this scope.
    ///
    /// Resolves to `Some(value)` when the future completes, or `None` when this scope caught
    /// its own cancellation (a call to [`CancelHandle::cancel`] or its deadline). If an
    /// *enclosing* scope is cancelled instead, this future never resolves: the enclosing scope
    /// drops it, as Trio unwinds to the outermost cancelled scope.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future drops the body; the scope itself holds nothing that
    /// outlives it. A shielded scope defers an enclosing scope's drop until it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::CancelScope;
    /// let value = CancelScope::new().run(async { 1 + 1 }).await;
    /// assert_eq!(value, Some(2));
    /// # });
    /// ```
    pub fn run<F: Future>(self, future: F) -> Scoped<F> {
        Scoped {
            node: Some(self.node),
            state: State::Unpolled,
            protection: None,
            deadline: DeadlineTimer::new(),
            body: Some(future),
        }
    }
}

impl Default for CancelScope {
    fn default() -> Self {
        CancelScope::new()
    }
}

impl fmt::Debug for CancelScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelScope")
            .field("deadline", &self.node.deadline())
            .field("shield", &self.node.shield())
            .field("cancel_called", &self.node.cancel_called())
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Unpolled,
    Running,
    Done,
}

pin_project! {
    /// The future returned by [`CancelScope::run`]; see there.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<F> {
        // Only `None` while the body is polled: the node is then the thread's current scope
        // (moved there, not cloned, which saves two reference-count updates per poll).
        node: Option<Arc<Node>>,
        state: State,
        // Held while the scope is shielded: enclosing scopes must not drop us meanwhile.
        protection: Option<Protection>,
        #[pin]
        deadline: DeadlineTimer,
        #[pin]
        body: Option<F>,
    }

    impl<F> PinnedDrop for Scoped<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(node) = this.node.as_ref() {
                node.detach();
            }
        }
    }
}

impl<F> Scoped<F> {
    /// A handle to the scope this future runs in.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{move_on_after, time::Duration};
    /// let scoped = move_on_after(Duration::from_secs(5), async { 3 });
    /// let handle = scoped.handle();
    /// assert!(handle.deadline().is_some());
    /// assert_eq!(scoped.await, Some(3));
    /// # });
    /// ```
    pub fn handle(&self) -> CancelHandle {
        CancelHandle::new(self.node().clone())
    }

    fn node(&self) -> &Arc<Node> {
        self.node.as_ref().expect(NODE_IN_PLACE)
    }
}

const NODE_IN_PLACE: &str = "a scope's node is in place outside the poll of its body";

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("state", &self.state)
            .field(
                "cancel_called",
                &self.node.as_ref().map(|node| node.cancel_called()),
            )
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let node = this.node.as_mut().expect(NODE_IN_PLACE);
        match *this.state {
            State::Done => panic!("`Scoped` polled after completion"),
            State::Unpolled => {
                *this.state = State::Running;
                let parent = context::current_scope();
                // Without a handle nobody else sees the node yet: no lock needed.
                let deadline = match Arc::get_mut(node) {
                    Some(node) => {
                        node.set_parent_mut(parent);
                        node.deadline_mut()
                    }
                    None => {
                        node.set_parent(parent);
                        node.deadline()
                    }
                };
                // A deadline already passed cancels on entry. The timer itself is only armed
                // once the body returns `Pending` (below): a body that completes on its first
                // poll never touches the backend's timer.
                if deadline.is_some_and(|deadline| deadline <= current_time()) {
                    node.cancel_for_deadline();
                }
            }
            State::Running => this.deadline.as_mut().poll(node, cx),
        }
        // A shield protects the enclosing scopes of this task while it is up; it can be raised
        // or lowered through a handle at any time, so follow it on every poll.
        match (node.shield(), this.protection.is_some()) {
            (true, false) => *this.protection = Some(Protection::from(node.parent())),
            (false, true) => *this.protection = None,
            _ => {}
        }

        if let Some(body) = this.body.as_mut().as_pin_mut() {
            let polled = context::poll_in_scope(this.node, || body.poll(cx));
            if let Poll::Ready(value) = polled {
                this.body.set(None);
                *this.protection = None;
                *this.state = State::Done;
                this.node.as_ref().expect(NODE_IN_PLACE).detach();
                return Poll::Ready(Some(value));
            }
        }

        let node = this.node.as_ref().expect(NODE_IN_PLACE);
        node.register_waker(cx.waker());
        node.attach();
        // A deadline may have been moved while the body ran.
        this.deadline.as_mut().poll(node, cx);
        if node.is_cancelled() && !node.is_protected() && node.catches() {
            this.body.set(None);
            *this.protection = None;
            *this.state = State::Done;
            node.mark_caught();
            node.detach();
            return Poll::Ready(None);
        }
        // Cancelled through an ancestor: leave the drop to the ancestor that catches.
        Poll::Pending
    }
}
