use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::shim::{AtomicBool, Mutex, Ordering};
use super::waiters::{poll_cancel_point, scope_cancelled, wake_all, WaitList};

/// A one-shot flag that tasks can wait for (Trio's and AnyIO's `Event`).
///
/// [`set`](Event::set) wakes every waiter; once set, an event stays set and
/// [`wait`](Event::wait) completes at once. To signal repeatedly, create a new event each time.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{sync::Event, task_group};
/// use std::sync::Arc;
///
/// let ready = Arc::new(Event::new());
/// task_group(|tg| {
///     let ready = ready.clone();
///     async move {
///         let waiter = ready.clone();
///         tg.start_soon(async move { waiter.wait().await })?;
///         ready.set();
///         Ok::<_, anyio_core::SpawnError>(())
///     }
/// })
/// .await
/// .unwrap();
/// assert!(ready.is_set());
/// # });
/// ```
pub struct Event {
    set: AtomicBool,
    waiters: Mutex<WaitList<()>>,
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}

impl Event {
    /// An event that is not set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!anyio_core::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            set: AtomicBool::new(false),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Sets the event and wakes every task waiting for it. Setting it again does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = anyio_core::sync::Event::new();
    /// event.set();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        if self.set.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut wakers = Vec::new();
        self.waiters
            .lock()
            .unlink_where(|_| true, |_| {}, &mut wakers);
        wake_all(wakers);
    }

    /// Whether the event is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = anyio_core::sync::Event::new();
    /// assert!(!event.is_set());
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// Waits until the event is set. If it already is, completes on its first poll, except
    /// that every so often it yields once first, so that a loop of waits lets deadlines and
    /// other tasks run.
    ///
    /// # Cancellation
    ///
    /// A cancellation point: in an effectively cancelled scope it never completes, even when
    /// the event is already set (the scope drops it). Cancel-safe: a dropped wait only
    /// withdraws itself. A wait whose cancel scope is cancelled while it waits does not
    /// complete, even if the event is set meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// let event = anyio_core::sync::Event::new();
    /// event.set();
    /// event.wait().await;
    /// # });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }

    /// A snapshot of the event's state.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = anyio_core::sync::Event::new();
    /// assert_eq!(event.statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> EventStatistics {
        EventStatistics {
            tasks_waiting: self.waiters.lock().len(),
        }
    }
}

/// A snapshot of an [`Event`]'s state.
///
/// # Examples
///
/// ```
/// let statistics = anyio_core::sync::Event::new().statistics();
/// assert_eq!(statistics.tasks_waiting, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventStatistics {
    /// How many are waiting for the event.
    pub tasks_waiting: usize,
}

/// The future returned by [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<usize>,
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("is_set", &self.event.is_set())
            .finish_non_exhaustive()
    }
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.key.is_none() {
            if self.event.is_set() {
                std::task::ready!(poll_cancel_point(cx));
                return Poll::Ready(());
            }
            if scope_cancelled() {
                return Poll::Pending;
            }
        } else if scope_cancelled() {
            // Blocked, then cancelled: a cancelled wait does not complete (as in Trio), even if
            // the event was set meanwhile; the scope drops it.
            return Poll::Pending;
        }
        let event = self.event;
        let mut waiters = event.waiters.lock();
        if event.is_set() {
            if let Some(key) = self.key.take() {
                waiters.remove(key);
            }
            return Poll::Ready(());
        }
        match self.key {
            Some(key) => waiters.register(key, cx.waker()),
            None => self.key = Some(waiters.push_back((), cx.waker())),
        }
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.event.waiters.lock().remove(key);
        }
    }
}
