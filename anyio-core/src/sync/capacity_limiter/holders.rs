//! Who holds a limiter's tokens, and how: per borrower, the tokens held through live guards
//! and those kept past their guard for an explicit release.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::sync::borrower::Borrower;

/// How a token is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Holding {
    /// Through a live guard ([`LimiterToken`](crate::sync::LimiterToken) or
    /// [`OwnedLimiterToken`](crate::sync::OwnedLimiterToken)).
    Guarded,
    /// Kept past its guard with `detach`; released explicitly.
    Detached,
}

/// The tokens one borrower holds. A named borrower holds at most one; the current task, as
/// the borrower of plain acquisitions, one per acquisition.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Held {
    guarded: usize,
    pub(super) detached: usize,
}

impl Held {
    /// Takes away one token held as `holding`; false if there is none.
    fn release(&mut self, holding: Holding) -> bool {
        let count = match holding {
            Holding::Guarded => &mut self.guarded,
            Holding::Detached => &mut self.detached,
        };
        if *count == 0 {
            return false;
        }
        *count -= 1;
        true
    }

    fn is_empty(&self) -> bool {
        self.guarded == 0 && self.detached == 0
    }
}

/// The borrowers holding tokens: a short vector searched linearly while few hold tokens (the
/// common case, and faster than hashing), a hash map once more do.
#[derive(Debug, Default)]
pub(super) struct Holders {
    small: Vec<(Borrower, Held)>,
    /// In use (and then `small` is empty) once more than `SMALL` borrowers hold tokens.
    large: HashMap<Borrower, Held, BuildHasherDefault<IdHasher>>,
    /// Tokens held, over every borrower.
    tokens: usize,
}

impl Holders {
    const SMALL: usize = 16;

    pub(super) fn tokens(&self) -> usize {
        self.tokens
    }

    fn get_mut(&mut self, borrower: Borrower) -> Option<&mut Held> {
        if self.large.is_empty() {
            self.small
                .iter_mut()
                .find(|(holder, _)| *holder == borrower)
                .map(|(_, held)| held)
        } else {
            self.large.get_mut(&borrower)
        }
    }

    pub(super) fn get(&self, borrower: Borrower) -> Option<Held> {
        if self.large.is_empty() {
            self.small
                .iter()
                .find(|(holder, _)| *holder == borrower)
                .map(|(_, held)| *held)
        } else {
            self.large.get(&borrower).copied()
        }
    }

    pub(super) fn contains(&self, borrower: Borrower) -> bool {
        self.get(borrower).is_some()
    }

    /// Records one more guarded token for `borrower`.
    pub(super) fn take(&mut self, borrower: Borrower) {
        self.tokens += 1;
        if let Some(held) = self.get_mut(borrower) {
            held.guarded += 1;
            return;
        }
        let held = Held {
            guarded: 1,
            detached: 0,
        };
        if self.large.is_empty() && self.small.len() < Self::SMALL {
            self.small.push((borrower, held));
        } else {
            self.large.extend(self.small.drain(..));
            self.large.insert(borrower, held);
        }
    }

    /// Turns one of `borrower`'s guarded tokens into a detached one.
    pub(super) fn detach(&mut self, borrower: Borrower) {
        if let Some(held) = self.get_mut(borrower) {
            if held.guarded > 0 {
                held.guarded -= 1;
                held.detached += 1;
            }
        }
    }

    /// Removes one token `borrower` holds as `holding`; false if it holds none that way.
    pub(super) fn give_back(&mut self, borrower: Borrower, holding: Holding) -> bool {
        if self.large.is_empty() {
            let Some(index) = self
                .small
                .iter()
                .position(|(holder, _)| *holder == borrower)
            else {
                return false;
            };
            let held = &mut self.small[index].1;
            if !held.release(holding) {
                return false;
            }
            if held.is_empty() {
                self.small.swap_remove(index);
            }
        } else {
            let Some(held) = self.large.get_mut(&borrower) else {
                return false;
            };
            if !held.release(holding) {
                return false;
            }
            if held.is_empty() {
                self.large.remove(&borrower);
            }
        }
        self.tokens -= 1;
        true
    }

    /// Every borrower once per token it holds.
    pub(super) fn borrowers(&self) -> impl Iterator<Item = Borrower> + '_ {
        self.small
            .iter()
            .map(|(borrower, held)| (*borrower, *held))
            .chain(self.large.iter().map(|(borrower, held)| (*borrower, *held)))
            .flat_map(|(borrower, held)| {
                std::iter::repeat_n(borrower, held.guarded + held.detached)
            })
    }
}

/// A fast hasher for borrower keys (ids, not attacker-controlled data).
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn write_isize(&mut self, value: isize) {
        self.write_u64(value as u64);
    }
}
