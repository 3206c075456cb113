//! Task introspection: names, ids and parent ids, and no task left behind by a group.

use anyio::{get_current_task, get_running_tasks, sleep_forever, task_group, TaskStatus};

#[anyio::test(autojump)]
async fn tasks_show_names_and_parents_and_none_remain_after_the_group() {
    let main = get_current_task().expect("an anyio task");
    let result = task_group(|tg| async move {
        let worker = tg
            .task()
            .name("worker")
            .start(|status: TaskStatus<anyio::TaskInfo>| async move {
                status.started(get_current_task().unwrap());
                sleep_forever().await;
            })
            .await
            .unwrap();
        assert_eq!(worker.name.as_deref(), Some("worker"));
        assert_eq!(worker.parent_id, Some(main.id));
        let unnamed = tg
            .spawn(async { Ok::<_, ()>(get_current_task().unwrap()) })
            .unwrap()
            .await
            .unwrap();
        assert_eq!(unnamed.name, None);
        assert_eq!(unnamed.parent_id, Some(main.id));
        assert!(get_running_tasks().iter().any(|task| task.id == worker.id));
        tg.cancel();
        Ok::<_, ()>(worker.id)
    })
    .await;
    // The body returned before the cancellation reached it, so its value stands.
    let worker_id = result.unwrap();
    assert!(get_running_tasks().iter().all(|task| task.id != worker_id));
    assert!(get_running_tasks().iter().any(|task| task.id == main.id));
}

#[anyio::test(autojump)]
async fn grandchildren_name_their_parent() {
    task_group(|tg| async move {
        let child = tg
            .spawn(async {
                let me = get_current_task().unwrap();
                let grandchild = task_group(|inner| async move {
                    Ok::<_, ()>(
                        inner
                            .spawn(async { Ok(get_current_task().unwrap()) })
                            .unwrap()
                            .await
                            .unwrap(),
                    )
                })
                .await
                .unwrap();
                Ok::<_, ()>((me, grandchild))
            })
            .unwrap()
            .await
            .unwrap();
        let (me, grandchild) = child;
        assert_eq!(grandchild.parent_id, Some(me.id));
        assert_ne!(grandchild.id, me.id);
        Ok::<_, ()>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn a_child_is_listed_from_its_spawn_before_it_first_runs() {
    task_group(|tg| async move {
        tg.task().name("not yet run").start_soon(sleep_forever())?;
        // The child has not run: this task has not yielded since spawning it.
        let names: Vec<_> = get_running_tasks()
            .into_iter()
            .filter_map(|task| task.name)
            .collect();
        assert!(names.iter().any(|name| name == "not yet run"), "{names:?}");
        tg.cancel();
        Ok::<_, anyio::SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn a_child_of_a_group_inside_a_fresh_scope_is_listed() {
    // The scope has not blocked yet, so it has not joined the tree by itself: spawning under
    // it must join it.
    let listed = anyio::move_on_after(anyio::Duration::from_secs(60), async {
        task_group(|tg| async move {
            tg.task()
                .name("under a fresh scope")
                .start_soon(sleep_forever())?;
            let listed = get_running_tasks()
                .iter()
                .any(|task| task.name.as_deref() == Some("under a fresh scope"));
            tg.cancel();
            Ok::<_, anyio::SpawnError>(listed)
        })
        .await
    })
    .await;
    assert_eq!(listed, Some(Ok(true)));
}

#[anyio::test(autojump)]
async fn ended_children_are_not_listed() {
    let me = get_current_task().unwrap();
    task_group(|tg| async move {
        for round in 0..50 {
            for _ in 0..100 {
                tg.task()
                    .name(format!("round {round}"))
                    .start_soon(async {})?;
            }
            anyio::testing::wait_all_tasks_blocked().await;
            let leftovers: Vec<_> = get_running_tasks()
                .into_iter()
                .filter(|task| task.parent_id == Some(me.id) && task.name.is_some())
                .collect();
            assert!(leftovers.is_empty(), "{leftovers:?}");
        }
        Ok::<_, anyio::SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_from_thread_task_is_listed() {
    let listed = anyio::to_thread::run_sync(|| {
        anyio::from_thread::run(async {
            let me = get_current_task().unwrap();
            assert_eq!(me.name.as_deref(), Some("from_thread"));
            get_running_tasks().iter().any(|task| task.id == me.id)
        })
    })
    .await;
    assert_eq!(listed, Ok(true));
}

#[cfg(feature = "tokio")]
mod outside_anyio_tasks {
    use anyio::{get_running_tasks, sleep_forever, task_group};

    /// A group run in a plain tokio task has no anyio task above it, yet its children are
    /// listed, also those of a group nested in it.
    #[tokio::test(flavor = "current_thread")]
    async fn children_of_a_group_in_a_plain_tokio_task_are_listed() {
        // The task list is the whole process's, shared with every test of this binary: the
        // names are this test's own.
        task_group(|tg| async move {
            tg.task()
                .name("outer child outside anyio")
                .start_soon(sleep_forever())?;
            task_group(|inner| async move {
                inner
                    .task()
                    .name("inner child outside anyio")
                    .start_soon(sleep_forever())?;
                let mut names: Vec<_> = get_running_tasks()
                    .into_iter()
                    .filter_map(|task| task.name)
                    .filter(|name| name.ends_with(" child outside anyio"))
                    .collect();
                names.sort();
                // Listed once each, although the inner group is reachable twice.
                assert_eq!(
                    names,
                    ["inner child outside anyio", "outer child outside anyio"]
                );
                inner.cancel();
                Ok::<_, anyio::SpawnError>(())
            })
            .await
            .unwrap();
            tg.cancel();
            Ok::<_, anyio::SpawnError>(())
        })
        .await
        .unwrap();
        assert!(get_running_tasks().iter().all(|task| !task
            .name
            .as_deref()
            .is_some_and(|name| name.ends_with(" child outside anyio"))));
    }
}

#[anyio::test(autojump)]
async fn an_unnamed_child_is_listed_from_its_spawn_while_it_runs_and_once() {
    let me = get_current_task().unwrap();
    task_group(|tg| async move {
        let children = |me: anyio::TaskId| {
            get_running_tasks()
                .into_iter()
                .filter(|task| task.parent_id == Some(me))
                .count()
        };
        tg.start_soon(sleep_forever())?;
        // Without a node of its own until it first waits, the group lists it.
        assert_eq!(children(me.id), 1);
        anyio::testing::wait_all_tasks_blocked().await;
        // Waiting, it has its node now, and is listed once.
        assert_eq!(children(me.id), 1);
        tg.start_soon(async {})?;
        anyio::testing::wait_all_tasks_blocked().await;
        // The child that ended without ever waiting is gone.
        assert_eq!(children(me.id), 1);
        tg.cancel();
        Ok::<_, anyio::SpawnError>(())
    })
    .await
    .unwrap();
    assert!(get_running_tasks()
        .iter()
        .all(|task| task.parent_id != Some(me.id)));
}

#[anyio::test]
async fn an_unnamed_child_knows_its_id_and_parent_and_keeps_them_once_it_waits() {
    let me = get_current_task().unwrap();
    let seen = task_group(|tg| async move {
        let handle = tg.spawn(async move { Ok::<_, ()>(()) }).unwrap();
        handle.await.unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        tg.start_soon(async move {
            let before = get_current_task().unwrap();
            anyio::sleep(anyio::Duration::from_millis(1)).await;
            let after = get_current_task().unwrap();
            // Spawning a grandchild needs this task's id, not its node.
            sender.send((before, after)).unwrap();
        })
        .unwrap();
        Ok::<_, ()>(receiver)
    })
    .await
    .unwrap()
    .recv()
    .unwrap();
    let (before, after) = seen;
    assert_eq!(before, after);
    assert_eq!(before.parent_id, Some(me.id));
    assert_eq!(before.name, None);
    assert_ne!(before.id, me.id);
}

#[anyio::test(autojump)]
async fn a_grandchild_spawned_by_a_child_without_a_node_is_listed_under_it() {
    let (child_id, listed) = task_group(|tg| async move {
        let (sender, receiver) = std::sync::mpsc::channel();
        tg.start_soon(async move {
            let child = get_current_task().unwrap();
            let listed = task_group(|inner| async move {
                inner.start_soon(sleep_forever())?;
                let listed = get_running_tasks()
                    .iter()
                    .any(|task| task.parent_id == Some(child.id));
                inner.cancel();
                Ok::<_, anyio::SpawnError>(listed)
            })
            .await;
            sender.send((child.id, listed)).unwrap();
        })?;
        Ok::<_, anyio::SpawnError>(receiver)
    })
    .await
    .unwrap()
    .recv()
    .unwrap();
    assert_eq!(listed, Ok(true), "grandchild of {child_id} listed");
}
