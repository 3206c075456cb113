//! Owned guards under load: many tasks take owned guards and hand each to a child task that
//! releases it later, while the holders are counted; never more holders than tokens, and
//! everything is free again at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::sync::{CapacityLimiter, Lock, Mutex, Semaphore};
use anyio::{checkpoint, task_group, SpawnError, TaskGroup};

const TASKS: usize = 8;
const ROUNDS: usize = 25;

/// Counts the holders of one primitive with `limit` tokens.
#[derive(Clone)]
struct Holders {
    inside: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    limit: usize,
}

impl Holders {
    fn new(limit: usize) -> Holders {
        Holders {
            inside: Arc::default(),
            peak: Arc::default(),
            limit,
        }
    }

    fn enter(&self) {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        assert!(now <= self.limit, "{now} holders of {} tokens", self.limit);
    }

    /// Hands `guard` to a child task, which leaves and drops it after a checkpoint.
    fn hand_off<G: Send + 'static>(&self, tg: &TaskGroup<SpawnError>, guard: G) {
        let holders = self.clone();
        tg.start_soon(async move {
            checkpoint().await;
            holders.inside.fetch_sub(1, Ordering::SeqCst);
            drop(guard);
        })
        .unwrap();
    }
}

#[anyio::test]
async fn owned_guards_moved_into_children_never_exceed_the_tokens() {
    let lock = Arc::new(Lock::new());
    let mutex = Arc::new(Mutex::new(0usize));
    let semaphore = Arc::new(Semaphore::new(3));
    let limiter = Arc::new(CapacityLimiter::new(2));
    let counts = [
        Holders::new(1),
        Holders::new(1),
        Holders::new(3),
        Holders::new(2),
    ];
    task_group(|tg: TaskGroup<SpawnError>| {
        let (lock, mutex) = (lock.clone(), mutex.clone());
        let (semaphore, limiter) = (semaphore.clone(), limiter.clone());
        let counts = counts.clone();
        async move {
            for task in 0..TASKS {
                let (lock, mutex) = (lock.clone(), mutex.clone());
                let (semaphore, limiter) = (semaphore.clone(), limiter.clone());
                let [on_lock, on_mutex, on_semaphore, on_limiter] = counts.clone();
                let children = tg.clone();
                tg.start_soon(async move {
                    for round in 0..ROUNDS {
                        // Each task cycles through the primitives in its own order.
                        match (task + round) % 4 {
                            0 => {
                                let guard = lock.acquire_owned().await;
                                on_lock.enter();
                                on_lock.hand_off(&children, guard);
                            }
                            1 => {
                                let mut value = mutex.lock_owned().await;
                                on_mutex.enter();
                                *value += 1;
                                on_mutex.hand_off(&children, value);
                            }
                            2 => {
                                let permit = semaphore.acquire_owned().await;
                                on_semaphore.enter();
                                on_semaphore.hand_off(&children, permit);
                            }
                            _ => {
                                let token = limiter.acquire_owned().await.unwrap();
                                on_limiter.enter();
                                on_limiter.hand_off(&children, token);
                            }
                        }
                    }
                })?;
            }
            Ok(())
        }
    })
    .await
    .unwrap();
    for holders in &counts {
        assert_eq!(holders.inside.load(Ordering::SeqCst), 0);
        assert!(holders.peak.load(Ordering::SeqCst) >= 1);
    }
    assert!(!lock.locked());
    assert_eq!(*mutex.try_lock().unwrap(), TASKS * ROUNDS / 4);
    assert_eq!(semaphore.value(), 3);
    let statistics = limiter.statistics();
    assert_eq!(
        (statistics.borrowed_tokens, statistics.tasks_waiting),
        (0, 0)
    );
    assert!(statistics.borrowers.is_empty());
}
