//! The tests that change state of the whole process: child processes (a `SIGCHLD` handler
//! per backend) and Unix signal handlers, with signals sent to this process. They share a
//! binary of their own so that no other test runs beside a signal sent to the process or a
//! handler installed for good.
//!
//! Add a test file here (with `mod <file>;` below) only if it installs process-wide state;
//! every other test belongs in `tests/concurrency` or `tests/io`.

#[path = "../common/mod.rs"]
mod common;

mod process;
mod process_io;
mod signal;
