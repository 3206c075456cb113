//! The shared core of a memory object stream: one mutex over the buffer and the two FIFO wait
//! lists.
//!
//! Invariants, whenever the mutex is free:
//! - receivers wait only while the buffer is empty and no sender waits;
//! - senders wait only while the buffer is full (`len >= max`) and no receiver waits.
//!
//! So a send first hands its item to the front waiting receiver (which then *owns* it: nobody
//! can take it in between), else buffers it, else waits holding the item in its wait entry. A
//! receive takes the front buffered item and refills the buffer from the front waiting sender,
//! or (unbuffered) takes the item straight from that sender. Outcomes are recorded in the wait
//! entries, and each entry is removed only by its own future (see
//! [`waiters`](crate::sync::waiters)): a dropped receive hands an item it was given to the next
//! receiver or back to the front of the buffer; a dropped send withdraws its item unless it was
//! already taken. No item is lost or delivered twice.
//!
//! Inside a cancelled scope an operation moves no item, and it settles its wait entry under the
//! mutex before its scope can report the cancellation (see [`Channel::poll_send_cancelled`]): a
//! send whose item was already taken completes, so a sender never sees "cancelled" for an item
//! that was delivered; a queued send is withdrawn, its item back in the op; a receive gives
//! back an item it was handed.
//!
//! Items and wakers are dropped or woken after the mutex is released, so user `Drop` code (which
//! may touch this very stream) never runs under it.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::error::{ReceiveError, SendError, TryReceiveError, TrySendError};
use super::statistics::MemoryStreamStatistics;
use crate::sync::shim::{AtomicBool, Mutex, MutexGuard, Ordering};
use crate::sync::waiters::{wake_all, WaitList};

/// The largest buffer allocated up front; bigger (and unbounded) buffers grow as needed.
const PREALLOCATE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendOutcome {
    Waiting,
    Delivered,
    Closed,
    Broken,
}

#[derive(Debug)]
struct SendWaiter<T> {
    handle: u64,
    item: Option<T>,
    outcome: SendOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReceiveOutcome {
    Waiting,
    /// `item` holds the item handed over.
    Item,
    Closed,
    EndOfStream,
}

#[derive(Debug)]
struct ReceiveWaiter<T> {
    handle: u64,
    item: Option<T>,
    outcome: ReceiveOutcome,
}

#[derive(Debug)]
struct State<T> {
    buffer: VecDeque<T>,
    max: usize,
    senders: WaitList<SendWaiter<T>>,
    receivers: WaitList<ReceiveWaiter<T>>,
    open_send: usize,
    open_receive: usize,
}

/// One handle's identity and closed flag. The flag is written under the channel mutex and read
/// under it by the operations, so a close cannot slip between an operation's check and its
/// enqueueing.
#[derive(Debug)]
pub(crate) struct HandleState {
    pub(crate) id: u64,
    pub(crate) closed: AtomicBool,
}

impl HandleState {
    pub(crate) fn new(closed: bool) -> HandleState {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        HandleState {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            closed: AtomicBool::new(closed),
        }
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

/// A send in progress: the item until it is buffered or taken, and the wait entry, if queued.
#[derive(Debug)]
pub(crate) struct SendOp<T> {
    pub(crate) item: Option<T>,
    pub(crate) key: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct Channel<T> {
    state: Mutex<State<T>>,
}

impl<T> State<T> {
    /// Takes the front waiting sender's item and marks that send delivered.
    fn take_from_sender(&mut self) -> Option<(T, Option<Waker>)> {
        let (key, waker) = self.senders.pop_front()?;
        let waiter = self.senders.state_mut(key);
        waiter.outcome = SendOutcome::Delivered;
        let item = waiter.item.take().expect("a waiting sender holds its item");
        Some((item, waker))
    }

    /// Takes the next item for a receiver: the front of the buffer (refilled from the front
    /// waiting sender), or straight from a waiting sender.
    fn take_item(&mut self) -> Option<(T, Option<Waker>)> {
        match self.buffer.pop_front() {
            Some(item) => {
                // Refill only up to the maximum: with an item given back by a dropped receiver
                // the buffer can hold more, and an unbuffered send must wait for a receiver.
                let mut waker = None;
                if self.buffer.len() < self.max {
                    if let Some((refill, sender)) = self.take_from_sender() {
                        self.buffer.push_back(refill);
                        waker = sender;
                    }
                }
                Some((item, waker))
            }
            None => self.take_from_sender(),
        }
    }

    /// Delivers `item` without waiting: to the front waiting receiver, or into the buffer.
    /// Gives it back if neither is possible.
    fn offer(&mut self, item: T) -> Result<Option<Waker>, T> {
        if let Some((key, waker)) = self.receivers.pop_front() {
            let waiter = self.receivers.state_mut(key);
            waiter.item = Some(item);
            waiter.outcome = ReceiveOutcome::Item;
            return Ok(waker);
        }
        if self.buffer.len() < self.max && self.senders.is_empty() {
            self.buffer.push_back(item);
            return Ok(None);
        }
        Err(item)
    }

    /// Gives back an item handed to a receiver that was dropped before taking it: to the next
    /// waiting receiver, else to the front of the buffer (it is the oldest item). With every
    /// receiver gone it is returned, to be dropped.
    fn give_back(&mut self, item: T) -> (Option<T>, Option<Waker>) {
        if self.open_receive == 0 {
            return (Some(item), None);
        }
        if let Some((key, waker)) = self.receivers.pop_front() {
            let waiter = self.receivers.state_mut(key);
            waiter.item = Some(item);
            waiter.outcome = ReceiveOutcome::Item;
            return (None, waker);
        }
        self.buffer.push_front(item);
        (None, None)
    }
}

impl<T> Channel<T> {
    pub(crate) fn new(max: usize) -> Channel<T> {
        Channel {
            state: Mutex::new(State {
                buffer: VecDeque::with_capacity(max.min(PREALLOCATE)),
                max,
                senders: WaitList::new(),
                receivers: WaitList::new(),
                open_send: 1,
                open_receive: 1,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock()
    }

    pub(crate) fn try_send(&self, handle: &HandleState, item: T) -> Result<(), TrySendError<T>> {
        let mut state = self.lock();
        if handle.is_closed() {
            return Err(TrySendError::Closed(item));
        }
        if state.open_receive == 0 {
            return Err(TrySendError::Broken(item));
        }
        match state.offer(item) {
            Ok(waker) => {
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
                Ok(())
            }
            Err(item) => Err(TrySendError::WouldBlock(item)),
        }
    }

    /// Drives `op` (whose item is `Some` until it is delivered or returned in an error).
    pub(crate) fn poll_send(
        &self,
        handle: &HandleState,
        op: &mut SendOp<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut state = self.lock();
        if let Some(key) = op.key {
            let outcome = state.senders.state(key).outcome;
            if outcome == SendOutcome::Waiting {
                state.senders.register(key, cx.waker());
                return Poll::Pending;
            }
            let waiter = state.senders.remove(key);
            op.key = None;
            drop(state);
            return Poll::Ready(settled_send(waiter));
        }
        let item = op.item.take().expect("a send op polled after completion");
        if handle.is_closed() {
            return Poll::Ready(Err(SendError::Closed(item)));
        }
        if state.open_receive == 0 {
            return Poll::Ready(Err(SendError::Broken(item)));
        }
        match state.offer(item) {
            Ok(waker) => {
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
                Poll::Ready(Ok(()))
            }
            Err(item) => {
                op.key = Some(state.senders.push_back(
                    SendWaiter {
                        handle: handle.id,
                        item: Some(item),
                        outcome: SendOutcome::Waiting,
                    },
                    cx.waker(),
                ));
                Poll::Pending
            }
        }
    }

    /// Drives `op` inside a cancelled scope, where nothing may move. A send that was already
    /// settled reports its outcome: its item was taken (`Ok`; reporting cancellation instead
    /// would invite a retry that delivers it twice) or handed back by a close. A queued send is
    /// withdrawn, its item back in `op` (so a later poll outside the cancellation starts over,
    /// and a drop drops it undelivered), and stays `Pending`. The check and the withdrawal are
    /// one critical section, so no receiver can take the item in between.
    pub(crate) fn poll_send_cancelled(&self, op: &mut SendOp<T>) -> Poll<Result<(), SendError<T>>> {
        let Some(key) = op.key.take() else {
            return Poll::Pending;
        };
        let waiter = self.lock().senders.remove(key);
        if waiter.outcome == SendOutcome::Waiting {
            op.item = waiter.item;
            return Poll::Pending;
        }
        Poll::Ready(settled_send(waiter))
    }

    /// Withdraws the queued send `key` of a dropped op; returns its item unless it was taken.
    pub(crate) fn cancel_send(&self, key: usize) -> Option<T> {
        self.lock().senders.remove(key).item
    }

    pub(crate) fn try_receive(&self, handle: &HandleState) -> Result<T, TryReceiveError> {
        let mut state = self.lock();
        if handle.is_closed() {
            return Err(TryReceiveError::Closed);
        }
        match state.take_item() {
            Some((item, waker)) => {
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
                Ok(item)
            }
            None if state.open_send == 0 => Err(TryReceiveError::EndOfStream),
            None => Err(TryReceiveError::WouldBlock),
        }
    }

    /// Drives a receive whose wait entry, if queued, is `key`.
    pub(crate) fn poll_receive(
        &self,
        handle: &HandleState,
        key: &mut Option<usize>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, ReceiveError>> {
        let mut state = self.lock();
        if let Some(queued) = *key {
            let outcome = state.receivers.state(queued).outcome;
            if outcome == ReceiveOutcome::Waiting {
                state.receivers.register(queued, cx.waker());
                return Poll::Pending;
            }
            let waiter = state.receivers.remove(queued);
            *key = None;
            drop(state);
            return Poll::Ready(match (outcome, waiter.item) {
                (ReceiveOutcome::Item, Some(item)) => Ok(item),
                (ReceiveOutcome::Closed, _) => Err(ReceiveError::Closed),
                (ReceiveOutcome::EndOfStream, _) => Err(ReceiveError::EndOfStream),
                _ => unreachable!("a receiver handed an item holds it"),
            });
        }
        if handle.is_closed() {
            return Poll::Ready(Err(ReceiveError::Closed));
        }
        if let Some((item, waker)) = state.take_item() {
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
            return Poll::Ready(Ok(item));
        }
        if state.open_send == 0 {
            return Poll::Ready(Err(ReceiveError::EndOfStream));
        }
        *key = Some(state.receivers.push_back(
            ReceiveWaiter {
                handle: handle.id,
                item: None,
                outcome: ReceiveOutcome::Waiting,
            },
            cx.waker(),
        ));
        Poll::Pending
    }

    /// Removes the receive entry `key` for another operation of the same handle to take over:
    /// returns the item it was handed, if any (a queued entry is just withdrawn).
    pub(crate) fn reclaim_receive(&self, key: usize) -> Option<T> {
        self.lock().receivers.remove(key).item
    }

    /// Withdraws the receive entry `key` of a dropped op, or of one polled inside a cancelled
    /// scope, passing on an item it was handed.
    pub(crate) fn cancel_receive(&self, key: usize) {
        let (dropped, waker) = {
            let mut state = self.lock();
            match state.receivers.remove(key).item {
                Some(item) => state.give_back(item),
                None => (None, None),
            }
        };
        drop(dropped);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Registers a clone of a send handle; the clone of a closed handle is closed too (and not
    /// counted), so cloning never reopens an end.
    pub(crate) fn clone_sender(&self, from: &HandleState) -> HandleState {
        let mut state = self.lock();
        let closed = from.is_closed();
        if !closed {
            state.open_send += 1;
        }
        HandleState::new(closed)
    }

    /// Registers a clone of a receive handle, as [`Channel::clone_sender`].
    pub(crate) fn clone_receiver(&self, from: &HandleState) -> HandleState {
        let mut state = self.lock();
        let closed = from.is_closed();
        if !closed {
            state.open_receive += 1;
        }
        HandleState::new(closed)
    }

    /// Closes a send handle: its queued sends fail with `Closed`, and when it was the last
    /// one, waiting receivers get `EndOfStream`.
    pub(crate) fn close_sender(&self, handle: &HandleState) {
        let mut wakers = Vec::new();
        {
            let mut state = self.lock();
            if handle.closed.swap(true, Ordering::Relaxed) {
                return;
            }
            state.senders.unlink_where(
                |waiter| waiter.handle == handle.id,
                |waiter| waiter.outcome = SendOutcome::Closed,
                &mut wakers,
            );
            state.open_send -= 1;
            if state.open_send == 0 {
                state.receivers.unlink_where(
                    |_| true,
                    |waiter| waiter.outcome = ReceiveOutcome::EndOfStream,
                    &mut wakers,
                );
            }
        }
        wake_all(wakers);
    }

    /// Closes a receive handle: its queued receives fail with `Closed`, and when it was the
    /// last one, waiting senders get `Broken` (with their items) and the buffer is dropped.
    pub(crate) fn close_receiver(&self, handle: &HandleState) {
        let mut wakers = Vec::new();
        let dropped = {
            let mut state = self.lock();
            if handle.closed.swap(true, Ordering::Relaxed) {
                return;
            }
            state.receivers.unlink_where(
                |waiter| waiter.handle == handle.id,
                |waiter| waiter.outcome = ReceiveOutcome::Closed,
                &mut wakers,
            );
            state.open_receive -= 1;
            if state.open_receive == 0 {
                state.senders.unlink_where(
                    |_| true,
                    |waiter| waiter.outcome = SendOutcome::Broken,
                    &mut wakers,
                );
                std::mem::take(&mut state.buffer)
            } else {
                VecDeque::new()
            }
        };
        drop(dropped);
        wake_all(wakers);
    }

    pub(crate) fn statistics(&self) -> MemoryStreamStatistics {
        let state = self.lock();
        MemoryStreamStatistics {
            current_buffer_used: state.buffer.len(),
            max_buffer_size: state.max,
            open_send_streams: state.open_send,
            open_receive_streams: state.open_receive,
            tasks_waiting_send: state.senders.len(),
            tasks_waiting_receive: state.receivers.len(),
        }
    }
}

/// The result of a send whose wait entry was settled (not `Waiting`) and removed.
fn settled_send<T>(waiter: SendWaiter<T>) -> Result<(), SendError<T>> {
    match (waiter.outcome, waiter.item) {
        (SendOutcome::Delivered, _) => Ok(()),
        (SendOutcome::Closed, Some(item)) => Err(SendError::Closed(item)),
        (SendOutcome::Broken, Some(item)) => Err(SendError::Broken(item)),
        _ => unreachable!("an undelivered send keeps its item"),
    }
}
