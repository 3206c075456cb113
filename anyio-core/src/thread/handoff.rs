//! The one-shot slot through which a protected `to_thread` job hands its outcome back.
//!
//! A protected job ends its `Protection` on the worker thread, and ending it wakes the caller's
//! scopes, which is the caller's own task. If the outcome travelled in the backend's join
//! handle, that wake would come first, while the handle is still empty: the task would be
//! polled for nothing and woken again by the join (an extra cross-thread wake-up per call; on
//! smol inside a task group that made a call up to twice as slow). Here the worker stores the
//! outcome *before* it ends the protection, so the first wake finds it in place; the caller
//! then clears its registered waker, so the worker's own wake after that is a no-op.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;

use atomic_waker::AtomicWaker;

use crate::cancel::node::{lock, Protection};

enum State<R> {
    Waiting,
    Ready(thread::Result<R>),
    /// The job was dropped without running (its runtime shut down).
    Lost,
    Taken,
}

struct Shared<R> {
    state: Mutex<State<R>>,
    waker: AtomicWaker,
}

/// The worker's end: moved into the job closure.
pub(super) struct Sender<R> {
    shared: Option<Arc<Shared<R>>>,
}

/// The caller's end.
pub(super) struct Receiver<R> {
    shared: Arc<Shared<R>>,
}

pub(super) fn channel<R>() -> (Sender<R>, Receiver<R>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::Waiting),
        waker: AtomicWaker::new(),
    });
    (
        Sender {
            shared: Some(Arc::clone(&shared)),
        },
        Receiver { shared },
    )
}

impl<R> Sender<R> {
    /// Stores `outcome`, then ends `protection`, then wakes the caller.
    pub(super) fn send(mut self, outcome: thread::Result<R>, protection: Protection) {
        let shared = self.shared.take().expect("sent once");
        *lock(&shared.state) = State::Ready(outcome);
        drop(protection);
        shared.waker.wake();
    }
}

impl<R> Drop for Sender<R> {
    fn drop(&mut self) {
        // Still here: the job was dropped before it ran. Tell the caller rather than leave it
        // waiting forever.
        if let Some(shared) = self.shared.take() {
            *lock(&shared.state) = State::Lost;
            shared.waker.wake();
        }
    }
}

impl<R> Receiver<R> {
    /// Waits for the outcome. `job_handle`, the backend's handle of the job, is only held
    /// (dropping it early would cancel a job that has not started, on smol) and dropped once
    /// the outcome is in.
    ///
    /// # Panics
    ///
    /// If the job was dropped without running, which happens only when its runtime shuts down.
    pub(super) async fn receive<H>(self, job_handle: H) -> thread::Result<R> {
        let outcome = poll_fn(|cx| self.poll_outcome(cx)).await;
        drop(job_handle);
        outcome
    }

    fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<thread::Result<R>> {
        // Register before looking, so a `send` between the two cannot be missed.
        self.shared.waker.register(cx.waker());
        let mut state = lock(&self.shared.state);
        match std::mem::replace(&mut *state, State::Taken) {
            State::Ready(outcome) => {
                drop(state);
                // The worker wakes the slot after it stored the outcome; with the waker gone,
                // that wake does not poll this task again for nothing.
                drop(self.shared.waker.take());
                Poll::Ready(outcome)
            }
            State::Waiting => {
                *state = State::Waiting;
                Poll::Pending
            }
            State::Lost => {
                panic!("a to_thread job was dropped before it ran: its runtime is shutting down")
            }
            State::Taken => unreachable!("the outcome is received once"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;

    #[test]
    fn the_outcome_sent_from_another_thread_arrives() {
        let (sender, receiver) = channel();
        let worker = thread::spawn(move || sender.send(Ok(7), Protection::from(None)));
        let outcome = futures::executor::block_on(receiver.receive(()));
        worker.join().unwrap();
        assert_eq!(outcome.unwrap(), 7);
    }

    #[test]
    fn a_panic_payload_is_handed_over_as_is() {
        let (sender, receiver) = channel::<()>();
        sender.send(Err(Box::new("boom")), Protection::from(None));
        let payload = futures::executor::block_on(receiver.receive(())).unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    }

    #[test]
    fn a_job_dropped_before_it_ran_fails_the_caller_instead_of_hanging() {
        let (sender, receiver) = channel::<u8>();
        let worker = thread::spawn(move || drop(sender));
        let failure = catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(receiver.receive(()))
        }));
        worker.join().unwrap();
        let message = failure.unwrap_err();
        let message = message.downcast_ref::<&str>().expect("a message");
        assert!(message.contains("shutting down"), "{message}");
    }

    #[test]
    fn the_end_of_the_protection_finds_the_outcome_in_place() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::task::{Wake, Waker};

        // The waker of the caller's scope looks at the slot when the protection wakes it.
        struct ScopeWaker {
            shared: Arc<Shared<u8>>,
            saw_outcome: AtomicBool,
        }
        impl Wake for ScopeWaker {
            fn wake(self: Arc<Self>) {
                let ready = matches!(*lock(&self.shared.state), State::Ready(_));
                self.saw_outcome.store(ready, Ordering::SeqCst);
            }
        }

        let (sender, receiver) = channel::<u8>();
        let scope = crate::cancel::node::Node::task(crate::task::TaskIdentity::new(None, None));
        let scope_waker = Arc::new(ScopeWaker {
            shared: Arc::clone(&receiver.shared),
            saw_outcome: AtomicBool::new(false),
        });
        scope.register_waker(&Waker::from(Arc::clone(&scope_waker)));
        let protection = Protection::from(Some(Arc::clone(&scope)));
        assert!(scope.is_protected());

        thread::spawn(move || sender.send(Ok(1), protection))
            .join()
            .unwrap();
        assert!(!scope.is_protected());
        assert!(scope_waker.saw_outcome.load(Ordering::SeqCst));
        assert_eq!(
            futures::executor::block_on(receiver.receive(())).unwrap(),
            1
        );
    }

    #[test]
    fn the_job_handle_is_held_until_the_outcome_is_in() {
        let held = Arc::new(());
        let (sender, receiver) = channel();
        let mut receive = Box::pin(receiver.receive(Arc::clone(&held)));
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(receive.as_mut().poll(&mut cx).is_pending());
        assert_eq!(Arc::strong_count(&held), 2);
        sender.send(Ok(()), Protection::from(None));
        assert!(receive.as_mut().poll(&mut cx).is_ready());
        assert_eq!(Arc::strong_count(&held), 1);
    }
}
