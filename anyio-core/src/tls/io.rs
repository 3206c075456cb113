//! The engine of a TLS stream: a rustls connection driven over the transport's poll core
//! ([`PollByteReceive`], [`PollByteSend`]); rustls never sees the transport itself.
//!
//! - **Reading.** Transport bytes go to an [`Incoming`] buffer and are handed to rustls one
//!   complete record at a time, so that nothing past the peer's `close_notify` is swallowed
//!   (that is what [`TlsStream::unwrap`](super::TlsStream::unwrap) returns) and the decrypted
//!   data never grows past one record ahead of the reader. Both buffers live in the session,
//!   so a receive that returns `Pending` (or is dropped) loses nothing.
//! - **Writing.** Plaintext is encrypted into rustls' queue (bounded by its buffer limit), and
//!   the queue is written to the transport through [`TransportWriter`]: what the transport did
//!   not take stays queued in rustls and goes first next time, so a record is never cut in
//!   half nor sent twice. The receive path pushes queued records (alerts, key-update replies,
//!   TLS 1.3 session tickets) too.
//! - **Wakers.** The transport keeps one waker per direction, and the receive path may take
//!   the sending side's place there while pushing records: so it wakes the stored sender,
//!   which polls again and registers itself anew. `aclose` wakes both stored wakers, so that
//!   blocked operations end with `ClosedResource` whatever the transport does.
//!
//! One std mutex guards it all, held for one poll call (never across an await).

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard};
use std::task::{ready, Context, Poll};

use rustls::Connection;

use super::record::Incoming;
use super::state::{remember, transport_failure, State};
use super::transport::TransportWriter;
use crate::cancel::node::lock;
use crate::streams::{check_max_bytes, PollByteReceive, PollByteSend, StreamError};
use crate::sync::waiters::poll_cancel_point;

/// How much encrypted data may wait in rustls for the transport before a send waits too.
const SEND_LIMIT: usize = 64 * 1024;

/// A rustls connection over a transport.
pub(super) struct Session<S> {
    pub(super) transport: S,
    state: Mutex<State>,
    pub(super) standard_compatible: bool,
}

impl<S> Session<S> {
    pub(super) fn new(transport: S, mut conn: Connection, standard_compatible: bool) -> Self {
        // Bounds what a send may leave queued for a slow transport (handshake messages and
        // alerts are never refused).
        conn.set_buffer_limit(Some(SEND_LIMIT));
        Session {
            transport,
            state: Mutex::new(State {
                conn,
                incoming: Incoming::default(),
                transport_eof: false,
                peer_closed: false,
                receive_error: None,
                send_error: None,
                eof_sent: false,
                closed: false,
                gather: Vec::new(),
                receiver: None,
                sender: None,
            }),
            standard_compatible,
        }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(super) fn into_transport(self) -> S {
        self.transport
    }
}

impl<S: PollByteReceive + PollByteSend> Session<S> {
    /// Writes rustls' queued records to the transport until none is left (`Ready(Ok)`) or the
    /// transport is full (`Pending`, its waker registered). A transport failure breaks sending.
    pub(super) fn poll_write_out(
        &self,
        state: &mut State,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), StreamError>> {
        while state.conn.wants_write() {
            let mut writer = TransportWriter {
                transport: &self.transport,
                gather: &mut state.gather,
                cx,
                failure: None,
            };
            match state.conn.write_tls(&mut writer) {
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(error) => {
                    if state.closed {
                        return Poll::Ready(Err(StreamError::ClosedResource));
                    }
                    let failure = writer.failure.unwrap_or_else(|| StreamError::broken(error));
                    let failure = transport_failure(failure);
                    state.send_error.get_or_insert_with(|| failure.clone());
                    return Poll::Ready(Err(failure));
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads once from the transport into the incoming buffer (or notes its end).
    pub(super) fn poll_fill(
        &self,
        state: &mut State,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), StreamError>> {
        let spare = state.incoming.spare();
        match ready!(self.transport.poll_receive_into(cx, spare)) {
            Ok(n) => state.incoming.filled(n),
            Err(StreamError::EndOfStream) => state.transport_eof = true,
            Err(_) if state.closed => return Poll::Ready(Err(StreamError::ClosedResource)),
            Err(error) => {
                let error = transport_failure(error);
                state.receive_error = Some(error.clone());
                return Poll::Ready(Err(error));
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Moves queued records toward the transport from the receive path, without waiting. The
    /// transport may now hold this task's waker instead of the sender's: wake the sender so
    /// that it registers again.
    pub(super) fn nudge_writes(&self, state: &mut State, cx: &mut Context<'_>) {
        if state.conn.wants_write() {
            let _ = self.poll_write_out(state, cx);
            if let Some(sender) = state.sender.take() {
                sender.wake();
            }
        }
    }
}

impl<S: PollByteReceive + PollByteSend> PollByteReceive for Session<S> {
    fn poll_receive_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, StreamError>> {
        check_max_bytes(buf.len())?;
        ready!(poll_cancel_point(cx));
        let state = &mut *self.state();
        let result = loop {
            match state.read_plaintext(buf, self.standard_compatible) {
                Ok(Some(n)) => break Poll::Ready(Ok(n)),
                Ok(None) => {}
                Err(error) => break Poll::Ready(Err(error)),
            }
            match self.poll_fill(state, cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => break Poll::Ready(Err(error)),
                Poll::Pending => {
                    remember(&mut state.receiver, cx);
                    break Poll::Pending;
                }
            }
        };
        // Start sending whatever processing queued (alerts, key-update replies).
        self.nudge_writes(state, cx);
        result
    }
}

impl<S: PollByteReceive + PollByteSend> PollByteSend for Session<S> {
    fn poll_send(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, StreamError>> {
        let state = &mut *self.state();
        state.check_send()?;
        ready!(poll_cancel_point(cx));
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Records queued earlier go first; new data is taken while rustls has room.
        let flushed = self.poll_write_out(state, cx)?;
        let accepted = state
            .conn
            .writer()
            .write(data)
            .map_err(StreamError::broken)?;
        if accepted > 0 {
            // On their way at once; if the transport is full they go with a later call, and
            // if it failed, the failure is kept for the next call (the data was accepted).
            let _ = self.poll_write_out(state, cx);
            return Poll::Ready(Ok(accepted));
        }
        if flushed.is_ready() {
            // rustls refuses data only while its queue is full, and the queue is empty.
            return Poll::Ready(Err(StreamError::broken(io::Error::other(
                "tls refused data with nothing queued",
            ))));
        }
        remember(&mut state.sender, cx);
        Poll::Pending
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        let state = &mut *self.state();
        if state.closed {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if let Some(error) = &state.send_error {
            return Poll::Ready(Err(error.clone()));
        }
        let result = self.poll_write_out(state, cx);
        if result.is_pending() {
            remember(&mut state.sender, cx);
        }
        result
    }

    fn poll_send_eof(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        ready!(poll_cancel_point(cx));
        let state = &mut *self.state();
        if state.closed {
            return Poll::Ready(Err(StreamError::ClosedResource));
        }
        if !state.eof_sent {
            if let Some(error) = &state.send_error {
                return Poll::Ready(Err(error.clone()));
            }
            state.eof_sent = true;
            state.conn.send_close_notify();
        } else if state.send_error.is_some() {
            // Ending twice is not an error, even when what followed the first failed.
            return Poll::Ready(Ok(()));
        }
        let result = self.poll_write_out(state, cx);
        if result.is_pending() {
            remember(&mut state.sender, cx);
        }
        result
    }
}
