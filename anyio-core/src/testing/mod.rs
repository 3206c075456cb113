//! Testing tools in the spirit of `trio.testing`: virtual time with [`MockClock`], the
//! [`wait_all_tasks_blocked`] quiescence point, and a [`Sequencer`] that forces an order across
//! tasks.
//!
//! # Virtual time
//!
//! Under a [`MockClock`] every anyio timer, sleep, deadline and [`current_time`] reads virtual
//! time, which moves only when the test calls [`MockClock::jump`] or, with *autojump*, as soon
//! as every anyio task is blocked: then it jumps straight to the earliest timer. A test that
//! sleeps for an hour finishes in microseconds, with exact timings, on every backend.
//!
//! `#[anyio::test(autojump)]` runs a test on a fresh autojumping clock; [`run_with_clock`] does
//! the same by hand.
//!
//! Autojump counts only anyio tasks (and worker threads started by anyio). Real I/O still works,
//! but a task waiting on a socket counts as blocked, so time may jump meanwhile (as in Trio):
//! keep deadlines in autojump tests generous around real I/O.
//!
//! [`current_time`]: crate::time::current_time
//!
//! # Examples
//!
//! ```
//! use anyio_core::testing::{run_with_clock, MockClock};
//! use anyio_core::{fail_after, time::{current_time, sleep, Duration}, Backend};
//!
//! let clock = MockClock::new().with_autojump();
//! # for backend in Backend::available() {
//! run_with_clock(backend, &clock, async {
//!     let start = current_time();
//!     sleep(Duration::from_secs(3600)).await; // returns at once in real time
//!     assert_eq!(current_time() - start, Duration::from_secs(3600));
//!     assert!(fail_after(Duration::from_secs(10), sleep(Duration::from_secs(60))).await.is_err());
//!     assert_eq!(current_time() - start, Duration::from_secs(3610));
//! });
//! # }
//! ```

mod check_streams;
mod memory_byte_pipe;
mod memory_byte_stream;
mod mock_clock;
mod sequencer;

pub use check_streams::{
    check_clogged_half_closeable_stream, check_clogged_one_way_stream, check_half_closeable_stream,
    check_one_way_stream, check_two_way_stream,
};
pub use memory_byte_stream::{lockstep_stream_pair, memory_stream_pair, MemoryByteStream};
pub use mock_clock::{
    run_with_clock, try_run_with_clock, wait_all_tasks_blocked, MockClock, WaitAllTasksBlocked,
};
pub use sequencer::{Sequencer, SequencerError, SequencerGuard};
