//! How a group lists the children that have no node of their own yet.
//!
//! A child spawned with `start_soon` gets its root node only when it needs one (see
//! `child::Root`), yet introspection must list it from its spawn. Its group's handle list
//! keeps its identity, and a [`Listed`] flag tells the list whether the child still needs it:
//! the child flips it once it has a node (then the node lists it) or once it ended.
//!
//! One allocation per child shared by the spawning and the executor thread would cost more than
//! the rest of the spawn (every such line crosses between the two cores twice), so the flags
//! come in blocks of [`BLOCK`] carved out by each spawning thread in turn.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::task::{TaskInfo, UnbornIdentity};

/// Flags per block: one cache line.
const BLOCK: usize = 64;

const UNBORN: u8 = 0;
const BORN: u8 = 1;
const ENDED: u8 = 2;

type Block = [AtomicU8; BLOCK];

thread_local! {
    /// The block this thread is carving flags out of, and its next free index.
    static CURRENT: RefCell<(Option<Arc<Block>>, usize)> = const { RefCell::new((None, BLOCK)) };
}

/// Whether a child without a node is still to be listed by its group.
#[derive(Debug)]
pub(crate) struct Listed {
    block: Arc<Block>,
    index: usize,
}

impl Listed {
    /// A flag for a new child, still unborn.
    pub(crate) fn new() -> Listed {
        CURRENT.with(|current| {
            let (block, next) = &mut *current.borrow_mut();
            let block = match block {
                Some(block) if *next < BLOCK => block,
                _ => {
                    *next = 0;
                    block.insert(Arc::new(std::array::from_fn(|_| AtomicU8::new(UNBORN))))
                }
            };
            let index = *next;
            *next += 1;
            Listed {
                block: block.clone(),
                index,
            }
        })
    }

    /// The same flag, for the other side.
    pub(crate) fn share(&self) -> Listed {
        Listed {
            block: self.block.clone(),
            index: self.index,
        }
    }

    /// The child has its node now, which lists it.
    pub(crate) fn born(&self) {
        self.block[self.index].store(BORN, Ordering::Release);
    }

    /// The child ended without ever having a node.
    pub(crate) fn ended(&self) {
        self.block[self.index].store(ENDED, Ordering::Release);
    }

    fn is_unborn(&self) -> bool {
        self.block[self.index].load(Ordering::Acquire) == UNBORN
    }
}

/// What a group's list keeps of a child that had no node when it was spawned.
#[derive(Debug)]
pub(crate) struct UnbornChild {
    pub(crate) identity: UnbornIdentity,
    pub(crate) listed: Listed,
}

impl UnbornChild {
    /// Whether the group still lists this child itself.
    pub(crate) fn is_unborn(&self) -> bool {
        self.listed.is_unborn()
    }

    /// What introspection shows of it (an unborn child has no name: named ones get a node).
    pub(crate) fn info(&self) -> TaskInfo {
        self.identity.info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_of_one_block_are_independent_and_a_full_block_starts_a_new_one() {
        let flags: Vec<Listed> = (0..BLOCK + 1).map(|_| Listed::new()).collect();
        flags[1].born();
        flags[2].ended();
        let unborn: Vec<bool> = flags.iter().map(Listed::is_unborn).collect();
        assert!(unborn[0] && !unborn[1] && !unborn[2] && unborn[3]);
        assert!(!Arc::ptr_eq(&flags[0].block, &flags[BLOCK].block));
        assert!(flags[0].share().is_unborn());
    }
}
