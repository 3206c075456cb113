//! The transport's poll core as the `io::Write` rustls writes its records to: what the
//! transport did not take stays queued in rustls, whole, and goes first next time.
//!
//! rustls hands over its queue as one slice per record. A lone record goes straight to the
//! transport; several are gathered (up to [`GATHER_LIMIT`]) into a reused buffer and sent
//! with one call, as a vectored write would: one system call per batch instead of per
//! 16 KiB record, and a whole handshake flight in one piece (a transport without buffering,
//! such as a lockstep pair, takes a flight only if it comes in one send).

use std::io::{self, IoSlice};
use std::task::{Context, Poll};

use crate::streams::{PollByteSend, StreamError};

/// One attempt to write rustls' queued records: `WouldBlock` when the transport is full (its
/// waker registered), the transport's own error kept aside in `failure`.
pub(super) struct TransportWriter<'a, 'cx, S> {
    pub(super) transport: &'a S,
    /// Where several records are gathered; its contents matter only during one call.
    pub(super) gather: &'a mut Vec<u8>,
    pub(super) cx: &'a mut Context<'cx>,
    pub(super) failure: Option<StreamError>,
}

/// The most bytes gathered into one transport send.
pub(super) const GATHER_LIMIT: usize = 64 * 1024;

impl<S: PollByteSend> TransportWriter<'_, '_, S> {
    fn send(&mut self, data: &[u8]) -> io::Result<usize> {
        match self.transport.poll_send(self.cx, data) {
            Poll::Ready(Ok(0)) if !data.is_empty() => {
                self.failure = Some(StreamError::broken(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the transport accepted no bytes",
                )));
                Err(io::ErrorKind::WriteZero.into())
            }
            Poll::Ready(Ok(sent)) => Ok(sent),
            Poll::Ready(Err(error)) => {
                self.failure = Some(error);
                Err(io::ErrorKind::Other.into())
            }
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: PollByteSend> io::Write for TransportWriter<'_, '_, S> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.send(data)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut bufs = bufs.iter().filter(|buf| !buf.is_empty());
        let Some(first) = bufs.next() else {
            return Ok(0);
        };
        let Some(second) = bufs.next() else {
            return self.send(first);
        };
        // The transport takes a prefix and reports its length, exactly what rustls consumes.
        self.gather.clear();
        for buf in [first, second].into_iter().chain(bufs) {
            let room = GATHER_LIMIT.saturating_sub(self.gather.len());
            if room == 0 {
                break;
            }
            self.gather.extend_from_slice(&buf[..buf.len().min(room)]);
        }
        let gathered = std::mem::take(self.gather);
        let result = self.send(&gathered);
        *self.gather = gathered;
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
