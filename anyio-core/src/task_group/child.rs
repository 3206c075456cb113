use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::outcome::{Finish, Outcome};
use crate::cancel::node::Node;
use crate::cancel::DeadlineTimer;
use crate::context::{self, Runtime};
use crate::task::UnbornIdentity;
use crate::time::virtual_clock::{poll_tracked, TrackedTask};

/// The root node of a child task, or what it takes to create one.
///
/// A task's root node is where cancellation reaches it and where introspection finds it, but
/// a task that ends without ever waiting needs neither: its group's node tells it whether it
/// is cancelled, and its group's list shows it (see `held`). Allocating the node on the
/// spawning thread and freeing it after the executor thread touched it costs more than the
/// backend's own spawn, so an unnamed `start_soon` child creates its node only when it first
/// waits, or when code inside asks for its scope.
#[derive(Debug)]
pub(crate) enum Root {
    Born(Arc<Node>),
    /// Who the task is, until it has a node. It runs under its finisher's group node
    /// ([`Finish::group_node`]).
    Unborn(UnbornIdentity),
}

pin_project! {
    /// A task group child as spawned on the backend: polls the task's future in its own anyio
    /// context under its root, which catches any cancellation that reaches the task, and
    /// reports how the future ended exactly once (also when the runtime drops the task).
    pub(crate) struct ChildTask<F: Future, K: Finish<F::Output>> {
        runtime: Runtime,
        // Present on a virtual clock, where it counts this task as runnable or blocked.
        tracked: Option<Arc<TrackedTask>>,
        root: Root,
        finisher: Option<K>,
        // A task's deadline can be set through its handle.
        #[pin]
        deadline: DeadlineTimer,
        #[pin]
        body: Option<F>,
    }

    impl<F: Future, K: Finish<F::Output>> PinnedDrop for ChildTask<F, K> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.finisher.is_some() {
                // The runtime dropped us before the body ended (it is shutting down).
                this.body.set(None);
                if let Root::Born(node) = &*this.root {
                    node.end_task();
                }
                end(this.finisher, Outcome::Cancelled);
            }
            if let Some(tracked) = this.tracked.as_ref() {
                tracked.exit_done();
            }
        }
    }
}

impl<F: Future, K: Finish<F::Output>> ChildTask<F, K> {
    pub(crate) fn new(runtime: Runtime, root: Root, body: F, finisher: K) -> Self {
        ChildTask {
            // Counted as runnable from the spawn on, so time cannot jump before it first runs.
            tracked: runtime.clock.clone().map(TrackedTask::new),
            runtime,
            root,
            finisher: Some(finisher),
            deadline: DeadlineTimer::new(),
            body: Some(body),
        }
    }

    /// Its accounting on a virtual clock.
    pub(crate) fn tracked(&self) -> Option<&Arc<TrackedTask>> {
        self.tracked.as_ref()
    }
}

/// Reports how the task ended, once (the first time). The caller first stopped
/// introspection from listing the task's root node, which stays in its parent's list until
/// swept (see `cancel::node`): leaving it would take the lock its group's spawner takes.
fn end<T, K: Finish<T>>(finisher: &mut Option<K>, outcome: Outcome<T>) {
    if let Some(finisher) = finisher.take() {
        finisher.finish(outcome);
    }
}

impl<F, K> Future for ChildTask<F, K>
where
    F: Future,
    K: Finish<F::Output>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if this.body.is_none() {
            return Poll::Ready(());
        }
        let tracked = this.tracked.clone();
        let mut deadline = this.deadline.as_mut();
        let body = this.body.as_mut();
        let finisher = this.finisher;
        // Everything up to the report of the task's end happens inside its context and before
        // the virtual clock hears that it ended.
        match this.root {
            Root::Born(node) => {
                let _entered = context::enter_task(this.runtime, node);
                poll_tracked(tracked.as_ref(), cx, |cx| {
                    deadline.as_mut().poll(node, cx);
                    let seen = node.is_cancelled();
                    let polled = poll_body(body, cx, seen, |cx| {
                        wait(node, deadline.as_mut(), cx).then(|| node.clone())
                    });
                    polled.map(|outcome| {
                        node.end_task();
                        end(finisher, outcome);
                    })
                })
            }
            Root::Unborn(identity) => {
                let group = finisher.as_ref().and_then(Finish::group_node).cloned();
                // Reading the group's flags before the poll would pull the group node's cache
                // line from the spawning core on every child's first poll; a task still
                // unborn at a cancellation is polled once more instead (harmless: it is what
                // an unseen cancellation gets anyway).
                let seen = false;
                let poll = || {
                    poll_tracked(tracked.as_ref(), cx, |cx| {
                        let polled = poll_body(body, cx, seen, |cx| {
                            // Waiting, the task needs its node: its group's cancellation must
                            // reach it.
                            let node = context::current_scope()?;
                            wait(&node, deadline.as_mut(), cx).then_some(node)
                        });
                        polled.map(|outcome| {
                            // It may have got its node during this poll.
                            if let Some(node) = context::current_task_root() {
                                node.end_task();
                            }
                            end(finisher, outcome);
                        })
                    })
                };
                let (polled, born) =
                    context::poll_in_unborn_task(this.runtime, *identity, group, poll);
                if let Some(node) = born {
                    *this.root = Root::Born(node);
                }
                polled
            }
        }
    }
}

/// Polls the body once; if it waits, asks `catches` whether the task's root catches a
/// cancellation (and which node it is). Once the body is done with, it is dropped here, inside
/// the task's context (a virtual timer in it leaves its task's clock) and before the group
/// hears that the task ended.
///
/// `seen`: whether the root was cancelled before this poll began. If not, the body is polled
/// once more before it is dropped, as a cancel scope does (see `cancel::scope::settle`): an
/// operation that completed in the meantime then reports it instead of being lost with the
/// body.
fn poll_body<F: Future>(
    mut slot: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
    seen: bool,
    mut catches: impl FnMut(&mut Context<'_>) -> Option<Arc<Node>>,
) -> Poll<Outcome<F::Output>> {
    let outcome = {
        let Some(mut body) = slot.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        match poll_once(body.as_mut(), cx) {
            Some(outcome) => outcome,
            None => {
                let Some(mut root) = catches(cx) else {
                    return Poll::Pending;
                };
                let mut outcome = None;
                if !seen {
                    outcome = poll_once(body.as_mut(), cx);
                    if outcome.is_none() {
                        match catches(cx) {
                            Some(again) => root = again,
                            // The last poll entered a protected region.
                            None => return Poll::Pending,
                        }
                    }
                }
                outcome.unwrap_or_else(|| {
                    root.mark_caught();
                    Outcome::Cancelled
                })
            }
        }
    };
    slot.set(None);
    Poll::Ready(outcome)
}

fn poll_once<F: Future>(body: Pin<&mut F>, cx: &mut Context<'_>) -> Option<Outcome<F::Output>> {
    match catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
        Ok(Poll::Ready(value)) => Some(Outcome::Completed(value)),
        Ok(Poll::Pending) => None,
        Err(payload) => Some(Outcome::Panicked(payload)),
    }
}

/// The body waits: arranges to be woken when the task's root is cancelled, and tells whether a
/// cancellation already reached it (the root of a task catches every one), unless a protected
/// region forbids dropping the body now.
fn wait(node: &Node, deadline: Pin<&mut DeadlineTimer>, cx: &mut Context<'_>) -> bool {
    node.register_waker(cx.waker());
    deadline.poll(node, cx);
    node.is_cancelled() && !node.is_protected()
}
