use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{blocking_for_stream, FsError, Path};

/// How many entries one worker-thread call reads.
const BATCH: usize = 128;

type Batch = (std::fs::ReadDir, Vec<Result<Path, FsError>>);
type BatchRead = Pin<Box<dyn Future<Output = Batch> + Send>>;

/// The entries of a directory, from [`Path::read_dir`]: a [`Stream`] of
/// `Result<Path, FsError>`.
///
/// # Cancellation
///
/// Dropping a `next()` loses nothing: a batch being read is kept by the stream and picked up
/// by the next `next()`.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::fs::Path;
/// use futures::StreamExt;
///
/// let mut entries = Path::new("/").read_dir().await?;
/// let mut count = 0;
/// while let Some(entry) = entries.next().await {
///     let _path: Path = entry?;
///     count += 1;
/// }
/// assert!(count > 0);
/// # Ok::<(), anyio_core::fs::FsError>(())
/// # }).unwrap();
/// ```
pub struct ReadDir {
    path: PathBuf,
    state: State,
    ready: VecDeque<Result<Path, FsError>>,
}

enum State {
    Idle(std::fs::ReadDir),
    Reading(BatchRead),
    Done,
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("path", &self.path)
            .field("buffered", &self.ready.len())
            .field("done", &matches!(self.state, State::Done))
            .finish()
    }
}

impl ReadDir {
    pub(super) fn new(path: PathBuf, entries: std::fs::ReadDir) -> ReadDir {
        ReadDir {
            path,
            state: State::Idle(entries),
            ready: VecDeque::new(),
        }
    }
}

impl Stream for ReadDir {
    type Item = Result<Path, FsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(entry) = this.ready.pop_front() {
                return Poll::Ready(Some(entry));
            }
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(mut entries) => {
                    let path = this.path.clone();
                    this.state = State::Reading(Box::pin(blocking_for_stream(move || {
                        let batch = entries
                            .by_ref()
                            .take(BATCH)
                            .map(|entry| {
                                entry
                                    .map(|entry| Path::from(entry.path()))
                                    .map_err(|error| FsError::new("read an entry of", &path, error))
                            })
                            .collect();
                        (entries, batch)
                    })));
                }
                State::Reading(mut reading) => match reading.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = State::Reading(reading);
                        return Poll::Pending;
                    }
                    Poll::Ready((entries, batch)) => {
                        if batch.len() == BATCH {
                            this.state = State::Idle(entries);
                        }
                        this.ready.extend(batch);
                    }
                },
            }
        }
    }
}
