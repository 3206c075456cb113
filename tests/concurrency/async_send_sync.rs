//! Compile-time checks that public types are `Send`/`Sync` where users need them to be.

use std::future::{ready, Future, Ready};

use anyio::cancel::{Cancelled, Checkpoint, CheckpointIfCancelled, FailAfter, Finally};
use anyio::task_group::TaskGroupFuture;
use anyio::time::{Sleep, SleepForever};
use anyio::{
    move_on_after, race, race_ok, sleep, task_group, Backend, BackendUnavailable, CancelHandle,
    CancelScope, Duration, NoRuntime, RaceError, Scoped, SpawnError, StartError, TaskError,
    TaskGroup, TaskGroupError, TaskHandle, TaskId, TaskInfo, TaskSet, TaskStatus, TimeoutError,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn send_sync<T: Send + Sync>() {}
fn send_value<T: Send>(_: &T) {}

type Error = std::io::Error;

#[test]
fn handles_are_send_and_sync() {
    send_sync::<CancelScope>();
    send_sync::<CancelHandle>();
    send_sync::<TaskGroup<Error>>();
    send_sync::<TaskHandle<u8>>();
    send_sync::<TaskSet<u8, Error>>();
    send::<TaskStatus<u8>>();
    send_sync::<TaskInfo>();
    send_sync::<TaskId>();
    send_sync::<Backend>();
}

#[test]
fn errors_are_send_and_sync() {
    send_sync::<TaskGroupError<Error>>();
    send_sync::<StartError<Error>>();
    send_sync::<SpawnError>();
    send_sync::<TaskError>();
    send_sync::<RaceError>();
    send_sync::<RaceError<Error>>();
    send_sync::<TimeoutError>();
    send_sync::<BackendUnavailable>();
    send_sync::<NoRuntime>();
}

#[test]
fn futures_are_send_when_their_contents_are() {
    send_sync::<Sleep>();
    send_sync::<SleepForever>();
    send_sync::<Checkpoint>();
    send_sync::<CheckpointIfCancelled>();
    send_sync::<Cancelled>();
    send::<Scoped<Ready<u8>>>();
    sync::<Scoped<Ready<u8>>>();
    send::<FailAfter<Ready<u8>>>();
    send::<Finally<Ready<u8>, Ready<()>>>();
    send::<TaskGroupFuture<Ready<Result<u8, Error>>, u8, Error>>();
}

#[test]
fn async_apis_return_send_futures() {
    let group = task_group(|tg: TaskGroup<Error>| async move {
        let started = tg
            .start(|status: TaskStatus<u8>| async move { status.started(1) })
            .await;
        send_value(&started);
        let handle = tg.spawn(ready(Ok(2))).unwrap();
        Ok(handle.await.unwrap_or_default() + started.unwrap_or_default())
    });
    send_value(&group);
    let raced = race([ready(1u8)]);
    send_value(&raced);
    let raced_ok = race_ok([ready(Ok::<u8, Error>(1))]);
    send_value(&raced_ok);
    let collected = task_group(|tg: TaskGroup<Error>| async move {
        let mut set = TaskSet::new(&tg);
        set.spawn(ready(Ok(1u8))).unwrap();
        Ok(set.next().await)
    });
    send_value(&collected);
    let timeout = move_on_after(Duration::from_secs(1), sleep(Duration::ZERO));
    send_value(&timeout);
    fn spawnable<F: Future + Send + 'static>(_: F) {}
    spawnable(group);
    spawnable(timeout);
}

#[test]
fn owned_sync_guards_and_their_futures_are_send_and_static() {
    use anyio::sync::{
        OwnedLimiterAcquire, OwnedLimiterToken, OwnedLockAcquire, OwnedLockGuard, OwnedMutexGuard,
        OwnedMutexLock, OwnedSemaphoreAcquire, OwnedSemaphorePermit,
    };
    fn send_static<T: Send + 'static>() {}
    send_sync::<OwnedLockGuard>();
    send_sync::<OwnedSemaphorePermit>();
    send_sync::<OwnedLimiterToken>();
    send_sync::<OwnedMutexGuard<Vec<u8>>>();
    send_sync::<OwnedLockAcquire>();
    send_sync::<OwnedSemaphoreAcquire>();
    send_sync::<OwnedLimiterAcquire>();
    send_sync::<OwnedMutexLock<Vec<u8>>>();
    send_static::<OwnedMutexGuard<std::cell::Cell<u8>>>();
}

#[test]
fn services_types_and_futures_are_send() {
    use anyio::supervise::{Backoff, ChildFailure, Supervisor};
    use anyio::{shutdown_requested, with_graceful_shutdown};
    send_sync::<Backoff>();
    send::<Supervisor<Error>>();
    send::<ChildFailure<Error>>();
    let supervised = Supervisor::<Error>::new().run(|| ready(Ok::<(), Error>(())));
    send_value(&supervised);
    let requested = shutdown_requested();
    send_value(&requested);
    let graceful = with_graceful_shutdown(ready(1u8), |_| {});
    send_value(&graceful);
    fn spawnable<F: Future + Send + 'static>(_: F) {}
    spawnable(supervised);
    spawnable(requested);
}
