//! Dispatch of socket readiness to the backend in force.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::task::{Context, Poll};

#[allow(unused_imports)] // unused when no backend is compiled in
use crate::backend::Backend;
use crate::backend::{current_backend, BackendUnavailable, NoRuntime};

/// A non-blocking std socket registered with the reactor of the backend it was made on.
pub(crate) enum Registered<T: AsFd + AsRawFd + Into<OwnedFd>> {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::Registration<T>),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::Registration<T>),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::Registration<T>),
    #[allow(dead_code)] // uninhabited; the only variant when no backend is compiled in
    NotCompiledIn(std::convert::Infallible, std::marker::PhantomData<T>),
}

macro_rules! each_registration {
    ($value:expr, $inner:ident => $call:expr) => {
        match $value {
            #[cfg(feature = "tokio")]
            Registered::Tokio($inner) => $call,
            #[cfg(feature = "smol")]
            Registered::Smol($inner) => $call,
            #[cfg(feature = "async-std")]
            Registered::AsyncStd($inner) => $call,
            Registered::NotCompiledIn(never, _) => match *never {},
        }
    };
}

impl<T: AsFd + AsRawFd + Into<OwnedFd>> Registered<T> {
    /// Puts `socket` in non-blocking mode and registers it with the current backend.
    ///
    /// # Errors
    ///
    /// Outside a runtime ([`NoRuntime`] as the source), or when the reactor refuses it.
    pub(crate) fn new(socket: T) -> io::Result<Registered<T>> {
        let backend = current_backend().ok_or_else(|| io::Error::other(NoRuntime))?;
        socket2::SockRef::from(&socket).set_nonblocking(true)?;
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => anyio_tokio::Registration::new(socket).map(Registered::Tokio),
            #[cfg(feature = "smol")]
            Backend::Smol => anyio_smol::Registration::new(socket).map(Registered::Smol),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => {
                anyio_asyncstd::Registration::new(socket).map(Registered::AsyncStd)
            }
            #[allow(unreachable_patterns)]
            other => Err(io::Error::other(BackendUnavailable { backend: other })),
        }
    }

    pub(crate) fn get_ref(&self) -> &T {
        each_registration!(self, registration => registration.get_ref())
    }

    pub(crate) fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        each_registration!(self, registration => registration.poll_read_with(cx, op))
    }

    pub(crate) fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        each_registration!(self, registration => registration.poll_write_with(cx, op))
    }
}
