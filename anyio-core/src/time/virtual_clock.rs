//! The virtual clock behind [`MockClock`](crate::testing::MockClock): virtual time, virtual
//! timers, and the count of runnable anyio tasks that drives autojump and
//! `wait_all_tasks_blocked`.
//!
//! Every anyio task running under a virtual clock is polled through a [`TrackedTask`] waker,
//! which keeps `runnable` exact: a task counts from the moment it is woken (or spawned) until it
//! returns `Pending` without having been woken meanwhile. When the count reaches zero, every
//! anyio task is blocked: the clock first wakes the `wait_all_tasks_blocked` waiters, and if
//! there are none and autojump is on, jumps to the earliest timer and fires it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use atomic_waker::AtomicWaker;

use crate::cancel::node::lock;

#[derive(Debug)]
pub(crate) struct VirtualClock {
    state: Mutex<ClockState>,
    autojump: AtomicBool,
}

#[derive(Debug)]
struct ClockState {
    now: Instant,
    timers: BinaryHeap<Reverse<TimerEntry>>,
    next_sequence: u64,
    /// anyio tasks (and busy worker threads) that can make progress.
    runnable: usize,
    /// Wakers of `wait_all_tasks_blocked` calls.
    idle_waiters: Vec<Waker>,
}

#[derive(Debug)]
struct TimerEntry {
    deadline: Instant,
    sequence: u64,
    slot: Weak<TimerSlot>,
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.sequence) == (other.deadline, other.sequence)
    }
}

impl Eq for TimerEntry {}

impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TimerEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.sequence).cmp(&(other.deadline, other.sequence))
    }
}

#[derive(Debug, Default)]
struct TimerSlot {
    waker: AtomicWaker,
}

impl VirtualClock {
    pub(crate) fn new(start: Instant, autojump: bool) -> Arc<VirtualClock> {
        Arc::new(VirtualClock {
            state: Mutex::new(ClockState {
                now: start,
                timers: BinaryHeap::new(),
                next_sequence: 0,
                runnable: 0,
                idle_waiters: Vec::new(),
            }),
            autojump: AtomicBool::new(autojump),
        })
    }

    pub(crate) fn now(&self) -> Instant {
        lock(&self.state).now
    }

    pub(crate) fn autojump(&self) -> bool {
        self.autojump.load(Ordering::Acquire)
    }

    pub(crate) fn set_autojump(self: &Arc<Self>, autojump: bool) {
        self.autojump.store(autojump, Ordering::Release);
        if autojump {
            let to_wake = self.on_idle(&mut lock(&self.state));
            wake_all(to_wake);
        }
    }

    /// Advances virtual time by `duration` and fires the timers that became due.
    pub(crate) fn jump(&self, duration: Duration) {
        let to_wake = {
            let mut state = lock(&self.state);
            let target = state.now.checked_add(duration).unwrap_or(state.now);
            state.now = target;
            take_due(&mut state)
        };
        wake_all(to_wake);
    }

    /// Counts one more runnable task (a spawn, a wake, a busy worker thread).
    pub(crate) fn task_runnable(&self) {
        lock(&self.state).runnable += 1;
    }

    /// One runnable task blocked or ended; at zero, every task is blocked.
    pub(crate) fn task_blocked(&self) {
        let to_wake = {
            let mut state = lock(&self.state);
            state.runnable -= 1;
            self.on_idle(&mut state)
        };
        wake_all(to_wake);
    }

    /// What to wake when every task is blocked: the idle waiters first, else (with autojump)
    /// the earliest timers after a jump to their deadline.
    fn on_idle(&self, state: &mut ClockState) -> Vec<Waker> {
        if state.runnable > 0 {
            return Vec::new();
        }
        if !state.idle_waiters.is_empty() {
            return std::mem::take(&mut state.idle_waiters);
        }
        if !self.autojump() {
            return Vec::new();
        }
        while let Some(Reverse(entry)) = state.timers.peek() {
            if entry.slot.strong_count() == 0 {
                state.timers.pop();
                continue;
            }
            if entry.deadline > state.now {
                state.now = entry.deadline;
            }
            return take_due(state);
        }
        Vec::new()
    }

    /// Registers `waker` to be woken once every anyio task is blocked.
    fn wait_idle(&self, waker: &Waker) {
        let mut state = lock(&self.state);
        if !state.idle_waiters.iter().any(|w| w.will_wake(waker)) {
            state.idle_waiters.push(waker.clone());
        }
    }
}

fn take_due(state: &mut ClockState) -> Vec<Waker> {
    let mut to_wake = Vec::new();
    while let Some(Reverse(entry)) = state.timers.peek() {
        if entry.deadline > state.now {
            break;
        }
        let Some(Reverse(entry)) = state.timers.pop() else {
            break;
        };
        if let Some(slot) = entry.slot.upgrade() {
            if let Some(waker) = slot.waker.take() {
                to_wake.push(waker);
            }
        }
    }
    to_wake
}

fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

/// A timer on virtual time.
#[derive(Debug)]
pub(crate) struct VirtualTimer {
    clock: Arc<VirtualClock>,
    deadline: Instant,
    slot: Option<Arc<TimerSlot>>,
}

impl VirtualTimer {
    pub(crate) fn new(clock: Arc<VirtualClock>, deadline: Instant) -> VirtualTimer {
        VirtualTimer {
            clock,
            deadline,
            slot: None,
        }
    }
}

impl Future for VirtualTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut state = lock(&this.clock.state);
        if state.now >= this.deadline {
            return Poll::Ready(());
        }
        let slot = match &this.slot {
            Some(slot) => slot.clone(),
            None => {
                let slot = Arc::new(TimerSlot::default());
                let sequence = state.next_sequence;
                state.next_sequence += 1;
                state.timers.push(Reverse(TimerEntry {
                    deadline: this.deadline,
                    sequence,
                    slot: Arc::downgrade(&slot),
                }));
                this.slot = Some(slot.clone());
                slot
            }
        };
        // Registered under the clock's lock: a jump cannot fire the slot in between.
        slot.waker.register(cx.waker());
        Poll::Pending
    }
}

/// The future of `wait_all_tasks_blocked` under a virtual clock.
#[derive(Debug)]
pub(crate) struct WaitIdle {
    clock: Arc<VirtualClock>,
    registered: Option<Waker>,
}

impl WaitIdle {
    pub(crate) fn new(clock: Arc<VirtualClock>) -> WaitIdle {
        WaitIdle {
            clock,
            registered: None,
        }
    }
}

impl Drop for WaitIdle {
    fn drop(&mut self) {
        // A waiter left behind would make the next idle moment wake nobody instead of jumping.
        if let Some(waker) = self.registered.take() {
            lock(&self.clock.state)
                .idle_waiters
                .retain(|w| !w.will_wake(&waker));
        }
    }
}

impl Future for WaitIdle {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(waker) = &self.registered {
            // `on_idle` takes the waiters it wakes; still listed means a spurious wake.
            let mut state = lock(&self.clock.state);
            match state.idle_waiters.iter().position(|w| w.will_wake(waker)) {
                Some(index) => {
                    state.idle_waiters[index] = cx.waker().clone();
                    drop(state);
                    self.registered = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                None => {
                    drop(state);
                    self.registered = None;
                    return Poll::Ready(());
                }
            }
        }
        self.registered = Some(cx.waker().clone());
        self.clock.wait_idle(cx.waker());
        Poll::Pending
    }
}

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const RUNNING_NOTIFIED: u8 = 3;
const DONE: u8 = 4;

/// The waker of one anyio task under a virtual clock: forwards to the executor's waker and
/// keeps the clock's count of runnable tasks exact.
#[derive(Debug)]
pub(crate) struct TrackedTask {
    clock: Arc<VirtualClock>,
    state: AtomicU8,
    executor_waker: AtomicWaker,
}

impl TrackedTask {
    /// A task that is runnable from the start (it was just spawned).
    pub(crate) fn new(clock: Arc<VirtualClock>) -> Arc<TrackedTask> {
        clock.task_runnable();
        Arc::new(TrackedTask {
            clock,
            state: AtomicU8::new(SCHEDULED),
            executor_waker: AtomicWaker::new(),
        })
    }

    /// Call before polling the task: returns the waker to poll it with.
    pub(crate) fn enter_poll(self: &Arc<Self>, executor_waker: &Waker) -> Waker {
        self.executor_waker.register(executor_waker);
        match self.state.swap(RUNNING, Ordering::AcqRel) {
            // Polled without a wake (the first poll, or a spurious one): count it now.
            IDLE => self.clock.task_runnable(),
            DONE => self.state.store(DONE, Ordering::Release),
            _ => {}
        }
        Waker::from(self.clone())
    }

    /// Call after a poll returned `Pending`.
    pub(crate) fn exit_pending(&self) {
        if self
            .state
            .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.clock.task_blocked();
        } else {
            // Woken while running: it stays runnable.
            let _ = self.state.compare_exchange(
                RUNNING_NOTIFIED,
                SCHEDULED,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }

    /// Whether [`TrackedTask::exit_done`] was called.
    pub(crate) fn has_exited(&self) -> bool {
        self.state.load(Ordering::Acquire) == DONE
    }

    /// Call when the task ended (or is dropped).
    pub(crate) fn exit_done(&self) {
        match self.state.swap(DONE, Ordering::AcqRel) {
            DONE | IDLE => {}
            _ => self.clock.task_blocked(),
        }
    }
}

impl Wake for TrackedTask {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        loop {
            let current = self.state.load(Ordering::Acquire);
            let next = match current {
                IDLE => SCHEDULED,
                RUNNING => RUNNING_NOTIFIED,
                _ => break,
            };
            if self
                .state
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                if current == IDLE {
                    self.clock.task_runnable();
                }
                break;
            }
        }
        self.executor_waker.wake();
    }
}

/// Counts a worker thread (or any work outside anyio tasks) as runnable while it lives.
#[derive(Debug)]
pub(crate) struct BusyGuard {
    clock: Arc<VirtualClock>,
}

impl BusyGuard {
    pub(crate) fn new(clock: Arc<VirtualClock>) -> BusyGuard {
        clock.task_runnable();
        BusyGuard { clock }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.clock.task_blocked();
    }
}

/// Polls through `tracked` when the task runs on a virtual clock, keeping its count exact.
pub(crate) fn poll_tracked<T>(
    tracked: Option<&Arc<TrackedTask>>,
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let Some(tracked) = tracked else {
        return poll(cx);
    };
    let waker = tracked.enter_poll(cx.waker());
    let result = poll(&mut Context::from_waker(&waker));
    match result {
        Poll::Pending => tracked.exit_pending(),
        Poll::Ready(_) => tracked.exit_done(),
    }
    result
}
