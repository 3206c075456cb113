//! The spawn + join workload of issue 3's goal, shared by `benches/task_group.rs` (criterion)
//! and `benches/spawn_join_interleaved.rs` (interleaved medians), so both measure the same
//! thing: one round spawns [`CHILDREN`] no-op children and waits for all of them, through an
//! anyio task group or through the raw backend.

use anyio::{task_group, SpawnError};

/// Children per round.
pub(crate) const CHILDREN: usize = 10_000;

/// One round through an anyio task group, on whatever backend runs it.
pub(crate) async fn anyio_task_group() {
    task_group(|tg| async move {
        for _ in 0..CHILDREN {
            tg.start_soon(async {})?;
        }
        Ok::<_, SpawnError>(())
    })
    .await
    .expect("task group failed");
}

/// One round through `tokio::task::JoinSet`.
pub(crate) async fn tokio_join_set() {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..CHILDREN {
        set.spawn(async {});
    }
    while let Some(joined) = set.join_next().await {
        joined.expect("child panicked");
    }
}

/// One round through `smol::spawn`, awaiting the tasks.
pub(crate) async fn smol_spawn_await() {
    let tasks: Vec<smol::Task<()>> = (0..CHILDREN).map(|_| smol::spawn(async {})).collect();
    for task in tasks {
        task.await;
    }
}

/// One round through `async_std::task::spawn`, awaiting the handles.
pub(crate) async fn async_std_spawn_await() {
    let tasks: Vec<async_std::task::JoinHandle<()>> = (0..CHILDREN)
        .map(|_| async_std::task::spawn(async {}))
        .collect();
    for task in tasks {
        task.await;
    }
}
