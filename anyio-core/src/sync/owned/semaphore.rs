use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::sync::error::WouldBlock;
use crate::sync::semaphore::{Semaphore, SemaphoreWait};

impl Semaphore {
    /// Waits for a token, like [`acquire`](Semaphore::acquire), and returns an owned permit
    /// that keeps an `Arc` of the semaphore: it is `'static`, so it can move into a spawned
    /// task or a worker thread and give the token back there.
    ///
    /// # Cancellation
    ///
    /// Exactly as [`acquire`](Semaphore::acquire): a cancellation point that takes nothing in
    /// an effectively cancelled scope, and cancel-safe: dropping the future withdraws its place
    /// in the queue, and a token already handed to it goes on to the next waiter (or back to
    /// the semaphore). A waiter whose scope is cancelled while it waits does not take a token.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{sync::Semaphore, task_group};
    /// use std::sync::Arc;
    ///
    /// let slots = Arc::new(Semaphore::new(2));
    /// task_group(|tg| {
    ///     let slots = slots.clone();
    ///     async move {
    ///         for _ in 0..4 {
    ///             // Taken here, in order, and given back by each child when it ends.
    ///             let permit = slots.acquire_owned().await;
    ///             tg.start_soon(async move { drop(permit) })?;
    ///         }
    ///         Ok::<_, anyio_core::SpawnError>(())
    ///     }
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(slots.value(), 2);
    /// # });
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedSemaphoreAcquire {
        OwnedSemaphoreAcquire {
            semaphore: Arc::clone(self),
            wait: SemaphoreWait::default(),
        }
    }

    /// Takes a token if one is free and nobody is waiting, like
    /// [`try_acquire`](Semaphore::try_acquire), returning an owned permit.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when no token is free or someone is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let permit = semaphore.try_acquire_owned().unwrap();
    /// assert!(semaphore.try_acquire_owned().is_err());
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, WouldBlock> {
        if self.permits.try_acquire() {
            Ok(OwnedSemaphorePermit::new(Arc::clone(self)))
        } else {
            Err(WouldBlock)
        }
    }
}

/// The future returned by [`Semaphore::acquire_owned`]: waits in the semaphore's one FIFO
/// queue, alongside [`Semaphore::acquire`]'s futures.
///
/// # Cancellation
///
/// A cancellation point: polled first in an effectively cancelled scope it stays pending and
/// takes nothing. Dropping it withdraws its waiter; if a token had already been handed to it,
/// the drop passes the token to the next waiter (or back to the semaphore). Once cancelled
/// while queued it never completes.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::Semaphore;
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(Semaphore::new(1));
/// let waiting = semaphore.acquire_owned();
/// let _permit = waiting.await;
/// assert_eq!(semaphore.value(), 0);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedSemaphoreAcquire {
    semaphore: Arc<Semaphore>,
    wait: SemaphoreWait,
}

impl fmt::Debug for OwnedSemaphoreAcquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphoreAcquire")
            .field("waiting", &self.wait.is_waiting())
            .finish_non_exhaustive()
    }
}

impl Future for OwnedSemaphoreAcquire {
    type Output = OwnedSemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = &mut *self;
        this.wait
            .poll(&this.semaphore, cx)
            .map(|()| OwnedSemaphorePermit::new(Arc::clone(&this.semaphore)))
    }
}

impl Drop for OwnedSemaphoreAcquire {
    fn drop(&mut self) {
        self.wait.cancel(&self.semaphore);
    }
}

/// A token of a [`Semaphore`] held through an `Arc`; dropping it gives the token back (to the
/// first waiter, if any) from whichever task or thread drops it.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::sync::Semaphore;
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(Semaphore::new(1));
/// let permit = semaphore.acquire_owned().await;
/// assert_eq!(semaphore.value(), 0);
/// anyio_core::to_thread::run_sync(move || drop(permit)).await;
/// assert_eq!(semaphore.value(), 1);
/// # });
/// ```
#[must_use = "the token is given back as soon as the permit is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    /// Set by `forget`: the token stays taken.
    forgotten: bool,
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .finish_non_exhaustive()
    }
}

impl OwnedSemaphorePermit {
    fn new(semaphore: Arc<Semaphore>) -> OwnedSemaphorePermit {
        OwnedSemaphorePermit {
            semaphore,
            forgotten: false,
        }
    }

    /// Keeps the token taken without this permit; [`Semaphore::release`] gives it back later,
    /// as [`SemaphorePermit::forget`](crate::sync::SemaphorePermit::forget).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// semaphore.try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// semaphore.release().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    pub fn forget(mut self) {
        self.semaphore.permits.forget();
        self.forgotten = true;
    }

    /// The semaphore this permit is a token of.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let permit = semaphore.try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if !self.forgotten {
            self.semaphore.permits.release(&());
        }
    }
}
