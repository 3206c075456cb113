//! loom models of the memory object stream core: hand-off to a receiver that is dropped,
//! cancelled sends, sends and receives whose scope is cancelled while the other side takes or
//! hands over an item, and closing while the other side waits. Every interleaving must deliver
//! each item exactly once (or hand it back) and never leave a task waiting forever.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p anyio-core
//! --release --test loom_channel`.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use anyio_core::loom_model as model;
use anyio_core::streams::memory::{
    create_memory_object_stream, ReceiveError, SendError, TryReceiveError, TrySendError,
};
use anyio_core::CancelScope;
use loom::future::block_on;
use loom::thread;

/// Polls `future` once, then drops it: a cancellation at the worst moment.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Polls `future` once with a waker that does nothing.
fn poll_now<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// A send waits (on a rendezvous, or a full one-slot buffer); a receiver takes an item on
/// another thread while the sender's scope is cancelled and the send polled: the scope
/// reports the cancellation exactly when the item was not delivered.
#[test]
fn a_cancelled_send_completes_exactly_when_its_item_was_taken() {
    for buffer in [0, 1] {
        model(move || {
            let (tx, rx) = create_memory_object_stream::<u32>(buffer);
            if buffer == 1 {
                tx.try_send(0).unwrap();
            }
            let scope = CancelScope::new();
            let handle = scope.handle();
            let mut sending = pin!(scope.run(tx.send(1)));
            assert!(poll_now(sending.as_mut()).is_pending());
            let receiver = thread::spawn(move || {
                let first = rx.try_receive();
                (first, rx)
            });
            handle.cancel();
            let sent = match poll_now(sending.as_mut()) {
                Poll::Ready(Some(Ok(()))) => true,
                Poll::Ready(None) => false,
                other => panic!("unexpected {other:?}"),
            };
            let (first, rx) = receiver.join().unwrap();
            let mut got: Vec<u32> = first.into_iter().collect();
            while let Ok(item) = rx.try_receive() {
                got.push(item);
            }
            let expected: &[u32] = match (buffer, sent) {
                (0, true) => &[1],
                (0, false) => &[],
                (_, true) => &[0, 1],
                (_, false) => &[0],
            };
            assert_eq!(got, expected, "buffer {buffer}, sent {sent}");
        });
    }
}

/// A receive waits; a sender offers an item on another thread while the receiver's scope is
/// cancelled and the receive polled: the receive never completes, and an item handed to it is
/// back in the stream.
#[test]
fn a_cancelled_receive_gives_back_an_item_handed_to_it() {
    model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let mut receiving = pin!(scope.run(rx.receive()));
        assert!(poll_now(receiving.as_mut()).is_pending());
        let sender = thread::spawn(move || {
            let offered = tx.try_send(1);
            (offered, tx)
        });
        handle.cancel();
        assert!(matches!(poll_now(receiving.as_mut()), Poll::Ready(None)));
        let (offered, _tx) = sender.join().unwrap();
        match offered {
            Ok(()) => assert_eq!(rx.try_receive(), Ok(1), "the handed item was lost"),
            Err(TrySendError::WouldBlock(1)) => {
                assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
            }
            Err(error) => panic!("unexpected {error}"),
        }
    });
}

/// A rendezvous send races a receiver that is dropped after one poll: the item reaches
/// exactly one receiver, and the send completes.
#[test]
fn rendezvous_handoff_to_a_dropped_receiver() {
    model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let rx2 = rx.clone();
        let sender = thread::spawn(move || block_on(tx.send(7)).is_ok());
        let dropped = thread::spawn(move || poll_once(rx2.receive()));
        let early = dropped.join().unwrap();
        let got = match early {
            Some(Ok(item)) => Some(item),
            Some(Err(error)) => panic!("unexpected {error}"),
            None => Some(block_on(rx.receive()).expect("the item was lost")),
        };
        assert_eq!(got, Some(7));
        assert!(sender.join().unwrap(), "the send did not complete");
        assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    });
}

/// Two receivers on a one-slot buffer, the first dropped after one poll; the sender closes
/// after sending. Exactly one item is received in total, and nobody waits forever.
#[test]
fn buffered_item_survives_a_dropped_receiver() {
    model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(1);
        let rx2 = rx.clone();
        let sender = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            drop(tx);
        });
        let dropped = thread::spawn(move || matches!(poll_once(rx2.receive()), Some(Ok(1))));
        let mut received = usize::from(dropped.join().unwrap());
        match block_on(rx.receive()) {
            Ok(1) => received += 1,
            Ok(other) => panic!("received {other}"),
            Err(ReceiveError::EndOfStream) => {}
            Err(ReceiveError::Closed) => panic!("closed"),
        }
        sender.join().unwrap();
        assert_eq!(received, 1);
    });
}

/// A send dropped after one poll races a receiver: the item is delivered once or not at all,
/// never twice; a later item still arrives.
#[test]
fn a_dropped_send_never_delivers_twice() {
    model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let receiver = thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(item) = block_on(rx.receive()) {
                got.push(item);
            }
            got
        });
        let first = poll_once(tx.send(1));
        block_on(tx.send(2)).unwrap();
        drop(tx);
        let got = receiver.join().unwrap();
        match first {
            Some(Ok(())) => assert_eq!(got, [1, 2]),
            None => assert!(got == [2] || got == [1, 2], "got {got:?}"),
            Some(Err(error)) => panic!("unexpected {error}"),
        }
    });
}

/// The last receiver closes while a send waits: the send gets its item back.
#[test]
fn closing_the_receiver_breaks_a_waiting_send() {
    model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let sender = thread::spawn(move || block_on(tx.send(5)));
        drop(rx);
        match sender.join().unwrap() {
            Err(SendError::Broken(5)) => {}
            other => panic!("unexpected {other:?}"),
        }
    });
}

/// The last sender closes while a receive waits on a buffered stream with one item in flight.
#[test]
fn closing_the_sender_ends_the_stream_after_the_buffer() {
    model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(1);
        let receiver = thread::spawn(move || {
            let first = block_on(rx.receive());
            let second = block_on(rx.receive());
            (first, second)
        });
        tx.try_send(3).unwrap();
        drop(tx);
        let (first, second) = receiver.join().unwrap();
        assert_eq!(first, Ok(3));
        assert_eq!(second, Err(ReceiveError::EndOfStream));
    });
}
