//! Owned guards (`acquire_owned`, `lock_owned`): `'static` guards of `Lock`, `Mutex`,
//! `Semaphore` and `CapacityLimiter` that move into child tasks and worker threads and release
//! there, sharing the borrowed guards' one FIFO queue (cancellation: `sync_owned_cancellation`).

use std::sync::Arc;
use std::task::Poll;

use anyio::sync::{
    Borrower, CapacityLimiter, LimiterError, Lock, Mutex, ReleaseError, Semaphore, WouldBlock,
};
use anyio::{checkpoint, get_current_task, task_group, to_thread, SpawnError};
use futures::poll;

#[anyio::test]
async fn each_owned_guard_releases_in_the_child_it_moved_into() {
    let lock = Arc::new(Lock::new());
    let mutex = Arc::new(Mutex::new(0));
    let semaphore = Arc::new(Semaphore::new(1));
    let limiter = Arc::new(CapacityLimiter::new(1));
    let guard = lock.acquire_owned().await;
    let mut value = mutex.lock_owned().await;
    let permit = semaphore.acquire_owned().await;
    let token = limiter.acquire_owned().await.unwrap();
    task_group(|tg| {
        let (lock, mutex) = (lock.clone(), mutex.clone());
        let (semaphore, limiter) = (semaphore.clone(), limiter.clone());
        async move {
            tg.start_soon(async move {
                checkpoint().await;
                // Still held after the parent moved on, until dropped here.
                assert!(lock.locked() && mutex.is_locked());
                assert_eq!((semaphore.value(), limiter.borrowed_tokens()), (0, 1));
                *value += 1;
                drop((guard, value, permit, token));
                assert!(!lock.locked() && !mutex.is_locked());
                assert_eq!((semaphore.value(), limiter.borrowed_tokens()), (1, 0));
            })?;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(lock.try_acquire().is_ok());
    assert_eq!(*mutex.try_lock().unwrap(), 1);
    assert_eq!(semaphore.value(), 1);
    assert!(limiter.statistics().borrowers.is_empty());
}

#[anyio::test]
async fn each_owned_guard_releases_on_a_worker_thread() {
    let lock = Arc::new(Lock::new());
    let mutex = Arc::new(Mutex::new(String::new()));
    let semaphore = Arc::new(Semaphore::new(1));
    let limiter = Arc::new(CapacityLimiter::new(1));
    let guard = lock.acquire_owned().await;
    let mut text = mutex.lock_owned().await;
    let permit = semaphore.acquire_owned().await;
    let token = limiter.acquire_owned().await.unwrap();
    to_thread::run_sync(move || {
        text.push_str("worker");
        drop((guard, text, permit, token));
    })
    .await;
    assert!(!lock.locked());
    assert_eq!(*mutex.try_lock().unwrap(), "worker");
    assert_eq!(semaphore.value(), 1);
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn owned_and_borrowed_waiters_share_one_fifo_queue() {
    let semaphore = Arc::new(Semaphore::new(1));
    let held = semaphore.try_acquire_owned().unwrap();
    let mut first = Box::pin(semaphore.acquire_owned());
    let mut second = Box::pin(semaphore.acquire());
    let mut third = Box::pin(semaphore.acquire_owned());
    assert!(poll!(first.as_mut()).is_pending());
    assert!(poll!(second.as_mut()).is_pending());
    assert!(poll!(third.as_mut()).is_pending());
    assert_eq!(semaphore.statistics().tasks_waiting, 3);
    assert_eq!(semaphore.try_acquire_owned().unwrap_err(), WouldBlock);
    drop(held);
    assert!(
        poll!(third.as_mut()).is_pending(),
        "no barging past the queue"
    );
    let Poll::Ready(permit) = poll!(first.as_mut()) else {
        panic!("the first waiter was not served first");
    };
    drop(permit);
    assert!(poll!(third.as_mut()).is_pending());
    let Poll::Ready(permit) = poll!(second.as_mut()) else {
        panic!("the borrowed waiter lost its place");
    };
    drop(permit);
    assert!(poll!(third.as_mut()).is_ready());
}

#[anyio::test]
async fn owned_lock_and_mutex_waiters_are_served_in_order() {
    let lock = Arc::new(Lock::new());
    let mutex = Arc::new(Mutex::new(Vec::new()));
    let guard = lock.acquire_owned().await;
    let held = mutex.lock_owned().await;
    let mut lockers: Vec<_> = (0..3).map(|_| Box::pin(lock.acquire_owned())).collect();
    let mut pushers: Vec<_> = (0..3).map(|_| Box::pin(mutex.lock_owned())).collect();
    for (locker, pusher) in lockers.iter_mut().zip(&mut pushers) {
        assert!(poll!(locker.as_mut()).is_pending());
        assert!(poll!(pusher.as_mut()).is_pending());
    }
    assert_eq!(lock.statistics().tasks_waiting, 3);
    drop((guard, held));
    for i in 0..3 {
        for later in i + 1..3 {
            assert!(poll!(lockers[later].as_mut()).is_pending());
            assert!(poll!(pushers[later].as_mut()).is_pending());
        }
        let Poll::Ready(guard) = poll!(lockers[i].as_mut()) else {
            panic!("lock waiter {i} was not next");
        };
        let Poll::Ready(mut value) = poll!(pushers[i].as_mut()) else {
            panic!("mutex waiter {i} was not next");
        };
        value.push(i);
        drop((guard, value));
    }
    assert_eq!(*mutex.try_lock().unwrap(), [0, 1, 2]);
}

#[anyio::test]
async fn statistics_follow_the_acquiring_task_and_borrower() {
    let me = get_current_task().unwrap().id;
    let lock = Arc::new(Lock::new());
    let limiter = Arc::new(CapacityLimiter::new(2));
    let job = Borrower::from_id(9);
    let guard = lock.acquire_owned().await;
    let mine = limiter.acquire_owned().await.unwrap();
    let theirs = limiter.acquire_on_behalf_of_owned(job).await.unwrap();
    assert_eq!(mine.borrower(), Borrower::from(me));
    assert_eq!(
        limiter.try_acquire_on_behalf_of_owned(job).unwrap_err(),
        LimiterError::AlreadyBorrowing
    );
    task_group(|tg| {
        let (lock, limiter) = (lock.clone(), limiter.clone());
        async move {
            tg.start_soon(async move {
                // The guards moved here, but the hold is the acquiring task's.
                assert_eq!(lock.statistics().owner.unwrap().id, me);
                assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
                let mut borrowers = limiter.statistics().borrowers;
                borrowers.sort_by_key(|b| b.task_id().is_none());
                assert_eq!(borrowers, [Borrower::from(me), job]);
                drop((guard, mine, theirs));
                assert!(limiter.statistics().borrowers.is_empty());
            })?;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let _guard = lock.acquire_owned().await;
    assert_eq!(lock.release(), Err(ReleaseError::Guarded));
}

#[anyio::test]
async fn detach_and_forget_keep_the_hold_past_an_owned_guard() {
    let lock = Arc::new(Lock::new());
    let semaphore = Arc::new(Semaphore::new(1));
    let limiter = Arc::new(CapacityLimiter::new(1));
    let guard = lock.acquire_owned().await;
    let token = limiter.acquire_owned().await.unwrap();
    semaphore.acquire_owned().await.forget();
    assert_eq!(semaphore.value(), 0);
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 1);
    let borrower = token.borrower();
    task_group(|tg| {
        let (lock, limiter) = (lock.clone(), limiter.clone());
        async move {
            tg.start_soon(async move {
                // The task that detaches owns the detached lock.
                guard.detach();
                assert!(lock.locked());
                lock.release().unwrap();
                token.detach();
                assert_eq!(limiter.borrowed_tokens(), 1);
                limiter.release_on_behalf_of(borrower).unwrap();
            })?;
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert!(!lock.locked());
    assert_eq!(limiter.borrowed_tokens(), 0);
}
