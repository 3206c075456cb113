use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{Signal, SignalError};
use crate::backend::require_backend;
use crate::runtime;

/// Starts listening for `signals` and returns a stream of them as they arrive.
///
/// Listening starts at once: a signal sent after this returns is received even if nobody is
/// polling the receiver yet. While any receiver listens for a signal, the signal's default
/// action (say, terminating the process on `SIGTERM`) is replaced by delivery to the
/// receivers; every receiver listening for a signal gets it.
///
/// Unix only. On tokio the handlers stay installed after the receiver is dropped (tokio never
/// uninstalls them), so the default action does not come back; on smol and async-std the
/// handlers are removed when the receiver is dropped, and the signal is then ignored.
///
/// # Errors
///
/// [`SignalError::Uncatchable`] for `SIGKILL` and `SIGSTOP`; [`SignalError::Io`] when the
/// backend cannot install a handler.
///
/// # Panics
///
/// Panics outside an async runtime (see [`NoRuntime`](crate::NoRuntime)).
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::signal::{open_signal_receiver, Signal};
///
/// let mut signals = open_signal_receiver(&[Signal::User1])?;
/// // Send ourselves SIGUSR1.
/// std::process::Command::new("kill")
///     .args(["-USR1", &std::process::id().to_string()])
///     .status()?;
/// assert_eq!(signals.receive().await, Some(Signal::User1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn open_signal_receiver(signals: &[Signal]) -> Result<SignalReceiver, SignalError> {
    if let Some(&signal) = signals.iter().find(|signal| !signal.can_be_caught()) {
        return Err(SignalError::Uncatchable(signal));
    }
    let numbers: Vec<i32> = signals.iter().map(|signal| signal.as_raw()).collect();
    let inner = runtime::signals(require_backend(), &numbers).map_err(SignalError::Io)?;
    Ok(SignalReceiver {
        signals: signals.to_vec(),
        inner,
    })
}

/// A stream of received signals; see [`open_signal_receiver`].
///
/// Signals of one kind that arrive faster than they are received may be merged into one
/// (the operating system and the backends coalesce pending signals). The stream ends only if
/// the backend's signal machinery fails or shuts down.
///
/// # Cancellation
///
/// Dropping a [`receive`](SignalReceiver::receive) (or a `next()` of the stream) loses no
/// signal: a signal is taken from the backend only by the poll that returns it.
pub struct SignalReceiver {
    signals: Vec<Signal>,
    inner: runtime::Signals,
}

impl fmt::Debug for SignalReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalReceiver")
            .field("signals", &self.signals)
            .finish_non_exhaustive()
    }
}

impl SignalReceiver {
    /// Waits for the next signal; `None` if the backend's signal machinery shut down.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a dropped `receive` loses no signal.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::{move_on_after, signal::{open_signal_receiver, Signal}, Duration};
    ///
    /// let mut signals = open_signal_receiver(&[Signal::User2]).unwrap();
    /// // Nobody sends SIGUSR2 here: give up after 10 ms.
    /// assert_eq!(move_on_after(Duration::from_millis(10), signals.receive()).await, None);
    /// # });
    /// ```
    pub async fn receive(&mut self) -> Option<Signal> {
        poll_fn(|cx| self.poll_receive(cx)).await
    }

    /// The signals this receiver listens for.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::signal::{open_signal_receiver, Signal};
    /// let signals = open_signal_receiver(&[Signal::User1, Signal::User2]).unwrap();
    /// assert_eq!(signals.signals(), [Signal::User1, Signal::User2]);
    /// # });
    /// ```
    pub fn signals(&self) -> &[Signal] {
        &self.signals
    }

    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<Option<Signal>> {
        loop {
            return match self.inner.poll_next(cx) {
                // Only the signals registered come back; skip anything else defensively.
                Poll::Ready(Some(Ok(number))) => match Signal::from_raw(number) {
                    Some(signal) => Poll::Ready(Some(signal)),
                    None => continue,
                },
                Poll::Ready(Some(Err(_))) | Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

impl Stream for SignalReceiver {
    type Item = Signal;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Signal>> {
        self.get_mut().poll_receive(cx)
    }
}
