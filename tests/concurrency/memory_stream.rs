//! Memory object streams (DESIGN §7): rendezvous and buffered delivery, close semantics on
//! each side, clones, fairness, cancellation without loss or duplication, statistics, and the
//! `Stream`/`Sink` interfaces (ported from AnyIO's and Trio's memory stream/channel tests).

use crate::common;

use common::{receivers_waiting, senders_waiting};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::Poll;

use anyio::streams::memory::{
    MemorySendStream, ReceiveError, SendError, TryReceiveError, TrySendError,
};
use anyio::{create_memory_object_stream, fail_after, sleep, task_group, Duration, SpawnError};
use futures::{poll, SinkExt, StreamExt};

#[anyio::test]
async fn receive_then_send_on_a_rendezvous_stream() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let rx = Arc::new(rx);
    let received = Arc::new(StdMutex::new(Vec::new()));
    task_group(|tg| {
        let (rx, received) = (rx.clone(), received.clone());
        async move {
            let (receiver, got) = (rx.clone(), received.clone());
            tg.start_soon(async move {
                for _ in 0..2 {
                    let item = receiver.receive().await.unwrap();
                    got.lock().unwrap().push(item);
                }
            })?;
            receivers_waiting(&rx, 1).await;
            tx.send("hello").await.unwrap();
            tx.send("anyio").await.unwrap();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*received.lock().unwrap(), ["hello", "anyio"]);
}

#[anyio::test]
async fn try_send_hands_items_to_waiting_receivers() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let rx = Arc::new(rx);
    let received = Arc::new(StdMutex::new(Vec::new()));
    task_group(|tg| {
        let (rx, received) = (rx.clone(), received.clone());
        async move {
            for i in 1..=2 {
                let (receiver, got) = (rx.clone(), received.clone());
                tg.start_soon(async move {
                    let item = receiver.receive().await.unwrap();
                    got.lock().unwrap().push(item);
                })?;
                receivers_waiting(&rx, i).await;
            }
            tx.try_send("hello").unwrap();
            tx.try_send("anyio").unwrap();
            assert!(matches!(
                tx.try_send("x"),
                Err(TrySendError::WouldBlock("x"))
            ));
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let mut received = received.lock().unwrap().clone();
    received.sort();
    assert_eq!(received, ["anyio", "hello"]);
}

#[anyio::test]
async fn a_rendezvous_send_completes_only_when_a_receiver_takes_the_item() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    assert!(matches!(tx.try_send(1), Err(TrySendError::WouldBlock(1))));
    let mut send = Box::pin(tx.send(1));
    assert!(poll!(send.as_mut()).is_pending());
    let statistics = tx.statistics();
    assert_eq!(statistics.current_buffer_used, 0, "nothing is buffered");
    assert_eq!(statistics.tasks_waiting_send, 1);
    assert!(poll!(send.as_mut()).is_pending(), "still no receiver");
    assert_eq!(rx.try_receive(), Ok(1));
    assert_eq!(poll!(send.as_mut()), Poll::Ready(Ok(())));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn a_waiting_sender_is_unblocked_by_try_receive() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.try_send("hello").unwrap();
    let tx = Arc::new(tx);
    fail_after(Duration::from_secs(1), async {
        task_group(|tg| {
            let tx = tx.clone();
            async move {
                let sender = tx.clone();
                tg.start_soon(async move { sender.send("anyio").await.unwrap() })?;
                senders_waiting(&tx, 1).await;
                assert_eq!(rx.try_receive(), Ok("hello"));
                // The waiting sender's item moved into the freed slot.
                assert_eq!(rx.try_receive(), Ok("anyio"));
                Ok::<_, SpawnError>(())
            }
        })
        .await
        .unwrap()
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn buffered_items_come_out_in_order() {
    let (tx, rx) = create_memory_object_stream(2);
    tx.try_send("hello").unwrap();
    tx.try_send("anyio").unwrap();
    assert!(matches!(
        tx.try_send("full"),
        Err(TrySendError::WouldBlock(_))
    ));
    assert_eq!(rx.try_receive(), Ok("hello"));
    assert_eq!(rx.receive().await, Ok("anyio"));
}

#[anyio::test]
async fn an_unbounded_stream_never_blocks() {
    let (tx, rx) = create_memory_object_stream(usize::MAX);
    for i in 0..10_000 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.statistics().current_buffer_used, 10_000);
    drop(tx);
    assert_eq!(
        rx.collect::<Vec<_>>().await,
        (0..10_000).collect::<Vec<_>>()
    );
}

#[anyio::test]
async fn the_receive_end_is_a_stream_that_ends_with_the_senders() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let received = task_group(|tg| async move {
        let collector = tg.spawn(async move { Ok(rx.collect::<Vec<_>>().await) })?;
        tx.send("hello").await.unwrap();
        tx.send("anyio").await.unwrap();
        tx.close();
        Ok::<_, SpawnError>(collector.await.unwrap())
    })
    .await
    .unwrap();
    assert_eq!(received, ["hello", "anyio"]);
}

#[anyio::test]
async fn a_closed_send_handle_fails_and_ends_the_stream() {
    let (tx, rx) = create_memory_object_stream::<()>(1);
    tx.close();
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
    assert!(matches!(tx.send(()).await, Err(SendError::Closed(()))));
    assert!(matches!(tx.try_send(()), Err(TrySendError::Closed(()))));
    assert!(tx.is_closed());
}

#[anyio::test]
async fn a_closed_receive_handle_fails_and_breaks_the_stream() {
    let (tx, rx) = create_memory_object_stream::<u8>(1);
    rx.close();
    assert_eq!(rx.try_receive(), Err(TryReceiveError::Closed));
    assert_eq!(rx.receive().await, Err(ReceiveError::Closed));
    // Broken hands the item back.
    assert!(matches!(tx.send(5).await, Err(SendError::Broken(5))));
    assert!(matches!(tx.try_send(6), Err(TrySendError::Broken(6))));
}

#[anyio::test]
async fn closing_the_last_sender_wakes_a_waiting_receiver_with_end_of_stream() {
    let (tx, rx) = create_memory_object_stream::<u8>(1);
    let mut receive = Box::pin(rx.receive());
    assert!(poll!(receive.as_mut()).is_pending());
    drop(tx);
    assert_eq!(
        poll!(receive.as_mut()),
        Poll::Ready(Err(ReceiveError::EndOfStream))
    );
}

#[anyio::test]
async fn closing_the_last_receiver_wakes_a_waiting_sender_with_its_item() {
    let (tx, rx) = create_memory_object_stream::<String>(0);
    let mut send = Box::pin(tx.send("precious".to_owned()));
    assert!(poll!(send.as_mut()).is_pending());
    rx.close();
    let Poll::Ready(Err(SendError::Broken(item))) = poll!(send.as_mut()) else {
        panic!("the waiting send was not broken");
    };
    assert_eq!(item, "precious");
}

#[anyio::test]
async fn closing_a_handle_wakes_only_its_own_blocked_calls() {
    // Trio's test_close_multiple_send_handles / _receive_handles, and AnyIO's "Closed also
    // wakes the handle's own blocked calls".
    let (tx1, rx1) = create_memory_object_stream::<&str>(0);
    let tx2 = tx1.clone();
    let mut closing = Box::pin(tx1.send("nope"));
    let mut other = Box::pin(tx2.send("ok"));
    assert!(poll!(closing.as_mut()).is_pending());
    assert!(poll!(other.as_mut()).is_pending());
    tx1.close();
    assert!(matches!(
        poll!(closing.as_mut()),
        Poll::Ready(Err(SendError::Closed("nope")))
    ));
    assert_eq!(rx1.receive().await, Ok("ok"));
    assert_eq!(poll!(other.as_mut()), Poll::Ready(Ok(())));

    let (tx, rx1) = create_memory_object_stream::<&str>(0);
    let rx2 = rx1.clone();
    let mut closing = Box::pin(rx1.receive());
    let mut other = Box::pin(rx2.receive());
    assert!(poll!(closing.as_mut()).is_pending());
    assert!(poll!(other.as_mut()).is_pending());
    rx1.close();
    assert_eq!(
        poll!(closing.as_mut()),
        Poll::Ready(Err(ReceiveError::Closed))
    );
    tx.try_send("ok").unwrap();
    assert_eq!(poll!(other.as_mut()), Poll::Ready(Ok("ok")));
}

#[anyio::test]
async fn close_is_persistent_and_idempotent() {
    // Trio's test_close_basics.
    let (tx, rx) = create_memory_object_stream::<()>(0);
    tx.close();
    tx.close();
    assert!(matches!(tx.try_send(()), Err(TrySendError::Closed(()))));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    assert_eq!(rx.statistics().open_send_streams, 0);

    let (tx, rx) = create_memory_object_stream::<()>(0);
    rx.close();
    rx.close();
    assert!(matches!(tx.try_send(()), Err(TrySendError::Broken(()))));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::Closed));
    assert_eq!(tx.statistics().open_receive_streams, 0);
}

#[anyio::test]
async fn clones_close_independently() {
    // AnyIO's test_clone and Trio's test_receive_channel_clone_and_close.
    let (tx1, rx1) = create_memory_object_stream::<&str>(10);
    let tx2 = tx1.clone();
    let rx2 = rx1.clone();
    let rx3 = rx1.clone();
    assert_eq!(tx1.statistics().open_send_streams, 2);
    assert_eq!(tx1.statistics().open_receive_streams, 3);
    tx1.close();
    rx1.close();
    drop(rx2);
    tx2.try_send("hello").unwrap();
    assert_eq!(rx3.try_receive(), Ok("hello"));
    // Cloning a closed handle gives a closed handle; it does not reopen the end.
    let rx4 = rx1.clone();
    assert!(rx4.is_closed());
    assert_eq!(rx4.try_receive(), Err(TryReceiveError::Closed));
    let tx3 = tx1.clone();
    assert!(tx3.is_closed());
    assert_eq!(tx2.statistics().open_receive_streams, 1);
    assert_eq!(tx2.statistics().open_send_streams, 1);
    rx3.close();
    // Now every receiver is really gone.
    assert!(matches!(tx2.try_send("x"), Err(TrySendError::Broken("x"))));
}

#[anyio::test]
async fn buffered_items_are_delivered_after_the_senders_close() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.send("hello").await.unwrap();
    drop(tx);
    assert_eq!(rx.receive().await, Ok("hello"));
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
}

#[anyio::test]
async fn a_waiting_receiver_owns_the_next_item() {
    // Trio's test_channel_fairness, receive side.
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    tx.try_send(1).unwrap();
    assert_eq!(rx.try_receive(), Ok(1));
    let mut waiting = Box::pin(rx.receive());
    assert!(poll!(waiting.as_mut()).is_pending());
    tx.try_send(2).unwrap();
    assert_eq!(
        rx.try_receive(),
        Err(TryReceiveError::WouldBlock),
        "the item belongs to the waiting receiver"
    );
    assert_eq!(poll!(waiting.as_mut()), Poll::Ready(Ok(2)));
}

#[anyio::test]
async fn a_waiting_sender_owns_the_freed_slot() {
    // Trio's test_channel_fairness, send side.
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    tx.try_send(1).unwrap();
    assert!(matches!(tx.try_send(9), Err(TrySendError::WouldBlock(9))));
    let mut waiting = Box::pin(tx.send(2));
    assert!(poll!(waiting.as_mut()).is_pending());
    assert_eq!(rx.try_receive(), Ok(1));
    assert!(
        matches!(tx.try_send(3), Err(TrySendError::WouldBlock(3))),
        "the slot went to the waiting sender"
    );
    assert_eq!(poll!(waiting.as_mut()), Poll::Ready(Ok(())));
    assert_eq!(rx.receive().await, Ok(2));
}

#[anyio::test]
async fn statistics_follow_the_stream() {
    // AnyIO's and Trio's test_statistics.
    let (tx, rx) = create_memory_object_stream::<()>(1);
    for statistics in [tx.statistics(), rx.statistics()] {
        assert_eq!(statistics.max_buffer_size, 1);
        assert_eq!(statistics.current_buffer_used, 0);
        assert_eq!(statistics.open_send_streams, 1);
        assert_eq!(statistics.open_receive_streams, 1);
        assert_eq!(statistics.tasks_waiting_send, 0);
        assert_eq!(statistics.tasks_waiting_receive, 0);
    }
    tx.try_send(()).unwrap();
    assert_eq!(rx.statistics().current_buffer_used, 1);
    let mut sends: Vec<_> = (0..3).map(|_| Box::pin(tx.send(()))).collect();
    for send in &mut sends {
        assert!(poll!(send.as_mut()).is_pending());
    }
    assert_eq!(rx.statistics().tasks_waiting_send, 3);
    for waiting in [2, 1, 0] {
        rx.try_receive().unwrap();
        assert_eq!(rx.statistics().current_buffer_used, 1);
        assert_eq!(rx.statistics().tasks_waiting_send, waiting);
    }
    rx.try_receive().unwrap();
    assert_eq!(rx.statistics().current_buffer_used, 0);
    let mut receive = Box::pin(rx.receive());
    assert!(poll!(receive.as_mut()).is_pending());
    assert_eq!(tx.statistics().tasks_waiting_receive, 1);
    tx.try_send(()).unwrap();
    assert_eq!(tx.statistics().tasks_waiting_receive, 0);
    assert_eq!(poll!(receive.as_mut()), Poll::Ready(Ok(())));
    let tx2 = tx.clone();
    assert_eq!(tx.statistics().open_send_streams, 2);
    drop(tx2);
    assert_eq!(tx.statistics().open_send_streams, 1);
}

#[anyio::test]
async fn many_producers_one_consumer() {
    // Trio's test_channel_multiple_producers.
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut got = task_group(|tg| async move {
        for i in 0..10 {
            let tx = tx.clone();
            tg.start_soon(async move {
                for j in 3 * i..3 * (i + 1) {
                    tx.send(j).await.unwrap();
                }
            })?;
        }
        drop(tx);
        Ok::<_, SpawnError>(rx.collect::<Vec<_>>().await)
    })
    .await
    .unwrap();
    got.sort_unstable();
    assert_eq!(got, (0..30).collect::<Vec<_>>());
}

#[anyio::test]
async fn many_consumers_each_item_once() {
    // Trio's test_channel_multiple_consumers.
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    let received = Arc::new(StdMutex::new(Vec::new()));
    let consumers_that_got_one = Arc::new(StdMutex::new(std::collections::HashSet::new()));
    task_group(|tg| {
        let (received, consumers) = (received.clone(), consumers_that_got_one.clone());
        async move {
            for i in 0..5 {
                let (rx, received, consumers) = (rx.clone(), received.clone(), consumers.clone());
                tg.start_soon(async move {
                    while let Ok(item) = rx.receive().await {
                        consumers.lock().unwrap().insert(i);
                        received.lock().unwrap().push(item);
                        // Let the other consumers take the next items.
                        sleep(Duration::from_millis(1)).await;
                    }
                })?;
            }
            receivers_waiting(&rx, 5).await;
            drop(rx);
            for item in 0..10 {
                tx.send(item).await.unwrap();
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let mut received = received.lock().unwrap().clone();
    received.sort_unstable();
    assert_eq!(received, (0..10).collect::<Vec<_>>());
    assert_eq!(consumers_that_got_one.lock().unwrap().len(), 5);
}

#[anyio::test]
async fn send_errors_return_the_item_and_debug_without_t_debug() {
    struct Opaque(u32); // deliberately not Debug
    let (tx, rx) = create_memory_object_stream::<Opaque>(0);
    assert_eq!(
        format!("{:?}", tx.try_send(Opaque(1)).unwrap_err()),
        "WouldBlock(..)"
    );
    drop(rx);
    let error = tx.send(Opaque(2)).await.unwrap_err();
    assert_eq!(format!("{error:?}"), "Broken(..)");
    assert_eq!(
        error.to_string(),
        "every receiver of the memory stream is gone"
    );
    assert_eq!(error.into_inner().0, 2);
    tx.close();
    let error = tx.try_send(Opaque(3)).unwrap_err();
    assert_eq!(format!("{error:?}"), "Closed(..)");
    assert_eq!(error.into_inner().0, 3);
}

#[anyio::test]
async fn the_send_end_is_a_sink() {
    let (mut tx, mut rx) = create_memory_object_stream::<u32>(0);
    // Rendezvous: a flush completes only once a receiver took the item.
    let mut feeding = Box::pin(async {
        // The inherent `send`/`close` take precedence over `SinkExt`'s: name the trait.
        SinkExt::send(&mut tx, 1).await.unwrap(); // start_send + flush
        SinkExt::close(&mut tx).await.unwrap(); // flushes, then closes this handle
    });
    assert!(poll!(feeding.as_mut()).is_pending());
    assert_eq!(rx.next().await, Some(1));
    assert_eq!(poll!(feeding.as_mut()), Poll::Ready(()));
    drop(feeding);
    assert!(tx.is_closed());
    assert_eq!(rx.next().await, None);

    let (mut tx, rx) = create_memory_object_stream::<u32>(4);
    tx.send_all(&mut futures::stream::iter((0..3).map(Ok)))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(rx.collect::<Vec<_>>().await, [0, 1, 2]);

    let (mut tx, rx) = create_memory_object_stream::<u32>(4);
    drop(rx);
    assert!(matches!(
        SinkExt::send(&mut tx, 5).await,
        Err(SendError::Broken(5))
    ));
}

#[anyio::test]
async fn an_abandoned_next_is_picked_up_by_receive() {
    let (tx, mut rx) = create_memory_object_stream::<u32>(0);
    {
        let mut next = rx.next();
        assert!(poll!(&mut next).is_pending());
    } // abandoned, as by the losing branch of a select
    tx.try_send(7).unwrap(); // handed to the abandoned `next`'s place in the queue
    assert_eq!(
        rx.try_receive(),
        Ok(7),
        "not lost, and not stuck behind the stream"
    );
    {
        let mut next = rx.next();
        assert!(poll!(&mut next).is_pending());
    }
    tx.try_send(8).unwrap();
    assert_eq!(rx.receive().await, Ok(8));
    assert_eq!(rx.statistics().tasks_waiting_receive, 0);
}

#[anyio::test]
async fn dropping_buffered_items_may_touch_the_stream() {
    // Items are dropped outside the stream's lock: an item whose drop closes a handle of the
    // same stream must not deadlock.
    struct ClosesOnDrop(Option<Box<MemorySendStream<ClosesOnDrop>>>);
    let (tx, rx) = create_memory_object_stream::<ClosesOnDrop>(4);
    tx.try_send(ClosesOnDrop(Some(Box::new(tx.clone()))))
        .unwrap();
    tx.try_send(ClosesOnDrop(None)).unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    std::thread::spawn(move || {
        drop(rx); // the last receiver: the buffer is dropped
        flag.store(true, Ordering::SeqCst);
    })
    .join()
    .unwrap();
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(tx.statistics().open_send_streams, 1);
    assert_eq!(tx.statistics().current_buffer_used, 0);
}

#[anyio::test]
async fn receivers_are_served_in_fifo_order() {
    let (tx, rx) = create_memory_object_stream::<usize>(0);
    let rx = Arc::new(rx);
    let order = Arc::new(StdMutex::new(Vec::new()));
    let served = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (rx, order, served) = (rx.clone(), order.clone(), served.clone());
        async move {
            for i in 0..4 {
                let (receiver, order, served) = (rx.clone(), order.clone(), served.clone());
                tg.start_soon(async move {
                    let item = receiver.receive().await.unwrap();
                    order.lock().unwrap().push((i, item));
                    served.fetch_add(1, Ordering::SeqCst);
                })?;
                receivers_waiting(&rx, i + 1).await;
            }
            for item in 0..4 {
                tx.send(item).await.unwrap();
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let mut order = order.lock().unwrap().clone();
    order.sort_unstable();
    assert_eq!(order, [(0, 0), (1, 1), (2, 2), (3, 3)]);
    assert_eq!(served.load(Ordering::SeqCst), 4);
}
