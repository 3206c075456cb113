//! A task group's errors compose with the error types real code uses: `?` takes a group's
//! failure into `anyhow::Result` and `Box<dyn Error>` whatever the children's error type, a
//! report prints each error once, and the single error of the common case comes back out.

use std::error::Error;
use std::io;

use anyio::{task_group, StartError, TaskGroupError, TaskStatus};

async fn failing_group_of_anyhow_errors() -> anyhow::Result<()> {
    task_group(|tg| async move {
        tg.start_soon(async { Err::<(), _>(anyhow::anyhow!("disk full")) })?;
        Ok::<_, anyhow::Error>(())
    })
    .await?;
    Ok(())
}

#[anyio::test]
async fn a_group_of_anyhow_errors_goes_into_anyhow_and_prints_each_error_once() {
    let error = failing_group_of_anyhow_errors().await.unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        "task group failed with 1 error: disk full"
    );
    let group = error
        .downcast_ref::<TaskGroupError<anyhow::Error>>()
        .expect("the group's error is inside");
    assert_eq!(group.errors()[0].to_string(), "disk full");
}

async fn failing_group_of_boxed_errors() -> Result<(), Box<dyn Error + Send + Sync>> {
    task_group(|tg| async move {
        tg.start_soon(async {
            Err::<(), Box<dyn Error + Send + Sync>>(io::Error::other("refused").into())
        })?;
        tg.start_soon(async { Err::<(), Box<dyn Error + Send + Sync>>("bad input".into()) })?;
        Ok::<_, Box<dyn Error + Send + Sync>>(())
    })
    .await?;
    Ok(())
}

#[anyio::test]
async fn a_group_of_boxed_errors_goes_into_a_boxed_error_naming_both() {
    let error = failing_group_of_boxed_errors().await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("task group failed with 2 errors: "),
        "{message}"
    );
    assert!(
        message.contains("refused") && message.contains("bad input"),
        "{message}"
    );
    assert!(
        error.source().is_none(),
        "the message already names every error"
    );
}

#[anyio::test]
async fn the_single_error_comes_back_out_with_its_type() {
    let result = task_group(|tg| async move {
        tg.start_soon(async { Err::<(), _>(io::Error::new(io::ErrorKind::NotFound, "gone")) })
            .unwrap();
        Ok::<_, io::Error>(())
    })
    .await;
    let error = result.unwrap_err().into_single().expect("one error");
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(matches!(
        TaskGroupError::<io::Error>::Cancelled.into_single(),
        Err(TaskGroupError::Cancelled)
    ));
}

#[anyio::test]
async fn a_start_that_failed_names_its_cause() {
    let outcome = task_group(|tg| async move {
        let started = tg
            .start(|_status: TaskStatus<()>| async { Err::<(), _>("no port free") })
            .await;
        Ok::<_, &'static str>(started)
    })
    .await
    .unwrap();
    let error = outcome.unwrap_err();
    assert!(matches!(error, StartError::Failed("no port free")));
    assert_eq!(
        error.to_string(),
        "task failed before it started: no port free"
    );
}
