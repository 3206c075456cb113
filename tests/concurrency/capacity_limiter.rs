//! `CapacityLimiter` (DESIGN §6): plain acquisitions take one token per call (also several in
//! one task), a named borrower holds at most one, the total changes at run time (raising wakes
//! waiters, lowering revokes nothing), FIFO order, misuse errors and cancel-safe acquisition
//! (ported from AnyIO's and Trio's limiter tests).

use crate::common;

use common::wait_until;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::Poll;

use anyio::sync::{Borrower, CapacityLimiter, Event, LimiterError};
use anyio::{checkpoint, task_group, CancelScope, SpawnError};
use futures::poll;

fn borrowers(limiter: &CapacityLimiter) -> HashSet<Borrower> {
    limiter.statistics().borrowers.into_iter().collect()
}

fn ids(ids: impl IntoIterator<Item = u64>) -> HashSet<Borrower> {
    ids.into_iter().map(Borrower::from_id).collect()
}

#[anyio::test]
async fn borrowing_counts_tokens() {
    let limiter = CapacityLimiter::new(2);
    assert_eq!(limiter.total_tokens(), 2);
    assert_eq!(limiter.available_tokens(), 2);
    assert_eq!(limiter.borrowed_tokens(), 0);
    let token = limiter.acquire().await.unwrap();
    assert_eq!(
        (
            limiter.total_tokens(),
            limiter.available_tokens(),
            limiter.borrowed_tokens()
        ),
        (2, 1, 1)
    );
    // The default borrower is the current task.
    let me = Borrower::current_task().unwrap();
    assert_eq!(token.borrower(), me);
    assert_eq!(limiter.statistics().borrowers, vec![me]);
    drop(token);
    assert_eq!(limiter.borrowed_tokens(), 0);
    assert_eq!(CapacityLimiter::new(0).total_tokens(), 0);
}

#[anyio::test]
async fn a_named_borrower_borrowing_twice_is_an_error() {
    let limiter = CapacityLimiter::new(2);
    let me = Borrower::current_task().unwrap();
    let _token = limiter.acquire_on_behalf_of(me).await.unwrap();
    assert_eq!(
        limiter.acquire_on_behalf_of(me).await.unwrap_err(),
        LimiterError::AlreadyBorrowing
    );
    assert_eq!(
        limiter.try_acquire_on_behalf_of(me).unwrap_err(),
        LimiterError::AlreadyBorrowing
    );
    assert_eq!(limiter.borrowed_tokens(), 1);
    // Someone else may borrow, though.
    let someone = Borrower::new();
    let _theirs = limiter.acquire_on_behalf_of(someone).await.unwrap();
    assert_eq!(limiter.borrowed_tokens(), 2);
    assert_eq!(
        limiter
            .try_acquire_on_behalf_of(Borrower::new())
            .unwrap_err(),
        LimiterError::WouldBlock
    );
    assert_eq!(
        borrowers(&limiter),
        HashSet::from([Borrower::current_task().unwrap(), someone])
    );
    assert_eq!(
        LimiterError::AlreadyBorrowing.to_string(),
        "this borrower is already holding one of this capacity limiter's tokens"
    );
}

#[anyio::test]
async fn a_named_borrower_holding_a_plain_token_cannot_borrow_again() {
    // The one-token rule of a named borrower counts tokens however they were taken.
    let limiter = CapacityLimiter::new(3);
    let me = Borrower::current_task().unwrap();
    let plain = limiter.acquire().await.unwrap();
    assert_eq!(plain.borrower(), me);
    assert_eq!(
        limiter.acquire_on_behalf_of(me).await.unwrap_err(),
        LimiterError::AlreadyBorrowing
    );
    // Plain acquisitions never hit the rule, whatever the task holds.
    let named = limiter
        .acquire_on_behalf_of(Borrower::from_id(9))
        .await
        .unwrap();
    let second = limiter.try_acquire().unwrap();
    assert_eq!(limiter.borrowed_tokens(), 3);
    drop((plain, second, named));
    assert_eq!(limiter.borrowed_tokens(), 0);
    assert!(limiter.statistics().borrowers.is_empty());
}

#[anyio::test]
async fn plain_acquisitions_joined_in_one_task_each_take_a_token() {
    // Two operations of one task, each holding a token across an await: with two tokens both
    // run at once; with one, the second waits for the first instead of failing.
    for total in [2, 1] {
        let limiter = CapacityLimiter::new(total);
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let use_limiter = || async {
            let token = limiter.acquire().await.unwrap();
            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            for _ in 0..3 {
                checkpoint().await;
            }
            inside.fetch_sub(1, Ordering::SeqCst);
            drop(token);
        };
        futures::join!(use_limiter(), use_limiter());
        assert_eq!(most.load(Ordering::SeqCst), total);
        assert_eq!(limiter.borrowed_tokens(), 0);
    }
    // Statistics count one borrower entry per token, the task's included.
    let limiter = CapacityLimiter::new(3);
    let me = Borrower::current_task().unwrap();
    let (a, b) = futures::join!(limiter.acquire(), limiter.acquire());
    let c = limiter.try_acquire().unwrap();
    let statistics = limiter.statistics();
    assert_eq!(statistics.borrowed_tokens, 3);
    assert_eq!(statistics.borrowers, vec![me, me, me]);
    assert_eq!(limiter.available_tokens(), 0);
    drop((a.unwrap(), b.unwrap()));
    assert_eq!(limiter.statistics().borrowers, vec![me]);
    drop(c);
    assert!(limiter.statistics().borrowers.is_empty());
}

#[anyio::test]
async fn a_task_releases_its_detached_tokens_one_by_one() {
    let limiter = CapacityLimiter::new(3);
    limiter.acquire().await.unwrap().detach();
    limiter.acquire().await.unwrap().detach();
    let guarded = limiter.acquire().await.unwrap();
    assert_eq!(limiter.borrowed_tokens(), 3);
    assert_eq!(limiter.release(), Ok(()));
    assert_eq!(limiter.release(), Ok(()));
    assert_eq!(
        limiter.release(),
        Err(LimiterError::Guarded),
        "the last one is held through a token"
    );
    assert_eq!(limiter.borrowed_tokens(), 1);
    drop(guarded);
    assert_eq!(limiter.release(), Err(LimiterError::NotBorrowing));
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn waiting_twice_for_the_same_borrower_is_an_error() {
    let limiter = CapacityLimiter::new(0);
    let borrower = Borrower::from_id(1);
    let mut waiting = Box::pin(limiter.acquire_on_behalf_of(borrower));
    assert!(poll!(waiting.as_mut()).is_pending());
    assert_eq!(
        limiter.acquire_on_behalf_of(borrower).await.unwrap_err(),
        LimiterError::AlreadyBorrowing
    );
    drop(waiting);
    assert_eq!(limiter.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn releasing_what_you_do_not_hold_is_an_error() {
    let limiter = CapacityLimiter::new(1);
    assert_eq!(limiter.release(), Err(LimiterError::NotBorrowing));
    let borrower = Borrower::new();
    assert_eq!(
        limiter.release_on_behalf_of(borrower),
        Err(LimiterError::NotBorrowing)
    );
    let token = limiter.acquire_on_behalf_of(borrower).await.unwrap();
    assert_eq!(
        limiter.release_on_behalf_of(borrower),
        Err(LimiterError::Guarded)
    );
    assert_eq!(
        limiter.borrowed_tokens(),
        1,
        "a refused release keeps the token"
    );
    token.detach();
    assert_eq!(limiter.borrowed_tokens(), 1);
    assert_eq!(limiter.release_on_behalf_of(borrower), Ok(()));
    assert_eq!(
        limiter.release_on_behalf_of(borrower),
        Err(LimiterError::NotBorrowing)
    );
    // The current task, Trio style.
    limiter.acquire().await.unwrap().detach();
    assert_eq!(limiter.release(), Ok(()));
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn one_task_at_a_time_with_one_token() {
    // AnyIO's test_limit.
    let limiter = Arc::new(CapacityLimiter::new(1));
    let inside = Arc::new(AtomicBool::new(false));
    task_group(|tg| {
        let (limiter, inside) = (limiter.clone(), inside.clone());
        async move {
            for _ in 0..3 {
                let (limiter, inside) = (limiter.clone(), inside.clone());
                tg.start_soon(async move {
                    for _ in 0..5 {
                        let _token = limiter.acquire().await.unwrap();
                        assert!(!inside.swap(true, Ordering::SeqCst));
                        checkpoint().await;
                        inside.store(false, Ordering::SeqCst);
                    }
                })?;
            }
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn waiters_get_tokens_in_fifo_order() {
    // AnyIO's test_ordered_queue.
    let limiter = Arc::new(CapacityLimiter::new(1));
    let order = Arc::new(StdMutex::new(Vec::new()));
    let token = limiter.acquire().await.unwrap();
    task_group(|tg| {
        let (limiter, order) = (limiter.clone(), order.clone());
        async move {
            for i in 0..4 {
                let (waiter, order) = (limiter.clone(), order.clone());
                tg.start_soon(async move {
                    let _token = waiter.acquire().await.unwrap();
                    order.lock().unwrap().push(i);
                    checkpoint().await;
                })?;
                wait_until("the waiter is queued", || {
                    limiter.statistics().tasks_waiting == i + 1
                })
                .await;
            }
            drop(token);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
}

#[anyio::test]
async fn changing_the_total_grants_at_once_and_never_revokes() {
    // Trio's test_CapacityLimiter_change_total_tokens, with tasks that keep their tokens
    // (detached) and the test releasing them on their behalf.
    let limiter = Arc::new(CapacityLimiter::new(2));
    let detached = Arc::new(AtomicUsize::new(0));
    task_group(|tg| {
        let (limiter, detached) = (limiter.clone(), detached.clone());
        async move {
            for i in 0..5 {
                let (waiter, detached) = (limiter.clone(), detached.clone());
                tg.start_soon(async move {
                    let token = waiter.acquire_on_behalf_of(Borrower::from_id(i)).await;
                    token.unwrap().detach();
                    detached.fetch_add(1, Ordering::SeqCst);
                })?;
                let expected = i as usize + 1;
                wait_until("the borrower is in", || {
                    let statistics = limiter.statistics();
                    statistics.borrowed_tokens + statistics.tasks_waiting == expected
                })
                .await;
            }
            assert_eq!(borrowers(&limiter), ids([0, 1]));
            assert_eq!(limiter.statistics().tasks_waiting, 3);
            limiter.set_total_tokens(4);
            // Granted synchronously, before the waiters even run.
            assert_eq!(borrowers(&limiter), ids([0, 1, 2, 3]));
            assert_eq!(limiter.statistics().tasks_waiting, 1);
            limiter.set_total_tokens(1);
            assert_eq!(limiter.borrowed_tokens(), 4, "lowering revokes nothing");
            assert_eq!(limiter.total_tokens(), 1);
            assert_eq!(limiter.available_tokens(), 0);
            wait_until("four borrowers detached", || {
                detached.load(Ordering::SeqCst) == 4
            })
            .await;
            for i in 0..3 {
                limiter.release_on_behalf_of(Borrower::from_id(i)).unwrap();
            }
            assert_eq!(borrowers(&limiter), ids([3]));
            assert_eq!(limiter.statistics().tasks_waiting, 1);
            limiter.release_on_behalf_of(Borrower::from_id(3)).unwrap();
            assert_eq!(borrowers(&limiter), ids([4]));
            assert_eq!(limiter.statistics().tasks_waiting, 0);
            wait_until("the last borrower detached", || {
                detached.load(Ordering::SeqCst) == 5
            })
            .await;
            limiter.release_on_behalf_of(Borrower::from_id(4)).unwrap();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn lowering_then_releasing_grants_only_below_the_new_total() {
    // The deterministic core of Trio's change_total_tokens test, without tasks.
    let limiter = CapacityLimiter::new(2);
    let held: Vec<_> = (0..2)
        .map(|i| {
            limiter
                .try_acquire_on_behalf_of(Borrower::from_id(i))
                .unwrap()
        })
        .collect();
    let mut waiters: Vec<_> = (2..5)
        .map(|i| Box::pin(limiter.acquire_on_behalf_of(Borrower::from_id(i))))
        .collect();
    for waiter in &mut waiters {
        assert!(poll!(waiter.as_mut()).is_pending());
    }
    limiter.set_total_tokens(4);
    assert_eq!(borrowers(&limiter), ids([0, 1, 2, 3]));
    assert_eq!(limiter.statistics().tasks_waiting, 1);
    limiter.set_total_tokens(1);
    assert_eq!(limiter.borrowed_tokens(), 4);
    let mut granted = Vec::new();
    for waiter in waiters.iter_mut().take(2) {
        let Poll::Ready(token) = poll!(waiter.as_mut()) else {
            panic!("a granted waiter is not ready");
        };
        granted.push(token.unwrap());
    }
    drop(held); // borrowers 0 and 1 leave: 2 borrowed, total 1: nobody new gets in
    assert_eq!(borrowers(&limiter), ids([2, 3]));
    assert_eq!(limiter.statistics().tasks_waiting, 1);
    drop(granted.remove(0)); // borrower 2 leaves: 1 borrowed, still not below 1
    assert_eq!(borrowers(&limiter), ids([3]));
    assert_eq!(limiter.statistics().tasks_waiting, 1);
    granted.clear(); // borrower 3 leaves: 4 gets the token
    assert_eq!(borrowers(&limiter), ids([4]));
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    let Poll::Ready(token) = poll!(waiters[2].as_mut()) else {
        panic!("borrower 4 is not ready");
    };
    drop(token.unwrap());
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn a_zero_limit_lets_nobody_through_until_raised() {
    // Trio's test_CapacityLimiter_zero_limit_tokens.
    let limiter = CapacityLimiter::new(5);
    limiter.set_total_tokens(0);
    assert_eq!(limiter.try_acquire().unwrap_err(), LimiterError::WouldBlock);
    let mut waiters: Vec<_> = (0..5)
        .map(|i| Box::pin(limiter.acquire_on_behalf_of(Borrower::from_id(i))))
        .collect();
    for waiter in &mut waiters {
        assert!(poll!(waiter.as_mut()).is_pending());
    }
    assert!(borrowers(&limiter).is_empty());
    assert_eq!(limiter.statistics().tasks_waiting, 5);
    limiter.set_total_tokens(5);
    assert_eq!(borrowers(&limiter), ids(0..5));
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    drop(waiters); // granted but never received: every token comes back
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn raising_the_total_lets_queued_and_new_tasks_in() {
    // AnyIO's test_increase_tokens_lets_others_acquire.
    let limiter = Arc::new(CapacityLimiter::new(1));
    let entered = Arc::new(AtomicUsize::new(0));
    let proceed = Arc::new(Event::new());
    task_group(|tg| {
        let (limiter, entered, proceed) = (limiter.clone(), entered.clone(), proceed.clone());
        async move {
            let spawn_worker = |tg: &anyio::TaskGroup<SpawnError>| {
                let (limiter, entered, proceed) =
                    (limiter.clone(), entered.clone(), proceed.clone());
                tg.start_soon(async move {
                    let _token = limiter.acquire().await.unwrap();
                    entered.fetch_add(1, Ordering::SeqCst);
                    proceed.wait().await;
                })
            };
            spawn_worker(&tg)?;
            spawn_worker(&tg)?;
            wait_until("one entered and one waits", || {
                entered.load(Ordering::SeqCst) == 1 && limiter.statistics().tasks_waiting == 1
            })
            .await;
            limiter.set_total_tokens(3);
            spawn_worker(&tg)?;
            wait_until("all three entered", || entered.load(Ordering::SeqCst) == 3).await;
            proceed.set();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn a_cancelled_borrower_passes_its_granted_token_on() {
    // AnyIO's test_acquire_cancelled (#947): the token is handed to a borrower whose scope
    // is then cancelled; the next borrower must get it.
    let limiter = CapacityLimiter::new(1);
    let held = limiter
        .acquire_on_behalf_of(Borrower::from_id(0))
        .await
        .unwrap();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let mut first = Box::pin(scope.run(limiter.acquire_on_behalf_of(Borrower::from_id(1))));
    let mut second = Box::pin(limiter.acquire_on_behalf_of(Borrower::from_id(2)));
    assert!(poll!(first.as_mut()).is_pending());
    assert!(poll!(second.as_mut()).is_pending());
    drop(held); // granted to borrower 1...
    assert_eq!(borrowers(&limiter), ids([1]));
    handle.cancel(); // ...which is cancelled before it runs
    assert!(matches!(poll!(first.as_mut()), Poll::Ready(None)));
    assert_eq!(borrowers(&limiter), ids([2]));
    let Poll::Ready(token) = poll!(second.as_mut()) else {
        panic!("the second borrower did not get the token");
    };
    drop(token.unwrap());
    assert_eq!(limiter.borrowed_tokens(), 0);
    assert_eq!(limiter.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn a_release_reserves_the_token_for_the_waiter() {
    // AnyIO's #1170: a try_acquire right after a release must not take the token reserved
    // for the woken waiter.
    let limiter = CapacityLimiter::new(1);
    let a = Borrower::from_id(b'A'.into());
    let b = Borrower::from_id(b'B'.into());
    limiter.try_acquire_on_behalf_of(a).unwrap().detach();
    let mut waiter = Box::pin(limiter.acquire_on_behalf_of(b));
    assert!(poll!(waiter.as_mut()).is_pending());
    assert_eq!(limiter.statistics().tasks_waiting, 1);
    limiter.release_on_behalf_of(a).unwrap();
    assert_eq!(
        limiter
            .try_acquire_on_behalf_of(Borrower::from_id(b'X'.into()))
            .unwrap_err(),
        LimiterError::WouldBlock
    );
    assert!(limiter.borrowed_tokens() <= limiter.total_tokens());
    assert_eq!(limiter.statistics().borrowers, vec![b]);
    let Poll::Ready(token) = poll!(waiter.as_mut()) else {
        panic!("B did not get the token");
    };
    drop(token);
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn a_queued_task_cancelled_leaves_no_trace() {
    // Trio's memleak test (#548): a cancelled waiter is removed from the queue.
    let limiter = Arc::new(CapacityLimiter::new(1));
    let _token = limiter.acquire().await.unwrap();
    task_group(|tg| {
        let limiter = limiter.clone();
        async move {
            let waiter = limiter.clone();
            tg.start_soon(async move { drop(waiter.acquire().await) })?;
            wait_until("the waiter is queued", || {
                limiter.statistics().tasks_waiting == 1
            })
            .await;
            tg.cancel();
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    assert_eq!(limiter.borrowed_tokens(), 1);
}

#[anyio::test]
async fn statistics_report_everything() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let statistics = limiter.statistics();
    assert_eq!(
        (
            statistics.total_tokens,
            statistics.borrowed_tokens,
            statistics.tasks_waiting
        ),
        (1, 0, 0)
    );
    task_group(|tg| {
        let limiter = limiter.clone();
        async move {
            let token = limiter.acquire().await.unwrap();
            assert_eq!(limiter.statistics().borrowed_tokens, 1);
            for i in 1..=2 {
                let waiter = limiter.clone();
                tg.start_soon(async move { drop(waiter.acquire().await.unwrap()) })?;
                wait_until("the waiter is counted", || {
                    limiter.statistics().tasks_waiting == i
                })
                .await;
            }
            drop(token);
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    let statistics = limiter.statistics();
    assert_eq!(
        (statistics.tasks_waiting, statistics.borrowed_tokens),
        (0, 0)
    );
    assert!(statistics.borrowers.is_empty());
}

#[anyio::test]
async fn outside_anyio_tasks_each_acquire_is_an_anonymous_borrower() {
    let limiter = Arc::new(CapacityLimiter::new(2));
    let thread_limiter = limiter.clone();
    std::thread::spawn(move || {
        futures::executor::block_on(async {
            let first = thread_limiter.acquire().await.unwrap();
            let second = thread_limiter.acquire().await.unwrap();
            assert_ne!(first.borrower(), second.borrower());
            assert_eq!(first.borrower().task_id(), None);
            assert_eq!(thread_limiter.borrowed_tokens(), 2);
            assert_eq!(thread_limiter.release(), Err(LimiterError::NotBorrowing));
        })
    })
    .join()
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}
