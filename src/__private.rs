//! Support code for the attribute macros. Not a public API.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use anyio_core::Backend;

/// What `#[anyio::test]` knows about one generated test.
#[derive(Debug, Clone, Copy)]
pub struct TestConfig {
    /// The backend to run on.
    pub backend: Backend,
    /// The test's path, for messages.
    pub name: &'static str,
    /// How long the test may run before it fails.
    pub time_limit: Duration,
    /// Whether the test runs on an autojumping virtual clock.
    pub autojump: bool,
}

/// A failed test's error, shown verbatim by the test harness.
pub struct TestFailure(String);

impl fmt::Debug for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an `#[anyio::test]` function may return.
pub trait TestOutput {
    /// `Err` with the error's `Debug` form when the test failed.
    fn into_outcome(self) -> Result<(), TestFailure>;
}

impl TestOutput for () {
    fn into_outcome(self) -> Result<(), TestFailure> {
        Ok(())
    }
}

impl<E: fmt::Debug> TestOutput for Result<(), E> {
    fn into_outcome(self) -> Result<(), TestFailure> {
        self.map_err(|error| TestFailure(format!("{error:?}")))
    }
}

/// Runs one generated test on its own thread, failing it when it outlives its time limit
/// instead of hanging the whole suite. Panics of the test resume here, so `#[should_panic]`
/// works.
pub fn run_test<F, Fut>(config: TestConfig, make: F) -> Result<(), TestFailure>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: TestOutput,
{
    let (sender, receiver) = mpsc::channel();
    // Debug builds of deep stream stacks (TLS over TLS in a conformance check) hold large
    // futures on the stack; 8 MiB, as a main thread gets, keeps them from overflowing.
    let spawned = std::thread::Builder::new()
        .name(config.name.to_owned())
        .stack_size(8 << 20)
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let test = async move { make().await.into_outcome() };
                if config.autojump {
                    let clock = anyio_core::testing::MockClock::new().with_autojump();
                    anyio_core::testing::run_with_clock(config.backend, &clock, test)
                } else {
                    anyio_core::run_with(config.backend, test)
                }
            }));
            // The receiver is gone only if the test already timed out.
            let _ = sender.send(outcome);
        });
    if let Err(error) = spawned {
        panic!(
            "could not start a thread for test `{}`: {error}",
            config.name
        );
    }
    match receiver.recv_timeout(config.time_limit) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "test `{}` on {} did not finish within its time limit of {:?}; if it needs longer, \
             raise it with #[anyio::test(timeout = \"...\")]",
            config.name, config.backend, config.time_limit
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!(
                "test `{}` on {}: its thread ended without a result",
                config.name, config.backend
            )
        }
    }
}

/// Expands its input only when the `tokio` feature of anyio is enabled.
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio {
    ($($item:tt)*) => { $($item)* };
}

/// Expands its input only when the `tokio` feature of anyio is enabled.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio {
    ($($item:tt)*) => {};
}

/// Expands its input only when the `smol` feature of anyio is enabled.
#[cfg(feature = "smol")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_smol {
    ($($item:tt)*) => { $($item)* };
}

/// Expands its input only when the `smol` feature of anyio is enabled.
#[cfg(not(feature = "smol"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_smol {
    ($($item:tt)*) => {};
}

/// Expands its input only when the `async-std` feature of anyio is enabled.
#[cfg(feature = "async-std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_std {
    ($($item:tt)*) => { $($item)* };
}

/// Expands its input only when the `async-std` feature of anyio is enabled.
#[cfg(not(feature = "async-std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_std {
    ($($item:tt)*) => {};
}
