//! Receiving Unix signals through `async-signal`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_signal::Signal;
use futures_core::Stream;

/// Every signal async-signal knows, to map signal numbers onto its enum.
const KNOWN: &[Signal] = &[
    Signal::Hup,
    Signal::Int,
    Signal::Quit,
    Signal::Ill,
    Signal::Trap,
    Signal::Abort,
    Signal::Bus,
    Signal::Fpe,
    Signal::Kill,
    Signal::Usr1,
    Signal::Segv,
    Signal::Usr2,
    Signal::Pipe,
    Signal::Alarm,
    Signal::Term,
    Signal::Child,
    Signal::Cont,
    Signal::Stop,
    Signal::Tstp,
    Signal::Ttin,
    Signal::Ttou,
    Signal::Urg,
    Signal::Xcpu,
    Signal::Xfsz,
    Signal::Vtalarm,
    Signal::Prof,
    Signal::Winch,
    Signal::Sys,
];

/// Starts listening for the signals numbered `signals`. Dropping the [`Signals`] unregisters
/// its handlers (the signals do not get their default action back: they are then ignored).
///
/// # Errors
///
/// A signal that cannot be caught (`SIGKILL`, `SIGSTOP`, `SIGSEGV`...) or is unknown, or the
/// failure to set up the notification pipe.
pub fn signals(signals: &[i32]) -> io::Result<Signals> {
    let signals = signals
        .iter()
        .map(|&number| {
            KNOWN
                .iter()
                .copied()
                .find(|&signal| signal as i32 == number)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("unsupported signal number {number}"),
                    )
                })
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok(Signals(async_signal::Signals::new(signals)?))
}

/// A stream of signal numbers; see [`signals`].
#[derive(Debug)]
pub struct Signals(async_signal::Signals);

impl Signals {
    /// The next signal received.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<i32>>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|next| next.map(|signal| signal.map(|signal| signal as i32)))
    }
}
