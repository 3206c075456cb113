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

/// A task spawned with [`spawn_held`].
#[derive(Debug)]
pub(crate) enum HeldTask {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::HeldTask),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::HeldTask),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::HeldTask),
    #[allow(dead_code)] // only there so that a build without backends has a variant to match
    NotCompiledIn(std::convert::Infallible),
}

impl HeldTask {
    /// Whether the task has finished; once it has, drop it rather than ask again.
    pub(crate) fn is_finished(&mut self) -> bool {
        match self {
            #[cfg(feature = "tokio")]
            HeldTask::Tokio(task) => anyio_tokio::is_finished(task),
            #[cfg(feature = "smol")]
            HeldTask::Smol(task) => anyio_smol::is_finished(task),
            #[cfg(feature = "async-std")]
            HeldTask::AsyncStd(task) => anyio_asyncstd::is_finished(task),
            HeldTask::NotCompiledIn(never) => match *never {},
        }
    }
}

/// Spawns a task on `backend` and keeps its handle, for a spawner that drops finished tasks
/// itself (their memory is then freed on the thread that allocated it). Dropping an
/// unfinished one may cancel it (smol).
pub(crate) fn spawn_held<F>(backend: Backend, future: F) -> HeldTask
where
    F: Future<Output = ()> + Send + 'static,
{
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => HeldTask::Tokio(anyio_tokio::spawn_held(future)),
        #[cfg(feature = "smol")]
        Backend::Smol => HeldTask::Smol(anyio_smol::spawn_held(future)),
        #[cfg(feature = "async-std")]
        Backend::AsyncStd => HeldTask::AsyncStd(anyio_asyncstd::spawn_held(future)),
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

// ---- child processes and signals (Unix) ------------------------------------------------------
//
// Every backend's process and signal handles are `Unpin`, so these are plain enums with
// `cfg`-gated variants, like `BlockingTask`.

/// Dispatches one call on a backend handle enum to the variant compiled in.
#[cfg(all(unix, any(feature = "process", feature = "signal")))]
macro_rules! each_backend {
    ($value:expr, $enum:ident, $inner:ident => $call:expr) => {
        match $value {
            #[cfg(feature = "tokio")]
            $enum::Tokio($inner) => $call,
            #[cfg(feature = "smol")]
            $enum::Smol($inner) => $call,
            #[cfg(feature = "async-std")]
            $enum::AsyncStd($inner) => $call,
            $enum::NotCompiledIn(never) => match *never {},
        }
    };
    // The same, wrapping an `Option` result in the same-named variant of `$target` (the smol
    // and async-std backends share their pipe types, so `From` could not tell them apart).
    ($value:expr, $enum:ident, $inner:ident => $call:expr, into $target:ident) => {
        match $value {
            #[cfg(feature = "tokio")]
            $enum::Tokio($inner) => $call.map($target::Tokio),
            #[cfg(feature = "smol")]
            $enum::Smol($inner) => $call.map($target::Smol),
            #[cfg(feature = "async-std")]
            $enum::AsyncStd($inner) => $call.map($target::AsyncStd),
            $enum::NotCompiledIn(never) => match *never {},
        }
    };
}

/// Spawns a child process on `backend`, with the given standard streams.
#[cfg(all(unix, feature = "process"))]
pub(crate) fn spawn_child(
    backend: Backend,
    command: std::process::Command,
    stdio: [std::process::Stdio; 3],
    kill_on_drop: bool,
) -> std::io::Result<Child> {
    let [stdin, stdout, stderr] = stdio;
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => {
            anyio_tokio::spawn_child(command, stdin, stdout, stderr, kill_on_drop).map(Child::Tokio)
        }
        #[cfg(feature = "smol")]
        Backend::Smol => {
            anyio_smol::spawn_child(command, stdin, stdout, stderr, kill_on_drop).map(Child::Smol)
        }
        #[cfg(feature = "async-std")]
        Backend::AsyncStd => {
            anyio_asyncstd::spawn_child(command, stdin, stdout, stderr, kill_on_drop)
                .map(Child::AsyncStd)
        }
        #[allow(unreachable_patterns)]
        other => {
            drop((command, stdin, stdout, stderr));
            unavailable(other)
        }
    }
}

/// A backend's child process handle.
#[cfg(all(unix, feature = "process"))]
#[derive(Debug)]
pub(crate) enum Child {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::Child),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::Child),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::Child),
    #[allow(dead_code)] // uninhabited; the only variant when no backend is compiled in
    NotCompiledIn(std::convert::Infallible),
}

#[cfg(all(unix, feature = "process"))]
impl Child {
    pub(crate) fn id(&self) -> u32 {
        each_backend!(self, Child, child => child.id())
    }

    pub(crate) fn take_stdin(&mut self) -> Option<ChildStdin> {
        each_backend!(self, Child, child => child.take_stdin(), into ChildStdin)
    }

    pub(crate) fn take_stdout(&mut self) -> Option<ChildReader> {
        each_backend!(self, Child, child => child.take_stdout(), into ChildReader)
    }

    pub(crate) fn take_stderr(&mut self) -> Option<ChildReader> {
        each_backend!(self, Child, child => child.take_stderr(), into ChildReader)
    }

    pub(crate) fn try_wait(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        each_backend!(self, Child, child => child.try_wait())
    }

    pub(crate) fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<std::process::ExitStatus>> {
        each_backend!(self, Child, child => child.poll_wait(cx))
    }

    pub(crate) fn kill(&mut self) -> std::io::Result<()> {
        each_backend!(self, Child, child => child.kill())
    }
}

/// A backend's write end of a child's stdin.
#[cfg(all(unix, feature = "process"))]
#[derive(Debug)]
pub(crate) enum ChildStdin {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::ChildStdin),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::ChildStdin),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::ChildStdin),
    #[allow(dead_code)] // uninhabited; the only variant when no backend is compiled in
    NotCompiledIn(std::convert::Infallible),
}

#[cfg(all(unix, feature = "process"))]
impl ChildStdin {
    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        each_backend!(self, ChildStdin, pipe => pipe.poll_write(cx, buf))
    }

    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        each_backend!(self, ChildStdin, pipe => pipe.poll_flush(cx))
    }

    pub(crate) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        each_backend!(self, ChildStdin, pipe => pipe.poll_close(cx))
    }
}

/// A backend's read end of a child's stdout or stderr.
#[cfg(all(unix, feature = "process"))]
#[derive(Debug)]
pub(crate) enum ChildReader {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::ChildReader),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::ChildReader),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::ChildReader),
    #[allow(dead_code)] // uninhabited; the only variant when no backend is compiled in
    NotCompiledIn(std::convert::Infallible),
}

#[cfg(all(unix, feature = "process"))]
impl ChildReader {
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        each_backend!(self, ChildReader, pipe => pipe.poll_read(cx, buf))
    }
}

/// Starts listening on `backend` for the signals numbered `numbers`.
#[cfg(all(unix, feature = "signal"))]
pub(crate) fn signals(backend: Backend, numbers: &[i32]) -> std::io::Result<Signals> {
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => anyio_tokio::signals(numbers).map(Signals::Tokio),
        #[cfg(feature = "smol")]
        Backend::Smol => anyio_smol::signals(numbers).map(Signals::Smol),
        #[cfg(feature = "async-std")]
        Backend::AsyncStd => anyio_asyncstd::signals(numbers).map(Signals::AsyncStd),
        #[allow(unreachable_patterns)]
        other => unavailable(other),
    }
}

/// A backend's stream of received signal numbers.
#[cfg(all(unix, feature = "signal"))]
#[derive(Debug)]
pub(crate) enum Signals {
    #[cfg(feature = "tokio")]
    Tokio(anyio_tokio::Signals),
    #[cfg(feature = "smol")]
    Smol(anyio_smol::Signals),
    #[cfg(feature = "async-std")]
    AsyncStd(anyio_asyncstd::Signals),
    #[allow(dead_code)] // uninhabited; the only variant when no backend is compiled in
    NotCompiledIn(std::convert::Infallible),
}

#[cfg(all(unix, feature = "signal"))]
impl Signals {
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<i32>>> {
        each_backend!(self, Signals, signals => signals.poll_next(cx))
    }
}
