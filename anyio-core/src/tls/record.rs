//! TLS record framing, and the buffer of transport bytes not handed to rustls yet.

/// A TLS record header: content type, version, length.
pub(super) const HEADER_LEN: usize = 5;
/// The longest record TLS allows on the wire: 2^14 bytes of data plus 2048 of expansion.
pub(super) const MAX_RECORD_LEN: usize = HEADER_LEN + (1 << 14) + 2048;
/// The incoming buffer's size: room for one whole record plus one transport read of a record.
const INCOMING_LEN: usize = 2 * MAX_RECORD_LEN;

/// The length of the complete record at the start of `buf`, if it is all there. A header that
/// cannot start a TLS record is handed over alone, so that rustls rejects it at once instead
/// of the stream waiting for a body that will never come.
pub(super) fn complete_record(buf: &[u8]) -> Option<usize> {
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

/// Transport bytes read but not handed to rustls yet: `buf[start..end]`. Allocated once, on
/// the first read, and reused, so that a receive allocates nothing.
#[derive(Default)]
pub(super) struct Incoming {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Incoming {
    /// The bytes waiting.
    pub(super) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks the first `len` waiting bytes as handed over.
    pub(super) fn consume(&mut self, len: usize) {
        self.start += len;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Free space for the next transport read, at least one record's worth: what is waiting
    /// (less than a record, or it would have been handed over) moves to the front first.
    pub(super) fn spare(&mut self) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; INCOMING_LEN];
        }
        if self.buf.len() - self.end < MAX_RECORD_LEN {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// Records that a transport read put `len` bytes into [`spare`](Incoming::spare).
    pub(super) fn filled(&mut self, len: usize) {
        self.end += len;
    }

    /// Everything waiting, handed out (what follows the peer's `close_notify`).
    pub(super) fn take(&mut self) -> Vec<u8> {
        let rest = self.pending().to_vec();
        self.consume(rest.len());
        rest
    }
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

    #[test]
    fn the_incoming_buffer_keeps_a_partial_record_across_compaction() {
        let mut incoming = Incoming::default();
        let spare = incoming.spare();
        assert!(spare.len() >= MAX_RECORD_LEN);
        spare[..4].copy_from_slice(b"abcd");
        incoming.filled(INCOMING_LEN - 10);
        incoming.consume(INCOMING_LEN - 12);
        let partial = incoming.pending().to_vec();
        assert_eq!(partial.len(), 2);
        assert!(incoming.spare().len() >= MAX_RECORD_LEN);
        assert_eq!(incoming.pending(), partial);
        incoming.consume(2);
        assert!(incoming.pending().is_empty());
        assert!(incoming.take().is_empty());
    }
}
