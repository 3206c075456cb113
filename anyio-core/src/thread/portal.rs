//! A blocking portal: an anyio event loop running in its own thread, that plain (non-async)
//! threads call into.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

use crate::backend::{Backend, BackendUnavailable};
use crate::cancel::node::lock;
use crate::cancel::{CancelHandle, CancelScope};
use crate::context;
use crate::streams::memory::{create_memory_object_stream, MemorySendStream};
use crate::task_group::{task_group, TaskGroup, TaskStatus};

type Job = Box<dyn FnOnce(&TaskGroup<Infallible>) + Send>;

/// Why a [`BlockingPortal`] call did not return a value.
///
/// # Examples
///
/// ```
/// use anyio_core::{thread::start_blocking_portal, Backend, PortalError};
/// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
/// portal.stop(false);
/// assert_eq!(portal.call(async { 1 }), Err(PortalError::Stopped));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// The portal was stopped; it runs nothing more.
    #[error("the blocking portal was stopped")]
    Stopped,
    /// The task was cancelled (by `stop(true)` or its handle) before it completed.
    #[error("the portal task was cancelled")]
    Cancelled,
    /// A blocking portal call was made from async code, where it would block the event loop.
    #[error(
        "blocking portal calls block the calling thread: make them from plain threads, not from \
         async code running on an event loop"
    )]
    CalledFromEventLoop,
}

/// Starts an anyio event loop on `backend` in a new thread and returns a portal into it.
///
/// # Errors
///
/// [`BackendUnavailable`] when `backend` is not compiled in.
///
/// # Examples
///
/// ```
/// use anyio_core::{thread::start_blocking_portal, time::{sleep, Duration}, Backend};
/// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
/// let value = portal.call(async { sleep(Duration::from_millis(1)).await; 7 }).unwrap();
/// assert_eq!(value, 7);
/// portal.stop(false);
/// ```
pub fn start_blocking_portal(backend: Backend) -> Result<BlockingPortal, BackendUnavailable> {
    backend.ensure_available()?;
    let (jobs, incoming) = create_memory_object_stream::<Job>(usize::MAX);
    let (ready_sender, ready) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name(format!("anyio-portal-{backend}"))
        .spawn(move || {
            crate::run_with(backend, async move {
                let _ = task_group(|tg: TaskGroup<Infallible>| async move {
                    let _ = ready_sender.send(tg.cancel_handle());
                    while let Ok(job) = incoming.receive().await {
                        job(&tg);
                    }
                    Ok(())
                })
                .await;
            });
        })
        .expect("failed to start the blocking portal's thread");
    let group = ready
        .recv()
        .expect("the blocking portal's event loop failed to start");
    Ok(BlockingPortal {
        jobs,
        group,
        thread: Mutex::new(Some(thread)),
    })
}

/// A portal into an anyio event loop running in its own thread (AnyIO's `BlockingPortal`):
/// plain threads use it to run async code and wait for the result.
///
/// Dropping the portal stops it, cancelling what still runs, and joins its thread.
///
/// # Examples
///
/// ```
/// use anyio_core::{thread::start_blocking_portal, Backend, TaskStatus};
/// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
/// assert_eq!(portal.call_sync(|| 2 + 2), Ok(4));
/// let task = portal.start_task_soon(async { "background" }).unwrap();
/// assert_eq!(task.join(), Ok("background"));
/// let port = portal.start_task(|status: TaskStatus<u16>| async move {
///     status.started(8080);
/// });
/// assert_eq!(port, Ok(8080));
/// ```
pub struct BlockingPortal {
    jobs: MemorySendStream<Job>,
    group: CancelHandle,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl BlockingPortal {
    fn submit(&self, job: Job) -> Result<(), PortalError> {
        if context::backend().is_some() {
            return Err(PortalError::CalledFromEventLoop);
        }
        self.jobs.try_send(job).map_err(|_| PortalError::Stopped)
    }

    /// Runs `future` in the portal's event loop and blocks until it completes.
    ///
    /// # Errors
    ///
    /// [`PortalError::Stopped`], [`PortalError::Cancelled`] (by `stop(true)`), or
    /// [`PortalError::CalledFromEventLoop`] when called from async code.
    ///
    /// # Panics
    ///
    /// A panic in `future` resumes here.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal`].
    pub fn call<F>(&self, future: F) -> Result<F::Output, PortalError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.start_task_soon(future)?.join()
    }

    /// Runs the synchronous `work` in the portal's event loop and blocks until it returns.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal`].
    pub fn call_sync<F, R>(&self, work: F) -> Result<R, PortalError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.call(async move { work() })
    }

    /// Starts `future` as a task in the portal's event loop and returns at once with a handle
    /// to wait for it or cancel it.
    ///
    /// # Errors
    ///
    /// [`PortalError::Stopped`] or [`PortalError::CalledFromEventLoop`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::{thread::start_blocking_portal, sleep_forever, Backend, PortalError};
    /// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
    /// let task = portal.start_task_soon(sleep_forever()).unwrap();
    /// task.cancel();
    /// assert_eq!(task.join().map(drop), Err(PortalError::Cancelled));
    /// ```
    pub fn start_task_soon<F>(&self, future: F) -> Result<PortalTask<F::Output>, PortalError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let scope = CancelScope::new();
        let cancel = scope.handle();
        let (sender, result) = mpsc::sync_channel(1);
        self.submit(Box::new(move |tg: &TaskGroup<Infallible>| {
            let task = async move {
                let outcome = catch_panic(scope.run(future)).await;
                let _ = sender.send(outcome);
            };
            // The group ends only after `stop`, which closes the job stream first.
            let _ = tg.start_soon(task);
        }))?;
        Ok(PortalTask { result, cancel })
    }

    /// Starts a task that reports readiness through [`TaskStatus::started`] and blocks until it
    /// does, returning the value it passed.
    ///
    /// # Errors
    ///
    /// [`PortalError::Stopped`], [`PortalError::CalledFromEventLoop`], or
    /// [`PortalError::Cancelled`] when the task ended (or was cancelled) without starting.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal`].
    pub fn start_task<F, Fut, V>(&self, task: F) -> Result<V, PortalError>
    where
        F: FnOnce(TaskStatus<V>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        V: Send + 'static,
    {
        let (sender, started) = mpsc::sync_channel(1);
        self.submit(Box::new(move |tg: &TaskGroup<Infallible>| {
            let group = tg.clone();
            let _ = tg.start_soon(async move {
                let _ = sender.send(group.start(task).await.ok());
            });
        }))?;
        started.recv().ok().flatten().ok_or(PortalError::Cancelled)
    }

    /// Stops the portal: no new calls are accepted; with `cancel_remaining`, the tasks still
    /// running are cancelled, otherwise they are waited for. Blocks until the portal's event
    /// loop has ended. Idempotent.
    ///
    /// # Examples
    ///
    /// See [`PortalError`].
    pub fn stop(&self, cancel_remaining: bool) {
        self.jobs.close();
        if cancel_remaining {
            self.group.cancel();
        }
        if let Some(thread) = lock(&self.thread).take() {
            if let Err(payload) = thread.join() {
                resume_unwind(payload);
            }
        }
    }
}

/// Catches a panic of the portal task so it can be resumed in the calling thread.
async fn catch_panic<F: Future>(future: F) -> std::thread::Result<F::Output> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    })
    .await
}

impl Drop for BlockingPortal {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.stop(true);
        }
    }
}

impl fmt::Debug for BlockingPortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPortal")
            .field("stopped", &self.jobs.is_closed())
            .finish_non_exhaustive()
    }
}

/// A task started through [`BlockingPortal::start_task_soon`].
pub struct PortalTask<T> {
    result: mpsc::Receiver<std::thread::Result<Option<T>>>,
    cancel: CancelHandle,
}

impl<T> PortalTask<T> {
    /// Blocks until the task ends and returns its value.
    ///
    /// # Errors
    ///
    /// [`PortalError::Cancelled`] when the task was cancelled.
    ///
    /// # Panics
    ///
    /// A panic of the task resumes here.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal`].
    pub fn join(self) -> Result<T, PortalError> {
        match self.result.recv() {
            Ok(Ok(Some(value))) => Ok(value),
            Ok(Ok(None)) | Err(mpsc::RecvError) => Err(PortalError::Cancelled),
            Ok(Err(payload)) => resume_unwind(payload),
        }
    }

    /// Cancels the task.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal::start_task_soon`].
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl<T> fmt::Debug for PortalTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalTask").finish_non_exhaustive()
    }
}
