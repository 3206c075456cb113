//! Steps 4 and 5: the accept loop as an anyio task group, and its graceful shutdown.
//!
//! Before Step 4, [`Service::serve`] handed each connection to `tokio::spawn`: nothing
//! waited for those tasks, so nothing could tell them to finish, and a shutdown just dropped
//! them mid-response. [`Service::run`] makes every connection, and the health job, a child of
//! one task group: when `run` returns, none of them is still running.
//!
//! Step 5 builds on that: [`TaskGroup::shutdown`](anyio::TaskGroup::shutdown) asks the
//! group to wind down. The accept loop sees the request and stops (dropping the listener, so
//! new connections are refused); each connection runs hyper's `graceful_shutdown` through
//! [`with_graceful_shutdown`], which lets the request in flight finish; the health job just
//! stops. Whatever is still running when the grace period ends is cancelled.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::Arc;

use anyio::{shutdown_requested, task_group, with_graceful_shutdown, TaskGroupError};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use crate::Service;

impl Service {
    /// Serves connections on `listener`, each as a child of an anyio task group, with the
    /// supervised health job beside them, until `shutdown` resolves (or a task group
    /// enclosing the caller is asked to shut down). Then it shuts down gracefully: stops
    /// accepting and drops `listener`, lets each connection finish its request in flight,
    /// and cancels whatever is left after [`Config::grace`](crate::Config::grace).
    ///
    /// Returns once every connection and the health job have ended.
    ///
    /// # Errors
    ///
    /// The error `accept` failed with; the connections are cancelled then.
    ///
    /// # Cancellation
    ///
    /// Cancelling (dropping) it cancels every connection and the health job at once, with no
    /// grace period: the group drops them before it returns.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use anyio::signal::{open_signal_receiver, Signal};
    /// use anyio_example_tokio_service::{Config, Service};
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    /// let service = Service::new(Config::default());
    /// let mut signals = open_signal_receiver(&[Signal::Terminate, Signal::Interrupt])?;
    /// let stop = async move {
    ///     signals.receive().await;
    /// };
    /// service.run(listener, stop).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<S>(self: Arc<Self>, listener: TcpListener, shutdown: S) -> io::Result<()>
    where
        S: Future<Output = ()> + Send,
    {
        let grace = self.config.grace;
        let served = task_group(|tg| async move {
            // Step 4: the background job is a child too, supervised so that its failures
            // stay its own.
            self.start_health_job(&tg).map_err(io::Error::other)?;
            let mut shutdown = pin!(shutdown);
            let mut requested = pin!(shutdown_requested());
            loop {
                // Step 5: `accept` is cancel-safe, so losing this race loses no connection.
                let stream = tokio::select! {
                    biased;
                    () = &mut shutdown => {
                        tg.shutdown(grace);
                        break;
                    }
                    () = &mut requested => break,
                    accepted = listener.accept() => accepted?.0,
                };
                let service = self.clone();
                // Step 4: a child of the group instead of `tokio::spawn`. A connection's
                // error (the client went away, say) ends that connection only.
                tg.start_soon(async move {
                    let _ = service.serve_connection(stream).await;
                })
                .map_err(io::Error::other)?;
            }
            // New connections are refused from here on; the group waits for the open ones.
            drop(listener);
            Ok(())
        })
        .await;
        match served {
            Ok(()) => Ok(()),
            // The grace period ended and the group cancelled the connections left: that is
            // how a shutdown ends too.
            Err(TaskGroupError::Cancelled) => Ok(()),
            Err(TaskGroupError::Failed(errors)) => Err(errors
                .into_iter()
                .next()
                .unwrap_or_else(|| io::Error::other("task group failed"))),
            Err(other) => Err(io::Error::other(format!("task group: {other:?}"))),
        }
    }

    /// Serves HTTP/1 on one connection; on a shutdown request, hyper finishes the request in
    /// flight (an idle connection closes at once) and closes the connection.
    async fn serve_connection(self: Arc<Self>, stream: TcpStream) -> hyper::Result<()> {
        let handler = service_fn(move |request| {
            let service = self.clone();
            async move { Ok::<_, Infallible>(service.handle(request).await) }
        });
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), handler);
        with_graceful_shutdown(connection, |connection: Pin<&mut _>| {
            connection.graceful_shutdown();
        })
        .await
    }
}

/// `job`'s output, or `Ok(())` as soon as a task group enclosing the caller is asked to shut
/// down: a background job has nothing to finish, so it stops at once instead of holding the
/// group until the grace period ends.
pub(crate) async fn until_shutdown<F, E>(job: F) -> Result<(), E>
where
    F: Future<Output = Result<(), E>>,
{
    tokio::select! {
        biased;
        () = shutdown_requested() => Ok(()),
        done = job => done,
    }
}
