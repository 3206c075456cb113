use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::file::Shared;
use super::{blocking_for_stream, FsError};

/// How much one worker-thread read takes.
const CHUNK: usize = 65_536;

type ChunkRead = Pin<Box<dyn Future<Output = Result<Vec<u8>, FsError>> + Send>>;

/// The lines of a file, from [`AsyncFile::lines`](super::AsyncFile::lines): a
/// [`Stream`] of `Result<String, FsError>`.
///
/// A line that is not UTF-8 is an error of kind [`io::ErrorKind::InvalidData`]; the stream
/// goes on after it. The stream ends after the last line (a final line without `\n` is
/// still a line) or after a read error.
///
/// # Cancellation
///
/// Dropping a `next()` loses nothing: a chunk being read is kept by the stream and picked up
/// by the next `next()`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::AsyncFile;
/// use futures::StreamExt;
///
/// let mut lines = AsyncFile::open("/etc/passwd").await?.lines();
/// let root = lines.next().await.expect("a first line")?;
/// assert!(root.starts_with("root:"));
/// # Ok::<(), anyio_core::fs::FsError>(())
/// # }).unwrap();
/// ```
pub struct Lines {
    shared: Arc<Shared>,
    buffer: Vec<u8>,
    /// Where the unconsumed part of `buffer` starts.
    start: usize,
    reading: Option<ChunkRead>,
    eof: bool,
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("shared", &self.shared)
            .field("buffered", &(self.buffer.len() - self.start))
            .field("eof", &self.eof)
            .finish_non_exhaustive()
    }
}

impl Lines {
    pub(super) fn new(shared: Arc<Shared>) -> Lines {
        Lines {
            shared,
            buffer: Vec::new(),
            start: 0,
            reading: None,
            eof: false,
        }
    }

    /// Takes `length` bytes (plus `skip` bytes of line ending) off the buffer as a line.
    fn take_line(&mut self, length: usize, skip: usize) -> Result<String, FsError> {
        let mut line = &self.buffer[self.start..self.start + length];
        if skip > 0 && line.ends_with(b"\r") {
            line = &line[..line.len() - 1];
        }
        let line = String::from_utf8(line.to_vec()).map_err(|error| {
            FsError::new(
                "read a line of",
                self.shared.path_buf(),
                io::Error::new(io::ErrorKind::InvalidData, error),
            )
        });
        self.start += length + skip;
        if self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        }
        line
    }
}

impl Stream for Lines {
    type Item = Result<String, FsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let pending = &this.buffer[this.start..];
            if let Some(newline) = pending.iter().position(|&byte| byte == b'\n') {
                return Poll::Ready(Some(this.take_line(newline, 1)));
            }
            if this.eof {
                if pending.is_empty() {
                    return Poll::Ready(None);
                }
                let length = pending.len();
                return Poll::Ready(Some(this.take_line(length, 0)));
            }
            let reading = this.reading.get_or_insert_with(|| {
                let shared = this.shared.clone();
                Box::pin(blocking_for_stream(move || {
                    shared.with_file("read", |file| {
                        let mut chunk = Vec::with_capacity(CHUNK);
                        file.take(CHUNK as u64).read_to_end(&mut chunk)?;
                        Ok(chunk)
                    })
                }))
            });
            let chunk = match reading.as_mut().poll(cx) {
                Poll::Ready(chunk) => chunk,
                Poll::Pending => return Poll::Pending,
            };
            this.reading = None;
            match chunk {
                Ok(chunk) if chunk.is_empty() => this.eof = true,
                Ok(chunk) => {
                    // Only a partial line is left: drop what was consumed before it.
                    this.buffer.drain(..this.start);
                    this.start = 0;
                    this.buffer.extend_from_slice(&chunk);
                }
                Err(error) => {
                    this.eof = true;
                    this.buffer.clear();
                    this.start = 0;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }
}
