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
