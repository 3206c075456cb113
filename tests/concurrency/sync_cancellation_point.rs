//! Every blocking primitive of `anyio::sync` is a cancellation point even when it would not
//! block (Trio's and AnyIO's rule): in an effectively cancelled scope an uncontended acquire,
//! or a wait on a set event, never completes, takes nothing, and the code after it never runs.
//! And a loop of operations that never block still yields now and then, so that a deadline
//! around it fires and sibling tasks run, on a single-threaded executor too.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::sync::{Borrower, CapacityLimiter, Condition, Event, Lock, Mutex, Semaphore};
use anyio::testing::{run_with_clock, MockClock};
use anyio::SpawnError;
use anyio::{checkpoint, move_on_after, sleep, task_group, Backend, CancelScope, Duration};

/// Runs `body` in a scope cancelled before it is entered and checks that it was dropped at its
/// first await: the scope catches (`None`) and the line after the await never ran.
async fn in_a_cancelled_scope<F: Future<Output = ()>>(what: &str, body: impl FnOnce() -> F) {
    let reached = AtomicBool::new(false);
    let scope = CancelScope::new();
    scope.handle().cancel();
    let caught = scope
        .run(async {
            body().await;
            reached.store(true, Ordering::SeqCst);
        })
        .await;
    assert_eq!(caught, None, "{what}: the scope catches its cancellation");
    assert!(!reached.load(Ordering::SeqCst), "{what} completed");
}

/// The same through `move_on_after(ZERO)`, whose deadline has passed when it is entered.
async fn past_a_zero_deadline<F: Future<Output = ()>>(what: &str, body: impl FnOnce() -> F) {
    let reached = AtomicBool::new(false);
    let caught = move_on_after(Duration::ZERO, async {
        body().await;
        reached.store(true, Ordering::SeqCst);
    })
    .await;
    assert_eq!(caught, None, "{what}: the deadline catches");
    assert!(!reached.load(Ordering::SeqCst), "{what} completed");
}

#[anyio::test]
async fn an_uncontended_lock_in_a_cancelled_scope_is_not_taken() {
    let lock = Lock::new();
    in_a_cancelled_scope("Lock::acquire", || async { drop(lock.acquire().await) }).await;
    past_a_zero_deadline("Lock::acquire", || async { drop(lock.acquire().await) }).await;
    assert!(!lock.locked());
    assert_eq!(lock.statistics().tasks_waiting, 0);
    // A failed attempt left it usable.
    drop(lock.try_acquire().unwrap());

    let mutex = Mutex::new(1);
    in_a_cancelled_scope("Mutex::lock", || async { *mutex.lock().await += 1 }).await;
    past_a_zero_deadline("Mutex::lock", || async { *mutex.lock().await += 1 }).await;
    assert!(!mutex.is_locked());
    assert_eq!(*mutex.try_lock().unwrap(), 1, "the value was never touched");
}

#[anyio::test]
async fn an_uncontended_semaphore_in_a_cancelled_scope_gives_no_token() {
    let semaphore = Semaphore::new(2);
    in_a_cancelled_scope("Semaphore::acquire", || async {
        drop(semaphore.acquire().await)
    })
    .await;
    past_a_zero_deadline("Semaphore::acquire", || async {
        drop(semaphore.acquire().await)
    })
    .await;
    assert_eq!(semaphore.value(), 2);
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn an_uncontended_limiter_in_a_cancelled_scope_lends_nothing() {
    let limiter = CapacityLimiter::new(2);
    let named = Borrower::new();
    for (what, on_behalf) in [("acquire", false), ("acquire_on_behalf_of", true)] {
        let acquire = || async {
            let token = if on_behalf {
                limiter.acquire_on_behalf_of(named).await
            } else {
                limiter.acquire().await
            };
            drop(token.unwrap());
        };
        in_a_cancelled_scope(what, acquire).await;
        past_a_zero_deadline(what, acquire).await;
    }
    let statistics = limiter.statistics();
    assert_eq!(statistics.borrowed_tokens, 0);
    assert!(statistics.borrowers.is_empty());
    assert_eq!(statistics.tasks_waiting, 0);
    // The named borrower never got a token, so it may borrow now.
    drop(limiter.try_acquire_on_behalf_of(named).unwrap());
}

#[anyio::test]
async fn a_set_event_in_a_cancelled_scope_does_not_return() {
    let event = Event::new();
    event.set();
    in_a_cancelled_scope("Event::wait", || event.wait()).await;
    past_a_zero_deadline("Event::wait", || event.wait()).await;
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn a_condition_in_a_cancelled_scope_neither_locks_nor_returns() {
    let condition = Condition::new();
    in_a_cancelled_scope("Condition::acquire", || async {
        drop(condition.acquire().await)
    })
    .await;
    past_a_zero_deadline("Condition::acquire", || async {
        drop(condition.acquire().await)
    })
    .await;
    assert!(!condition.locked());

    // `wait_for` on a predicate that already holds, with the guard taken outside the scope:
    // it does not return, and the dropped guard releases the lock.
    let guard = condition.acquire().await;
    in_a_cancelled_scope("ConditionGuard::wait_for", || async move {
        drop(guard.wait_for(|| true).await)
    })
    .await;
    assert!(!condition.locked());
    let guard = condition.acquire().await;
    in_a_cancelled_scope("ConditionGuard::wait", || async move {
        drop(guard.wait().await)
    })
    .await;
    let statistics = condition.statistics();
    assert!(!statistics.lock_statistics.locked);
    assert_eq!(
        statistics.tasks_waiting, 0,
        "a cancelled wait does not queue"
    );
}

#[anyio::test]
async fn a_shield_lets_uncontended_operations_complete() {
    let (lock, semaphore, limiter, event) = (
        Lock::new(),
        Semaphore::new(1),
        CapacityLimiter::new(1),
        Event::new(),
    );
    event.set();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let caught = scope
        .run(async {
            let completed = CancelScope::new()
                .shielded(true)
                .run(async {
                    drop(lock.acquire().await);
                    drop(semaphore.acquire().await);
                    drop(limiter.acquire().await.unwrap());
                    event.wait().await;
                })
                .await;
            assert_eq!(completed, Some(()), "shielded from the cancellation");
            checkpoint().await;
            unreachable!("dropped at the checkpoint after the shield");
        })
        .await;
    assert_eq!(caught, None);
}

/// Each kind of operation that can complete without blocking, looped forever.
async fn spin_forever(kind: usize) {
    let (lock, mutex, semaphore) = (Lock::new(), Mutex::new(0u64), Semaphore::new(1));
    let (limiter, event, condition) = (CapacityLimiter::new(1), Event::new(), Condition::new());
    event.set();
    loop {
        match kind {
            0 => drop(lock.acquire().await),
            1 => *mutex.lock().await += 1,
            2 => drop(semaphore.acquire().await),
            3 => drop(limiter.acquire().await.unwrap()),
            4 => event.wait().await,
            5 => drop(condition.acquire().await),
            _ => drop(condition.acquire().await.wait_for(|| true).await),
        }
    }
}

const KINDS: usize = 7;

/// A sibling task: counts a tick every millisecond.
async fn tick_forever(ticks: Arc<AtomicUsize>) {
    loop {
        sleep(Duration::from_millis(1)).await;
        ticks.fetch_add(1, Ordering::SeqCst);
    }
}

#[anyio::test]
async fn a_deadline_ends_a_loop_of_uncontended_operations() {
    for kind in 0..KINDS {
        let ticks = Arc::new(AtomicUsize::new(0));
        let result = task_group(|tg| {
            let ticks = ticks.clone();
            async move {
                let sibling = tg.cancel_handle();
                tg.start_soon(tick_forever(ticks))?;
                let ended = move_on_after(Duration::from_millis(10), spin_forever(kind)).await;
                assert_eq!(ended, None, "kind {kind}: the deadline ended the loop");
                sibling.cancel();
                Ok::<_, SpawnError>(())
            }
        })
        .await;
        assert_eq!(result, Ok(()));
        assert!(
            ticks.load(Ordering::SeqCst) > 0,
            "kind {kind}: the sibling task ran meanwhile"
        );
    }
}

#[anyio::test]
async fn fail_after_around_a_loop_of_uncontended_operations_fails() {
    let outcome = anyio::fail_after(Duration::from_millis(5), spin_forever(0)).await;
    assert!(outcome.is_err(), "fail_after gives its timeout error");
}

/// On virtual time, the deadline can only fire when a sibling task jumps the clock, and on a
/// single-threaded executor that sibling can only run if the loop yields: both happen, on
/// every backend.
#[test]
fn on_virtual_time_a_sibling_jumps_the_clock_past_the_loop_deadline() {
    for backend in Backend::available() {
        for kind in 0..KINDS {
            let clock = MockClock::new();
            let jumper = clock.clone();
            let start = clock.now();
            run_with_clock(backend, &clock, async move {
                let started = Arc::new(AtomicBool::new(false));
                let result = task_group(|tg| async move {
                    let looping = started.clone();
                    tg.start_soon(async move {
                        // Jump only once the deadline is set (a multi-threaded executor may
                        // run this before the loop starts).
                        while !looping.load(Ordering::SeqCst) {
                            checkpoint().await;
                        }
                        jumper.jump(Duration::from_millis(10));
                    })?;
                    let ended = move_on_after(Duration::from_millis(10), async {
                        started.store(true, Ordering::SeqCst);
                        spin_forever(kind).await;
                    })
                    .await;
                    assert_eq!(ended, None, "{backend:?}, kind {kind}");
                    Ok::<_, SpawnError>(())
                })
                .await;
                assert_eq!(result, Ok(()));
            });
            assert_eq!(clock.now() - start, Duration::from_millis(10));
        }
    }
}

/// A current-thread tokio runtime, in plain tokio tasks (no anyio task around): the loop yields
/// often enough for tokio's own timeout and for a spawned sibling.
#[cfg(feature = "tokio")]
#[test]
fn on_a_current_thread_tokio_runtime_the_loop_lets_timeouts_and_siblings_run() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for kind in 0..KINDS {
            let ticks = Arc::new(AtomicUsize::new(0));
            let sibling = tokio::spawn(tick_forever(ticks.clone()));
            let timed_out =
                tokio::time::timeout(std::time::Duration::from_millis(10), spin_forever(kind))
                    .await;
            assert!(timed_out.is_err(), "kind {kind}: tokio's timeout fired");
            let ended = move_on_after(Duration::from_millis(10), spin_forever(kind)).await;
            assert_eq!(ended, None, "kind {kind}: anyio's deadline fired");
            assert!(
                ticks.load(Ordering::SeqCst) > 0,
                "kind {kind}: the sibling ran"
            );
            sibling.abort();
        }
    });
}
