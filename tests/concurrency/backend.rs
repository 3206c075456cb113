//! Backend resolution (DESIGN §3): `run_with`, inheritance by tasks, ambient tokio, and the
//! errors for a missing runtime.

use std::sync::{Arc, Mutex};

use anyio::{current_backend, run_with, task_group, Backend};

#[test]
fn run_with_runs_on_each_backend_and_reports_it() {
    for backend in Backend::available() {
        let seen = run_with(backend, async { current_backend() });
        assert_eq!(seen, Some(backend));
    }
}

#[test]
fn run_uses_the_default_backend() {
    let expected = Backend::default_backend();
    assert_eq!(anyio::run(async { current_backend() }), expected);
}

#[anyio::test]
async fn children_inherit_the_backend_of_their_group() {
    let parent = current_backend().expect("inside a runtime");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let result = task_group(|tg| {
        let seen = seen.clone();
        async move {
            for _ in 0..4 {
                let seen = seen.clone();
                tg.start_soon(async move {
                    anyio::checkpoint().await;
                    seen.lock().unwrap().push(current_backend());
                })?;
            }
            Ok::<_, anyio::SpawnError>(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(*seen.lock().unwrap(), vec![Some(parent); 4]);
}

#[cfg(not(any(feature = "smol", feature = "async-std")))] // else a backend is always found
#[test]
fn no_backend_outside_a_runtime() {
    assert_eq!(current_backend(), None);
}

#[cfg(not(any(feature = "smol", feature = "async-std")))] // else a backend is always found
#[test]
fn sleeping_outside_a_runtime_says_how_to_start_one() {
    let failure = std::panic::catch_unwind(|| {
        futures::executor::block_on(anyio::sleep(anyio::Duration::from_millis(1)));
    })
    .expect_err("must not sleep without a runtime");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("no async runtime"), "{message}");
    assert!(message.contains("anyio::run"), "{message}");
}

#[cfg(not(any(feature = "smol", feature = "async-std")))] // else a backend is always found
#[test]
fn spawning_outside_a_runtime_says_how_to_start_one() {
    let failure = std::panic::catch_unwind(|| {
        futures::executor::block_on(task_group(|tg| async move {
            tg.start_soon(async {})?;
            Ok::<_, anyio::SpawnError>(())
        }))
    })
    .expect_err("must not spawn without a runtime");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("no async runtime"), "{message}");
}

#[test]
fn unavailable_backend_names_the_feature() {
    for backend in Backend::ALL {
        match anyio::try_run_with(backend, async { current_backend() }) {
            Ok(seen) => {
                assert!(backend.is_available());
                assert_eq!(seen, Some(backend));
            }
            Err(error) => {
                assert!(!backend.is_available());
                assert_eq!(error.backend, backend);
                let message = error.to_string();
                assert!(
                    message.contains(&format!("features = [\"{}\"]", backend.feature_name())),
                    "{message}"
                );
            }
        }
    }
}

#[cfg(feature = "tokio")]
mod ambient_tokio {
    use anyio::{current_backend, move_on_after, task_group, Backend, Duration};

    /// A plain `#[tokio::test]`: no `anyio::run`, yet every anyio call works.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn anyio_works_inside_a_bare_tokio_runtime() {
        assert_eq!(current_backend(), Some(Backend::Tokio));
        let timed_out = move_on_after(Duration::from_millis(5), std::future::pending::<()>()).await;
        assert_eq!(timed_out, None);
        let result = task_group(|tg| async move {
            tg.start_soon(async {
                assert_eq!(current_backend(), Some(Backend::Tokio));
            })?;
            Ok::<_, anyio::SpawnError>(7)
        })
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(anyio::get_current_task(), None, "not an anyio task");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn anyio_works_on_a_current_thread_tokio_runtime() {
        let result = task_group(|tg| async move {
            tg.start_soon(anyio::sleep(Duration::from_millis(1)))?;
            Ok::<_, anyio::SpawnError>(())
        })
        .await;
        assert_eq!(result, Ok(()));
    }
}
