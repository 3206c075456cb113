//! Dispatch of the runtime primitives to the backend in force.
//!
//! Each function matches on [`Backend`]; with one backend compiled in the match has one arm and
//! compiles to a direct call, so there is no dispatch cost on hot paths.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use crate::backend::{Backend, BackendUnavailable};
use crate::time::virtual_clock::VirtualTimer;

#[cold]
#[track_caller]
#[allow(dead_code)] // unused when every backend is compiled in
fn unavailable(backend: Backend) -> ! {
    panic!("{}", BackendUnavailable { backend })
}

/// Spawns a detached task on `backend`.
pub(crate) fn spawn<F>(backend: Backend, future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => anyio_tokio::spawn(future),
        #[cfg(feature = "smol")]
        Backend::Smol => anyio_smol::spawn(future),
        #[cfg(feature = "async-std")]
        Backend::AsyncStd => anyio_asyncstd::spawn(future),
        #[allow(unreachable_patterns)]
        other => {
            drop(future);
            unavailable(other)
        }
    }
}

/// Runs `future` to completion on a fresh runtime of `backend`.
pub(crate) fn block_on<F: Future>(backend: Backend, future: F) -> F::Output {
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => anyio_tokio::block_on(future),
        #[cfg(feature = "smol")]
        Backend::Smol => anyio_smol::block_on(future),
        #[cfg(feature = "async-std")]
        Backend::AsyncStd => anyio_asyncstd::block_on(future),
        #[allow(unreachable_patterns)]
        other => {
            drop(future);
            unavailable(other)
        }
    }
}

/// Stands in for the timer type of a backend that is not compiled in; it cannot be built.
#[derive(Debug)]
#[allow(dead_code)] // unused when every backend is compiled in
pub(crate) enum NotCompiledIn {}

impl Future for NotCompiledIn {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        match *self {}
    }
}

#[cfg(feature = "tokio")]
type TokioSleep = anyio_tokio::Sleep;
#[cfg(not(feature = "tokio"))]
type TokioSleep = NotCompiledIn;
#[cfg(feature = "smol")]
type SmolSleep = anyio_smol::Sleep;
#[cfg(not(feature = "smol"))]
type SmolSleep = NotCompiledIn;
#[cfg(feature = "async-std")]
type AsyncStdSleep = anyio_asyncstd::Sleep;
#[cfg(not(feature = "async-std"))]
type AsyncStdSleep = NotCompiledIn;

pin_project! {
    /// A backend timer firing at one instant. Every variant exists under every set of features
    /// (pin-project-lite cannot `cfg` variants); those not compiled in are uninhabited.
    #[project = TimerProjection]
    #[derive(Debug)]
    pub(crate) enum Timer {
        Tokio { #[pin] sleep: TokioSleep },
        Smol { #[pin] timer: SmolSleep },
        AsyncStd { #[pin] timer: AsyncStdSleep },
        Virtual { #[pin] timer: VirtualTimer },
    }
}

impl Timer {
    /// A timer that fires at `deadline`: on the current task's virtual clock if it has one,
    /// else on `backend`.
    pub(crate) fn new(backend: Backend, deadline: Instant) -> Timer {
        if let Some(clock) = crate::context::clock() {
            return Timer::Virtual {
                timer: VirtualTimer::new(clock, deadline),
            };
        }
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => Timer::Tokio {
                sleep: anyio_tokio::sleep_until(deadline),
            },
            #[cfg(feature = "smol")]
            Backend::Smol => Timer::Smol {
                timer: anyio_smol::sleep_until(deadline),
            },
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Timer::AsyncStd {
                timer: anyio_asyncstd::sleep_until(deadline),
            },
            #[allow(unreachable_patterns)]
            other => unavailable(other),
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project() {
            TimerProjection::Tokio { sleep } => sleep.poll(cx),
            TimerProjection::Smol { timer } => timer.poll(cx).map(drop),
            TimerProjection::AsyncStd { timer } => timer.poll(cx).map(drop),
            TimerProjection::Virtual { timer } => timer.poll(cx),
        }
    }
}

/// Runs `work` on `backend`'s blocking thread pool. The work must not unwind: callers catch
/// panics first and resume them on their side.
pub(crate) fn spawn_blocking<F, R>(backend: Backend, work: F) -> BlockingTask<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => BlockingTask::Tokio(anyio_tokio::spawn_blocking(work)),
        #[cfg(feature = "smol")]
        Backend::Smol => BlockingTask::Smol(anyio_smol::spawn_blocking(work)),
        #[cfg(feature = "async-std")]
        Backend::AsyncStd => BlockingTask::AsyncStd(anyio_asyncstd::spawn_blocking(work)),
        #[allow(unreachable_patterns)]
        other => {
            drop(work);
            unavailable(other)
        }
    }
}

/// The result of [`spawn_blocking`]; every backend's handle is `Unpin`, so no projection is
/// needed and the variants can be `cfg`-gated.
#[derive(Debug)]
pub(crate) enum BlockingTask<R> {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::BlockingTask<R>),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::BlockingTask<R>),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::BlockingTask<R>),
    #[allow(dead_code)] // keeps the type inhabited-by-nothing when no backend is compiled in
    NotCompiledIn(
        std::convert::Infallible,
        std::marker::PhantomData<fn() -> R>,
    ),
}

impl<R> Future for BlockingTask<R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        match self.get_mut() {
            #[cfg(feature = "tokio")]
            BlockingTask::Tokio(task) => Pin::new(task).poll(cx),
            #[cfg(feature = "smol")]
            BlockingTask::Smol(task) => Pin::new(task).poll(cx),
            #[cfg(feature = "async-std")]
            BlockingTask::AsyncStd(task) => Pin::new(task).poll(cx),
            BlockingTask::NotCompiledIn(never, _) => match *never {},
        }
    }
}
