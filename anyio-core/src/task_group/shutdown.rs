//! Graceful shutdown: a task group asks its tasks to wind down, and cancels them only when a
//! grace period ends.
//!
//! Cancellation stops a task at its next `await`, which is right for a deadline and wrong for
//! a server going down: a request half answered is lost. A graceful shutdown (Trio's "soft
//! cancellation", python-trio/trio#147) is a *request*: tasks that care watch for it
//! ([`shutdown_requested`], [`is_shutdown_requested`]) and wind down their own way: a
//! listener stops accepting, a connection finishes its response and closes. The hard
//! cancellation stays as the backstop: [`TaskGroup::shutdown`] also gives the group a
//! deadline at the end of the grace period, so a task that ignores the request, or takes too
//! long, is cancelled then.
//!
//! The request reaches every task inside the group, in nested groups and shielded scopes too
//! (a shield keeps cancellation out, not a request). Tasks find it by walking up their scopes,
//! so it costs nothing to tasks that never ask.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::handle::TaskGroup;
use crate::cancel::node::Node;
use crate::context;
use crate::time::current_time;

impl<E: Send + 'static> TaskGroup<E> {
    /// Asks the group's tasks to wind down, and cancels the group (body and children) when
    /// `grace` has passed, if it is still running then. The group's deadline becomes the
    /// earlier of the one it had and now + `grace`; on a virtual clock the grace period is
    /// virtual time too. Calling it again can only bring that deadline closer.
    ///
    /// Tasks see the request through [`shutdown_requested`] and [`is_shutdown_requested`];
    /// [`Listener::serve`](crate::streams::Listener::serve) closes its listener and waits for
    /// its handlers; [`with_graceful_shutdown`] runs a protocol's own goodbye (hyper's
    /// `graceful_shutdown`). A group whose tasks all end before the grace period ends
    /// resolves then, as usual (with the body's value if it had returned one).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{shutdown_requested, sleep, task_group, Duration, TaskGroupError};
    ///
    /// let result = task_group(|tg| async move {
    ///     tg.start_soon(async {
    ///         // In-flight work that finishes when asked to.
    ///         shutdown_requested().await;
    ///         sleep(Duration::from_millis(1)).await; // finish up
    ///     })?;
    ///     tg.start_soon(anyio_core::sleep_forever())?; // ignores the request
    ///     tg.shutdown(Duration::from_millis(20));
    ///     anyio_core::sleep_forever().await;
    ///     Ok::<(), anyio_core::SpawnError>(())
    /// })
    /// .await;
    /// // The task that ignored the request was cancelled when the grace period ended.
    /// assert_eq!(result, Err(TaskGroupError::Cancelled));
    /// # });
    /// ```
    pub fn shutdown(&self, grace: Duration) {
        let node = self.node();
        if let Some(hard) = current_time().checked_add(grace) {
            let deadline = node.deadline().map_or(hard, |deadline| deadline.min(hard));
            node.set_deadline(Some(deadline));
        }
        if let Some(signal) = node.shutdown_signal() {
            signal.set();
        }
    }

    /// Whether [`shutdown`](TaskGroup::shutdown) was called on this group.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// anyio_core::task_group(|tg| async move {
    ///     assert!(!tg.is_shutting_down());
    ///     tg.shutdown(anyio_core::Duration::from_secs(1));
    ///     assert!(tg.is_shutting_down());
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn is_shutting_down(&self) -> bool {
        self.node()
            .shutdown_signal()
            .is_some_and(|signal| signal.is_set())
    }
}

/// The task groups enclosing the current task, innermost first.
fn enclosing_groups() -> Vec<Arc<Node>> {
    let mut groups = Vec::new();
    let mut scope = context::current_scope();
    while let Some(node) = scope {
        scope = node.parent();
        if node.shutdown_signal().is_some() {
            groups.push(node);
        }
    }
    groups
}

/// Whether a task group enclosing the current task was asked to shut down
/// ([`TaskGroup::shutdown`]). `false` outside any task group.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// anyio_core::task_group(|tg| async move {
///     tg.shutdown(anyio_core::Duration::from_secs(1));
///     let seen = tg.spawn(async { anyio_core::is_shutdown_requested() })?;
///     assert_eq!(seen.await, Ok(true));
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub fn is_shutdown_requested() -> bool {
    enclosing_groups().iter().any(|group| {
        group
            .shutdown_signal()
            .is_some_and(|signal| signal.is_set())
    })
}

/// Resolves once a task group enclosing the current task is asked to shut down
/// ([`TaskGroup::shutdown`]); at once if one already was. Outside any task group it never
/// resolves.
///
/// # Cancellation
///
/// A cancellation point, like every wait: cancelling it loses nothing, and a later call sees
/// the same request.
///
/// # Examples
///
/// See [`TaskGroup::shutdown`].
pub async fn shutdown_requested() {
    let groups = enclosing_groups();
    let mut waits: Vec<_> = groups
        .iter()
        .filter_map(|group| group.shutdown_signal())
        .map(|signal| Box::pin(signal.wait()))
        .collect();
    poll_fn(|cx| {
        // Polling every wait registers with every group, so whichever shuts down first wakes
        // this task; none of them holds anything to give back.
        let mut requested = false;
        for wait in &mut waits {
            requested |= wait.as_mut().poll(cx).is_ready();
        }
        if requested {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Runs `future` to its end; when a task group enclosing the current task is asked to shut
/// down, first calls `begin_shutdown` on it (once), so that it winds down its own way, and
/// goes on running it until it ends.
///
/// This is how a protocol says goodbye: for a hyper connection, `begin_shutdown` is its
/// `graceful_shutdown`, which lets the request in flight finish, then closes the connection
/// (an idle one at once).
///
/// # Cancellation
///
/// Cancelling it drops `future`, as awaiting `future` directly would; the group's hard
/// cancellation at the end of the grace period does that to a connection that did not finish
/// in time.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sleep, task_group, with_graceful_shutdown, Duration};
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let told = Arc::new(AtomicBool::new(false));
/// let flag = told.clone();
/// task_group(|tg| async move {
///     tg.start_soon(async move {
///         let connection = async move {
///             // Stands in for a connection that ends once told to.
///             while !flag.load(Ordering::SeqCst) {
///                 sleep(Duration::from_millis(1)).await;
///             }
///         };
///         let told = told.clone();
///         with_graceful_shutdown(connection, move |_connection: Pin<&mut _>| {
///             told.store(true, Ordering::SeqCst);
///         })
///         .await;
///     })?;
///     tg.shutdown(Duration::from_secs(10));
///     Ok::<_, anyio_core::SpawnError>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub async fn with_graceful_shutdown<F, S>(future: F, begin_shutdown: S) -> F::Output
where
    F: Future,
    S: FnOnce(Pin<&mut F>),
{
    let mut future = pin!(future);
    let mut requested = pin!(shutdown_requested());
    let mut begin_shutdown = Some(begin_shutdown);
    poll_fn(|cx| {
        if begin_shutdown.is_some() && requested.as_mut().poll(cx).is_ready() {
            if let Some(begin) = begin_shutdown.take() {
                begin(future.as_mut());
            }
        }
        future.as_mut().poll(cx)
    })
    .await
}

/// `future`'s output, unless `shutdown` resolves first: then `None`, and `future` is dropped
/// (it must be cancel-safe, as an accept is).
pub(crate) async fn unless_shutdown<F, S>(future: F, shutdown: Pin<&mut S>) -> Option<F::Output>
where
    F: Future,
    S: Future<Output = ()>,
{
    let mut future = pin!(future);
    let mut shutdown = shutdown;
    poll_fn(|cx| {
        if shutdown.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        future.as_mut().poll(cx).map(Some)
    })
    .await
}
