//! Which async runtime anyio runs on, and how the one in force is found.

use std::fmt;
use std::panic::Location;

use crate::context;

/// An async runtime anyio can run on.
///
/// Each variant always exists so that code naming a backend compiles under any set of cargo
/// features; [`Backend::is_available`] tells whether its feature was compiled in.
///
/// # Examples
///
/// ```
/// use anyio_core::Backend;
///
/// for backend in Backend::available() {
///     assert!(backend.is_available());
///     println!("{backend} is compiled in");
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// [tokio](https://tokio.rs), cargo feature `tokio` (the default).
    Tokio,
    /// [smol](https://docs.rs/smol), cargo feature `smol`.
    Smol,
    /// [async-std](https://docs.rs/async-std), cargo feature `async-std`.
    AsyncStd,
}

impl Backend {
    /// Every backend, in default-priority order.
    pub const ALL: [Backend; 3] = [Backend::Tokio, Backend::Smol, Backend::AsyncStd];

    /// Whether this backend's cargo feature was compiled in.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::Backend;
    /// let compiled_in = Backend::Tokio.is_available();
    /// assert_eq!(compiled_in, cfg!(feature = "tokio"));
    /// ```
    pub const fn is_available(self) -> bool {
        match self {
            Backend::Tokio => cfg!(feature = "tokio"),
            Backend::Smol => cfg!(feature = "smol"),
            Backend::AsyncStd => cfg!(feature = "async-std"),
        }
    }

    /// The backends compiled in, in default-priority order (tokio, smol, async-std).
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::Backend;
    /// assert!(Backend::available().all(|b| b.is_available()));
    /// ```
    pub fn available() -> impl Iterator<Item = Backend> {
        Backend::ALL.into_iter().filter(|b| b.is_available())
    }

    /// The backend [`run`](crate::run) uses: the first available in the order tokio, smol,
    /// async-std, or `None` when no backend feature is enabled.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::Backend;
    /// assert_eq!(Backend::default_backend(), Backend::available().next());
    /// ```
    pub fn default_backend() -> Option<Backend> {
        Backend::available().next()
    }

    /// The cargo feature that compiles this backend in.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::Backend;
    /// assert_eq!(Backend::AsyncStd.feature_name(), "async-std");
    /// ```
    pub const fn feature_name(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
            Backend::AsyncStd => "async-std",
        }
    }

    /// Fails with [`BackendUnavailable`] when this backend was not compiled in.
    pub(crate) fn ensure_available(self) -> Result<Backend, BackendUnavailable> {
        if self.is_available() {
            Ok(self)
        } else {
            Err(BackendUnavailable { backend: self })
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
            Backend::AsyncStd => "async-std",
        })
    }
}

/// A backend was asked for whose cargo feature is not enabled.
///
/// # Examples
///
/// ```
/// # use anyio_core::{Backend, BackendUnavailable};
/// let error = BackendUnavailable { backend: Backend::Smol };
/// assert!(error.to_string().contains("features = [\"smol\"]"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {backend} backend is not compiled in: enable it with `anyio = {{ features = [\"{}\"] }}` in Cargo.toml",
    backend.feature_name()
)]
pub struct BackendUnavailable {
    /// The backend that was asked for.
    pub backend: Backend,
}

/// No async runtime was found for an anyio call.
///
/// # Examples
///
/// ```
/// # use anyio_core::NoRuntime;
/// assert!(NoRuntime.to_string().contains("anyio::run"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "no async runtime: call anyio from inside `anyio::run(...)`, `anyio::run_with(Backend::..., ...)`, \
     `#[anyio::main]`, `#[anyio::test]` or a tokio runtime (`#[tokio::main]`), or enable anyio's \
     `smol` or `async-std` feature, whose executors run anywhere"
)]
pub struct NoRuntime;

/// The backend in force on this thread.
///
/// Found in this order, the first that applies wins:
///
/// 1. the backend given to [`run_with`](crate::run_with) (or chosen by [`run`](crate::run)),
///    the one an anyio task inherited from the task group that spawned it, and on a
///    [`to_thread`](crate::to_thread) worker thread the backend of the task that called it;
/// 2. tokio, when the calling thread is inside a tokio runtime (`#[tokio::main]`,
///    `Runtime::block_on`, a `tokio::spawn`ed task);
/// 3. async-std, when the calling code runs inside an async-std task (`#[async_std::main]`,
///    `async_std::task::block_on`, an `async_std::task::spawn`ed task);
/// 4. a compiled-in backend whose executor needs no handle: smol, then async-std. Their global
///    executors, reactor and blocking pool work from any thread, so code under
///    `smol::block_on`, in a `smol::spawn`ed task or on a plain thread runs on them.
///
/// Returns `None` only when none of these applies, which needs a build without the `smol`
/// and `async-std` features.
///
/// # Examples
///
/// ```
/// # use anyio_core::{current_backend, Backend};
/// // Outside any runtime: the fallback, if a backend without a handle is compiled in.
/// let fallback = [Backend::Smol, Backend::AsyncStd].into_iter().find(|b| b.is_available());
/// assert_eq!(current_backend(), fallback);
/// # #[cfg(feature = "smol")]
/// anyio_core::run_with(Backend::Smol, async {
///     assert_eq!(current_backend(), Some(Backend::Smol));
/// });
/// ```
pub fn current_backend() -> Option<Backend> {
    if let Some(backend) = context::backend() {
        return Some(backend);
    }
    if let Some(backend) = crate::thread::worker::backend() {
        return Some(backend);
    }
    ambient_backend()
}

/// Steps 2 to 4 of [`current_backend`]: the backend of code outside any anyio task.
#[inline]
pub(crate) fn ambient_backend() -> Option<Backend> {
    #[cfg(feature = "tokio")]
    if anyio_tokio::is_ambient() {
        return Some(Backend::Tokio);
    }
    #[cfg(feature = "async-std")]
    if anyio_asyncstd::is_ambient() {
        return Some(Backend::AsyncStd);
    }
    if cfg!(feature = "smol") {
        Some(Backend::Smol)
    } else if cfg!(feature = "async-std") {
        Some(Backend::AsyncStd)
    } else {
        None
    }
}

/// [`current_backend`], or a panic with the message of [`NoRuntime`] located at the caller.
#[cfg(all(unix, any(feature = "process", feature = "signal")))]
#[track_caller]
pub(crate) fn require_backend() -> Backend {
    let caller = Location::caller();
    require_backend_for(caller)
}

/// [`current_backend`], or a panic with the message of [`NoRuntime`] naming `caller`: the
/// public call that built the future now being polled, since a poll cannot see it.
#[track_caller]
pub(crate) fn require_backend_for(caller: &'static Location<'static>) -> Backend {
    match current_backend() {
        Some(backend) => backend,
        None => no_runtime(caller),
    }
}

#[cold]
#[track_caller]
fn no_runtime(caller: &'static Location<'static>) -> ! {
    panic!("{NoRuntime} (anyio called at {caller})")
}
