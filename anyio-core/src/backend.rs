//! Which async runtime anyio runs on, and how the one in force is found.

use std::fmt;

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
     `#[anyio::main]`, `#[anyio::test]`, or a tokio runtime (`#[tokio::main]`)"
)]
pub struct NoRuntime;

/// The backend in force on this thread, found as DESIGN §3 orders it: the one recorded by the
/// current anyio task or `run_with`, then an ambient tokio runtime.
///
/// Returns `None` outside any runtime anyio knows about.
///
/// # Examples
///
/// ```
/// # use anyio_core::{current_backend, Backend};
/// assert_eq!(current_backend(), None); // no runtime here
/// # #[cfg(feature = "smol")]
/// anyio_core::run_with(Backend::Smol, async {
///     assert_eq!(current_backend(), Some(Backend::Smol));
/// });
/// ```
pub fn current_backend() -> Option<Backend> {
    if let Some(backend) = context::backend() {
        return Some(backend);
    }
    #[cfg(feature = "tokio")]
    if anyio_tokio::is_ambient() {
        return Some(Backend::Tokio);
    }
    None
}

/// [`current_backend`], or a panic with the message of [`NoRuntime`].
#[track_caller]
pub(crate) fn require_backend() -> Backend {
    match current_backend() {
        Some(backend) => backend,
        None => panic!("{}", NoRuntime),
    }
}
