//! What a child task may return, and what of it reaches the group.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What a child of [`start_soon`](super::TaskGroup::start_soon) or
/// [`start`](super::TaskGroup::start) may return: nothing (`()`, `!`, [`Infallible`]),
/// `Result<(), E>` whose error goes to the group, or a plain value, which is dropped.
///
/// A `Result` must be `Result<(), E>` here so that a child that only returns `Err(..)` needs no
/// annotation; a child whose value matters is [`spawn`](super::TaskGroup::spawn)ed (see
/// [`TaskOutput`]). Without specialization Rust cannot tell "any type" from "a `Result`" in one
/// generic function, so plain values are the standard library's common types, listed below;
/// wrap a value of your own type in `Ok(..)`, or `spawn` it.
///
/// The trait is sealed: supporting `!` on stable Rust (as `<fn() -> ! as ..>::Output`) makes
/// any impl outside this crate overlap it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// anyio_core::task_group(|tg| async move {
///     tg.start_soon(async {})?; // `()`
///     tg.start_soon(async { Ok(()) })?; // `Result<(), E>`
///     tg.start_soon(async { 42 })?; // a value, dropped
///     tg.start_soon(anyio_core::sleep_forever())?; // `Infallible`
///     tg.start_soon(async {
///         loop {
///             anyio_core::sleep_forever().await;
///         }
///     })?; // `!`
///     tg.cancel();
///     Ok::<_, std::io::Error>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a result a task group with error type `{E}` can take",
    label = "a child returns this",
    note = "return `()`, `Result<(), {E}>` (the group's own error type) or a standard library \
            value; `spawn` a child whose value you need"
)]
pub trait TaskResult<E>: sealed::Sealed {
    /// The error that goes to the group, if any; a value is dropped.
    ///
    /// # Errors
    ///
    /// The child's error, for `Result<(), E>`.
    fn into_result(self) -> Result<(), E>;
}

/// What a child of [`spawn`](super::TaskGroup::spawn) may return: a plain value, which its
/// [`TaskHandle`](super::TaskHandle) yields, or `Result<T, E>`, whose `T` the handle yields and
/// whose error goes to the group.
///
/// | the child returns | the group sees | the handle yields |
/// |---|---|---|
/// | `Result<T, E>` (the group's `E`) | the error, if any | `T` |
/// | `()`, numbers, `String`, `Vec<T>`, `Option<T>`, tuples, ... | nothing | the value |
/// | `!` (a `loop` that never breaks), [`Infallible`] | nothing | — |
///
/// The plain values are those of [`TaskResult`]; a value of your own type is returned as
/// `Ok(value)`. The trait is sealed, as [`TaskResult`] is.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// anyio_core::task_group(|tg| async move {
///     let answer = tg.spawn(async { 6 * 7 })?; // a plain value
///     let text = tg.spawn(async { Ok(String::from("checked")) })?; // `Result<String, E>`
///     assert_eq!(answer.await, Ok(42));
///     assert_eq!(text.await.as_deref(), Ok("checked"));
///     Ok::<_, std::io::Error>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an output a task group with error type `{E}` can take",
    label = "a child returns this",
    note = "return `Result<T, {E}>` (the group's own error type), a standard library value, or \
            `Ok(value)` for a value of your own type"
)]
pub trait TaskOutput<E>: sealed::Sealed {
    /// What a [`TaskHandle`](super::TaskHandle) yields when the task succeeds.
    type Value;

    /// Splits the task's output into its value and the group's error.
    ///
    /// # Errors
    ///
    /// The error that goes to the group, for `Result<T, E>` outputs.
    fn into_output(self) -> Result<Self::Value, E>;
}

mod sealed {
    /// Only this crate's types are task results (see [`TaskResult`](super::TaskResult)).
    pub trait Sealed {}
}

impl<T, E> sealed::Sealed for Result<T, E> {}
impl sealed::Sealed for Infallible {}
impl sealed::Sealed for Never {}

impl<E> TaskResult<E> for Result<(), E> {
    fn into_result(self) -> Result<(), E> {
        self
    }
}

impl<T, E> TaskOutput<E> for Result<T, E> {
    type Value = T;

    fn into_output(self) -> Result<T, E> {
        self
    }
}

/// A task that can only end by cancellation, such as
/// [`sleep_forever`](crate::time::sleep_forever).
impl<E> TaskResult<E> for Infallible {
    fn into_result(self) -> Result<(), E> {
        match self {}
    }
}

impl<E> TaskOutput<E> for Infallible {
    type Value = Infallible;

    fn into_output(self) -> Result<Infallible, E> {
        match self {}
    }
}

/// Names the never type `!` on stable Rust: the return type of `fn() -> !`. Public in a
/// private module (nameable in the impls below, unreachable from outside), as a sealed trait
/// is.
#[allow(unreachable_pub)]
pub trait FnOutput {
    /// The function's return type.
    type Output;
}

impl<R> FnOutput for fn() -> R {
    type Output = R;
}

/// `!`, the type of a task whose body is a `loop` that never breaks.
#[allow(unreachable_pub)]
pub type Never = <fn() -> ! as FnOutput>::Output;

/// A task that runs until it is cancelled: `async { loop { ... } }`.
impl<E> TaskResult<E> for Never {
    fn into_result(self) -> Result<(), E> {
        self
    }
}

impl<E> TaskOutput<E> for Never {
    type Value = Never;

    fn into_output(self) -> Result<Never, E> {
        self
    }
}

/// Implements [`TaskResult`] and [`TaskOutput`] for types that are values only.
macro_rules! plain_values {
    ($( [$($generics:tt)*] $type:ty ),* $(,)?) => {
        $(
            impl<$($generics)*> sealed::Sealed for $type {}

            impl<E, $($generics)*> TaskResult<E> for $type {
                fn into_result(self) -> Result<(), E> {
                    Ok(())
                }
            }

            impl<E, $($generics)*> TaskOutput<E> for $type {
                type Value = $type;

                fn into_output(self) -> Result<$type, E> {
                    Ok(self)
                }
            }
        )*
    };
}

plain_values!(
    [] (),
    [] bool,
    [] char,
    [] u8,
    [] u16,
    [] u32,
    [] u64,
    [] u128,
    [] usize,
    [] i8,
    [] i16,
    [] i32,
    [] i64,
    [] i128,
    [] isize,
    [] f32,
    [] f64,
    [] String,
    [] &'static str,
    [] PathBuf,
    [] Duration,
    [] std::time::Instant,
    [] std::time::SystemTime,
    [] std::net::SocketAddr,
    [] std::net::IpAddr,
    [] std::process::ExitStatus,
    [] std::process::Output,
    [T: ?Sized] Box<T>,
    [T: ?Sized] Arc<T>,
    [T: ?Sized + ToOwned + 'static] Cow<'static, T>,
    [T] Option<T>,
    [T] Vec<T>,
    [T] VecDeque<T>,
    [T] LinkedList<T>,
    [T] BinaryHeap<T>,
    [T, S] HashSet<T, S>,
    [K, V, S] HashMap<K, V, S>,
    [T] BTreeSet<T>,
    [K, V] BTreeMap<K, V>,
    [T, const N: usize] [T; N],
    [A, B] (A, B),
    [A, B, C] (A, B, C),
    [A, B, C, D] (A, B, C, D),
    [A, B, C, D, F] (A, B, C, D, F),
    [A, B, C, D, F, G] (A, B, C, D, F, G),
);
