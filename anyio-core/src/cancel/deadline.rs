//! The deadline timer an owner of a node keeps inside its own future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use super::node::Node;
use crate::backend::require_backend;
use crate::runtime::Timer;
use crate::time::current_time;

/// Fires `cancel` on a node when its deadline passes, re-arming when the deadline moves.
///
/// The backend timer is boxed and only while armed: every task and scope carries one of these,
/// most never arm it, and an inline timer (a tokio `Sleep` is large) would bloat them all.
#[derive(Debug)]
pub(crate) struct DeadlineTimer {
    seen_version: Option<u64>,
    armed_for: Option<Instant>,
    timer: Option<Pin<Box<Timer>>>,
}

impl DeadlineTimer {
    pub(crate) fn new() -> DeadlineTimer {
        DeadlineTimer {
            seen_version: None,
            armed_for: None,
            timer: None,
        }
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
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(Timer::new(require_backend(), deadline)));
        if let Poll::Ready(()) = timer.as_mut().poll(cx) {
            this.timer = None;
            node.cancel_for_deadline();
        }
    }
}
