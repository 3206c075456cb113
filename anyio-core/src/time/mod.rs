//! Time: sleeping and the clock every anyio timer, deadline and scope reads.
//!
//! All anyio time goes through one clock ([`current_time`]), so that a virtual clock can stand
//! in for real time in tests without any code change. [`Instant`] is `std::time::Instant`.
//!
//! Sleeping is cancelled like any other future: by dropping it, which an enclosing
//! [`CancelScope`](crate::CancelScope) does at its deadline.

mod clock;
mod sleep;
pub(crate) mod virtual_clock;

pub use clock::current_time;
pub(crate) use clock::deadline_after;
pub use sleep::{sleep, sleep_forever, sleep_until, Sleep, SleepForever};
pub use std::time::{Duration, Instant};
