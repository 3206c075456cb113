//! The global executor that smol's `smol::spawn` would give, without the smol meta crate.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::thread;

use async_executor::Executor;

/// The executor every anyio task on smol runs on, started at first use.
///
/// As `smol::spawn`'s: `SMOL_THREADS` worker threads (default 1) each drive the executor
/// inside `async_io::block_on`, so they also drive the reactor when it is idle, and a worker
/// whose task panics starts driving again instead of dying, so the pool never shrinks.
pub(crate) fn global() -> &'static Executor<'static> {
    static GLOBAL: OnceLock<Executor<'static>> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let threads = std::env::var("SMOL_THREADS")
            .ok()
            .and_then(|threads| threads.parse().ok())
            .unwrap_or(1usize)
            .max(1);
        for n in 1..=threads {
            thread::Builder::new()
                .name(format!("anyio-smol-{n}"))
                // The workers wait in `global()` until this initialisation has finished.
                .spawn(|| loop {
                    let _ = catch_unwind(AssertUnwindSafe(|| {
                        async_io::block_on(global().run(std::future::pending::<()>()))
                    }));
                })
                .expect("cannot spawn an executor thread for the smol backend");
        }
        Executor::new()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_panicking_task_does_not_stop_the_workers() {
        // With the default single worker, a panic that killed it would leave the next task
        // unpolled forever.
        crate::spawn(async { panic!("a task of the application panics") });
        let (sender, receiver) = mpsc::channel();
        for _ in 0..3 {
            let sender = sender.clone();
            crate::spawn(async move { sender.send(()).unwrap() });
        }
        for _ in 0..3 {
            receiver
                .recv_timeout(Duration::from_secs(10))
                .expect("tasks spawned after a panicking one still run");
        }
    }

    #[test]
    fn tasks_run_on_the_workers_not_on_the_caller() {
        let caller = std::thread::current().id();
        let task = crate::spawn_held(async move {
            assert_ne!(std::thread::current().id(), caller);
        });
        crate::block_on(task);
    }
}
