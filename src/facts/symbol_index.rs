//! The hash index behind [`super::Symbols`]: from 32 bits of a string's
//! hash to the ids of the symbols that may be that string.
//!
//! Written out instead of a general hash table so that the slot a hash
//! starts at is known before it is probed: merging a file's symbols into a
//! table of two million fetches the slots of the next symbols while it
//! compares this one (at that size every first probe missed the cache, and
//! waiting for those misses was the larger part of merging).

/// One slot: a symbol's hash bits above, its id below.
type Slot = u64;

/// No symbol: id `u32::MAX` is never given (see `Symbols::intern_hashed`).
const EMPTY: Slot = u64::MAX;

/// How many symbols to look ahead when prefetching a batch's slots: about
/// the number of cache misses a core keeps in flight.
pub(super) const AHEAD: usize = 16;

/// Linear probing over a power-of-two array of slots, at most three
/// quarters full: a probe that misses scans a few neighbouring slots, mostly
/// within one cache line.
#[derive(Clone, Default)]
pub(super) struct Index {
    slots: Vec<Slot>,
    len: usize,
    /// `64 - log2(slots.len())`: the home slot is the top bits of the
    /// widened hash.
    shift: u32,
}

impl Index {
    fn home(&self, short: u32) -> usize {
        (widen(short) >> self.shift) as usize
    }

    /// The id of the symbol with hash bits `short` that `is` accepts.
    #[inline]
    pub fn find(&self, short: u32, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(short);
        loop {
            let slot = self.slots[at];
            if slot == EMPTY {
                return None;
            }
            if (slot >> 32) as u32 == short && is(slot as u32) {
                return Some(slot as u32);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `id`, which must not be in the index yet.
    #[inline]
    pub fn insert(&mut self, short: u32, id: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(self.len + 1);
        }
        self.place((short as u64) << 32 | id as u64);
        self.len += 1;
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.slots.len() - 1;
        let mut at = self.home((slot >> 32) as u32);
        while self.slots[at] != EMPTY {
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
    }

    /// Asks the cache for the slot a lookup of `short` starts at.
    #[inline]
    pub fn prefetch(&self, short: u32) {
        if let Some(slot) = self.slots.get(self.home(short)) {
            prefetch(slot);
        }
    }

    /// Room for `more` symbols without growing.
    pub fn reserve(&mut self, more: usize) {
        let want = self.len + more;
        if want * 4 > self.slots.len() * 3 {
            self.grow(want);
        }
    }

    /// Rebuilds the slots at the smallest size that holds `len` symbols.
    fn grow(&mut self, len: usize) {
        let size = (len * 4 / 3 + 1).next_power_of_two().max(16);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        self.shift = 64 - size.trailing_zeros();
        for slot in old.into_iter().filter(|&s| s != EMPTY) {
            self.place(slot);
        }
    }

    /// Keeps the symbols `keep` says yes to (by id). Rare (a merge undone),
    /// so it rebuilds the slots rather than deleting in place.
    pub fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        let kept: Vec<Slot> = self
            .slots
            .iter()
            .copied()
            .filter(|&s| s != EMPTY && keep(s as u32))
            .collect();
        self.slots.fill(EMPTY);
        self.len = kept.len();
        for slot in kept {
            self.place(slot);
        }
    }

    /// Empties the index, keeping its memory.
    pub fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.len = 0;
    }

    /// Every (id, hash bits) pair, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.slots
            .iter()
            .filter(|&&s| s != EMPTY)
            .map(|&s| (s as u32, (s >> 32) as u32))
    }
}

/// The 64-bit spread of the stored 32 hash bits: multiplying by an odd
/// constant moves them into the high bits the home slot is taken from.
fn widen(short: u32) -> u64 {
    (short as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[cfg(target_arch = "x86_64")]
fn prefetch<T>(at: &T) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: SSE is part of x86_64; a prefetch never faults, whatever the
    // address.
    unsafe { _mm_prefetch::<_MM_HINT_T0>((at as *const T).cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch<T>(_: &T) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inserts_and_forgets() {
        let mut index = Index::default();
        assert_eq!(index.find(7, |_| true), None);
        // Equal hash bits for several ids: `is` tells them apart.
        for id in 0..1000u32 {
            index.insert(id % 10, id);
        }
        for id in 0..1000u32 {
            assert_eq!(index.find(id % 10, |other| other == id), Some(id));
        }
        assert_eq!(index.find(3, |other| other == 4), None);
        index.retain(|id| id < 500);
        assert_eq!(index.iter().count(), 500);
        assert_eq!(index.find(3, |other| other == 503), None);
        assert_eq!(index.find(3, |other| other == 493), Some(493));
        index.reserve(100_000);
        assert_eq!(index.find(3, |other| other == 493), Some(493));
        index.clear();
        assert_eq!(index.find(3, |_| true), None);
        index.insert(3, 1);
        assert_eq!(index.iter().collect::<Vec<_>>(), [(1, 3)]);
    }
}
