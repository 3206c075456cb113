//! Stress test of memory object streams (issue 5, "Reliability"): 4 producers and 4 consumers
//! on buffers of 0, 1, 64 and unbounded, with sends and receives cancelled at random (dropped
//! after a random number of polls, or cancelled through their scope). Every item must end
//! exactly once: received, handed back to its sender in an error, or dropped because its send
//! was cancelled (or, once every receiver is gone, with the buffer). A deterministic PRNG makes
//! each run reproducible up to scheduling. A third run (issue 16, "Exactly once"; buffers 0, 1,
//! 2, 16 and unbounded) retries every cancelled send with the same item id: each id must then
//! be received exactly once.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use anyio::streams::memory::{ReceiveError, SendError, TryReceiveError, TrySendError};
use anyio::{create_memory_object_stream, task_group, CancelHandle, CancelScope, SpawnError};

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const ITEMS_PER_PRODUCER: usize = 5000;
const TOTAL: usize = PRODUCERS * ITEMS_PER_PRODUCER;
const BUFFERS: [usize; 4] = [0, 1, 64, usize::MAX];

/// xorshift64*: small, deterministic, good enough to pick plans.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What happened to each item, by id.
struct Ledger {
    received: Vec<AtomicU32>,
    returned: Vec<AtomicU32>,
    dropped: Vec<AtomicU32>,
    send_ok: Vec<AtomicBool>,
    send_cancelled: Vec<AtomicBool>,
    received_total: AtomicUsize,
}

impl Ledger {
    fn new() -> Arc<Ledger> {
        let counters = || (0..TOTAL).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
        let flags = || {
            (0..TOTAL)
                .map(|_| AtomicBool::new(false))
                .collect::<Vec<_>>()
        };
        Arc::new(Ledger {
            received: counters(),
            returned: counters(),
            dropped: counters(),
            send_ok: flags(),
            send_cancelled: flags(),
            received_total: AtomicUsize::new(0),
        })
    }
}

/// An item that records its own fate: received, handed back, or dropped unsettled.
struct Tracked {
    id: usize,
    ledger: Arc<Ledger>,
    settled: bool,
}

impl Tracked {
    fn received(mut self) {
        self.ledger.received[self.id].fetch_add(1, Ordering::SeqCst);
        self.ledger.received_total.fetch_add(1, Ordering::SeqCst);
        self.settled = true;
    }

    fn handed_back(mut self) {
        self.ledger.returned[self.id].fetch_add(1, Ordering::SeqCst);
        self.settled = true;
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if !self.settled {
            self.ledger.dropped[self.id].fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Polls the inner future at most `polls` times (yielding in between), then gives up and
/// drops it *without polling it again*: an item or token handed over in the meantime must be
/// passed on by the drop.
struct DropAfterPolls<F> {
    future: Pin<Box<F>>,
    polls: u8,
}

impl<F: Future> Future for DropAfterPolls<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls == 0 {
            return Poll::Ready(None);
        }
        self.polls -= 1;
        match self.future.as_mut().poll(cx) {
            Poll::Ready(value) => Poll::Ready(Some(value)),
            Poll::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

/// Polls the inner future `polls` times (yielding in between, so that the other side may act),
/// then cancels the enclosing scope and polls it once more inside the cancelled scope: there a
/// send completes only if its item was already taken, and a receive never does. Counts the
/// operations that completed in that last poll in `after_cancel`.
struct CancelScopeAfterPolls<F> {
    future: Pin<Box<F>>,
    polls: u8,
    scope: CancelHandle,
    after_cancel: Arc<AtomicUsize>,
}

impl<F: Future> Future for CancelScopeAfterPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let cancelled = self.polls == 0;
        if cancelled {
            self.scope.cancel();
        } else {
            self.polls -= 1;
        }
        let ready = self.future.as_mut().poll(cx);
        if ready.is_pending() && self.polls > 0 {
            cx.waker().wake_by_ref();
        }
        if ready.is_ready() && cancelled {
            self.after_cancel.fetch_add(1, Ordering::SeqCst);
        }
        ready
    }
}

/// Runs `future` in a scope cancelled after 0 to 2 polls; `None` if the scope caught the
/// cancellation.
async fn cancel_after_polls<F: Future>(
    rng: &mut Rng,
    future: F,
    after_cancel: &Arc<AtomicUsize>,
) -> Option<F::Output> {
    let scope = CancelScope::new();
    let handle = scope.handle();
    scope
        .run(CancelScopeAfterPolls {
            future: Box::pin(future),
            polls: rng.below(3) as u8,
            scope: handle,
            after_cancel: after_cancel.clone(),
        })
        .await
}

/// Runs `future` normally most of the time, or cancels it at random; `None` if cancelled.
async fn attempt<F: Future>(rng: &mut Rng, future: F) -> Option<F::Output> {
    match rng.below(10) {
        0 => {
            DropAfterPolls {
                future: Box::pin(future),
                polls: rng.below(3) as u8,
            }
            .await
        }
        1 => cancel_after_polls(rng, future, &Arc::new(AtomicUsize::new(0))).await,
        _ => Some(future.await),
    }
}

/// One run; `stop_early` makes the consumers quit halfway so that senders see `Broken`.
async fn run(buffer: usize, stop_early: bool, seed: u64) -> Arc<Ledger> {
    let ledger = Ledger::new();
    let (tx, rx) = create_memory_object_stream::<Tracked>(buffer);
    task_group(|tg| {
        let ledger = ledger.clone();
        async move {
            for consumer in 0..CONSUMERS {
                let (rx, ledger) = (rx.clone(), ledger.clone());
                let mut rng = Rng::new(seed * 1000 + 100 + consumer as u64);
                tg.start_soon(async move {
                    loop {
                        if stop_early && ledger.received_total.load(Ordering::SeqCst) >= TOTAL / 2 {
                            break; // drops this receive handle
                        }
                        if rng.below(8) == 0 {
                            match rx.try_receive() {
                                Ok(item) => item.received(),
                                Err(TryReceiveError::WouldBlock) => anyio::checkpoint().await,
                                Err(TryReceiveError::EndOfStream) => break,
                                Err(TryReceiveError::Closed) => panic!("receive handle closed"),
                            }
                            continue;
                        }
                        match attempt(&mut rng, rx.receive()).await {
                            Some(Ok(item)) => item.received(),
                            Some(Err(ReceiveError::EndOfStream)) => break,
                            Some(Err(ReceiveError::Closed)) => panic!("receive handle closed"),
                            None => {} // cancelled: try again
                        }
                    }
                })?;
            }
            drop(rx);
            for producer in 0..PRODUCERS {
                let (tx, ledger) = (tx.clone(), ledger.clone());
                let mut rng = Rng::new(seed * 1000 + producer as u64);
                tg.start_soon(async move {
                    for seq in 0..ITEMS_PER_PRODUCER {
                        let id = producer * ITEMS_PER_PRODUCER + seq;
                        let mut item = Tracked {
                            id,
                            ledger: ledger.clone(),
                            settled: false,
                        };
                        if rng.below(8) == 0 {
                            match tx.try_send(item) {
                                Ok(()) => {
                                    ledger.send_ok[id].store(true, Ordering::SeqCst);
                                    continue;
                                }
                                Err(TrySendError::WouldBlock(back)) => item = back,
                                Err(TrySendError::Broken(back)) => {
                                    assert_eq!(back.id, id, "handed back someone else's item");
                                    back.handed_back();
                                    continue;
                                }
                                Err(TrySendError::Closed(_)) => panic!("send handle closed"),
                            }
                        }
                        match attempt(&mut rng, tx.send(item)).await {
                            Some(Ok(())) => ledger.send_ok[id].store(true, Ordering::SeqCst),
                            Some(Err(SendError::Broken(back))) => {
                                assert_eq!(back.id, id, "handed back someone else's item");
                                back.handed_back();
                            }
                            Some(Err(SendError::Closed(_))) => panic!("send handle closed"),
                            None => ledger.send_cancelled[id].store(true, Ordering::SeqCst),
                        }
                    }
                })?;
            }
            drop(tx);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    ledger
}

fn count(values: &[AtomicU32]) -> usize {
    values
        .iter()
        .map(|value| value.load(Ordering::SeqCst) as usize)
        .sum()
}

#[anyio::test(timeout = "120s")]
async fn every_item_is_received_once_when_consumers_drain() {
    for (index, buffer) in BUFFERS.into_iter().enumerate() {
        let ledger = run(buffer, false, index as u64 + 1).await;
        let mut cancelled_sends = 0;
        for id in 0..TOTAL {
            let received = ledger.received[id].load(Ordering::SeqCst);
            let dropped = ledger.dropped[id].load(Ordering::SeqCst);
            let returned = ledger.returned[id].load(Ordering::SeqCst);
            assert_eq!(
                received + dropped + returned,
                1,
                "buffer {buffer}: item {id} received {received}, dropped {dropped}, returned {returned}"
            );
            assert_eq!(
                returned, 0,
                "buffer {buffer}: nothing is broken while draining"
            );
            if ledger.send_ok[id].load(Ordering::SeqCst) {
                assert_eq!(
                    received, 1,
                    "buffer {buffer}: item {id} was sent but not received"
                );
            }
            if ledger.send_cancelled[id].load(Ordering::SeqCst) {
                cancelled_sends += 1;
            } else {
                assert_eq!(
                    dropped, 0,
                    "buffer {buffer}: item {id} lost without a cancelled send"
                );
            }
        }
        let received = count(&ledger.received);
        let dropped = count(&ledger.dropped);
        assert_eq!(received + dropped, TOTAL);
        assert!(dropped <= cancelled_sends);
        assert!(cancelled_sends > 0, "the run cancelled no send");
        assert!(
            received > TOTAL / 2,
            "buffer {buffer}: only {received} received"
        );
    }
}

#[anyio::test(timeout = "120s")]
async fn items_come_back_to_their_senders_when_the_receivers_leave() {
    for (index, buffer) in BUFFERS.into_iter().enumerate() {
        let ledger = run(buffer, true, index as u64 + 11).await;
        let mut unexplained_drops = 0;
        for id in 0..TOTAL {
            let received = ledger.received[id].load(Ordering::SeqCst);
            let dropped = ledger.dropped[id].load(Ordering::SeqCst);
            let returned = ledger.returned[id].load(Ordering::SeqCst);
            assert_eq!(
                received + dropped + returned,
                1,
                "buffer {buffer}: item {id} received {received}, dropped {dropped}, returned {returned}"
            );
            if dropped == 1 && !ledger.send_cancelled[id].load(Ordering::SeqCst) {
                // Only the buffer (plus items given back by receivers as they left) is dropped
                // when the last receiver goes.
                unexplained_drops += 1;
            }
        }
        assert!(
            unexplained_drops <= buffer.min(TOTAL) + CONSUMERS,
            "buffer {buffer}: {unexplained_drops} items dropped outside the buffer"
        );
        let received = count(&ledger.received);
        assert!(
            received >= TOTAL / 2,
            "buffer {buffer}: the consumers quit early"
        );
        if buffer != usize::MAX {
            assert!(
                count(&ledger.returned) > 0,
                "buffer {buffer}: no send was broken"
            );
        }
    }
}

/// The buffer sizes of the retry run: the rendezvous, the small buffers whose freed slot takes
/// a waiting sender's item, a larger one, and unbounded.
const RETRY_BUFFERS: [usize; 5] = [0, 1, 2, 16, usize::MAX];

/// Cancellations that did not end in the scope's `None`, by side.
struct RetryCounts {
    /// Sends that completed in the poll right after their scope was cancelled: their item had
    /// been taken (the interleaving of issue 16).
    sends_completed_after_cancel: Arc<AtomicUsize>,
    /// Receives that did: must stay 0.
    receives_completed_after_cancel: Arc<AtomicUsize>,
    cancelled_sends: AtomicUsize,
}

/// One run in which every cancelled send is retried with the same item id until it succeeds,
/// and consumers retry cancelled receives: every id must then be received exactly once.
async fn run_with_retries(buffer: usize, seed: u64) -> (Arc<Ledger>, Arc<RetryCounts>) {
    let ledger = Ledger::new();
    let counts = Arc::new(RetryCounts {
        sends_completed_after_cancel: Arc::new(AtomicUsize::new(0)),
        receives_completed_after_cancel: Arc::new(AtomicUsize::new(0)),
        cancelled_sends: AtomicUsize::new(0),
    });
    let (tx, rx) = create_memory_object_stream::<Tracked>(buffer);
    task_group(|tg| {
        let (ledger, counts) = (ledger.clone(), counts.clone());
        async move {
            for consumer in 0..CONSUMERS {
                let (rx, counts) = (rx.clone(), counts.clone());
                let mut rng = Rng::new(seed * 1000 + 100 + consumer as u64);
                tg.start_soon(async move {
                    loop {
                        let received = match rng.below(4) {
                            0 => {
                                let after_cancel = &counts.receives_completed_after_cancel;
                                cancel_after_polls(&mut rng, rx.receive(), after_cancel).await
                            }
                            1 => match rx.try_receive() {
                                Ok(item) => Some(Ok(item)),
                                Err(TryReceiveError::WouldBlock) => {
                                    anyio::checkpoint().await;
                                    None
                                }
                                Err(TryReceiveError::EndOfStream) => break,
                                Err(TryReceiveError::Closed) => panic!("receive handle closed"),
                            },
                            _ => Some(rx.receive().await),
                        };
                        match received {
                            Some(Ok(item)) => item.received(),
                            Some(Err(ReceiveError::EndOfStream)) => break,
                            Some(Err(ReceiveError::Closed)) => panic!("receive handle closed"),
                            None => {} // cancelled: nothing taken, try again
                        }
                    }
                })?;
            }
            drop(rx);
            for producer in 0..PRODUCERS {
                let (tx, ledger, counts) = (tx.clone(), ledger.clone(), counts.clone());
                let mut rng = Rng::new(seed * 1000 + producer as u64);
                tg.start_soon(async move {
                    for seq in 0..ITEMS_PER_PRODUCER {
                        let id = producer * ITEMS_PER_PRODUCER + seq;
                        loop {
                            // A fresh copy of the item each attempt: a cancelled send drops the
                            // one it held, which the ledger counts as `dropped`.
                            let item = Tracked {
                                id,
                                ledger: ledger.clone(),
                                settled: false,
                            };
                            let sent = if rng.below(3) == 0 {
                                let after_cancel = &counts.sends_completed_after_cancel;
                                cancel_after_polls(&mut rng, tx.send(item), after_cancel).await
                            } else {
                                Some(tx.send(item).await)
                            };
                            match sent {
                                Some(Ok(())) => break,
                                Some(Err(error)) => panic!("send failed: {error}"),
                                None => {
                                    counts.cancelled_sends.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        }
                        ledger.send_ok[id].store(true, Ordering::SeqCst);
                    }
                })?;
            }
            drop(tx);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    (ledger, counts)
}

#[anyio::test(timeout = "120s")]
async fn cancelled_senders_that_retry_deliver_every_item_exactly_once() {
    for (index, buffer) in RETRY_BUFFERS.into_iter().enumerate() {
        let (ledger, counts) = run_with_retries(buffer, index as u64 + 21).await;
        for id in 0..TOTAL {
            assert_eq!(
                ledger.received[id].load(Ordering::SeqCst),
                1,
                "buffer {buffer}: item {id} received {} times",
                ledger.received[id].load(Ordering::SeqCst)
            );
            assert!(ledger.send_ok[id].load(Ordering::SeqCst));
            assert_eq!(ledger.returned[id].load(Ordering::SeqCst), 0);
        }
        let cancelled = counts.cancelled_sends.load(Ordering::SeqCst);
        assert!(cancelled > 0, "buffer {buffer}: the run cancelled no send");
        assert_eq!(
            count(&ledger.dropped),
            cancelled,
            "buffer {buffer}: exactly the items of the cancelled sends were dropped"
        );
        assert_eq!(
            counts
                .receives_completed_after_cancel
                .load(Ordering::SeqCst),
            0,
            "buffer {buffer}: a receive completed inside its cancelled scope"
        );
        if buffer != usize::MAX {
            // An unbounded send never waits, so it completes before any cancellation.
            assert!(
                counts.sends_completed_after_cancel.load(Ordering::SeqCst) > 0,
                "buffer {buffer}: no send was taken while its scope was being cancelled"
            );
        }
    }
}
