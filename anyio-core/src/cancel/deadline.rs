//! A scope's deadline as its builder gives it, and the timer an owner of a node keeps inside
//! its own future.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::node::Node;
use crate::backend::require_backend_for;
use crate::runtime::Timer;
use crate::time::{current_time, deadline_after};

/// The deadline of a scope that has no node yet. A relative one counts from the scope's entry
/// (its first poll), as Trio's `relative_deadline` does, not from the call that built it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeDeadline {
    Unset,
    At(Instant),
    After(Duration),
}

impl ScopeDeadline {
    /// The absolute deadline, a relative one counted from now. A timeout too large to
    /// represent means no deadline.
    #[inline]
    pub(crate) fn resolve(self) -> Option<Instant> {
        match self {
            ScopeDeadline::Unset => None,
            ScopeDeadline::At(deadline) => Some(deadline),
            ScopeDeadline::After(timeout) => deadline_after(timeout),
        }
    }

    /// The absolute deadline of a scope entered now, and whether it has passed already.
    #[inline]
    pub(crate) fn on_entry(self) -> (Option<Instant>, bool) {
        match self {
            ScopeDeadline::Unset => (None, false),
            // Counted from now, a positive timeout is in the future: no second clock read.
            ScopeDeadline::After(timeout) if !timeout.is_zero() => (deadline_after(timeout), false),
            other => {
                let deadline = other.resolve();
                (
                    deadline,
                    deadline.is_some_and(|deadline| deadline <= current_time()),
                )
            }
        }
    }
}

/// Fires `cancel` on a node when its deadline passes, re-arming when the deadline moves.
///
/// The backend timer is boxed and only while armed: every task and scope carries one of these,
/// most never arm it, and an inline timer (a tokio `Sleep` is large) would bloat them all.
#[derive(Debug)]
pub(crate) struct DeadlineTimer {
    // The public call that built the owner, named by the panic of a poll outside any runtime.
    caller: &'static Location<'static>,
    seen_version: Option<u64>,
    armed_for: Option<Instant>,
    timer: Option<Pin<Box<Timer>>>,
}

impl DeadlineTimer {
    #[track_caller]
    pub(crate) fn new() -> DeadlineTimer {
        DeadlineTimer {
            caller: Location::caller(),
            seen_version: None,
            armed_for: None,
            timer: None,
        }
    }

    /// The public call that built this timer's owner.
    pub(crate) fn caller(&self) -> &'static Location<'static> {
        self.caller
    }

    /// Checks `node`'s deadline: cancels it when passed, otherwise keeps a timer armed that
    /// wakes `cx` at the deadline.
    pub(crate) fn poll(self: Pin<&mut Self>, node: &Node, cx: &mut Context<'_>) {
        let this = self.get_mut();
        if node.cancel_called() {
            this.timer = None;
            return;
        }
        let version = node.deadline_version();
        if this.seen_version != Some(version) {
            this.seen_version = Some(version);
            this.armed_for = node.deadline();
            this.timer = None;
        }
        let Some(deadline) = this.armed_for else {
            return;
        };
        if deadline <= current_time() {
            this.timer = None;
            node.cancel_for_deadline();
            return;
        }
        let caller = this.caller;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(Timer::new(require_backend_for(caller), deadline)));
        if let Poll::Ready(()) = timer.as_mut().poll(cx) {
            this.timer = None;
            node.cancel_for_deadline();
        }
    }
}
