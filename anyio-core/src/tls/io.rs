//! The engine of a TLS stream: a rustls connection fed from, and drained to, an anyio byte
//! stream through in-memory buffers (rustls never sees the transport).
//!
//! - **Reading.** Bytes read from the transport go to `State::incoming`; they are handed to
//!   rustls one complete record at a time, so that nothing past the peer's `close_notify` is
//!   swallowed (that is what [`TlsStream::unwrap`](super::TlsStream::unwrap) returns) and the
//!   decrypted data never grows past one record ahead of the reader. Both buffers live in the
//!   shared state, so a dropped receive loses nothing.
//! - **Writing.** Whoever holds the writer [`Lock`] drains rustls' queued records into one
//!   boxed transport write at a time, kept in `Session::in_flight` rather than in the caller's
//!   future: a cancelled send leaves the write there, and the next writer completes it before
//!   anything else, so a record is never cut in half nor sent twice. The receive path pushes
//!   queued records (alerts, key-update replies) when the lock is free, without waiting.
//! - **Closing.** `aclose` sets the `closed` event, which every blocked operation races, so
//!   blocked sends and receives end with `ClosedResource` whatever the transport does.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use rustls::{Connection, ProtocolVersion};

use crate::streams::{ByteReceiveStream, ByteSendStream, StreamError};
use crate::sync::waiters::scope_cancelled;
use crate::sync::{Event, Lock, LockGuard};

/// A TLS record header: content type, version, length.
const HEADER_LEN: usize = 5;
/// The longest record TLS allows on the wire: 2^14 bytes of data plus 2048 of expansion.
const MAX_RECORD_LEN: usize = HEADER_LEN + (1 << 14) + 2048;
/// How many bytes one transport read asks for.
const READ_CHUNK: usize = MAX_RECORD_LEN;
/// How much plaintext one send encrypts before writing it out.
const SEND_CHUNK: usize = 64 * 1024;

/// A transport write in progress, owned by the session so that it outlives a cancelled send.
type InFlight = Pin<Box<dyn Future<Output = Result<(), StreamError>> + Send>>;

/// Locks a std mutex, ignoring poisoning (the state stays consistent between statements).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The transport failed: keep its `BrokenResource`, report anything else as broken too.
fn transport_failure(error: StreamError) -> StreamError {
    match error {
        StreamError::BrokenResource(_) => error,
        other => StreamError::broken(io::Error::other(other)),
    }
}

/// A TLS protocol error as a stream error, the rustls error as the `io::Error`'s source.
pub(super) fn protocol_failure(error: rustls::Error) -> StreamError {
    StreamError::broken(io::Error::new(io::ErrorKind::InvalidData, error))
}

fn truncated() -> StreamError {
    StreamError::broken(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the peer closed the transport without sending a tls close_notify",
    ))
}

/// The length of the complete record at the start of `buf`, if it is all there. A header that
/// cannot start a TLS record is handed over alone, so that rustls rejects it at once instead
/// of the stream waiting for a body that will never come.
fn complete_record(buf: &[u8]) -> Option<usize> {
    let header = buf.get(..HEADER_LEN)?;
    let len = HEADER_LEN + usize::from(u16::from_be_bytes([header[3], header[4]]));
    let plausible = (20..=24).contains(&header[0]) && header[1] == 3 && len <= MAX_RECORD_LEN;
    if !plausible {
        Some(HEADER_LEN)
    } else if buf.len() >= len {
        Some(len)
    } else {
        None
    }
}

/// Everything a session shares between its tasks, behind one std mutex (never held across an
/// await).
pub(super) struct State {
    pub(super) conn: Connection,
    /// Transport bytes not handed to rustls yet.
    incoming: Vec<u8>,
    /// The transport reported the end of its stream.
    transport_eof: bool,
    /// rustls processed the peer's `close_notify`; nothing more is handed to it.
    peer_closed: bool,
    /// Receiving failed for good.
    receive_error: Option<StreamError>,
    /// Sending failed for good.
    send_error: Option<StreamError>,
    /// `send_eof` (or `unwrap`) queued our `close_notify`.
    pub(super) eof_sent: bool,
    /// `aclose` was called.
    pub(super) closed: bool,
    /// The transport read buffer, kept between receives.
    scratch: Option<Vec<u8>>,
}

impl State {
    /// Hands the next complete record to rustls and processes it. `Ok(false)`: no complete
    /// record is buffered (or the peer closed, after which nothing more is handed over).
    fn feed_record(&mut self) -> Result<bool, rustls::Error> {
        if self.peer_closed {
            return Ok(false);
        }
        let Some(len) = complete_record(&self.incoming) else {
            return Ok(false);
        };
        let mut record = &self.incoming[..len];
        while !record.is_empty() {
            match self.conn.read_tls(&mut record) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => return Err(rustls::Error::General(error.to_string())),
            }
        }
        self.incoming.drain(..len);
        let io_state = self.conn.process_new_packets()?;
        self.peer_closed = io_state.peer_has_closed();
        Ok(true)
    }

    /// Records a TLS protocol error: both directions are broken from now on.
    fn protocol_error(&mut self, error: rustls::Error) -> StreamError {
        let error = protocol_failure(error);
        self.receive_error.get_or_insert_with(|| error.clone());
        self.send_error.get_or_insert_with(|| error.clone());
        error
    }

    /// Takes every record rustls has queued for the peer.
    fn take_output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            // Writing into a `Vec` cannot fail.
            if self.conn.write_tls(&mut out).is_err() {
                break;
            }
        }
        out
    }

    /// Decrypted data for `buf`, the end of the stream, an error, or `None`: more transport
    /// data is needed.
    fn read_plaintext(
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
    fn check_send(&self) -> Result<(), StreamError> {
        if self.closed || self.eof_sent {
            Err(StreamError::ClosedResource)
        } else if let Some(error) = &self.send_error {
            Err(error.clone())
        } else {
            Ok(())
        }
    }
}

/// How a transport read ended.
enum Arrival {
    Data(usize),
    Closed,
    Failed(StreamError),
}

/// A rustls connection over a transport.
pub(super) struct Session<S> {
    pub(super) transport: Arc<S>,
    state: Mutex<State>,
    /// Serializes writes to the transport.
    writer: Lock,
    /// The transport write in progress; touched only by the holder of `writer`.
    in_flight: Mutex<Option<InFlight>>,
    /// Set by `aclose`: wakes every blocked operation.
    closed: Event,
    pub(super) standard_compatible: bool,
}

impl<S> Session<S> {
    pub(super) fn new(transport: S, mut conn: Connection, standard_compatible: bool) -> Self {
        // Sends chunk their data themselves; rustls buffers what it is given.
        conn.set_buffer_limit(None);
        Session {
            transport: Arc::new(transport),
            state: Mutex::new(State {
                conn,
                incoming: Vec::new(),
                transport_eof: false,
                peer_closed: false,
                receive_error: None,
                send_error: None,
                eof_sent: false,
                closed: false,
                scratch: None,
            }),
            writer: Lock::new(),
            in_flight: Mutex::new(None),
            closed: Event::new(),
            standard_compatible,
        }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Runs `future` unless the stream is closed first (`None`).
    async fn until_closed<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        let mut closed = pin!(self.closed.wait());
        poll_fn(|cx| {
            if closed.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }
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

impl<S: ByteReceiveStream + ByteSendStream + 'static> Session<S> {
    /// Writes out every record rustls has queued, the write in flight first. The caller holds
    /// the writer lock.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        let mut in_flight = lock(&self.in_flight);
        loop {
            if let Some(write) = in_flight.as_mut() {
                let result = match write.as_mut().poll(cx) {
                    Poll::Ready(result) => result,
                    Poll::Pending => return Poll::Pending,
                };
                *in_flight = None;
                if let Err(error) = result {
                    let mut state = self.state();
                    if state.closed {
                        return Poll::Ready(Err(StreamError::ClosedResource));
                    }
                    let error = transport_failure(error);
                    state.send_error.get_or_insert_with(|| error.clone());
                    return Poll::Ready(Err(error));
                }
            }
            let out = self.state().take_output();
            if out.is_empty() {
                return Poll::Ready(Ok(()));
            }
            let transport = self.transport.clone();
            *in_flight = Some(Box::pin(async move { transport.send_all(&out).await }));
        }
    }

    async fn flush(&self, _writer: &LockGuard<'_>) -> Result<(), StreamError> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Moves queued records toward the transport if nobody else is writing, without waiting.
    fn nudge_writes(&self, cx: &mut Context<'_>) {
        if let Ok(_writer) = self.writer.try_acquire() {
            let _ = self.poll_flush(cx);
        }
    }

    /// Reads from the transport into `scratch` (racing `aclose`), pushing queued writes along
    /// meanwhile if `nudge`.
    async fn read_transport(&self, scratch: &mut [u8], nudge: bool) -> Arrival {
        let mut read = pin!(self.transport.receive_into(scratch));
        let mut closed = pin!(self.closed.wait());
        let result = poll_fn(|cx| {
            if closed.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            if nudge {
                self.nudge_writes(cx);
            }
            read.as_mut().poll(cx).map(Some)
        })
        .await;
        match result {
            None => Arrival::Closed,
            Some(Ok(n)) => Arrival::Data(n),
            Some(Err(error)) => Arrival::Failed(error),
        }
    }

    /// Stores what a transport read brought. `Err` when the stream is done for.
    fn absorb(&self, read: Arrival, scratch: &[u8]) -> Result<(), StreamError> {
        let mut state = self.state();
        match read {
            Arrival::Data(n) => {
                state.incoming.extend_from_slice(&scratch[..n]);
                Ok(())
            }
            Arrival::Failed(StreamError::EndOfStream) => {
                state.transport_eof = true;
                Ok(())
            }
            Arrival::Closed => Err(StreamError::ClosedResource),
            Arrival::Failed(_) if state.closed => Err(StreamError::ClosedResource),
            Arrival::Failed(error) => {
                let error = transport_failure(error);
                state.receive_error = Some(error.clone());
                Err(error)
            }
        }
    }

    /// The TLS handshake, up to the point where the peer has everything it needs.
    pub(super) async fn handshake(&self) -> Result<(), HandshakeFailure> {
        let mut scratch = vec![0; READ_CHUNK];
        loop {
            if !self.state().conn.is_handshaking() {
                break;
            }
            // Our flight goes out completely before we wait for the peer's.
            {
                let writer = self.writer.acquire().await;
                self.flush(&writer)
                    .await
                    .map_err(HandshakeFailure::Transport)?;
            }
            {
                let mut state = self.state();
                match state.feed_record() {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => {
                        state.protocol_error(error.clone());
                        return Err(HandshakeFailure::Tls(error));
                    }
                }
                if state.transport_eof {
                    return Err(HandshakeFailure::Transport(StreamError::EndOfStream));
                }
            }
            let read = self.read_transport(&mut scratch, true).await;
            self.absorb(read, &scratch)
                .map_err(HandshakeFailure::Transport)?;
        }
        let writer = self.writer.acquire().await;
        let background = {
            let state = self.state();
            // A TLS 1.3 server finishes last: what it still has to send (session tickets) is
            // not needed by the client, so it goes out with the next operation instead of
            // holding up `wrap` on a transport the client is not reading yet.
            matches!(state.conn, Connection::Server(_))
                && state.conn.protocol_version() == Some(ProtocolVersion::TLSv1_3)
        };
        if background {
            poll_fn(|cx| {
                let _ = self.poll_flush(cx);
                Poll::Ready(())
            })
            .await;
            Ok(())
        } else {
            self.flush(&writer)
                .await
                .map_err(HandshakeFailure::Transport)
        }
    }

    /// After a failed handshake: push the alert rustls queued, if that can be done at once,
    /// then close the transport.
    pub(super) async fn abort(&self) {
        poll_fn(|cx| {
            self.nudge_writes(cx);
            Poll::Ready(())
        })
        .await;
        drop(lock(&self.in_flight).take());
        self.transport.aclose().await;
    }

    pub(super) async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        crate::checkpoint_if_cancelled().await;
        let mut scratch: Option<Vec<u8>> = None;
        let result = loop {
            match self.state().read_plaintext(buf, self.standard_compatible) {
                Ok(Some(n)) => break Ok(n),
                Ok(None) => {}
                Err(error) => break Err(error),
            }
            let scratch = scratch.get_or_insert_with(|| {
                self.state()
                    .scratch
                    .take()
                    .unwrap_or_else(|| vec![0; READ_CHUNK])
            });
            let read = self.read_transport(scratch, true).await;
            if let Err(error) = self.absorb(read, scratch) {
                break Err(error);
            }
        };
        if let Some(scratch) = scratch {
            self.state().scratch = Some(scratch);
        }
        // Start sending whatever processing queued (alerts, key-update replies).
        poll_fn(|cx| {
            self.nudge_writes(cx);
            Poll::Ready(())
        })
        .await;
        result
    }

    pub(super) async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.state().check_send()?;
        crate::checkpoint_if_cancelled().await;
        if data.is_empty() {
            return Ok(());
        }
        let writer = self
            .until_closed(self.writer.acquire())
            .await
            .ok_or(StreamError::ClosedResource)?;
        // Records left by a cancelled send go first.
        self.until_closed(self.flush(&writer))
            .await
            .ok_or(StreamError::ClosedResource)??;
        for chunk in data.chunks(SEND_CHUNK) {
            {
                let mut state = self.state();
                state.check_send()?;
                // Without a buffer limit rustls takes all of it.
                state
                    .conn
                    .writer()
                    .write_all(chunk)
                    .map_err(StreamError::broken)?;
            }
            self.until_closed(self.flush(&writer))
                .await
                .ok_or(StreamError::ClosedResource)??;
        }
        Ok(())
    }

    pub(super) async fn send_eof(&self) -> Result<(), StreamError> {
        {
            let mut state = self.state();
            if state.closed {
                return Err(StreamError::ClosedResource);
            }
            if state.eof_sent {
                return Ok(());
            }
            if let Some(error) = &state.send_error {
                return Err(error.clone());
            }
            state.eof_sent = true;
            state.conn.send_close_notify();
        }
        let writer = self
            .until_closed(self.writer.acquire())
            .await
            .ok_or(StreamError::ClosedResource)?;
        self.until_closed(self.flush(&writer))
            .await
            .ok_or(StreamError::ClosedResource)?
    }

    pub(super) async fn aclose(&self) {
        let graceful = {
            let mut state = self.state();
            let first = !state.closed;
            state.closed = true;
            first && self.standard_compatible && state.send_error.is_none()
        };
        self.closed.set();
        if graceful {
            unless_cancelled(async {
                let writer = self.writer.acquire().await;
                // Does nothing if `send_eof` already queued it.
                self.state().conn.send_close_notify();
                let _ = self.flush(&writer).await;
            })
            .await;
        }
        drop(lock(&self.in_flight).take());
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
        {
            let writer = self.writer.acquire().await;
            self.flush(&writer).await?;
        }
        let mut scratch = vec![0; READ_CHUNK];
        loop {
            {
                let mut state = self.state();
                // Data the application did not receive is dropped, as in AnyIO.
                let mut discard = [0; 1024];
                while matches!(state.conn.reader().read(&mut discard), Ok(n) if n > 0) {}
                if state.peer_closed {
                    break;
                }
                if let Some(error) = &state.receive_error {
                    return Err(error.clone());
                }
                match state.feed_record() {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => return Err(state.protocol_error(error)),
                }
                if state.transport_eof {
                    return Err(truncated());
                }
            }
            // Nothing is written after our close_notify: the peer reads plaintext after it.
            let read = self.read_transport(&mut scratch, false).await;
            self.absorb(read, &scratch)?;
        }
        let rest = {
            let mut state = self.state();
            drop(state.take_output());
            std::mem::take(&mut state.incoming)
        };
        drop(lock(&self.in_flight).take());
        let transport = Arc::try_unwrap(self.transport)
            .map_err(|_| StreamError::broken(io::Error::other("the transport is still in use")))?;
        Ok((transport, rest))
    }
}

/// Why a handshake failed, before it becomes a public error.
pub(super) enum HandshakeFailure {
    Tls(rustls::Error),
    Transport(StreamError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_cut_at_their_boundaries() {
        assert_eq!(complete_record(&[23, 3, 3, 0]), None);
        assert_eq!(complete_record(&[23, 3, 3, 0, 2, 1]), None);
        assert_eq!(complete_record(&[23, 3, 3, 0, 2, 1, 2, 9]), Some(7));
        // Plaintext where a record should be: handed over at once, to be rejected.
        assert_eq!(complete_record(b"GET / HTTP/1.1"), Some(HEADER_LEN));
        assert_eq!(complete_record(&[23, 3, 3, 0xff, 0xff]), Some(HEADER_LEN));
    }
}
