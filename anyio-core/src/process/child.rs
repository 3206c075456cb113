//! The child-process handle shared by a `Process`'s methods, which all take `&self`.

use std::io;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use crate::runtime;
use crate::signal::Signal;

/// A backend child behind a mutex (held only within a call, never across an await), with its
/// exit status once known. Backends wake only the last waker they were polled with, so every
/// waiter registers here and the backend gets a waker that wakes them all.
#[derive(Debug)]
pub(super) struct ChildCell {
    pid: u32,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    child: runtime::Child,
    status: Option<ExitStatus>,
    waiters: Arc<Waiters>,
    /// A waker for `waiters`, made once.
    fan_out: Waker,
}

#[derive(Debug, Default)]
struct Waiters(Mutex<Vec<Waker>>);

impl Waiters {
    fn register(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !wakers.iter().any(|known| known.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in wakers {
            waker.wake();
        }
    }
}

impl ChildCell {
    pub(super) fn new(child: runtime::Child) -> ChildCell {
        let waiters = Arc::new(Waiters::default());
        ChildCell {
            pid: child.id(),
            state: Mutex::new(State {
                child,
                status: None,
                fan_out: Waker::from(waiters.clone()),
                waiters,
            }),
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.pid
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The exit status if the child has exited (reaping it), without blocking.
    pub(super) fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        Self::try_wait_locked(&mut self.lock())
    }

    fn try_wait_locked(state: &mut State) -> io::Result<Option<ExitStatus>> {
        if state.status.is_none() {
            if let Some(status) = state.child.try_wait()? {
                state.status = Some(status);
                state.fan_out.wake_by_ref();
            }
        }
        Ok(state.status)
    }

    pub(super) fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        let mut state = self.lock();
        if let Some(status) = state.status {
            return Poll::Ready(Ok(status));
        }
        state.waiters.register(cx.waker());
        let fan_out = state.fan_out.clone();
        let status = match state.child.poll_wait(&mut Context::from_waker(&fan_out)) {
            Poll::Ready(status) => status?,
            Poll::Pending => return Poll::Pending,
        };
        state.status = Some(status);
        // Other waiters see the status at their next poll.
        fan_out.wake_by_ref();
        Poll::Ready(Ok(status))
    }

    /// Sends `SIGKILL` unless the child has exited; `Ok(false)` if it had.
    pub(super) fn kill(&self) -> io::Result<bool> {
        let mut state = self.lock();
        if Self::try_wait_locked(&mut state)?.is_some() {
            return Ok(false);
        }
        state.child.kill()?;
        Ok(true)
    }

    /// Sends `signal` unless the child has exited; `Ok(false)` if it had.
    ///
    /// The lock is held across the check and the `kill(2)`: the child cannot be reaped in
    /// between (only calls through this cell reap it), so its pid cannot have been reused.
    pub(super) fn send_signal(&self, signal: Signal) -> io::Result<bool> {
        let mut state = self.lock();
        if Self::try_wait_locked(&mut state)?.is_some() {
            return Ok(false);
        }
        let pid = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid process id"))?;
        rustix::process::kill_process(pid, signal.to_rustix())?;
        Ok(true)
    }
}
