//! How a group counts its children, so that it knows when the last one ended.
//!
//! Spawning and ending a child are the hot paths, and they run on different threads: the
//! spawner on the group's, the child's end on an executor thread. One shared counter would
//! move its cache line between the two cores twice per child, which costs more than the rest
//! of anyio's share of a spawn. So spawners count up in one line and ending children count
//! up in another, and only the group compares the two.
//!
//! The group cannot tell by itself when the counts meet, so it leaves the number it waits for
//! (`awaited`) next to the ended count. The child whose end reaches exactly that number wakes
//! it. The group writes `awaited` and then reads `ended`; a child adds to `ended` and then
//! reads `awaited`. Both sides touch `awaited` with read-modify-writes, which read the latest
//! value and order the two sides, so at least one side sees the other: the group sees the last
//! end, or the last child sees what the group waits for. (Sequentially consistent loads and
//! stores would do too, but loom cannot check those.)

use crate::sync::shim::{AtomicU64, Ordering};

/// The bit of the spawned count set once the group ended; spawning is then refused.
const CLOSED: u64 = 1 << 63;

/// `awaited` before the group first waits: no end reaches it.
const NOT_WAITING: u64 = u64::MAX;

/// A group's spawned and ended children.
#[derive(Debug)]
pub(crate) struct ChildCount {
    /// Children counted in, plus [`CLOSED`]. Written by spawners only. Both counts include
    /// every child the group ever had, and never wrap: 2^63 spawns at a billion a second take
    /// 292 years (hence 64 bits also where `usize` has 32).
    spawned: CacheLine<AtomicU64>,
    /// Children ended, and the ended count the group waits for. Written by ending children,
    /// and by the group when it waits.
    ended: CacheLine<Ended>,
}

#[derive(Debug)]
struct Ended {
    count: AtomicU64,
    awaited: AtomicU64,
}

/// Keeps its value on cache lines of its own (two of them: x86 fetches lines in pairs).
#[derive(Debug)]
#[repr(align(128))]
struct CacheLine<T>(T);

impl ChildCount {
    pub(crate) fn new() -> ChildCount {
        ChildCount {
            spawned: CacheLine(AtomicU64::new(0)),
            ended: CacheLine(Ended {
                count: AtomicU64::new(0),
                awaited: AtomicU64::new(NOT_WAITING),
            }),
        }
    }

    /// Counts a new child in, unless the group closed. Every child counted in must be counted
    /// out with [`ChildCount::end`].
    pub(crate) fn add(&self) -> bool {
        let spawned = self.spawned.0.fetch_add(1, Ordering::AcqRel);
        if spawned & CLOSED != 0 {
            // Nobody compares the counts once the group closed; undo for tidiness only.
            self.spawned.0.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Counts a child out; `true` if the group waits for exactly this end and must be woken.
    ///
    /// Whatever the child did before is visible to the group once it closes (release here,
    /// acquire in [`ChildCount::try_close`]).
    pub(crate) fn end(&self) -> bool {
        let ended = self.ended.0.count.fetch_add(1, Ordering::AcqRel) + 1;
        // A read-modify-write, to be ordered with the group's (see the module docs).
        self.ended.0.awaited.fetch_add(0, Ordering::AcqRel) == ended
    }

    /// Closes the group if every child counted in was counted out, so that no child can be
    /// added any more. Otherwise the end that completes the current count will ask for a wake
    /// (see [`ChildCount::end`]); the caller registered its waker before.
    pub(crate) fn try_close(&self) -> bool {
        loop {
            let spawned = self.spawned.0.load(Ordering::Acquire);
            if spawned & CLOSED != 0 {
                return true;
            }
            self.ended.0.awaited.swap(spawned, Ordering::AcqRel);
            let ended = self.ended.0.count.load(Ordering::Acquire);
            if ended < spawned {
                return false;
            }
            // Equal counts close the group unless a child was added since `spawned` was read;
            // more ended than spawned means that happened too. Either way, look again.
            if ended == spawned
                && self
                    .spawned
                    .0
                    .compare_exchange(
                        spawned,
                        spawned | CLOSED,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_ok()
            {
                return true;
            }
        }
    }

    /// Closes the group whatever its children do (its future was dropped).
    pub(crate) fn close(&self) {
        self.spawned.0.fetch_or(CLOSED, Ordering::AcqRel);
    }

    /// Whether a child was ever counted in (a refused spawn may count in for a moment).
    pub(crate) fn ever_added(&self) -> bool {
        self.spawned.0.load(Ordering::Acquire) & !CLOSED != 0
    }

    /// After [`ChildCount::close`]: whether every child counted in was counted out. If not,
    /// the end that completes the count asks for a wake, as for [`ChildCount::try_close`]. A
    /// spawn refused meanwhile counts in for a moment, so the spawner must wake the waiter
    /// once it has counted itself out again.
    pub(crate) fn all_ended(&self) -> bool {
        let spawned = self.spawned.0.load(Ordering::Acquire) & !CLOSED;
        self.ended.0.awaited.swap(spawned, Ordering::AcqRel);
        self.ended.0.count.load(Ordering::Acquire) >= spawned
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicUsize as Counter;
    use loom::sync::{Arc, Notify};
    use loom::thread;

    use crate::sync::shim::loom_model as model;

    /// Children end while another child spawns a sibling and the group waits: the group is
    /// always woken, and it closes only after every child it counted in ended.
    #[test]
    fn the_group_closes_after_its_last_child_and_is_never_left_waiting() {
        model(|| {
            let count = Arc::new(ChildCount::new());
            let woken = Arc::new(Notify::new());
            let done = Arc::new(Counter::new(0));
            assert!(count.add() && count.add());
            let child = |spawns_sibling: bool| {
                let (count, woken, done) = (count.clone(), woken.clone(), done.clone());
                thread::spawn(move || {
                    let mut ends = 1;
                    if spawns_sibling && count.add() {
                        ends += 1;
                    }
                    for _ in 0..ends {
                        done.fetch_add(1, Ordering::Relaxed);
                        if count.end() {
                            woken.notify();
                        }
                    }
                })
            };
            let children = [child(false), child(true)];
            while !count.try_close() {
                woken.wait();
            }
            assert_eq!(
                done.load(Ordering::Relaxed),
                3,
                "closed before every child ended"
            );
            assert!(!count.add(), "a closed group took a child");
            for child in children {
                child.join().unwrap();
            }
        });
    }

    /// A spawn racing the group's close either is counted and waited for, or is refused.
    #[test]
    fn a_spawn_racing_the_close_is_waited_for_or_refused() {
        model(|| {
            let count = Arc::new(ChildCount::new());
            let woken = Arc::new(Notify::new());
            let running = Arc::new(Counter::new(0));
            let spawner = {
                let (count, woken, running) = (count.clone(), woken.clone(), running.clone());
                thread::spawn(move || {
                    if count.add() {
                        running.fetch_add(1, Ordering::Relaxed);
                        running.fetch_sub(1, Ordering::Relaxed);
                        if count.end() {
                            woken.notify();
                        }
                    }
                })
            };
            while !count.try_close() {
                woken.wait();
            }
            assert_eq!(
                running.load(Ordering::Relaxed),
                0,
                "closed while a child ran"
            );
            spawner.join().unwrap();
        });
    }

    /// A group dropped while a child ends and a sibling spawns: whoever waits for the dropped
    /// group's children is woken once all of them ended, also past a refused spawn.
    #[test]
    fn a_dropped_group_sees_its_last_child_end() {
        model(|| {
            let count = Arc::new(ChildCount::new());
            let woken = Arc::new(Notify::new());
            let done = Arc::new(Counter::new(0));
            assert!(count.add());
            let child = {
                let (count, woken, done) = (count.clone(), woken.clone(), done.clone());
                thread::spawn(move || {
                    let mut ends = 1;
                    if count.add() {
                        ends += 1;
                    } else {
                        // The refused spawn counted in for a moment (see `all_ended`).
                        woken.notify();
                    }
                    for _ in 0..ends {
                        done.fetch_add(1, Ordering::Relaxed);
                        if count.end() {
                            woken.notify();
                        }
                    }
                })
            };
            count.close();
            while !count.all_ended() {
                woken.wait();
            }
            let ended = done.load(Ordering::Relaxed);
            assert!(ended >= 1, "a child was still running");
            child.join().unwrap();
            assert_eq!(ended, done.load(Ordering::Relaxed), "a child ended late");
        });
    }
}
