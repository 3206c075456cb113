//! The parent's ends of a child's standard streams.
//!
//! Every method takes `&self`, like the stream framework's traits: one task may receive while
//! another sends or closes. A second concurrent receive (or send) on one pipe fails with
//! [`PipeError::BusyResource`] instead of interleaving, and closing a pipe wakes the task
//! waiting on it with [`PipeError::Closed`].
//!
//! Each pipe has a poll core ([`PollByteSend`](crate::streams::PollByteSend) for stdin,
//! [`PollByteReceive`](crate::streams::PollByteReceive) for stdout and stderr) that polls the
//! backend's pipe in place: the async methods are `poll_fn` loops over it, and the
//! ecosystem's I/O traits call it directly, with no allocation or copy per operation.

use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::PipeError;
use crate::sync::ResourceGuard;

mod output;
mod stdin;

pub use output::{ProcessStderr, ProcessStdout};
pub use stdin::ProcessStdin;

/// A backend pipe that `aclose` may take away while an operation waits on it.
#[derive(Debug)]
struct PipeState<P> {
    pipe: Option<P>,
    /// The task waiting on the pipe, woken when it is closed.
    waiter: Option<Waker>,
}

#[derive(Debug)]
struct SharedPipe<P> {
    state: Mutex<PipeState<P>>,
    guard: ResourceGuard,
}

impl<P> SharedPipe<P> {
    fn new(pipe: P, action: &'static str) -> SharedPipe<P> {
        SharedPipe {
            state: Mutex::new(PipeState {
                pipe: Some(pipe),
                waiter: None,
            }),
            guard: ResourceGuard::new(action),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PipeState<P>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls `operation` on the pipe in place, or fails with `Closed` once it is closed. The
    /// pipe stays in the shared state while the operation waits, so `take` can close it
    /// and wake the waiter.
    fn poll_with<R>(
        &self,
        cx: &mut Context<'_>,
        operation: impl FnOnce(&mut P, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<Result<R, PipeError>> {
        let mut state = self.lock();
        let Some(pipe) = state.pipe.as_mut() else {
            return Poll::Ready(Err(PipeError::Closed));
        };
        match operation(pipe, cx) {
            Poll::Ready(result) => Poll::Ready(result.map_err(PipeError::Broken)),
            Poll::Pending => {
                match &mut state.waiter {
                    Some(waiter) if waiter.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Takes the pipe out (closing it when dropped) and wakes the task waiting on it.
    fn take(&self) -> Option<P> {
        let (pipe, waiter) = {
            let mut state = self.lock();
            (state.pipe.take(), state.waiter.take())
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        pipe
    }

    fn is_closed(&self) -> bool {
        self.lock().pipe.is_none()
    }
}
