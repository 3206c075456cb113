use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::node::{Node, Protection};
use super::scope::{CancelScope, Scoped};
use crate::context;

/// Runs `body`, then always runs the async `cleanup` to completion: after `body` completes, and
/// also when an enclosing scope cancels `body` (the `finally:` of Trio and AnyIO, which Rust's
/// synchronous `Drop` cannot express).
///
/// The cleanup runs in a shielded scope, so the cancellation that ended `body` does not reach
/// it; bound it with its own timeout (`move_on_after` inside `cleanup`). Enclosing scopes wait
/// for the cleanup before they drop anything.
///
/// # Cancellation
///
/// This is a protected region: when an enclosing scope is cancelled, `body` is dropped at its
/// next `Pending`, `cleanup` runs, and only then is the whole future dropped. If the future is
/// dropped by something other than an anyio scope (say a plain `select!`), Rust gives no chance
/// to run `cleanup` and it does not run.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{finally, move_on_after, time::{sleep, Duration}};
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// let cleaned = AtomicBool::new(false);
/// let outcome = move_on_after(
///     Duration::from_millis(1),
///     finally(sleep(Duration::from_secs(60)), async {
///         // Would be cancelled at once without the shield.
///         sleep(Duration::from_millis(5)).await;
///         cleaned.store(true, Ordering::SeqCst);
///     }),
/// )
/// .await;
/// assert_eq!(outcome, None);
/// assert!(cleaned.load(Ordering::SeqCst));
/// # });
/// ```
pub fn finally<B, C>(body: B, cleanup: C) -> Finally<B, C>
where
    B: Future,
    C: Future<Output = ()>,
{
    Finally {
        node: Node::scope(),
        started: false,
        protection: None,
        output: None,
        body: Some(body),
        cleanup: Some(cleanup),
        running_cleanup: None,
    }
}

pin_project! {
    /// The future returned by [`finally`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Finally<B: Future, C> {
        node: Arc<Node>,
        started: bool,
        protection: Option<Protection>,
        output: Option<B::Output>,
        #[pin]
        body: Option<B>,
        cleanup: Option<C>,
        #[pin]
        running_cleanup: Option<Scoped<C>>,
    }

    impl<B: Future, C> PinnedDrop for Finally<B, C> {
        fn drop(this: Pin<&mut Self>) {
            this.node.detach();
        }
    }
}

impl<B: Future, C> fmt::Debug for Finally<B, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finally")
            .field("body_done", &self.body.is_none())
            .field("cleanup_started", &self.cleanup.is_none())
            .finish_non_exhaustive()
    }
}

impl<B, C> Future for Finally<B, C>
where
    B: Future,
    C: Future<Output = ()>,
{
    type Output = B::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        let mut this = self.project();
        let node: &Arc<Node> = this.node;
        if !*this.started {
            *this.started = true;
            let enclosing = context::current_scope();
            node.set_parent(enclosing.clone());
            node.attach();
            // Enclosing scopes must leave the drop of our body to us, so cleanup gets to run.
            *this.protection = Some(Protection::from(enclosing));
        }
        // As in a cancel scope (see `scope::settle`): the body is dropped for a cancellation
        // only after a poll that saw it.
        let seen = node.is_cancelled();
        poll_body(this.body.as_mut(), this.output, node, cx);
        node.register_waker(cx.waker());
        if this.body.is_some() {
            if !node.is_cancelled() || node.is_protected() {
                return Poll::Pending;
            }
            if !seen {
                poll_body(this.body.as_mut(), this.output, node, cx);
                if this.body.is_some() && node.is_protected() {
                    return Poll::Pending;
                }
            }
            this.body.set(None);
        }
        if let Some(cleanup) = this.cleanup.take() {
            this.running_cleanup
                .set(Some(CancelScope::new().shielded(true).run(cleanup)));
        }
        if let Some(running) = this.running_cleanup.as_mut().as_pin_mut() {
            if running.poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.running_cleanup.set(None);
            node.detach();
            // Releasing wakes the enclosing scopes that waited for us.
            *this.protection = None;
        }
        match this.output.take() {
            Some(value) => Poll::Ready(value),
            // The body was cancelled: the enclosing scope that catches now drops us.
            None => Poll::Pending,
        }
    }
}

/// Polls the body inside the node's scope, if it is still there, and keeps its output.
fn poll_body<B: Future>(
    mut slot: Pin<&mut Option<B>>,
    output: &mut Option<B::Output>,
    node: &Arc<Node>,
    cx: &mut Context<'_>,
) {
    let Some(body) = slot.as_mut().as_pin_mut() else {
        return;
    };
    let polled = {
        let _entered = context::enter_scope(node.clone());
        body.poll(cx)
    };
    if let Poll::Ready(value) = polled {
        *output = Some(value);
        slot.set(None);
    }
}
