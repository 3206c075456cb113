//! The deadline timer an owner of a node keeps inside its own future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use super::node::Node;
use crate::backend::require_backend;
use crate::runtime::Timer;
use crate::time::current_time;

pin_project! {
    /// Fires `cancel` on a node when its deadline passes, re-arming when the deadline moves.
    #[derive(Debug)]
    pub(crate) struct DeadlineTimer {
        seen_version: Option<u64>,
        armed_for: Option<Instant>,
        #[pin]
        timer: Option<Timer>,
    }
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
        let mut this = self.project();
        if node.cancel_called() {
            this.timer.set(None);
            return;
        }
        let version = node.deadline_version();
        if *this.seen_version != Some(version) {
            *this.seen_version = Some(version);
            *this.armed_for = node.deadline();
            this.timer.set(None);
        }
        let Some(deadline) = *this.armed_for else {
            return;
        };
        if deadline <= current_time() {
            this.timer.set(None);
            node.cancel_for_deadline();
            return;
        }
        if this.timer.is_none() {
            this.timer
                .set(Some(Timer::new(require_backend(), deadline)));
        }
        if let Some(timer) = this.timer.as_mut().as_pin_mut() {
            if let Poll::Ready(()) = timer.poll(cx) {
                this.timer.set(None);
                node.cancel_for_deadline();
            }
        }
    }
}
