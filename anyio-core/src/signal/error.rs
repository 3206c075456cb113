use std::io;

use super::Signal;

/// Why [`open_signal_receiver`](super::open_signal_receiver) failed.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::signal::{open_signal_receiver, Signal, SignalError};
///
/// let error = open_signal_receiver(&[Signal::Kill]).unwrap_err();
/// assert!(matches!(error, SignalError::Uncatchable(Signal::Kill)));
/// assert_eq!(error.to_string(), "SIGKILL cannot be caught");
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignalError {
    /// The signal cannot be caught (`SIGKILL`, `SIGSTOP`).
    #[error("{0} cannot be caught")]
    Uncatchable(Signal),
    /// The backend failed to install its handlers.
    #[error("failed to listen for signals")]
    Io(#[source] io::Error),
}

impl From<SignalError> for io::Error {
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for a signal that cannot be caught, the
    /// backend's error kind otherwise; the whole error kept as the source.
    fn from(error: SignalError) -> io::Error {
        let kind = match &error {
            SignalError::Uncatchable(_) => io::ErrorKind::InvalidInput,
            SignalError::Io(source) => source.kind(),
        };
        io::Error::new(kind, error)
    }
}
