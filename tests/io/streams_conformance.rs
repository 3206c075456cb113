//! The stream conformance checks (`anyio::testing::check_*`, after Trio's `check_*_stream`) run
//! against the in-memory byte stream pairs and stapled memory object streams, on every backend.

use std::sync::Mutex;

use anyio::create_memory_object_stream;
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, MemoryReceiveStream, MemorySendStream,
    StapledByteStream, StreamError,
};
use anyio::sync::ResourceGuard;
use anyio::testing::{
    check_clogged_half_closeable_stream, check_half_closeable_stream, lockstep_stream_pair,
    memory_stream_pair,
};

/// Sends bytes as `Vec<u8>` chunks on a memory object stream.
struct ChunkSender(MemorySendStream<Vec<u8>>);

/// Receives `Vec<u8>` chunks from a memory object stream as bytes.
struct ChunkReceiver {
    inner: MemoryReceiveStream<Vec<u8>>,
    leftover: Mutex<Vec<u8>>,
    receiving: ResourceGuard,
}

impl anyio::streams::attributes::TypedAttributeProvider for ChunkSender {}
impl anyio::streams::attributes::TypedAttributeProvider for ChunkReceiver {}

impl AsyncResource for ChunkSender {
    async fn aclose(&self) {
        self.0.close();
    }
}

impl AsyncResource for ChunkReceiver {
    async fn aclose(&self) {
        self.inner.close();
    }
}

impl ByteSendStream for ChunkSender {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        if self.0.is_closed() {
            return Err(StreamError::ClosedResource);
        }
        if data.is_empty() {
            return Ok(());
        }
        anyio::streams::UnreliableObjectSendStream::send(&self.0, data.to_vec())
            .await
            .map_err(StreamError::from)
    }
}

impl ByteReceiveStream for ChunkReceiver {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Err(StreamError::InvalidMaxBytes { max_bytes: 0 });
        }
        let _receiving = self.receiving.enter()?;
        let mut chunk = std::mem::take(&mut *self.leftover.lock().unwrap());
        if chunk.is_empty() {
            chunk = anyio::streams::UnreliableObjectReceiveStream::receive(&self.inner).await?;
        }
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        *self.leftover.lock().unwrap() = chunk.split_off(n);
        Ok(n)
    }
}

type Stapled = StapledByteStream<ChunkSender, ChunkReceiver>;

fn stapled_pair(buffer: usize) -> (Stapled, Stapled) {
    let (tx1, rx1) = create_memory_object_stream(buffer);
    let (tx2, rx2) = create_memory_object_stream(buffer);
    let receiver = |inner| ChunkReceiver {
        inner,
        leftover: Mutex::new(Vec::new()),
        receiving: ResourceGuard::new("receiving from"),
    };
    (
        StapledByteStream::new(ChunkSender(tx1), receiver(rx2)),
        StapledByteStream::new(ChunkSender(tx2), receiver(rx1)),
    )
}

#[anyio::test(autojump)]
async fn memory_stream_pair_conforms() {
    check_half_closeable_stream(|| async { memory_stream_pair() }).await;
}

#[anyio::test(autojump)]
async fn lockstep_stream_pair_conforms() {
    check_half_closeable_stream(|| async { lockstep_stream_pair() }).await;
    check_clogged_half_closeable_stream(|| async { lockstep_stream_pair() }).await;
}

#[anyio::test(autojump)]
async fn stapled_memory_object_streams_conform() {
    check_half_closeable_stream(|| async { stapled_pair(usize::MAX) }).await;
    check_half_closeable_stream(|| async { stapled_pair(0) }).await;
}

#[anyio::test(autojump)]
async fn boxed_memory_stream_pair_conforms() {
    check_half_closeable_stream(|| async {
        let (a, b) = memory_stream_pair();
        let boxed: (
            anyio::streams::BoxedByteStream,
            anyio::streams::BoxedByteStream,
        ) = (Box::new(a), Box::new(b));
        boxed
    })
    .await;
}

/// A lockstep send whose bytes the peer took between the send's last poll and its scope's look
/// at a cancellation completes: the scope returns its `Ok` instead of reporting a cancelled
/// send whose bytes were delivered.
#[anyio::test]
async fn a_lockstep_send_taken_while_its_scope_is_being_cancelled_completes() {
    use futures::FutureExt;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    struct TakeThenCancel<'a, F> {
        send: Pin<Box<F>>,
        peer: &'a anyio::testing::MemoryByteStream,
        scope: anyio::CancelHandle,
        taken: Option<Vec<u8>>,
    }
    impl<F: std::future::Future> std::future::Future for TakeThenCancel<'_, F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let polled = self.send.as_mut().poll(cx);
            if polled.is_pending() && self.taken.is_none() {
                self.taken = self.peer.receive(64).now_or_never().and_then(Result::ok);
                self.scope.cancel();
            }
            polled
        }
    }

    let (left, right) = lockstep_stream_pair();
    let scope = anyio::CancelScope::new();
    let sending = TakeThenCancel {
        send: Box::pin(left.send_all(b"abc")),
        peer: &right,
        scope: scope.handle(),
        taken: None,
    };
    let outcome = scope.run(sending).await;
    assert!(matches!(outcome, Some(Ok(()))), "{outcome:?}");
}
