//! The parts of a session's life that are async by nature: the handshake, giving up after a
//! failed one, closing, and ending TLS to get the transport back.

use std::future::{poll_fn, Future};
use std::io::Read;
use std::pin::pin;
use std::task::{ready, Poll};

use rustls::{Connection, ProtocolVersion};

use super::io::Session;
use super::state::truncated;
use crate::streams::{AsyncResource, PollByteReceive, PollByteSend, StreamError};
use crate::sync::waiters::scope_cancelled;

/// Why a handshake failed, before it becomes a public error.
pub(super) enum HandshakeFailure {
    Tls(rustls::Error),
    Transport(StreamError),
}

/// Runs `future` unless the current cancel scope is (or becomes) cancelled, in which case it
/// is dropped and `None` returned *without* waiting to be dropped by the scope, so that the
/// caller can still finish synchronously (close its transport).
async fn unless_cancelled<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    poll_fn(|cx| {
        if scope_cancelled() {
            Poll::Ready(None)
        } else {
            future.as_mut().poll(cx).map(Some)
        }
    })
    .await
}

impl<S: PollByteReceive + PollByteSend + AsyncResource> Session<S> {
    /// The TLS handshake, up to the point where the peer has everything it needs.
    pub(super) async fn handshake(&self) -> Result<(), HandshakeFailure> {
        poll_fn(|cx| {
            let state = &mut *self.state();
            while state.conn.is_handshaking() {
                // Our flight goes out completely before we wait for the peer's.
                ready!(self.poll_write_out(state, cx)).map_err(HandshakeFailure::Transport)?;
                match state.feed_record() {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => {
                        state.protocol_error(error.clone());
                        return Poll::Ready(Err(HandshakeFailure::Tls(error)));
                    }
                }
                if state.transport_eof {
                    let end = HandshakeFailure::Transport(StreamError::EndOfStream);
                    return Poll::Ready(Err(end));
                }
                ready!(self.poll_fill(state, cx)).map_err(HandshakeFailure::Transport)?;
            }
            // A TLS 1.3 server finishes last: what it still has to send (session tickets) is
            // not needed by the client, so it goes out with the next operation instead of
            // holding up `wrap` on a transport the client is not reading yet.
            let background = matches!(state.conn, Connection::Server(_))
                && state.conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
            let written = self.poll_write_out(state, cx);
            if background {
                // A failure is kept for the first send to report.
                return Poll::Ready(Ok(()));
            }
            written.map_err(HandshakeFailure::Transport)
        })
        .await
    }

    /// After a failed handshake: push the alert rustls queued, if that can be done at once,
    /// then close the transport.
    pub(super) async fn abort(&self) {
        poll_fn(|cx| {
            let _ = self.poll_write_out(&mut self.state(), cx);
            Poll::Ready(())
        })
        .await;
        self.transport.aclose().await;
    }

    pub(super) async fn aclose(&self) {
        let graceful = {
            let mut state = self.state();
            let first = !state.closed;
            state.closed = true;
            state.wake_all();
            let graceful = first && self.standard_compatible && state.send_error.is_none();
            if graceful {
                // Does nothing if `send_eof` already queued it.
                state.conn.send_close_notify();
            }
            graceful
        };
        if graceful {
            unless_cancelled(poll_fn(|cx| {
                self.poll_write_out(&mut self.state(), cx).map(drop)
            }))
            .await;
        }
        self.transport.aclose().await;
    }

    pub(super) async fn unwrap(self) -> Result<(S, Vec<u8>), StreamError> {
        {
            let mut state = self.state();
            if state.closed {
                return Err(StreamError::ClosedResource);
            }
            if let Some(error) = state.receive_error.as_ref().or(state.send_error.as_ref()) {
                return Err(error.clone());
            }
            if !state.eof_sent {
                state.eof_sent = true;
                state.conn.send_close_notify();
            }
        }
        poll_fn(|cx| self.poll_write_out(&mut self.state(), cx)).await?;
        poll_fn(|cx| {
            let state = &mut *self.state();
            loop {
                // Data the application did not receive is dropped, as in AnyIO.
                let mut discard = [0; 1024];
                while matches!(state.conn.reader().read(&mut discard), Ok(n) if n > 0) {}
                if state.peer_closed {
                    return Poll::Ready(Ok(()));
                }
                if let Some(error) = &state.receive_error {
                    return Poll::Ready(Err(error.clone()));
                }
                match state.feed_record() {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => return Poll::Ready(Err(state.protocol_error(error))),
                }
                if state.transport_eof {
                    return Poll::Ready(Err(truncated()));
                }
                // Nothing is written after our close_notify: the peer reads plaintext after it.
                ready!(self.poll_fill(state, cx))?;
            }
        })
        .await?;
        let rest = self.state().incoming.take();
        Ok((self.into_transport(), rest))
    }
}
