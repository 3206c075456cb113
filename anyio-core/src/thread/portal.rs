//! A blocking portal: an anyio event loop running in its own thread, that plain (non-async)
//! threads call into.

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

use super::portal_task::{deliver, PortalError, PortalStartError, PortalTask};
use crate::backend::{Backend, BackendUnavailable};
use crate::cancel::node::lock;
use crate::cancel::{CancelHandle, CancelScope};
use crate::context;
use crate::streams::memory::{create_memory_object_stream, MemorySendStream};
use crate::task_group::{task_group, TaskGroup, TaskStatus};

type Job = Box<dyn FnOnce(&TaskGroup<Infallible>) + Send>;

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
                // Every task of the portal is a child of this group, so none outlives this
                // `run_with`: the group ends only once all of them have.
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
/// Each task's outcome goes to the caller that started it, and only there: a task that panics
/// or returns an error leaves the portal and its other tasks running.
///
/// Dropping the portal is [`stop(true)`](Self::stop): the tasks still running are cancelled,
/// dropped on the portal's thread (their destructors run there), and the thread is joined
/// before `drop` returns, so no task of the portal outlives it. The exception is a drop in
/// async code (which must not block): the tasks are cancelled but not waited for.
///
/// # Examples
///
/// ```
/// use anyio_core::{thread::start_blocking_portal, Backend, TaskStatus};
/// let portal = start_blocking_portal(Backend::default_backend().unwrap()).unwrap();
/// assert_eq!(portal.call_sync(|| 2 + 2), Ok(4));
/// let task = portal.start_task_soon(async { "background" }).unwrap();
/// assert_eq!(task.join(), Ok("background"));
/// let (port, server) = portal
///     .start_task(|status: TaskStatus<u16>| async move {
///         status.started(8080);
///         "served"
///     })
///     .unwrap();
/// assert_eq!(port, 8080);
/// assert_eq!(server.join(), Ok("served"));
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
    /// [`PortalError::Stopped`], [`PortalError::Cancelled`] (by `stop(true)` or dropping the
    /// portal from another thread), or [`PortalError::CalledFromEventLoop`] when called from
    /// async code.
    ///
    /// # Panics
    ///
    /// A panic in `future` resumes here; the portal goes on serving other calls.
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
    /// # Panics
    ///
    /// A panic in `work` resumes here; the portal goes on serving other calls.
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
    /// to wait for it or cancel it. A panic of the task resumes in
    /// [`PortalTask::join`].
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
            // The group ends only after `stop`, which closes the job stream first.
            let _ = tg.start_soon(deliver(scope, future, sender));
        }))?;
        Ok(PortalTask { result, cancel })
    }

    /// Starts a task that reports readiness through [`TaskStatus::started`], blocks until it
    /// does, and returns the value it passed with a handle to the running task (AnyIO's
    /// `start_task`, which returns a future and the value).
    ///
    /// # Errors
    ///
    /// [`PortalStartError::NotStarted`] with the task's own output when it returned without
    /// calling `started`; [`PortalError::Stopped`], [`PortalError::CalledFromEventLoop`], or
    /// [`PortalError::Cancelled`] when the portal cancelled the task before it started.
    ///
    /// # Panics
    ///
    /// A panic of the task before `started` resumes here; one after `started` resumes in
    /// [`PortalTask::join`]. Either way the portal goes on serving other calls.
    ///
    /// # Examples
    ///
    /// See [`BlockingPortal`].
    pub fn start_task<F, Fut, V, T>(
        &self,
        task: F,
    ) -> Result<(V, PortalTask<T>), PortalStartError<T>>
    where
        F: FnOnce(TaskStatus<V>) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
        V: Send + 'static,
        T: Send + 'static,
    {
        let scope = CancelScope::new();
        let cancel = scope.handle();
        let (sender, result) = mpsc::sync_channel(1);
        let (started_sender, started) = mpsc::sync_channel(1);
        self.submit(Box::new(move |tg: &TaskGroup<Infallible>| {
            let group = tg.clone();
            let _ = tg.start_soon(async move {
                // The task's outcome never reaches the group: `deliver` sends it, panic
                // included, to this caller, so `start` sees a task returning `()`.
                let start = group.start(move |status: TaskStatus<V>| {
                    deliver(scope, async move { task(status).await }, sender)
                });
                let _ = started_sender.send(start.await.ok());
            });
        }))?;
        let handle = PortalTask { result, cancel };
        match started.recv() {
            Ok(Some(value)) => Ok((value, handle)),
            // Not started: the task ended (its outcome is in the handle, or on its way), or the
            // portal cancelled the task or the `start` waiting for it.
            Ok(None) | Err(mpsc::RecvError) => match handle.result.recv() {
                Ok(Ok(Some(output))) => Err(PortalStartError::NotStarted(output)),
                Ok(Ok(None)) | Err(mpsc::RecvError) => Err(PortalError::Cancelled.into()),
                Ok(Err(payload)) => resume_unwind(payload),
            },
        }
    }

    /// Stops the portal: no new calls are accepted; with `cancel_remaining`, the tasks still
    /// running are cancelled, otherwise they are waited for. Blocks until the portal's event
    /// loop has ended, and with it every task of the portal. Idempotent.
    ///
    /// Called from async code (say a task of the portal itself, which cannot wait for its own
    /// end), it does not block: it closes the portal and, with `cancel_remaining`, cancels the
    /// tasks, which then end on the portal's thread without being waited for. A later `stop` or
    /// drop from a plain thread waits for them.
    ///
    /// # Cancellation
    ///
    /// A task cancelled by `stop(true)` is dropped at its next `Pending`, after its
    /// cancellation cleanup (a shielded scope inside it delays the stop until it ends); its
    /// caller gets [`PortalError::Cancelled`].
    ///
    /// # Panics
    ///
    /// Only if the portal's event loop itself panicked, which no task can cause (a task's panic
    /// goes to its caller).
    ///
    /// # Examples
    ///
    /// See [`PortalError`].
    pub fn stop(&self, cancel_remaining: bool) {
        if let Some(payload) = self.shut_down(cancel_remaining) {
            resume_unwind(payload);
        }
    }

    fn shut_down(&self, cancel_remaining: bool) -> Option<Box<dyn Any + Send>> {
        self.jobs.close();
        if cancel_remaining {
            self.group.cancel();
        }
        if context::backend().is_some() {
            // Called from async code: joining would block its event loop, or wait for itself
            // when that code is a task of this portal. The loop ends once its tasks do; a later
            // `stop` or drop from a plain thread joins it.
            return None;
        }
        // Held while joining, so that a concurrent `stop` also returns only once the loop ended.
        let mut thread = lock(&self.thread);
        thread.take()?.join().err()
    }
}

impl Drop for BlockingPortal {
    fn drop(&mut self) {
        // Even while unwinding: the tasks must not outlive the portal. A panic of the event loop
        // itself is not resumed here (it would abort a thread already unwinding); the panic hook
        // has reported it.
        let _ = self.shut_down(true);
    }
}

impl fmt::Debug for BlockingPortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPortal")
            .field("stopped", &self.jobs.is_closed())
            .finish_non_exhaustive()
    }
}
