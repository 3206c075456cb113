/// Why a [`from_thread`](super::from_thread) call could not deliver its result.
///
/// # Examples
///
/// ```
/// use anyio_core::{from_thread, FromThreadError};
/// // Not an anyio worker thread:
/// assert_eq!(from_thread::run(async {}), Err(FromThreadError::NotInWorkerThread));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FromThreadError {
    /// The calling thread was not started by `to_thread::run_sync`, so there is no event loop
    /// to go back to.
    #[error(
        "not in an anyio worker thread: from_thread works only in threads started by \
         to_thread::run_sync"
    )]
    NotInWorkerThread,
    /// The task that started this thread was cancelled, so the call was cancelled too.
    #[error("the task that started this worker thread was cancelled")]
    Cancelled,
    /// The runtime stopped before the call completed.
    #[error("the event loop stopped before the call completed")]
    RuntimeStopped,
}
