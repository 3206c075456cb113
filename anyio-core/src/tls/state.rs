//! The state a TLS session shares between the tasks that use it: the rustls connection, the
//! transport bytes not handed to it yet, how each direction ended, and who waits.

use std::io::{self, Read};
use std::task::{Context, Waker};

use rustls::Connection;

use super::record::{complete_record, Incoming};
use crate::streams::StreamError;

/// The transport failed: keep its `BrokenResource`, report anything else as broken too.
pub(super) fn transport_failure(error: StreamError) -> StreamError {
    match error {
        StreamError::BrokenResource(_) => error,
        other => StreamError::broken(io::Error::other(other)),
    }
}

/// A TLS protocol error as a stream error, the rustls error as the `io::Error`'s source.
pub(super) fn protocol_failure(error: rustls::Error) -> StreamError {
    StreamError::broken(io::Error::new(io::ErrorKind::InvalidData, error))
}

pub(super) fn truncated() -> StreamError {
    StreamError::broken(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the peer closed the transport without sending a tls close_notify",
    ))
}

/// Stores `waker` in `slot` unless it is already there.
pub(super) fn remember(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Everything a session shares between its tasks.
pub(super) struct State {
    pub(super) conn: Connection,
    pub(super) incoming: Incoming,
    /// The transport reported the end of its stream.
    pub(super) transport_eof: bool,
    /// rustls processed the peer's `close_notify`; nothing more is handed to it.
    pub(super) peer_closed: bool,
    /// Receiving failed for good.
    pub(super) receive_error: Option<StreamError>,
    /// Sending failed for good.
    pub(super) send_error: Option<StreamError>,
    /// `send_eof` (or `unwrap`) queued our `close_notify`.
    pub(super) eof_sent: bool,
    /// `aclose` was called.
    pub(super) closed: bool,
    /// Records gathered for one transport send (see [`TransportWriter`]).
    pub(super) gather: Vec<u8>,
    /// The task whose receive waits, woken by `aclose`.
    pub(super) receiver: Option<Waker>,
    /// The task whose send or flush waits, woken by `aclose` and by the receive path.
    pub(super) sender: Option<Waker>,
}

impl State {
    /// Hands the next complete record to rustls and processes it. `Ok(false)`: no complete
    /// record is buffered (or the peer closed, after which nothing more is handed over).
    pub(super) fn feed_record(&mut self) -> Result<bool, rustls::Error> {
        if self.peer_closed {
            return Ok(false);
        }
        let Some(len) = complete_record(self.incoming.pending()) else {
            return Ok(false);
        };
        let mut record = &self.incoming.pending()[..len];
        while !record.is_empty() {
            match self.conn.read_tls(&mut record) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => return Err(rustls::Error::General(error.to_string())),
            }
        }
        self.incoming.consume(len);
        let io_state = self.conn.process_new_packets()?;
        self.peer_closed = io_state.peer_has_closed();
        Ok(true)
    }

    /// Records a TLS protocol error: both directions are broken from now on.
    pub(super) fn protocol_error(&mut self, error: rustls::Error) -> StreamError {
        let error = protocol_failure(error);
        self.receive_error.get_or_insert_with(|| error.clone());
        self.send_error.get_or_insert_with(|| error.clone());
        error
    }

    /// Decrypted data for `buf`, the end of the stream, an error, or `None`: more transport
    /// data is needed.
    pub(super) fn read_plaintext(
        &mut self,
        buf: &mut [u8],
        standard_compatible: bool,
    ) -> Result<Option<usize>, StreamError> {
        loop {
            if self.closed {
                return Err(StreamError::ClosedResource);
            }
            match self.conn.reader().read(buf) {
                // `buf` is not empty: zero bytes means the peer's close_notify was processed.
                Ok(0) => return Err(StreamError::EndOfStream),
                Ok(n) => return Ok(Some(n)),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(StreamError::broken(error)),
            }
            if let Some(error) = &self.receive_error {
                return Err(error.clone());
            }
            match self.feed_record() {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => return Err(self.protocol_error(error)),
            }
            if self.transport_eof {
                return Err(if standard_compatible {
                    truncated()
                } else {
                    StreamError::EndOfStream
                });
            }
            return Ok(None);
        }
    }

    /// Whether sending is still possible.
    pub(super) fn check_send(&self) -> Result<(), StreamError> {
        if self.closed || self.eof_sent {
            Err(StreamError::ClosedResource)
        } else if let Some(error) = &self.send_error {
            Err(error.clone())
        } else {
            Ok(())
        }
    }

    /// Wakes the tasks blocked in a receive or a send (after `aclose`).
    pub(super) fn wake_all(&mut self) {
        for waker in [self.receiver.take(), self.sender.take()]
            .into_iter()
            .flatten()
        {
            waker.wake();
        }
    }
}
