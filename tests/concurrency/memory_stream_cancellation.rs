//! Cancellation of memory object stream operations (issue 16, "Exactly once"): a cancelled
//! send whose item was taken completes, one whose item was not is withdrawn first; a cancelled
//! receive never takes an item (one handed to it goes back to the front of the stream); inside
//! a scope already cancelled nothing moves, even when it could without waiting. Each race is
//! driven by hand: poll, let the other end act, cancel, poll again.

use crate::common;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyio::streams::memory::{
    MemoryReceiveStream, MemorySendStream, SendError, SendItem, TryReceiveError, TrySendError,
};
use anyio::{create_memory_object_stream, task_group, CancelHandle, CancelScope, SpawnError};
use common::{receivers_waiting, senders_waiting, Flag};
use futures::{poll, Sink, SinkExt, StreamExt};

/// Buffers on which a waiting send can be taken: by a receiver (`0`), or by a slot freeing in a
/// full buffer (`1`, `4`).
const BUFFERS: [usize; 3] = [0, 1, 4];

/// Fills the buffer with `100, 101, ...` so that the next send waits.
fn fill(tx: &MemorySendStream<u32>, buffer: usize) -> Vec<u32> {
    let items: Vec<u32> = (100..).take(buffer).collect();
    for &item in &items {
        tx.try_send(item).unwrap();
    }
    items
}

/// Everything that can be received now, in order.
fn drain(rx: &MemoryReceiveStream<u32>) -> Vec<u32> {
    let mut items = Vec::new();
    while let Ok(item) = rx.try_receive() {
        items.push(item);
    }
    items
}

/// A scope already cancelled.
fn cancelled_scope() -> CancelScope {
    let scope = CancelScope::new();
    scope.handle().cancel();
    scope
}

#[anyio::test]
async fn a_cancelled_send_whose_item_was_taken_completes() {
    for buffer in BUFFERS {
        let (tx, rx) = create_memory_object_stream::<u32>(buffer);
        let mut expected = fill(&tx, buffer);
        expected.push(1);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let mut sending = Box::pin(scope.run(tx.send(1)));
        assert!(poll!(sending.as_mut()).is_pending(), "buffer {buffer}");
        // Takes the item (unbuffered), or frees the slot the item moves into.
        let mut received = vec![rx.try_receive().unwrap()];
        handle.cancel();
        assert_eq!(
            poll!(sending.as_mut()),
            Poll::Ready(Some(Ok(()))),
            "buffer {buffer}: the item was delivered, so the send is not cancelled"
        );
        received.extend(drain(&rx));
        assert_eq!(
            received, expected,
            "buffer {buffer}: delivered exactly once"
        );
    }
}

#[anyio::test]
async fn a_cancelled_send_whose_item_was_not_taken_withdraws_it() {
    for buffer in BUFFERS {
        let (tx, rx) = create_memory_object_stream::<u32>(buffer);
        let filled = fill(&tx, buffer);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let mut sending = Box::pin(scope.run(tx.send(1)));
        assert!(poll!(sending.as_mut()).is_pending());
        handle.cancel();
        assert_eq!(
            poll!(sending.as_mut()),
            Poll::Ready(None),
            "buffer {buffer}"
        );
        assert_eq!(tx.statistics().tasks_waiting_send, 0, "buffer {buffer}");
        assert_eq!(
            drain(&rx),
            filled,
            "buffer {buffer}: the item was withdrawn"
        );
    }
}

#[anyio::test]
async fn a_withdrawn_item_is_dropped_with_the_cancelled_send() {
    let (tx, rx) = create_memory_object_stream(0);
    let dropped = Flag::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let mut sending = Box::pin(scope.run(tx.send(dropped.on_drop())));
    assert!(poll!(sending.as_mut()).is_pending());
    handle.cancel();
    assert!(matches!(poll!(sending.as_mut()), Poll::Ready(None)));
    assert!(dropped.is_set());
    assert!(matches!(rx.try_receive(), Err(TryReceiveError::WouldBlock)));
}

#[anyio::test]
async fn a_send_cancelled_through_an_enclosing_scope_whose_item_was_taken_completes() {
    // The inner scope does not catch (its parent was cancelled); the send still reports the
    // delivery, and the inner scope hands it out.
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let outer = CancelScope::new();
    let handle = outer.handle();
    let mut sending = Box::pin(outer.run(CancelScope::new().run(tx.send(1))));
    assert!(poll!(sending.as_mut()).is_pending());
    assert_eq!(rx.try_receive(), Ok(1));
    handle.cancel();
    assert_eq!(poll!(sending.as_mut()), Poll::Ready(Some(Some(Ok(())))));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn a_cancelled_send_failed_by_a_close_returns_its_item() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let scope = CancelScope::new();
    let handle = scope.handle();
    let mut sending = Box::pin(scope.run(tx.send(1)));
    assert!(poll!(sending.as_mut()).is_pending());
    rx.close();
    handle.cancel();
    assert!(matches!(
        poll!(sending.as_mut()),
        Poll::Ready(Some(Err(SendError::Broken(1))))
    ));
}

#[anyio::test]
async fn an_item_handed_to_a_cancelled_receiver_goes_back_to_the_front() {
    for buffer in BUFFERS {
        let (tx, rx) = create_memory_object_stream::<u32>(buffer);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let mut receiving = Box::pin(scope.run(rx.receive()));
        assert!(poll!(receiving.as_mut()).is_pending());
        // Handed to the waiting receiver; then a later item, buffered or (unbuffered) held by
        // a waiting sender.
        tx.try_send(1).unwrap();
        let mut later = Box::pin(tx.send(2));
        assert_eq!(poll!(later.as_mut()).is_ready(), buffer > 0);
        handle.cancel();
        assert_eq!(
            poll!(receiving.as_mut()),
            Poll::Ready(None),
            "buffer {buffer}"
        );
        assert_eq!(
            drain(&rx),
            [1, 2],
            "buffer {buffer}: nothing lost, order kept"
        );
        if buffer == 0 {
            assert_eq!(poll!(later.as_mut()), Poll::Ready(Ok(())));
        }
    }
}

#[anyio::test]
async fn an_item_handed_to_a_cancelled_next_goes_back_to_the_stream() {
    // Before, a cancelled `next()` kept the item handed to it until the same handle's next
    // call, which a cancelled consumer may never make: other receivers could not get it.
    let (tx, mut rx) = create_memory_object_stream::<u32>(0);
    let other = rx.clone();
    let scope = CancelScope::new();
    let handle = scope.handle();
    {
        let mut next = Box::pin(scope.run(rx.next()));
        assert!(poll!(next.as_mut()).is_pending());
        tx.try_send(1).unwrap(); // handed to the waiting `next()`
        handle.cancel();
        assert_eq!(poll!(next.as_mut()), Poll::Ready(None));
    }
    assert_eq!(other.try_receive(), Ok(1));
    assert_eq!(drain(&rx), []);
}

#[anyio::test]
async fn in_a_cancelled_scope_nothing_moves_even_without_waiting() {
    for buffer in [0, 1, 4, usize::MAX] {
        let (mut tx, mut rx) = create_memory_object_stream::<u32>(buffer);
        // A send that could complete at once: room in the buffer, or a waiting receiver.
        let mut waiting = Box::pin(rx.receive());
        if buffer == 0 {
            assert!(poll!(waiting.as_mut()).is_pending());
        }
        assert_eq!(
            cancelled_scope().run(tx.send(1)).await,
            None,
            "buffer {buffer}"
        );
        assert_eq!(
            cancelled_scope().run(SinkExt::send(&mut tx, 2)).await,
            None,
            "buffer {buffer}"
        );
        let statistics = tx.statistics();
        assert_eq!(statistics.current_buffer_used, 0, "buffer {buffer}");
        assert_eq!(statistics.tasks_waiting_send, 0, "buffer {buffer}");
        if buffer == 0 {
            assert!(
                poll!(waiting.as_mut()).is_pending(),
                "nothing was handed over"
            );
        }
        drop(waiting);
        // A receive that could complete at once: an item buffered, or a waiting sender.
        let mut sending = Box::pin(tx.send(3));
        assert_eq!(poll!(sending.as_mut()).is_ready(), buffer > 0);
        assert_eq!(
            cancelled_scope().run(rx.receive()).await,
            None,
            "buffer {buffer}"
        );
        assert_eq!(
            cancelled_scope().run(rx.next()).await,
            None,
            "buffer {buffer}"
        );
        assert_eq!(drain(&rx), [3], "buffer {buffer}: nothing was taken");
        if buffer == 0 {
            assert_eq!(poll!(sending.as_mut()), Poll::Ready(Ok(())));
        }
    }
}

/// Drives a sink's flush, as `SinkExt::flush` does, but through a reference kept by the test.
async fn flush(tx: &mut MemorySendStream<u32>) -> Result<(), SendError<u32>> {
    poll_fn(|cx| Pin::new(&mut *tx).poll_flush(cx)).await
}

#[anyio::test]
async fn a_cancelled_flush_keeps_the_accepted_item_in_the_sink() {
    let (mut tx, rx) = create_memory_object_stream::<u32>(0);
    SinkExt::feed(&mut tx, 1).await.unwrap(); // accepted, kept in the sink
    {
        let mut flushing = Box::pin(flush(&mut tx));
        assert!(poll!(flushing.as_mut()).is_pending()); // queued for a receiver
    }
    assert_eq!(tx.statistics().tasks_waiting_send, 1);
    assert_eq!(cancelled_scope().run(flush(&mut tx)).await, None);
    assert_eq!(
        tx.statistics().tasks_waiting_send,
        0,
        "withdrawn from the queue"
    );
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    let mut receiving = Box::pin(rx.receive());
    assert!(poll!(receiving.as_mut()).is_pending());
    assert_eq!(flush(&mut tx).await, Ok(()));
    assert_eq!(poll!(receiving.as_mut()), Poll::Ready(Ok(1)));
}

#[anyio::test]
async fn a_cancelled_flush_whose_item_was_taken_does_not_send_it_again() {
    let (mut tx, rx) = create_memory_object_stream::<u32>(0);
    SinkExt::feed(&mut tx, 1).await.unwrap();
    {
        let mut flushing = Box::pin(flush(&mut tx));
        assert!(poll!(flushing.as_mut()).is_pending());
    }
    assert_eq!(rx.try_receive(), Ok(1));
    assert_eq!(cancelled_scope().run(flush(&mut tx)).await, None);
    assert_eq!(flush(&mut tx).await, Ok(()));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

/// Polls a send; when it is left waiting, does what a receiver and a canceller on other threads
/// can do between that poll and the scope's look at its cancellation: takes the item, then
/// cancels the scope.
struct TakeThenCancel<'a> {
    send: SendItem<'a, u32>,
    rx: &'a MemoryReceiveStream<u32>,
    scope: CancelHandle,
    taken: Option<u32>,
}

impl std::future::Future for TakeThenCancel<'_> {
    type Output = Result<(), SendError<u32>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = Pin::new(&mut self.send).poll(cx);
        if polled.is_pending() && self.taken.is_none() {
            self.taken = self.rx.try_receive().ok();
            self.scope.cancel();
        }
        polled
    }
}

#[anyio::test]
async fn a_send_taken_while_its_scope_is_being_cancelled_completes() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let scope = CancelScope::new();
    let cancelling = TakeThenCancel {
        send: tx.send(1),
        rx: &rx,
        scope: scope.handle(),
        taken: None,
    };
    assert_eq!(scope.run(cancelling).await, Some(Ok(())));
}

/// The same race in a spawned task, cancelled through its group: the task's value reaches its
/// handle, since the send it waited for completed.
#[anyio::test]
async fn a_send_taken_while_its_task_is_being_cancelled_completes_the_task() {
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let result = task_group(|tg| async move {
        let cancel_group = tg.cancel_handle();
        let handle = tg
            .spawn(async move {
                let (tx, rx) = create_memory_object_stream::<u32>(0);
                let cancelling = TakeThenCancel {
                    send: tx.send(1),
                    rx: &rx,
                    scope: cancel_group,
                    taken: None,
                };
                cancelling.await.map(|()| 42).map_err(|_| "the send failed")
            })
            .unwrap();
        handle_tx.send(handle).unwrap();
        Ok::<_, &str>(())
    })
    .await;
    // The body had returned before the task cancelled the group: its value stands.
    assert_eq!(result, Ok(()));
    assert_eq!(handle_rx.recv().unwrap().await, Ok(42));
}

/// The same race in a task group's body, cancelled through the group's handle: the body sees
/// its send complete, and the group returns the body's value rather than `Cancelled`.
#[anyio::test]
async fn a_send_taken_while_its_group_is_being_cancelled_completes() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let result = task_group(|tg| {
        let (tx, rx) = (&tx, &rx);
        async move {
            let cancelling = TakeThenCancel {
                send: tx.send(1),
                rx,
                scope: tg.cancel_handle(),
                taken: None,
            };
            cancelling.await.map_err(|_| "the send failed")
        }
    })
    .await;
    assert_eq!(result, Ok(()));
}

#[anyio::test]
async fn a_cancelled_receiver_leaves_no_ghost() {
    // AnyIO's test_cancel_receive: after the cancelled receiver is gone, a rendezvous
    // try_send must not "deliver" to it.
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let rx = Arc::new(rx);
    task_group(|tg| {
        let rx = rx.clone();
        async move {
            let receiver = rx.clone();
            tg.start_soon(async move {
                let _ = receiver.receive().await;
            })?;
            receivers_waiting(&rx, 1).await;
            tg.cancel();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(rx.statistics().tasks_waiting_receive, 0);
    assert!(matches!(
        tx.try_send("hello"),
        Err(TrySendError::WouldBlock(_))
    ));
}

#[anyio::test]
async fn a_cancelled_sender_leaves_no_item() {
    // AnyIO's test_cancel_send.
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let tx = Arc::new(tx);
    task_group(|tg| {
        let tx = tx.clone();
        async move {
            let sender = tx.clone();
            tg.start_soon(async move { drop(sender.send("hello").await) })?;
            senders_waiting(&tx, 1).await;
            tg.cancel();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(tx.statistics().tasks_waiting_send, 0);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn receive_in_a_cancelled_scope_takes_nothing() {
    // AnyIO's test_receive_when_cancelled.
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let mut hello = Box::pin(tx.send("hello"));
    let mut world = Box::pin(tx.send("world"));
    assert!(poll!(hello.as_mut()).is_pending());
    assert!(poll!(world.as_mut()).is_pending());
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert_eq!(scope.run(rx.receive()).await, None);
    assert_eq!(rx.receive().await, Ok("hello"));
    assert_eq!(rx.receive().await, Ok("world"));
    assert_eq!(poll!(hello.as_mut()), Poll::Ready(Ok(())));
    assert_eq!(poll!(world.as_mut()), Poll::Ready(Ok(())));
}

#[anyio::test]
async fn send_in_a_cancelled_scope_delivers_nothing() {
    // AnyIO's test_send_when_cancelled.
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let mut receive = Box::pin(rx.receive());
    assert!(poll!(receive.as_mut()).is_pending());
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert_eq!(scope.run(tx.send("hello")).await, None);
    tx.send("world").await.unwrap();
    assert_eq!(poll!(receive.as_mut()), Poll::Ready(Ok("world")));
}

#[anyio::test]
async fn an_item_handed_to_a_cancelled_receiver_is_not_lost() {
    // AnyIO's test_cancel_during_receive: the item is handed over, then the receiver's scope
    // is cancelled before it runs. The rule: the cancelled receiver is skipped and the
    // item stays in the stream (here, back in the buffer) for the next receive.
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let scope = CancelScope::new();
    let handle = scope.handle();
    let mut receiving = Box::pin(scope.run(rx.receive()));
    assert!(poll!(receiving.as_mut()).is_pending());
    tx.try_send("hello").unwrap();
    handle.cancel();
    assert_eq!(poll!(receiving.as_mut()), Poll::Ready(None));
    assert_eq!(rx.try_receive(), Ok("hello"));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn an_item_handed_to_a_dropped_receiver_goes_to_the_next_one() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut first = Box::pin(rx.receive());
    let mut second = Box::pin(rx.receive());
    assert!(poll!(first.as_mut()).is_pending());
    assert!(poll!(second.as_mut()).is_pending());
    tx.try_send(1).unwrap(); // owned by `first`...
    drop(first); // ...which is cancelled before it took it
    assert_eq!(poll!(second.as_mut()), Poll::Ready(Ok(1)));
    assert_eq!(rx.statistics().current_buffer_used, 0);
}

#[anyio::test]
async fn a_cancelled_receiver_does_not_take_a_buffered_item() {
    // AnyIO's test_cancel_during_receive_buffered and test_send_to_natively_cancelled_receiver.
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    let rx = Arc::new(rx);
    task_group(|tg| {
        let rx = rx.clone();
        async move {
            let receiver = rx.clone();
            let handle = tg.spawn(async move { Ok(receiver.receive().await) })?;
            receivers_waiting(&rx, 1).await;
            handle.cancel();
            receivers_waiting(&rx, 0).await;
            tx.try_send("item").unwrap();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(rx.try_receive(), Ok("item"));
}

#[anyio::test]
async fn a_dropped_send_is_never_delivered_twice() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut send = Box::pin(tx.send(1));
    assert!(poll!(send.as_mut()).is_pending());
    assert_eq!(rx.try_receive(), Ok(1)); // taken from the waiting sender
    drop(send); // dropped before it saw the delivery: counts as sent, nothing to withdraw
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    let mut send = Box::pin(tx.send(2));
    assert!(poll!(send.as_mut()).is_pending());
    drop(send); // withdrawn before anyone took it
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

/// Sends and receives that never wait spend the thread's yield budget, so a loop of them lets
/// its deadline fire, also through the `Stream` interface.
#[anyio::test]
async fn a_deadline_ends_a_loop_of_sends_and_receives_that_never_wait() {
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    let looped = anyio::move_on_after(anyio::Duration::from_millis(10), async {
        loop {
            tx.send(1).await.unwrap();
            rx.receive().await.unwrap();
        }
    })
    .await;
    assert_eq!(looped, None::<()>);

    let (tx, mut rx) = create_memory_object_stream::<u32>(1);
    let looped = anyio::move_on_after(anyio::Duration::from_millis(10), async {
        loop {
            tx.send(1).await.unwrap();
            rx.next().await.unwrap();
        }
    })
    .await;
    assert_eq!(looped, None::<()>);
}
