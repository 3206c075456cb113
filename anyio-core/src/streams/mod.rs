//! Streams of objects between tasks.
//!
//! - [`memory`]: in-process object streams ([`create_memory_object_stream`]), the channels of
//!   anyio.
//!
//! The byte- and object-stream traits for networking come with the stream framework; the
//! memory streams will implement the object-stream ones.

pub mod memory;

pub use memory::{create_memory_object_stream, MemoryReceiveStream, MemorySendStream};
