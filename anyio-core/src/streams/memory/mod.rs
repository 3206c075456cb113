//! Memory object streams: typed, FIFO-fair, cancel-safe channels between tasks (Trio's memory
//! channels, AnyIO's memory object streams).
//!
//! [`create_memory_object_stream`] returns a connected [`MemorySendStream`] and
//! [`MemoryReceiveStream`]. Both ends clone; each clone closes on its own, and an end is closed
//! once all its clones are.
//!
//! | buffer | behaviour |
//! |---|---|
//! | `0` | rendezvous: a send completes only when a receiver takes the item (Trio's default) |
//! | `n` | up to `n` items wait in the buffer; sends wait while it is full |
//! | `usize::MAX` | unbounded: sends never wait |
//!
//! # Semantics
//!
//! - Each item goes to exactly one receiver. The first waiting receiver *owns* the next item:
//!   a send hands it over directly, and nobody (not even a `try_receive` that runs first) can
//!   take it. Waiting senders are served in FIFO order too.
//! - Errors: [`SendError::Closed`] / [`ReceiveError::Closed`] when *this* handle was closed
//!   (also waking its own blocked calls); [`SendError::Broken`] when every receiver is gone,
//!   with the item handed back; [`ReceiveError::EndOfStream`] when every sender is gone and the
//!   buffer is drained (buffered items are still delivered after the senders close);
//!   `WouldBlock` from the `try_*` variants.
//! - Cancellation, exactly once: a cancelled receive never takes an item (one already handed
//!   to it goes to the next receiver or back to the front of the buffer); a cancelled send
//!   whose item was already taken completes with `Ok` instead of reporting the cancellation,
//!   and otherwise withdraws its item first, so a sender that retries after a cancellation
//!   never duplicates an item. Inside a scope already cancelled, `send` and `receive` move
//!   nothing even when they could without waiting (as in Trio).
//!
//! The buffered path allocates nothing per item: the buffer is a ring allocated up front (up to
//! 1024 slots; larger and unbounded buffers grow and keep their capacity), and the wait queues
//! reuse their slots.
//!
//! # Examples
//!
//! ```
//! # anyio_core::run(async {
//! use anyio_core::{streams::memory::create_memory_object_stream, task_group};
//!
//! let (tx, rx) = create_memory_object_stream::<String>(16);
//! task_group(|tg| async move {
//!     tg.start_soon(async move {
//!         for word in ["structured", "concurrency"] {
//!             tx.send(word.to_owned()).await.unwrap();
//!         }
//!         // `tx` drops here: the receiver sees the end of the stream.
//!     })?;
//!     let mut words = Vec::new();
//!     while let Ok(word) = rx.receive().await {
//!         words.push(word);
//!     }
//!     assert_eq!(words, ["structured", "concurrency"]);
//!     Ok::<_, anyio_core::SpawnError>(())
//! })
//! .await
//! .unwrap();
//! # });
//! ```

mod channel;
mod error;
mod object_stream;
mod receive;
mod send;
mod statistics;

pub use error::{ReceiveError, SendError, TryReceiveError, TrySendError};
pub use receive::{MemoryReceiveStream, ReceiveItem};
pub use send::{MemorySendStream, SendItem};
pub use statistics::MemoryStreamStatistics;

use crate::sync::shim::Arc;

/// Creates a memory object stream holding up to `max_buffer_size` items: `0` for a rendezvous
/// (a send completes when a receiver takes the item), `usize::MAX` for unbounded.
///
/// See the [module docs](self) for the semantics.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{create_memory_object_stream, task_group};
///
/// let (tx, rx) = create_memory_object_stream::<u64>(0);
/// task_group(|tg| async move {
///     tg.start_soon(async move { tx.send(42).await.unwrap() })?;
///     assert_eq!(rx.receive().await, Ok(42));
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub fn create_memory_object_stream<T>(
    max_buffer_size: usize,
) -> (MemorySendStream<T>, MemoryReceiveStream<T>) {
    let channel = Arc::new(channel::Channel::new(max_buffer_size));
    (
        MemorySendStream::new(channel.clone()),
        MemoryReceiveStream::new(channel),
    )
}
