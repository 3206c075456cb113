//! Entering anyio from a runtime it did not start: the backend is found from the runtime the
//! caller is on (`current_backend`'s order), and without one the panic names the caller.
//!
//! Plain `#[test]`s: each enters its runtime itself. Gated on the backend features they need,
//! so that the smol-only, async-std-only and tokio-only builds run them too.

#![allow(dead_code, unused_imports)]

use std::panic::Location;
use std::time::Duration;

use anyio::{current_backend, move_on_after, task_group, Backend, NoRuntime, SpawnError};

/// A runtime-neutral library function: children, sleeping, a timeout, a worker thread and a
/// TCP echo, each asserting that it ran on the backend found at entry. Returns that backend.
async fn library_work() -> Option<Backend> {
    let backend = current_backend();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    task_group(|tg| {
        let seen = seen.clone();
        async move {
            for _ in 0..3 {
                let seen = seen.clone();
                tg.start_soon(async move {
                    anyio::sleep(Duration::from_millis(1)).await;
                    seen.lock().unwrap().push(current_backend());
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![backend; 3], "children inherit");

    let start = anyio::current_time();
    anyio::sleep(Duration::from_millis(2)).await;
    assert!(anyio::current_time() - start >= Duration::from_millis(2));

    let timed_out = move_on_after(Duration::from_millis(2), anyio::sleep_forever()).await;
    assert!(timed_out.is_none(), "the deadline fires");
    assert_eq!(
        move_on_after(Duration::from_secs(60), async { 7 }).await,
        Some(7)
    );

    let on_worker = anyio::to_thread::run_sync(current_backend).await;
    assert_eq!(
        on_worker, backend,
        "a worker thread runs on the caller's backend"
    );

    #[cfg(all(unix, feature = "net"))]
    tcp_echo().await;

    assert_eq!(current_backend(), backend);
    backend
}

#[cfg(all(unix, feature = "net"))]
async fn tcp_echo() {
    use anyio::net::{create_tcp_listener, TcpStream};
    use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener};

    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = listener.local_addrs()[0];
    task_group(|tg| async move {
        tg.start_soon(async move {
            let server = listener.accept().await.unwrap();
            let request = server.receive(64).await.unwrap();
            server.send_all(&request).await.unwrap();
        })?;
        let client = TcpStream::connect(address).await.unwrap();
        client.send_all(b"echo").await.unwrap();
        assert_eq!(client.receive(64).await.unwrap(), b"echo");
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[cfg(feature = "smol")]
#[test]
fn smol_block_on_runs_on_smol() {
    assert_eq!(smol::block_on(library_work()), Some(Backend::Smol));
}

#[cfg(feature = "smol")]
#[test]
fn smol_spawned_task_runs_on_smol() {
    let task = smol::spawn(library_work());
    assert_eq!(smol::block_on(task), Some(Backend::Smol));
}

#[cfg(feature = "smol")]
#[test]
fn smol_task_spawned_inside_anyio_run_runs_on_smol() {
    let seen = anyio::run(async { smol::spawn(library_work()).await });
    assert_eq!(seen, Some(Backend::Smol));
}

#[cfg(feature = "smol")]
#[test]
fn plain_thread_falls_back_to_smol() {
    let seen = std::thread::spawn(|| futures::executor::block_on(library_work()))
        .join()
        .unwrap();
    assert_eq!(seen, Some(Backend::Smol));
}

#[cfg(all(feature = "async-std", not(feature = "smol")))]
#[test]
fn plain_thread_falls_back_to_async_std() {
    let seen = std::thread::spawn(|| futures::executor::block_on(library_work()))
        .join()
        .unwrap();
    assert_eq!(seen, Some(Backend::AsyncStd));
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_block_on_runs_on_async_std() {
    assert!(
        async_std::task::try_current().is_none(),
        "not in a task yet"
    );
    let seen = async_std::task::block_on(async {
        assert!(
            async_std::task::try_current().is_some(),
            "block_on is a task"
        );
        library_work().await
    });
    assert_eq!(seen, Some(Backend::AsyncStd));
}

/// What `#[async_std::main]` expands to: `block_on` of the async main.
#[cfg(feature = "async-std")]
#[test]
fn async_std_main_runs_on_async_std() {
    async fn main() -> Option<Backend> {
        library_work().await
    }
    assert_eq!(async_std::task::block_on(main()), Some(Backend::AsyncStd));
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_spawned_task_runs_on_async_std() {
    let seen = async_std::task::block_on(async_std::task::spawn(library_work()));
    assert_eq!(seen, Some(Backend::AsyncStd));
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_task_spawned_inside_anyio_run_runs_on_async_std() {
    let seen = anyio::run(async { async_std::task::spawn(library_work()).await });
    assert_eq!(seen, Some(Backend::AsyncStd));
}

/// An ambient tokio runtime outranks the async-std and smol fallbacks.
#[cfg(feature = "tokio")]
#[test]
fn tokio_runtime_runs_on_tokio() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(library_work()), Some(Backend::Tokio));
}

/// The backend `run_with` names outranks every ambient runtime.
#[cfg(all(feature = "tokio", feature = "smol"))]
#[test]
fn run_with_outranks_an_ambient_runtime() {
    let seen = smol::block_on(async {
        anyio::run_with(Backend::Tokio, async {
            assert_eq!(current_backend(), Some(Backend::Tokio));
            smol::block_on(async { current_backend() })
        })
    });
    assert_eq!(
        seen,
        Some(Backend::Tokio),
        "a nested block_on keeps the task's backend"
    );
}

#[test]
fn no_runtime_message_says_how_to_start_one() {
    let message = NoRuntime.to_string();
    assert!(message.contains("anyio::run"), "{message}");
    assert!(message.contains("#[tokio::main]"), "{message}");
    assert!(message.contains("`smol`"), "{message}");
}

// ---- without a runtime: only a build where nothing falls back (tokio alone) -----------------

#[cfg(not(any(feature = "smol", feature = "async-std")))]
mod without_runtime {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Mutex;

    /// The panic hook is process-wide: one test at a time replaces it.
    static HOOK: Mutex<()> = Mutex::new(());

    /// Runs `f`, which must panic, and returns the panic's message and the file and line the
    /// panic was raised at.
    fn panic_of(f: impl FnOnce()) -> (String, String, u32) {
        let _one = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let seen = std::sync::Arc::new(Mutex::new(None));
        let previous = std::panic::take_hook();
        let hook_seen = seen.clone();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().expect("panics carry a location");
            *hook_seen.lock().unwrap() = Some((location.file().to_owned(), location.line()));
        }));
        let failure = catch_unwind(AssertUnwindSafe(f));
        std::panic::set_hook(previous);
        let failure = failure.expect_err("must panic without a runtime");
        let message = failure
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        let (file, line) = seen.lock().unwrap().take().expect("the hook ran");
        (message, file, line)
    }

    /// Asserts that `message` is the `NoRuntime` panic naming `line` of this file.
    fn names_line(message: &str, line: u32) {
        assert!(message.contains("no async runtime"), "{message}");
        let at = format!("{}:{line}:", file!());
        assert!(message.contains(&at), "{message} should name {at}");
    }

    #[test]
    fn nothing_falls_back_without_smol_or_async_std() {
        assert_eq!(current_backend(), None);
    }

    #[test]
    fn synchronous_call_panics_at_the_callers_line() {
        let call = || _ = anyio::to_thread::current_default_thread_limiter();
        let line = line!() - 1;
        let (message, file, at) = panic_of(call);
        assert!(message.contains("no async runtime"), "{message}");
        assert_eq!((file.as_str(), at), (file!(), line));
    }

    #[test]
    fn sleep_names_the_callers_line() {
        let line = line!() + 1;
        let sleep = anyio::sleep(Duration::from_millis(1));
        let (message, file, _) = panic_of(move || futures::executor::block_on(sleep));
        names_line(&message, line);
        assert!(file.contains("anyio-core"), "raised in the poll: {file}");
    }

    #[test]
    fn move_on_after_names_the_callers_line() {
        let line = line!() + 1;
        let scope = move_on_after(Duration::from_secs(1), std::future::pending::<()>());
        let (message, _, _) = panic_of(move || _ = futures::executor::block_on(scope));
        names_line(&message, line);
    }

    #[test]
    fn fail_after_names_the_callers_line() {
        let line = line!() + 1;
        let scope = anyio::fail_after(Duration::from_secs(1), std::future::pending::<()>());
        let (message, _, _) = panic_of(move || _ = futures::executor::block_on(scope));
        names_line(&message, line);
    }

    #[test]
    fn task_group_names_the_callers_line() {
        let line = line!() + 1;
        let group = task_group(|tg| async move {
            tg.start_soon(async {})?;
            Ok::<_, SpawnError>(())
        });
        let (message, _, _) = panic_of(move || _ = futures::executor::block_on(group));
        names_line(&message, line);
    }

    #[test]
    fn to_thread_names_the_callers_line() {
        let line = line!() + 1;
        let work = anyio::to_thread::run_sync(|| 1);
        let (message, _, _) = panic_of(move || _ = futures::executor::block_on(work));
        names_line(&message, line);
    }
}
