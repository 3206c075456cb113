//! Children may return any type: nothing, a plain value, a `Result`, or never return at all
//! (`!`); `spawn`'s handle yields the value; `?` on `start_soon` compiles in a group whose
//! error type is `io::Error`, `anyhow::Error` or a boxed error.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::{sleep, sleep_forever, task_group, Duration, SpawnError, TaskError, TaskGroupError};

#[derive(Debug, PartialEq)]
struct Reply {
    status: u16,
    body: String,
}

#[anyio::test(autojump)]
async fn a_child_that_loops_forever_compiles_and_is_cancelled_with_the_group() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = ticks.clone();
    let result = task_group(|tg| async move {
        tg.start_soon(async move {
            loop {
                counted.fetch_add(1, Ordering::SeqCst);
                sleep(Duration::from_secs(1)).await;
            }
        })?;
        sleep(Duration::from_millis(2500)).await;
        tg.cancel();
        Ok::<_, io::Error>(())
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(ticks.load(Ordering::SeqCst), 3);
}

#[anyio::test]
async fn start_soon_takes_plain_values_and_drops_them() {
    let result = task_group(|tg| async move {
        tg.start_soon(async { 42 })?;
        tg.start_soon(async { String::from("ignored") })?;
        tg.start_soon(async { vec![1, 2, 3] })?;
        tg.start_soon(async { Some((1u8, "two")) })?;
        tg.start_soon(async { [0u8; 16] })?;
        Ok::<_, io::Error>("done")
    })
    .await;
    assert_eq!(result.unwrap(), "done");
}

#[anyio::test]
async fn a_child_that_only_fails_needs_no_annotation() {
    let result = task_group(|tg| async move {
        tg.start_soon(async { Err("boom") }).unwrap();
        Ok(())
    })
    .await;
    assert_eq!(result, Err(TaskGroupError::Failed(vec!["boom"])));
}

#[anyio::test]
async fn spawn_yields_plain_values_results_and_derived_types() {
    task_group(|tg| async move {
        let number = tg.spawn(async { 6 * 7 })?;
        let text = tg.spawn(async { String::from("hello") })?;
        let unit = tg.spawn(async {})?;
        let checked = tg.spawn(async { Ok::<_, io::Error>(7u64) })?;
        // A value of the user's own type comes back as `Ok(value)`.
        let reply = tg.spawn(async {
            Ok(Reply {
                status: 200,
                body: "ok".into(),
            })
        })?;
        let array = tg.spawn(async { [1u8; 4] })?;
        assert_eq!(number.await, Ok(42));
        assert_eq!(text.await.as_deref(), Ok("hello"));
        assert_eq!(unit.await, Ok(()));
        assert_eq!(checked.await, Ok(7));
        assert_eq!(
            reply.await,
            Ok(Reply {
                status: 200,
                body: "ok".into()
            })
        );
        assert_eq!(array.await, Ok([1; 4]));
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_spawned_plain_value_child_is_cancelled_by_its_handle() {
    task_group(|tg| async move {
        let forever = tg.spawn(async {
            sleep_forever().await;
            1u32
        })?;
        forever.cancel();
        assert_eq!(forever.await, Err(TaskError::Cancelled));
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_spawned_result_error_still_goes_to_the_group() {
    let result = task_group(|tg| async move {
        let failing = tg.spawn(async { Err::<u32, _>(io::Error::other("refused")) })?;
        assert_eq!(failing.await, Err(TaskError::Failed));
        Ok::<_, io::Error>(())
    })
    .await;
    let errors = result.unwrap_err().into_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].to_string(), "refused");
}

#[anyio::test]
async fn a_spawned_looping_child_has_a_handle_too() {
    task_group(|tg| async move {
        let handle = tg.spawn(async {
            loop {
                sleep_forever().await;
            }
        })?;
        handle.cancel();
        assert!(matches!(handle.await, Err(TaskError::Cancelled)));
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

async fn spawning_in_an_io_error_group() -> io::Result<u32> {
    let value = task_group(|tg| async move {
        tg.start_soon(async { Ok(()) })?;
        tg.task().name("named").start_soon(async {})?;
        let handle = tg.spawn(async { 5u32 })?;
        Ok::<_, io::Error>(handle.await?)
    })
    .await?;
    Ok(value)
}

async fn spawning_in_an_anyhow_group() -> anyhow::Result<()> {
    task_group(|tg| async move {
        tg.start_soon(async { Ok(()) })?;
        Ok::<_, anyhow::Error>(())
    })
    .await?;
    Ok(())
}

type BoxedError = Box<dyn std::error::Error + Send + Sync>;

async fn spawning_in_a_boxed_error_group() -> Result<(), BoxedError> {
    task_group(|tg| async move {
        tg.start_soon(async { Ok(()) })?;
        Ok::<_, BoxedError>(())
    })
    .await?;
    Ok(())
}

#[anyio::test]
async fn question_mark_on_spawning_compiles_for_the_common_error_types() {
    assert_eq!(spawning_in_an_io_error_group().await.unwrap(), 5);
    spawning_in_an_anyhow_group().await.unwrap();
    spawning_in_a_boxed_error_group().await.unwrap();
}

#[anyio::test]
async fn a_spawn_error_as_io_error_keeps_its_message() {
    let mut escaped = None;
    task_group(|tg| {
        escaped = Some(tg.clone());
        async { Ok::<_, io::Error>(()) }
    })
    .await
    .unwrap();
    let error: io::Error = escaped.unwrap().start_soon(async {}).unwrap_err().into();
    assert_eq!(error.kind(), io::ErrorKind::Other);
    assert_eq!(
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<SpawnError>()),
        Some(&SpawnError::GroupFinished)
    );
}
