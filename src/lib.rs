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
//! # The model
//!
//! anyio is Trio's structured concurrency, expressed with Rust futures. Five ideas cover it.
//!
//! ## 1. Cancel scopes
//!
//! A [`CancelScope`] runs a future inside it: `scope.run(fut).await` gives `Some(value)` if the
//! future finished, `None` if the scope was cancelled. Cancel it through a [`CancelHandle`]
//! (cheap to clone, usable from any task or thread), or give it a deadline.
//! [`move_on_after`] and [`fail_after`] are the common shorthands.
//!
//! ```
//! use anyio::{sleep, task_group, CancelScope, Duration, SpawnError};
//!
//! anyio::run(async {
//!     let scope = CancelScope::new();
//!     let handle = scope.handle();
//!     let outcome = task_group(|tg| async move {
//!         tg.start_soon(async move {
//!             sleep(Duration::from_millis(5)).await;
//!             handle.cancel(); // from another task
//!         })?;
//!         Ok::<_, SpawnError>(scope.run(std::future::pending::<u32>()).await)
//!     })
//!     .await;
//!     assert_eq!(outcome, Ok(None));
//! });
//! ```
//!
//! Scopes nest, within a task and across tasks: a scope's parent is the enclosing scope of the
//! same task, and a task group's children hang under the group's scope. Cancelling a scope
//! cancels everything inside it.
//!
//! ## 2. Cancellation is delivered by drop, at the scope boundary
//!
//! Rust cancels a future by dropping it. When a scope is cancelled, it drops its body the next
//! time the body returns `Pending`: every future inside (a socket read, an HTTP request, a
//! database query from any crate) is cancelled the way Rust always cancels, running its
//! destructors, with no cooperation needed. The code after the `.await` that was interrupted
//! never runs; execution resumes after the scope, which resolves to `None`. Cancellation is
//! *level-triggered*: inside a cancelled scope nothing can block, so a body cannot "miss" it.
//!
//! ```
//! use anyio::{move_on_after, Duration};
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//!
//! struct Connection(Arc<AtomicBool>);
//! impl Drop for Connection {
//!     fn drop(&mut self) {
//!         self.0.store(true, Ordering::SeqCst); // say, return it to a pool
//!     }
//! }
//!
//! anyio::run(async {
//!     let closed = Arc::new(AtomicBool::new(false));
//!     let connection = Connection(closed.clone());
//!     let reply = move_on_after(Duration::from_millis(5), async move {
//!         let _connection = connection;
//!         std::future::pending::<()>().await; // a reply that never comes
//!         unreachable!("the body is dropped at the pending .await");
//!     })
//!     .await;
//!     assert_eq!(reply, None);
//!     assert!(closed.load(Ordering::SeqCst), "dropping the body ran its destructors");
//! });
//! ```
//!
//! The **outermost** cancelled scope of a task is the one that catches: an inner scope whose
//! ancestor is cancelled does not resolve, it is dropped together with the ancestor's body.
//!
//! ```
//! use anyio::{move_on_after, sleep_forever, Duration};
//!
//! anyio::run(async {
//!     let mut after_inner = false;
//!     let outer = move_on_after(Duration::from_millis(5), async {
//!         // The inner deadline is far away; the outer one fires first.
//!         let _ = move_on_after(Duration::from_secs(60), sleep_forever()).await;
//!         after_inner = true; // never reached: the outer scope caught the cancellation
//!     })
//!     .await;
//!     assert_eq!(outer, None);
//!     assert!(!after_inner);
//! });
//! ```
//!
//! Code that wants to notice cancellation early, or that loops without ever returning
//! `Pending`, uses [`checkpoint`] (a yield that never completes in a cancelled scope),
//! [`checkpoint_if_cancelled`] or [`cancelled`]. [`current_effective_deadline`] tells a
//! library how long it has.
//!
//! ## 3. Shields and protected regions
//!
//! Some work must finish even when its surroundings are cancelled: closing a session,
//! flushing a log, killing a child process. A *protected region* defers the drop until it
//! ends; after it, the next `Pending` drops the body as usual. The protected regions are:
//!
//! - a **shielded** scope, `CancelScope::new().shielded(true)`: outside cancellation does not
//!   enter it (its own `cancel()` and deadline still apply, so bound it with a timeout);
//! - [`finally(body, cleanup)`](finally): runs async `cleanup` in a shielded scope after
//!   `body` ends, whether it finished or was cancelled;
//! - a task group waiting for its children (see below);
//! - [`to_thread::run_sync`]: a thread cannot be interrupted, so by default a cancelled
//!   caller waits for it (unless
//!   [`abandon_on_cancel`](to_thread::ToThread::abandon_on_cancel) lets it go).
//!
//! ```
//! use anyio::{finally, move_on_after, sleep, sleep_forever, Duration};
//! use std::sync::atomic::{AtomicBool, Ordering};
//!
//! anyio::run(async {
//!     let logged_out = AtomicBool::new(false);
//!     let session = move_on_after(
//!         Duration::from_millis(5),
//!         finally(sleep_forever(), async {
//!             // Cancelled from outside, yet this await completes: the cleanup is shielded.
//!             sleep(Duration::from_millis(5)).await;
//!             logged_out.store(true, Ordering::SeqCst);
//!         }),
//!     )
//!     .await;
//!     assert_eq!(session, None);
//!     assert!(logged_out.load(Ordering::SeqCst));
//! });
//! ```
//!
//! ## 4. Task groups: no task outlives its group
//!
//! [`task_group()`] runs a body with a [`TaskGroup`] handle; children started through it
//! ([`start_soon`](TaskGroup::start_soon), [`spawn`](TaskGroup::spawn) for a
//! [`TaskHandle`], [`start`](TaskGroup::start) to wait until a child says it is ready) run on
//! the backend's executor, in parallel on multi-threaded runtimes. The group resolves only
//! when the body and every child ended. There are no detached tasks.
//!
//! - The first failure cancels the group's scope (siblings and body); the others are
//!   cancelled, awaited, and **every** error is collected in [`TaskGroupError::Failed`].
//! - A child panic cancels the siblings too and resumes in the parent once all ended.
//! - A group cancelled from outside cancels its children and waits for them before it
//!   resolves.
//!
//! ```
//! use anyio::{sleep, sleep_forever, task_group, CancelScope, Duration, TaskGroupError};
//!
//! anyio::run(async {
//!     let result = task_group(|tg| async move {
//!         // Cancelled when a sibling fails; being cancelled is not an error.
//!         tg.start_soon(sleep_forever()).unwrap();
//!         tg.start_soon(async {
//!             sleep(Duration::from_millis(1)).await;
//!             Err("upstream unreachable")
//!         })
//!         .unwrap();
//!         tg.start_soon(async {
//!             // Shielded: the group's cancellation waits for it, and its failure counts too.
//!             let flushed = CancelScope::new()
//!                 .shielded(true)
//!                 .run(async {
//!                     sleep(Duration::from_millis(30)).await;
//!                     Err("flush failed")
//!                 })
//!                 .await;
//!             flushed.unwrap_or(Ok(()))
//!         })
//!         .unwrap();
//!         Ok(())
//!     })
//!     .await;
//!     assert_eq!(
//!         result,
//!         Err(TaskGroupError::Failed(vec!["upstream unreachable", "flush failed"]))
//!     );
//! });
//! ```
//!
//! Children return what suits them: `()`, a `Result<(), E>` whose error goes to the group, a
//! plain value, or nothing at all (`async { loop { .. } }`); [`spawn`](TaskGroup::spawn)'s
//! [`TaskHandle`] yields the value ([`TaskResult`], [`TaskOutput`]). [`TaskSet`] receives
//! children's values as they finish, and [`race`] returns the first of several futures,
//! cancelling and awaiting the rest.
//!
//! Spawning fails (with [`SpawnError`]) only into a group that has finished. `?` takes it into
//! the error types applications use (`io::Error`, `anyhow::Error`, `Box<dyn Error>`,
//! `String`), and a group's own failure converts the same way. Every anyio error converts into
//! `io::Error`, keeping its kind, so one connection's code (connect, send, a timeout, a task
//! group) needs one error type:
//!
//! ```
//! # #[cfg(feature = "net")]
//! async fn fetch(port: u16) -> std::io::Result<Vec<u8>> {
//!     use anyio::streams::{ByteReceiveStream, ByteSendStream};
//!     let stream = anyio::fail_after(
//!         anyio::Duration::from_secs(5),
//!         anyio::net::connect_tcp("127.0.0.1", port),
//!     )
//!     .await??; // `TimeoutError`, then `ConnectError`
//!     stream.send_all(b"GET\n").await?; // `StreamError`
//!     Ok(stream.receive(1024).await?)
//! }
//! ```
//!
//! ## 5. Services: supervision, graceful shutdown, tracing
//!
//! A server's task group holds independent work: a listener, connections, background jobs.
//! Trio's rule (a failure cancels the siblings) stays the default; per child you can choose
//! otherwise, and the whole group can wind down gently:
//!
//! - [`TaskBuilder::on_failure`](task_group::TaskBuilder::on_failure): this child's error or
//!   panic goes to a handler, not the group.
//! - [`supervise::Supervisor`]: restart a failing child with a [`supervise::Backoff`], up to a
//!   limit past which the failure reaches the group (Erlang/OTP's one-for-one).
//! - [`TaskGroup::shutdown`]: ask every task inside to wind down ([`shutdown_requested`]), and
//!   cancel what still runs when the grace period ends. [`Listener::serve`](streams::Listener::serve)
//!   stops accepting and waits for its handlers; [`with_graceful_shutdown`] lets a hyper
//!   connection finish its response.
//! - Feature `tracing`: children run in the span that was current where they were spawned,
//!   inside an `anyio.task` span with their name.
//!
//! ```
//! use anyio::supervise::{Backoff, Supervisor};
//! use anyio::{shutdown_requested, sleep, task_group, Duration};
//!
//! anyio::run(async {
//!     task_group(|tg| async move {
//!         // A background job that fails now and then: restarted, never fatal to the rest.
//!         tg.start_soon(
//!             Supervisor::new()
//!                 .backoff(Backoff::exponential(Duration::from_millis(1), Duration::from_secs(1)))
//!                 .on_failure(|failure| eprintln!("refresh: {failure}"))
//!                 .run(|| async { Err::<(), _>(std::io::Error::other("cache down")) }),
//!         )?;
//!         // In-flight work that finishes when asked to stop.
//!         tg.start_soon(async {
//!             shutdown_requested().await;
//!             sleep(Duration::from_millis(1)).await;
//!         })?;
//!         // On SIGTERM, say: finish within the grace period, then everything is cancelled
//!         // (the supervisor, which never ends by itself, included).
//!         tg.shutdown(Duration::from_millis(50));
//!         Ok::<_, std::io::Error>(())
//!     })
//!     .await
//!     .unwrap();
//! });
//! ```
//!
//! ## 6. One API over three runtimes
//!
//! Nothing above depends on the runtime: every semantic is implemented once, over a few
//! primitives each backend provides (spawn, blocking pool, timers, sockets, processes,
//! signals), so tokio, smol and async-std behave the same. A library written against `anyio`
//! runs on whichever the application picks.
//!
//! # Choosing a backend
//!
//! | feature | what it turns on |
//! |---|---|
//! | `tokio-multi-thread` (default) | `tokio`, with a multi-threaded runtime for [`run`] |
//! | `tokio` | the [tokio](https://tokio.rs) backend, also picked up from an ambient tokio runtime |
//! | `smol` | the [smol](https://docs.rs/smol) backend |
//! | `async-std` | the [async-std](https://docs.rs/async-std) backend (deprecated upstream, still supported) |
//! | `net` (default) | `net`: TCP, UDP, Unix sockets, `getaddrinfo` (Unix) |
//! | `process` (default) | `process`: child processes (Unix) |
//! | `signal` (default) | `signal`: receiving Unix signals |
//! | `fs` (default) | `fs`: async files and paths |
//! | `tls` | `tls`: TLS streams over any byte stream (rustls) |
//! | `tokio-io` | `tokio::io::{AsyncRead, AsyncWrite}` on every byte stream (tokio's traits only; on with `tokio`) |
//! | `hyper` | `hyper::rt::{Read, Write}` on every byte stream, and `hyper_rt`: hyper's executor and timer |
//! | `tracing` | children run in their spawner's `tracing` span, inside an `anyio.task` span |
//! | `full` | all three backends and every capability, `tls`, `hyper` and `tracing` |
//!
//! Each capability turns on, in each backend compiled in, only the runtime features it needs
//! (`net` tokio's I/O driver, `process` its process reaper, ...). With `tokio-multi-thread`
//! (the default) [`run`] builds a multi-threaded tokio runtime, so a task group's children run
//! in parallel as they do inside `#[tokio::main]`; with `tokio` alone it builds a current-thread
//! one. Inside your own tokio runtime anyio runs on it, whatever its flavour, so a library
//! never needs `tokio-multi-thread`.
//!
//! ```toml
//! [dependencies]
//! anyio = "0.1"                                                          # tokio
//! # anyio = { version = "0.1", default-features = false, features = ["smol", "net"] }  # smol
//! ```
//!
//! Features are additive. The backend in force is, in order: the one given to
//! [`run_with`]; the one recorded in the current anyio task (children inherit it); tokio when
//! called inside a tokio runtime; async-std inside an async-std task; otherwise smol, then
//! async-std, if compiled in (their executors work from any thread). Only a tokio-only build
//! outside a tokio runtime panics, with a message saying how to start one. [`run`] and `#[anyio::main]` use the first compiled in of tokio, smol, async-std.
//! Inside an existing `#[tokio::main]` service nothing needs starting: call anyio directly.
//!
//! ```
//! use anyio::{current_backend, try_run_with, Backend};
//!
//! // Run on smol if it was compiled in (`--features smol`), else say what is missing.
//! match try_run_with(Backend::Smol, async { current_backend() }) {
//!     Ok(backend) => assert_eq!(backend, Some(Backend::Smol)),
//!     Err(missing) => assert!(missing.to_string().contains("smol")),
//! }
//! ```
//!
//! # For library authors
//!
//! A library depends on anyio with `default-features = false` and only the capabilities it
//! uses, and never picks a backend: the application does, and its choice (with the
//! capabilities every crate in its graph asked for) applies to the library's code too.
//!
//! ```toml
//! [dependencies]
//! anyio = { version = "0.1", default-features = false, features = ["net"] }
//! ```
//!
//! Its tests pick a backend as dev-dependency features (`anyio = { version = "0.1",
//! features = ["tokio", "smol"] }` under `[dev-dependencies]`), which do not reach its users.
//!
//! # Module map
//!
//! | module | what is in it |
//! |---|---|
//! | [`cancel`] | [`CancelScope`], [`CancelHandle`], [`move_on_after`], [`fail_after`], [`finally`], checkpoints |
//! | [`task_group`](mod@task_group) | [`task_group()`], [`TaskGroup`], [`TaskHandle`], [`TaskStatus`], [`TaskSet`], [`race`], [`race_ok`], graceful shutdown, errors |
//! | [`supervise`] | [`supervise::Supervisor`] (restart with backoff), [`supervise::ChildFailure`] |
//! | [`task`] | [`get_current_task`], [`get_running_tasks`], [`TaskInfo`] |
//! | [`time`] | [`sleep`], [`sleep_until`], [`sleep_forever`], [`current_time`] (the one clock anyio reads) |
//! | [`sync`] | [`Event`], [`Lock`], [`Mutex`], [`Semaphore`], [`Condition`], [`CapacityLimiter`], [`ResourceGuard`], owned guards for child tasks |
//! | [`streams`] | byte and object stream traits, their poll core ([`streams::PollByteReceive`], [`streams::PollByteSend`]) under native `futures-io`, tokio-io and hyper traits, typed attributes, stapled/buffered/text wrappers |
//! | [`streams::memory`] | [`create_memory_object_stream`]: rendezvous, bounded or unbounded channels with `Stream`/`Sink` |
//! | [`thread`] | [`to_thread`] (blocking work on a worker thread), [`from_thread`] (back into the event loop), [`BlockingPortal`] |
//! | [`process`] (Unix) | [`run_process`], [`open_process`]: children that are killed and reaped on cancellation |
//! | [`fs`] | [`open_file`], [`fs::AsyncFile`], an async [`fs::Path`] |
//! | [`signal`] (Unix) | [`open_signal_receiver`] |
//! | [`net`] (Unix) | `connect_tcp` (Happy Eyeballs), `create_tcp_listener`, UDP, Unix sockets, `getaddrinfo` |
//! | `tls` (feature `tls`) | `TlsStream`, `TlsListener` over any byte stream |
//! | `hyper_rt` (feature `hyper`) | `TaskGroupExecutor`, `AnyioTimer`: serving and calling HTTP with hyper on every backend |
//! | [`testing`] | [`testing::MockClock`] (virtual time, autojump), [`testing::Sequencer`], stream pairs and conformance checks |
//! | macros | [`macro@test`] (one test per backend), [`macro@main`] |
//!
//! # Further reading
//!
//! - [Migrating from tokio](https://github.com/anyio-rs/anyio/blob/main/docs/migration.md):
//!   `tokio::spawn`, `JoinSet`, `CancellationToken`, `tokio::time::timeout`, `select!`,
//!   `TaskTracker` and graceful shutdown side by side with anyio.
//! - [AnyIO and Trio names](https://github.com/anyio-rs/anyio/blob/main/docs/comparison.md)
//!   and their anyio counterparts.
//! - [Architecture](https://github.com/anyio-rs/anyio/blob/main/docs/ARCHITECTURE.md): how the
//!   scope tree, task groups and backends are built.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]
// On docs.rs every feature is on, and each feature-gated item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

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

/// So are the migration guide's and the name comparison's.
#[cfg(doctest)]
#[doc = include_str!("../docs/migration.md")]
struct MigrationDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/comparison.md")]
struct ComparisonDoctests;
