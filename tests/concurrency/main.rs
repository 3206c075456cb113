//! The tests of the runtime-neutral core: cancel scopes, task groups, time, synchronization,
//! memory object streams, threads and the test macros, each on every enabled backend.
//!
//! Every file of an area is a module of this one test binary (linking one binary per file
//! cost more than running the tests): add a test file here and list it below with
//! `mod <file>;`. Helpers shared with the other binaries are in `tests/common`, reached as
//! `crate::common`.

#[path = "../common/mod.rs"]
mod common;

mod async_send_sync;
mod backend;
mod cancel_scope;
mod cancel_scope_entry;
mod capacity_limiter;
mod from_thread;
mod introspection;
mod macros;
mod memory_stream;
mod memory_stream_cancellation;
mod memory_stream_stress;
mod portal;
mod race;
mod shutdown;
mod supervise;
mod sync_cancellation_point;
mod sync_condition;
mod sync_event;
mod sync_lock;
mod sync_owned;
mod sync_owned_cancellation;
mod sync_owned_stress;
mod sync_semaphore;
mod task_group;
mod task_group_dropped;
mod task_group_errors;
mod task_group_outputs;
mod task_group_start;
mod task_results;
mod time;
mod to_thread;
mod tokio_clock;
mod tracing_spans;
mod virtual_time;
