use std::fmt;

use rustix::process::Signal as RawSignal;

/// A Unix signal, to listen for ([`open_signal_receiver`](super::open_signal_receiver)) or to
/// send to a child process
/// ([`Process::send_signal`](crate::process::Process::send_signal)).
///
/// Its [`Display`](fmt::Display) form is the C name (`SIGTERM`).
///
/// # Examples
///
/// ```
/// use anyio_core::signal::Signal;
///
/// assert_eq!(Signal::Terminate.to_string(), "SIGTERM");
/// assert_eq!(Signal::from_raw(Signal::Hangup.as_raw()), Some(Signal::Hangup));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// `SIGHUP`: the terminal hung up; by convention, daemons reload their configuration.
    Hangup,
    /// `SIGINT`: Ctrl-C.
    Interrupt,
    /// `SIGQUIT`: Ctrl-\\.
    Quit,
    /// `SIGKILL`: ends the process at once. It cannot be caught, only sent.
    Kill,
    /// `SIGUSR1`: user-defined.
    User1,
    /// `SIGUSR2`: user-defined.
    User2,
    /// `SIGPIPE`: a write to a pipe with no reader.
    Pipe,
    /// `SIGALRM`: a timer expired.
    Alarm,
    /// `SIGTERM`: a polite request to terminate.
    Terminate,
    /// `SIGCHLD`: a child process stopped or exited.
    Child,
    /// `SIGCONT`: continue a stopped process.
    Continue,
    /// `SIGSTOP`: stops the process. It cannot be caught, only sent.
    Stop,
    /// `SIGTSTP`: Ctrl-Z.
    TerminalStop,
    /// `SIGWINCH`: the terminal window changed size.
    WindowChange,
}

impl Signal {
    /// Every signal this enum names.
    const ALL: [Signal; 14] = [
        Signal::Hangup,
        Signal::Interrupt,
        Signal::Quit,
        Signal::Kill,
        Signal::User1,
        Signal::User2,
        Signal::Pipe,
        Signal::Alarm,
        Signal::Terminate,
        Signal::Child,
        Signal::Continue,
        Signal::Stop,
        Signal::TerminalStop,
        Signal::WindowChange,
    ];

    pub(crate) fn to_rustix(self) -> RawSignal {
        match self {
            Signal::Hangup => RawSignal::HUP,
            Signal::Interrupt => RawSignal::INT,
            Signal::Quit => RawSignal::QUIT,
            Signal::Kill => RawSignal::KILL,
            Signal::User1 => RawSignal::USR1,
            Signal::User2 => RawSignal::USR2,
            Signal::Pipe => RawSignal::PIPE,
            Signal::Alarm => RawSignal::ALARM,
            Signal::Terminate => RawSignal::TERM,
            Signal::Child => RawSignal::CHILD,
            Signal::Continue => RawSignal::CONT,
            Signal::Stop => RawSignal::STOP,
            Signal::TerminalStop => RawSignal::TSTP,
            Signal::WindowChange => RawSignal::WINCH,
        }
    }

    /// The signal's number on this platform (`SIGTERM` is 15 on Linux).
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::signal::Signal;
    /// # #[cfg(target_os = "linux")]
    /// assert_eq!(Signal::Terminate.as_raw(), 15);
    /// ```
    pub fn as_raw(self) -> i32 {
        self.to_rustix().as_raw()
    }

    /// The signal numbered `number` on this platform, if this enum names it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::signal::Signal;
    /// assert_eq!(Signal::from_raw(Signal::User1.as_raw()), Some(Signal::User1));
    /// assert_eq!(Signal::from_raw(0), None);
    /// ```
    pub fn from_raw(number: i32) -> Option<Signal> {
        Signal::ALL
            .into_iter()
            .find(|signal| signal.as_raw() == number)
    }

    /// The C name of the signal, such as `"SIGTERM"`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::signal::Signal;
    /// assert_eq!(Signal::WindowChange.name(), "SIGWINCH");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Signal::Hangup => "SIGHUP",
            Signal::Interrupt => "SIGINT",
            Signal::Quit => "SIGQUIT",
            Signal::Kill => "SIGKILL",
            Signal::User1 => "SIGUSR1",
            Signal::User2 => "SIGUSR2",
            Signal::Pipe => "SIGPIPE",
            Signal::Alarm => "SIGALRM",
            Signal::Terminate => "SIGTERM",
            Signal::Child => "SIGCHLD",
            Signal::Continue => "SIGCONT",
            Signal::Stop => "SIGSTOP",
            Signal::TerminalStop => "SIGTSTP",
            Signal::WindowChange => "SIGWINCH",
        }
    }

    /// Whether a process can install a handler for this signal (`SIGKILL` and `SIGSTOP` it
    /// cannot).
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio_core::signal::Signal;
    /// assert!(Signal::Terminate.can_be_caught());
    /// assert!(!Signal::Kill.can_be_caught());
    /// ```
    pub const fn can_be_caught(self) -> bool {
        !matches!(self, Signal::Kill | Signal::Stop)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
