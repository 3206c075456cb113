//! Receiving Unix signals as a stream (Unix only).
//!
//! [`open_signal_receiver`] starts listening for a set of [`Signal`]s and returns a
//! [`SignalReceiver`], a [`Stream`](futures_core::Stream) of the signals as they arrive, on
//! every backend (tokio's `tokio::signal::unix`, async-signal on smol and async-std). The
//! same [`Signal`] names are used to signal child processes
//! ([`Process::send_signal`](crate::process::Process::send_signal)).
//!
//! # Examples
//!
//! A graceful shutdown on `SIGTERM`, `SIGINT` or `SIGHUP`:
//!
//! ```no_run
//! # anyio_core::run(async {
//! use anyio_core::signal::{open_signal_receiver, Signal};
//!
//! let mut signals =
//!     open_signal_receiver(&[Signal::Terminate, Signal::Interrupt, Signal::Hangup])?;
//! while let Some(signal) = signals.receive().await {
//!     match signal {
//!         Signal::Hangup => println!("reloading the configuration"),
//!         _ => break, // shut down
//!     }
//! }
//! # Ok::<(), anyio_core::signal::SignalError>(())
//! # });
//! ```

mod error;
mod kind;
#[cfg(feature = "signal")]
mod receiver;

pub use error::SignalError;
pub use kind::Signal;
#[cfg(feature = "signal")]
pub use receiver::{open_signal_receiver, SignalReceiver};
