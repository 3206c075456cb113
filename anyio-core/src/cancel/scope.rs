use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::deadline::{DeadlineTimer, ScopeDeadline};
use super::handle::CancelHandle;
use super::node::{Node, Protection};
use crate::context;
use crate::time::current_time;

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
///
/// A scope gets its node in the scope tree only when something needs it: a handle, code inside
/// asking for the current scope, or a body that returns `Pending`. A scope around work that
/// completes at once costs no allocation.
pub struct CancelScope {
    deadline: ScopeDeadline,
    shield: bool,
    /// Created by [`CancelScope::handle`]; the two fields above no longer apply once it exists.
    node: OnceLock<Arc<Node>>,
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
    #[inline]
    pub fn new() -> CancelScope {
        CancelScope::with(ScopeDeadline::Unset)
    }

    /// A scope with `deadline`, not shielded.
    #[inline]
    pub(crate) fn with(deadline: ScopeDeadline) -> CancelScope {
        CancelScope {
            deadline,
            shield: false,
            node: OnceLock::new(),
        }
    }

    /// Sets the instant at which the scope cancels itself. A deadline already passed cancels
    /// the scope on entry: its body runs until it first blocks.
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
    #[inline]
    pub fn with_deadline(self, deadline: Instant) -> CancelScope {
        self.set_deadline(ScopeDeadline::At(deadline))
    }

    /// Sets the deadline to `timeout` after the scope is entered (first polled), on the anyio
    /// clock, as Trio's relative deadlines. If a handle was taken already, the deadline is
    /// `timeout` from now instead, so that the handle can report it. A timeout too large to
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
    #[inline]
    pub fn with_timeout(self, timeout: Duration) -> CancelScope {
        self.set_deadline(ScopeDeadline::After(timeout))
    }

    #[inline]
    fn set_deadline(mut self, deadline: ScopeDeadline) -> CancelScope {
        match self.node.get_mut() {
            Some(node) => node.set_deadline(deadline.resolve()),
            None => self.deadline = deadline,
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
    #[inline]
    pub fn shielded(mut self, shield: bool) -> CancelScope {
        match self.node.get_mut() {
            Some(node) => node.set_shield(shield),
            None => self.shield = shield,
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
        let node = self
            .node
            .get_or_init(|| Node::scope_with(self.deadline.resolve(), self.shield));
        CancelHandle::new(node.clone())
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
    #[track_caller]
    pub fn run<F: Future>(self, future: F) -> Scoped<F> {
        Scoped {
            node: None,
            node_for_handle: self.node,
            deadline: self.deadline,
            shield: self.shield,
            state: State::Unpolled,
            protection: None,
            timer: DeadlineTimer::new(),
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
        match self.node.get() {
            Some(node) => f
                .debug_struct("CancelScope")
                .field("deadline", &node.deadline())
                .field("shield", &node.shield())
                .field("cancel_called", &node.cancel_called())
                .finish(),
            None => f
                .debug_struct("CancelScope")
                .field("deadline", &self.deadline)
                .field("shield", &self.shield)
                .field("cancel_called", &false)
                .finish(),
        }
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
    #[project = ScopedProjection]
    pub struct Scoped<F> {
        // The scope's node once it has one (see `CancelScope`). `None` also while the body is
        // polled: the node is then the thread's current scope (moved there, not cloned, which
        // saves two reference-count updates per poll).
        node: Option<Arc<Node>>,
        // A node created before entry because a handle was taken; it becomes `node` on entry.
        node_for_handle: OnceLock<Arc<Node>>,
        // What the node is to be created with (absolute once entered).
        deadline: ScopeDeadline,
        shield: bool,
        state: State,
        // Held while the scope is shielded: enclosing scopes must not drop us meanwhile.
        protection: Option<Protection>,
        #[pin]
        timer: DeadlineTimer,
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
    /// Taken before the first poll, it fixes a relative deadline (from
    /// [`move_on_after`](crate::move_on_after) or [`CancelScope::with_timeout`]) at that moment,
    /// so that the handle can report it.
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
        CancelHandle::new(self.node_or_create().clone())
    }

    /// The deadline in force: the node's, or the one the node is to be created with.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.existing_node() {
            Some(node) => node.deadline(),
            None => self.deadline.resolve(),
        }
    }

    fn existing_node(&self) -> Option<&Arc<Node>> {
        self.node.as_ref().or_else(|| self.node_for_handle.get())
    }

    fn node_or_create(&self) -> &Arc<Node> {
        match self.existing_node() {
            Some(node) => node,
            // Not entered yet, or ended without ever needing a node.
            None => self
                .node_for_handle
                .get_or_init(|| Node::scope_with(self.deadline.resolve(), self.shield)),
        }
    }
}

const NODE_IN_PLACE: &str = "a scope's node is in place outside the poll of its body";

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("state", &self.state)
            .field(
                "cancel_called",
                &self
                    .existing_node()
                    .is_some_and(|node| node.cancel_called()),
            )
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match *this.state {
            State::Done => panic!("`Scoped` polled after completion"),
            State::Running => {
                let node = this.node.as_ref().expect(NODE_IN_PLACE);
                this.timer.as_mut().poll(node, cx);
            }
            State::Unpolled => {
                *this.state = State::Running;
                if let Some(polled) = enter(&mut this, cx) {
                    return polled;
                }
            }
        }
        follow_shield(&mut this);
        // Cancellation only ever goes from off to on, so a body polled after this read saw
        // it everywhere it looked.
        let seen = this.node.as_ref().is_some_and(|node| node.is_cancelled());
        if let Some(body) = this.body.as_mut().as_pin_mut() {
            let polled = context::poll_in_scope(this.node, || body.poll(cx));
            if let Poll::Ready(value) = polled {
                return end(&mut this, Some(value));
            }
        }
        settle(&mut this, cx, seen)
    }
}

/// The first poll. A scope without a node polls its body first and creates its node only if
/// the body returns `Pending` or asks for it; returns the outcome when that poll settled it.
fn enter<F: Future>(
    this: &mut ScopedProjection<'_, F>,
    cx: &mut Context<'_>,
) -> Option<Poll<Option<F::Output>>> {
    if let Some(node) = this.node_for_handle.take() {
        node.set_parent(context::current_scope());
        // A deadline already passed cancels on entry. The timer itself is only armed once the
        // body returns `Pending`: a body that completes on its first poll never touches the
        // backend's timer.
        if node
            .deadline()
            .is_some_and(|deadline| deadline <= current_time())
        {
            node.cancel_for_deadline();
        }
        *this.node = Some(node);
        return None;
    }
    let (deadline, passed) = this.deadline.on_entry();
    *this.deadline = deadline.map_or(ScopeDeadline::Unset, ScopeDeadline::At);
    let shield = *this.shield;
    if passed {
        let node = Node::entered_scope(deadline, shield, context::current_scope());
        node.cancel_for_deadline();
        *this.node = Some(node);
        return None;
    }
    let body = this
        .body
        .as_mut()
        .as_pin_mut()
        .expect("a scope's body is in place until it ends");
    let (polled, created) = context::poll_in_new_scope(deadline, shield, || body.poll(cx));
    if let Poll::Ready(value) = polled {
        *this.node = created;
        return Some(end(this, Some(value)));
    }
    *this.node = Some(
        created.unwrap_or_else(|| Node::entered_scope(deadline, shield, context::current_scope())),
    );
    follow_shield(this);
    Some(settle(this, cx, false))
}

/// A shield protects the enclosing scopes of this task while it is up; it can be raised or
/// lowered through a handle at any time, so it is followed on every poll.
fn follow_shield<F>(this: &mut ScopedProjection<'_, F>) {
    let node = this.node.as_ref().expect(NODE_IN_PLACE);
    match (node.shield(), this.protection.is_some()) {
        (true, false) => *this.protection = Some(Protection::from(node.parent())),
        (false, true) => *this.protection = None,
        _ => {}
    }
}

/// After a poll of the body that did not complete it: joins the tree, arms the deadline, and
/// ends the scope if it catches a cancellation.
///
/// `seen`: whether the scope was already cancelled when that poll began. If not, the
/// cancellation arrived while or after the body ran (from another thread, or from the deadline
/// timer polled here), and the body may have completed an operation in that window without
/// knowing: a send whose item a receiver took meanwhile. So the body is polled once more,
/// inside the cancelled scope, before it is dropped: an operation that completed reports it
/// (its value wins, as for any body that is ready) and one that did not withdraws, so that
/// "cancelled" always means "did not happen".
fn settle<F: Future>(
    this: &mut ScopedProjection<'_, F>,
    cx: &mut Context<'_>,
    seen: bool,
) -> Poll<Option<F::Output>> {
    let node = this.node.as_ref().expect(NODE_IN_PLACE);
    node.register_waker(cx.waker());
    node.attach();
    // A deadline may have been moved while the body ran.
    this.timer.as_mut().poll(node, cx);
    if node.is_cancelled() && !node.is_protected() && node.catches() {
        if !seen {
            if let Some(body) = this.body.as_mut().as_pin_mut() {
                let polled = context::poll_in_scope(this.node, || body.poll(cx));
                if let Poll::Ready(value) = polled {
                    return end(this, Some(value));
                }
            }
            let node = this.node.as_ref().expect(NODE_IN_PLACE);
            if node.is_protected() {
                // The last poll entered a protected region (a shield, a task group): the
                // protection ends with a wake.
                return Poll::Pending;
            }
            node.mark_caught();
            return end(this, None);
        }
        node.mark_caught();
        return end(this, None);
    }
    // Cancelled through an ancestor: leave the drop to the ancestor that catches.
    Poll::Pending
}

fn end<F: Future>(
    this: &mut ScopedProjection<'_, F>,
    outcome: Option<F::Output>,
) -> Poll<Option<F::Output>> {
    this.body.set(None);
    *this.protection = None;
    *this.state = State::Done;
    if let Some(node) = this.node.as_ref() {
        node.detach();
    }
    Poll::Ready(outcome)
}
