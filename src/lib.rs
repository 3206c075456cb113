//! # anyio
//!
//! Structured concurrency for Rust, on the runtime you already use: task groups, cancel
//! scopes, timeouts and cancellation points in the style of Python's
//! [AnyIO](https://anyio.readthedocs.io) and [Trio](https://trio.readthedocs.io), as one API
//! over **tokio**, **smol** and **async-std**.
//!
//! - Library authors write runtime-neutral code against `anyio`, with no generics.
//! - Applications pick the backend with a cargo feature.
//! - A tokio service can adopt one piece at a time: every anyio call works inside a plain
//!   `#[tokio::main]`.
//!
//! ```
//! use anyio::{move_on_after, task_group, time::{sleep, Duration}};
//!
//! # fn main() {
//! anyio::run(async {
//!     let result = task_group(|tg| async move {
//!         tg.start_soon(async { sleep(Duration::from_millis(5)).await })?;
//!         tg.start_soon(async {
//!             // Gives up after 1 ms, dropping the sleep.
//!             assert_eq!(move_on_after(Duration::from_millis(1), sleep(Duration::from_secs(9))).await, None);
//!         })?;
//!         Ok::<_, anyio::SpawnError>("both children done")
//!     })
//!     .await;
//!     assert_eq!(result, Ok("both children done"));
//! });
//! # }
//! ```
//!
//! # The cancellation model
//!
//! Rust cancels a future by dropping it; anyio uses that to *deliver* cancellation, so it
//! works on every future, including foreign ones that know nothing about anyio. Trio's tree of
//! cancel scopes decides *when*: see [`cancel`] for the model, and [`task_group()`] for
//! structured concurrency.
//!
//! # Backends and features
//!
//! | feature | backend | notes |
//! |---|---|---|
//! | `tokio` (default) | [tokio](https://tokio.rs) | also picked up from an ambient tokio runtime |
//! | `smol` | [smol](https://docs.rs/smol) | |
//! | `async-std` | [async-std](https://docs.rs/async-std) | deprecated upstream, still supported |
//! | `full` | all three | |
//!
//! Features are additive. The backend in force is, in order: the one given to
//! [`run_with`]; the one recorded in the current anyio task (children inherit it); tokio when
//! called inside a tokio runtime; otherwise anyio panics with a message saying how to start a
//! runtime. [`run`] uses the first compiled in of tokio, smol, async-std.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

// Everything in anyio-core is the public API; the facade adds only the macros and features.
#[doc(inline)]
pub use anyio_core::*;

/// Marks an async test to run once per enabled backend: `#[anyio::test] async fn x()` becomes
/// the tests `x::tokio`, `x::smol` and `x::async_std` (for the backends compiled in).
///
/// Options: `backends = "tokio,smol"` narrows the set; `timeout = "30s"` changes the per-test
/// time limit (default 60 s, in real time), after which the test fails with a clear message
/// instead of hanging; `autojump` runs the test on an autojumping virtual clock
/// ([`testing::MockClock`]), so sleeps and deadlines take no real time. The function may return
/// `()` or `Result<(), E>` with `E: Debug`.
///
/// # Examples
///
/// ```
/// #[anyio::test]
/// async fn sleeps() {
///     anyio::sleep(anyio::Duration::from_millis(1)).await;
/// }
/// ```
pub use anyio_macros::test;

/// Runs an async `main` on the default backend, or the one named: `#[anyio::main(backend =
/// "smol")]`.
///
/// # Examples
///
/// ```
/// #[anyio::main]
/// async fn main() {
///     println!("on {:?}", anyio::current_backend());
/// }
/// ```
pub use anyio_macros::main;

#[doc(hidden)]
pub mod __private;

/// The README's examples are tested with the crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
