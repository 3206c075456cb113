//! The Unix primitives that [anyio](https://docs.rs/anyio)'s smol and async-std backends share.
//!
//! Both runtimes run on async-io's reactor (async-std's own sockets are async-io's), and
//! child processes (async-process) and signals (async-signal) work on any executor, so one
//! implementation serves both backends without either backend crate depending on the other.
//! Each part is behind the feature of the anyio capability that needs it: `net` (socket
//! readiness), `process`, `signal`. Applications use the `anyio` crate, not this one.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

#[cfg(all(unix, feature = "net"))]
mod net;
#[cfg(all(unix, feature = "process"))]
mod process;
#[cfg(all(unix, feature = "signal"))]
mod signal;

#[cfg(all(unix, feature = "net"))]
pub use net::Registration;
#[cfg(all(unix, feature = "process"))]
pub use process::{spawn_child, Child, ChildReader, ChildStdin};
#[cfg(all(unix, feature = "signal"))]
pub use signal::{signals, Signals};
