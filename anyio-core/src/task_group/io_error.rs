//! Task group errors as `std::io::Error`, the one error type every anyio error converts into:
//! a function returning `io::Result` can `?` a connect, a send, a timeout and a task group.
//! `SpawnError` also converts into `String`, for groups of string errors.

use std::io;

use super::error::{SpawnError, StartError, TaskError, TaskGroupError};

impl From<SpawnError> for io::Error {
    /// An [`Other`](io::ErrorKind::Other) error whose source is the spawn error, so that
    /// `tg.start_soon(..)?` compiles in a group whose error type is `io::Error`.
    fn from(error: SpawnError) -> io::Error {
        io::Error::other(error)
    }
}

impl From<SpawnError> for String {
    /// The message, for groups whose error type is `String`.
    fn from(error: SpawnError) -> String {
        error.to_string()
    }
}

impl From<TaskError> for io::Error {
    /// An [`Other`](io::ErrorKind::Other) error whose source is the task error.
    fn from(error: TaskError) -> io::Error {
        io::Error::other(error)
    }
}

impl From<StartError<io::Error>> for io::Error {
    /// The task's own error when it failed before it started; otherwise an
    /// [`Other`](io::ErrorKind::Other) error whose source is the start error.
    fn from(error: StartError<io::Error>) -> io::Error {
        match error {
            StartError::Failed(error) => error,
            other => io::Error::other(other),
        }
    }
}

impl From<TaskGroupError<io::Error>> for io::Error {
    /// The group's error itself when there is exactly one (the common case: one child failed
    /// and the rest were cancelled), so its kind and source survive. Several errors become one
    /// of the first error's kind whose source is the whole group; a cancelled group is
    /// [`Other`](io::ErrorKind::Other).
    fn from(error: TaskGroupError<io::Error>) -> io::Error {
        match error.into_single() {
            Ok(single) => single,
            Err(TaskGroupError::Failed(errors)) => {
                let kind = errors.first().map_or(io::ErrorKind::Other, io::Error::kind);
                io::Error::new(kind, TaskGroupError::Failed(errors))
            }
            Err(other) => io::Error::other(other),
        }
    }
}
