//! Receiving Unix signals on tokio (`tokio::signal::unix`).

use std::io;
use std::task::{Context, Poll};

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Starts listening for the signals numbered `signals`.
///
/// tokio never uninstalls its handlers: once a signal was listened for, its default action
/// (say, terminating the process on `SIGUSR1`) stays replaced for the life of the process.
///
/// # Errors
///
/// A signal that cannot be caught (`SIGKILL`, `SIGSTOP`, `SIGSEGV`...).
///
/// # Panics
///
/// Panics outside a tokio runtime with the signal driver enabled.
pub fn signals(signals: &[i32]) -> io::Result<Signals> {
    let streams = signals
        .iter()
        .map(|&number| Ok((number, signal(SignalKind::from_raw(number))?)))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(Signals { streams, next: 0 })
}

/// A stream of signal numbers; see [`signals`].
#[derive(Debug)]
pub struct Signals {
    streams: Vec<(i32, Signal)>,
    /// Where the next poll starts, so that no signal starves the others.
    next: usize,
}

impl Signals {
    /// The next signal received; `None` once the runtime's signal driver shut down.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<i32>>> {
        let count = self.streams.len();
        for offset in 0..count {
            let index = (self.next + offset) % count;
            let (number, stream) = &mut self.streams[index];
            match stream.poll_recv(cx) {
                Poll::Ready(Some(())) => {
                    self.next = (index + 1) % count;
                    return Poll::Ready(Some(Ok(*number)));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }
}
