use std::future::Future;
use std::pin::pin;

use super::AsyncResource;
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::error::StreamError;
use crate::task_group::shutdown::unless_shutdown;
use crate::task_group::{shutdown_requested, task_group, TaskGroupError};

/// Accepts incoming connections (AnyIO's `Listener`).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::streams::{AsyncResource, Listener, StreamError};
/// use anyio_core::streams::attributes::TypedAttributeProvider;
///
/// /// Hands out the numbers 0, 1, 2 as "connections".
/// struct Counter(std::sync::atomic::AtomicU32);
/// impl TypedAttributeProvider for Counter {}
/// impl AsyncResource for Counter {
///     async fn aclose(&self) {}
/// }
/// impl Listener for Counter {
///     type Connection = u32;
///     async fn accept(&self) -> Result<u32, StreamError> {
///         let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         if n < 3 { Ok(n) } else { Err(StreamError::ClosedResource) }
///     }
/// }
/// let listener = Counter(0.into());
/// assert_eq!(listener.accept().await.unwrap(), 0);
/// # });
/// ```
pub trait Listener: AsyncResource + TypedAttributeProvider {
    /// What [`accept`](Listener::accept) returns: usually a byte stream.
    type Connection: Send + 'static;

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] when the listener was closed;
    /// [`StreamError::BrokenResource`] for an accept failure;
    /// [`StreamError::BusyResource`] when another task is accepting.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a dropped accept loses no connection.
    ///
    /// # Examples
    ///
    /// See [`Listener`].
    fn accept(&self) -> impl Future<Output = Result<Self::Connection, StreamError>> + Send;

    /// Accepts connections, running `handler(connection)` for each in its own task of a task
    /// group, so that every handler has ended before `serve` returns.
    ///
    /// It accepts until a task group enclosing it is asked to shut down gracefully
    /// ([`TaskGroup::shutdown`](crate::TaskGroup::shutdown)): it then closes the listener (new
    /// connections are refused at once), waits for the handlers still running (they see the
    /// request through [`shutdown_requested`](crate::shutdown_requested) and may finish their
    /// work until the grace period ends) and returns `Ok(())`.
    ///
    /// # Errors
    ///
    /// The first error of [`accept`](Listener::accept) ends the loop: `serve` then waits for
    /// the running handlers and returns it.
    ///
    /// # Cancellation
    ///
    /// Cancelling `serve` cancels every handler; it ends once they have, and the enclosing
    /// scope that was cancelled catches (`move_on_after` gives `None`, `fail_after` its
    /// timeout error): a cancellation is never returned as an error of `serve`.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::streams::{AsyncResource, Listener, StreamError};
    /// use anyio_core::streams::attributes::TypedAttributeProvider;
    /// use std::sync::{Arc, Mutex};
    ///
    /// struct Three(Mutex<u32>);
    /// impl TypedAttributeProvider for Three {}
    /// impl AsyncResource for Three {
    ///     async fn aclose(&self) {}
    /// }
    /// impl Listener for Three {
    ///     type Connection = u32;
    ///     async fn accept(&self) -> Result<u32, StreamError> {
    ///         let mut n = self.0.lock().unwrap();
    ///         *n += 1;
    ///         if *n <= 3 { Ok(*n) } else { Err(StreamError::ClosedResource) }
    ///     }
    /// }
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let error = Three(Mutex::new(0))
    ///     .serve(move |n| {
    ///         let log = log.clone();
    ///         async move { log.lock().unwrap().push(n) }
    ///     })
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(error, StreamError::ClosedResource));
    /// let mut seen = seen.lock().unwrap().clone();
    /// seen.sort();
    /// assert_eq!(seen, [1, 2, 3]);
    /// # });
    /// ```
    fn serve<H, Fut>(&self, mut handler: H) -> impl Future<Output = Result<(), StreamError>> + Send
    where
        Self: Sized,
        H: FnMut(Self::Connection) -> Fut + Send,
        Fut: Future<Output = ()> + Send + 'static,
    {
        async move {
            let result = task_group(|tg| async move {
                let mut shutdown = pin!(shutdown_requested());
                loop {
                    let Some(accepted) = unless_shutdown(self.accept(), shutdown.as_mut()).await
                    else {
                        self.aclose().await;
                        return Ok(());
                    };
                    let connection = accepted?;
                    // The group cannot be finished while its body runs.
                    tg.start_soon(handler(connection))
                        .map_err(|_| StreamError::ClosedResource)?;
                }
            })
            .await;
            match result {
                Ok(()) => Ok(()),
                Err(TaskGroupError::Failed(mut errors)) if !errors.is_empty() => {
                    Err(errors.swap_remove(0))
                }
                // A group that ends without errors was cancelled, and `serve` never cancels
                // its own: the cancellation came from outside, for the enclosing scope to
                // catch.
                Err(_) => {
                    crate::checkpoint_if_cancelled().await;
                    Err(StreamError::ClosedResource)
                }
            }
        }
    }
}
