//! A relation's tuples during evaluation: flat rows plus hash indexes on
//! the column sets that some join plan looks up. Indexes are maintained as
//! rows are appended, so a recursive relation's indexes stay valid from one
//! semi-naive round to the next without being rebuilt.

use std::hash::Hasher;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

/// Rows of one relation, row-major, and the indexes plans asked for.
#[derive(Debug, Default)]
pub struct Store {
    pub arity: usize,
    cells: Vec<u64>,
    /// Row count (needed apart from `cells` for nullary relations).
    len: usize,
    indexes: Vec<Index>,
}

/// Rows grouped by the values of `cols`. A group is 16 bytes and keeps
/// no copy of a multi-column key (it is read from the group's first row);
/// a one-column key, the common case, is kept in the group itself, so a
/// lookup does not touch the rows at all until it has found its group.
/// Measured on the conflict rules over 100k spans, a boxed key and a `Vec`
/// per group spent a fifth of the run in the allocator and most of the
/// memory; over a million spans, reading the first row to confirm a key
/// was a tenth of the run.
#[derive(Debug)]
struct Index {
    cols: Box<[usize]>,
    groups: Groups,
    /// Row lists of the groups with more than one row.
    many: Vec<Vec<u32>>,
}

#[derive(Debug)]
enum Groups {
    Hash(HashTable<Group>),
    /// A one-column index whose keys are small integers for its size
    /// (symbol ids of a large relation): slot `k` is key `k`'s group. One
    /// memory access per lookup and no hashing; a million spans' indexes
    /// on span ids were built and probed a third faster this way.
    Direct(Vec<Slot>),
}

#[derive(Debug)]
struct Group {
    /// The key for a one-column index, else the key's hash.
    tag: u64,
    /// The group's first row.
    first: u32,
    /// Index into [`Index::many`], or [`ONE`] for a single-row group.
    more: u32,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The group's first row, or [`EMPTY`].
    first: u32,
    /// As [`Group::more`].
    more: u32,
}

const ONE: u32 = u32::MAX;
const EMPTY: u32 = u32::MAX;
const NO_ROWS: Slot = Slot {
    first: EMPTY,
    more: ONE,
};

/// Direct slots are kept while keys stay below this for `rows` rows: at
/// most four slots (32 bytes) per row, about twice a hash group's cost.
fn dense_limit(rows: usize) -> usize {
    4 * rows + 1024
}

fn hash_key(key: impl Iterator<Item = u64>) -> u64 {
    let mut h = FxHasher::default();
    for v in key {
        h.write_u64(v);
    }
    h.finish()
}

impl Index {
    /// An index on `cols` for rows whose one-column keys reach `max_key`
    /// (`None`: unknown, or several columns).
    fn new(cols: &[usize], max_key: Option<u64>, rows: usize) -> Self {
        let groups = match max_key {
            Some(max) if (max as usize) < dense_limit(rows) => {
                Groups::Direct(vec![NO_ROWS; max as usize + 1])
            }
            _ => Groups::Hash(HashTable::new()),
        };
        Index {
            cols: cols.into(),
            groups,
            many: Vec::new(),
        }
    }

    /// Adds row `id` (whose cells are `row`) to its group.
    fn add(&mut self, cells: &[u64], arity: usize, row: &[u64], id: u32) {
        if let Groups::Direct(slots) = &mut self.groups {
            let key = row[self.cols[0]] as usize;
            if key >= slots.len() {
                if key < dense_limit(id as usize + 1) {
                    let len = (key + 1)
                        .max(slots.len() * 2)
                        .min(dense_limit(id as usize + 1));
                    slots.resize(len, NO_ROWS);
                } else {
                    self.make_hashed();
                    return self.add(cells, arity, row, id);
                }
            }
            let slot = &mut slots[key];
            match (slot.first, slot.more) {
                (EMPTY, _) => slot.first = id,
                (first, ONE) => {
                    slot.more = u32::try_from(self.many.len()).expect("fewer than 2^32 groups");
                    self.many.push(vec![first, id]);
                }
                (_, more) => self.many[more as usize].push(id),
            }
            return;
        }
        let Groups::Hash(groups) = &mut self.groups else {
            unreachable!("direct slots handled above")
        };
        let cols = &self.cols;
        let hash = hash_key(cols.iter().map(|&c| row[c]));
        let single = cols.len() == 1;
        let tag = if single { row[cols[0]] } else { hash };
        let same = |g: &Group| {
            g.tag == tag
                && (single || {
                    let first = &cells[g.first as usize * arity..][..arity];
                    cols.iter().all(|&c| first[c] == row[c])
                })
        };
        match groups.find_mut(hash, same) {
            Some(g) if g.more == ONE => {
                g.more = u32::try_from(self.many.len()).expect("fewer than 2^32 groups");
                self.many.push(vec![g.first, id]);
            }
            Some(g) => self.many[g.more as usize].push(id),
            None => {
                let n = cols.len();
                groups.insert_unique(
                    hash,
                    Group {
                        tag,
                        first: id,
                        more: ONE,
                    },
                    |g| group_hash(n, g),
                );
            }
        }
    }

    /// Moves direct slots into a hash table, for a key too large to slot.
    fn make_hashed(&mut self) {
        let Groups::Direct(slots) = &self.groups else {
            return;
        };
        let mut groups = HashTable::new();
        for (key, slot) in slots.iter().enumerate() {
            if slot.first != EMPTY {
                let g = Group {
                    tag: key as u64,
                    first: slot.first,
                    more: slot.more,
                };
                groups.insert_unique(group_hash(1, &g), g, |g| group_hash(1, g));
            }
        }
        self.groups = Groups::Hash(groups);
    }

    fn get(&self, cells: &[u64], arity: usize, key: &[u64]) -> &[u32] {
        let (first, more) = match &self.groups {
            Groups::Direct(slots) => match slots.get(key[0] as usize) {
                Some(s) if s.first != EMPTY => (&s.first, s.more),
                _ => return &[],
            },
            Groups::Hash(groups) => {
                let hash = hash_key(key.iter().copied());
                let cols = &self.cols;
                let found = if cols.len() == 1 {
                    groups.find(hash, |g| g.tag == key[0])
                } else {
                    groups.find(hash, |g| {
                        g.tag == hash && {
                            let first = &cells[g.first as usize * arity..][..arity];
                            cols.iter().zip(key).all(|(&c, &k)| first[c] == k)
                        }
                    })
                };
                match found {
                    Some(g) => (&g.first, g.more),
                    None => return &[],
                }
            }
        };
        if more == ONE {
            std::slice::from_ref(first)
        } else {
            &self.many[more as usize]
        }
    }

    fn clear(&mut self) {
        match &mut self.groups {
            Groups::Hash(groups) => groups.clear(),
            Groups::Direct(slots) => slots.fill(NO_ROWS),
        }
        self.many.clear();
    }
}

/// The hash a group was filed under, from what it keeps.
fn group_hash(key_len: usize, g: &Group) -> u64 {
    if key_len == 1 {
        hash_key(std::iter::once(g.tag))
    } else {
        g.tag
    }
}

impl Store {
    pub fn new(arity: usize) -> Self {
        Store {
            arity,
            ..Store::default()
        }
    }

    /// A store holding `cells` (row-major), which must already be distinct rows.
    pub fn from_cells(arity: usize, cells: Vec<u64>, len: usize) -> Self {
        Store {
            arity,
            cells,
            len,
            indexes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn row(&self, i: usize) -> &[u64] {
        &self.cells[i * self.arity..(i + 1) * self.arity]
    }

    pub fn rows(&self) -> impl Iterator<Item = &[u64]> {
        (0..self.len).map(move |i| self.row(i))
    }

    /// Removes every row (and empties the indexes), handing the rows back.
    pub fn take_rows(&mut self) -> (Vec<u64>, usize) {
        for index in &mut self.indexes {
            index.clear();
        }
        let len = std::mem::take(&mut self.len);
        (std::mem::take(&mut self.cells), len)
    }

    /// Appends a row the caller knows to be new, updating every index.
    pub fn push(&mut self, row: &[u64]) {
        debug_assert_eq!(row.len(), self.arity);
        let id = self.len as u32;
        self.cells.extend_from_slice(row);
        self.len += 1;
        for index in &mut self.indexes {
            index.add(&self.cells, self.arity, row, id);
        }
    }

    /// Makes sure an index on `cols` exists (built from the current rows).
    pub fn ensure_index(&mut self, cols: &[usize]) {
        if cols.is_empty() || self.indexes.iter().any(|i| &*i.cols == cols) {
            return;
        }
        let max_key = match cols {
            [c] if self.len > 0 => self.rows().map(|row| row[*c]).max(),
            _ => None,
        };
        let mut index = Index::new(cols, max_key, self.len);
        for id in 0..self.len {
            let row = &self.cells[id * self.arity..(id + 1) * self.arity];
            index.add(&self.cells, self.arity, row, id as u32);
        }
        self.indexes.push(index);
    }

    /// Row numbers whose `cols` equal `key`; the index must exist.
    pub fn lookup(&self, cols: &[usize], key: &[u64]) -> &[u32] {
        let index = self
            .indexes
            .iter()
            .find(|i| &*i.cols == cols)
            .expect("plans create their indexes before running");
        index.get(&self.cells, self.arity, key)
    }

    /// Frees the indexes once evaluation no longer needs them.
    pub fn drop_indexes(&mut self) {
        self.indexes = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_follows_appends() {
        let mut s = Store::new(2);
        s.push(&[1, 2]);
        s.ensure_index(&[1]);
        s.push(&[3, 2]);
        s.push(&[4, 5]);
        assert_eq!(s.lookup(&[1], &[2]), &[0, 1]);
        assert_eq!(s.lookup(&[1], &[5]), &[2]);
        assert!(s.lookup(&[1], &[9]).is_empty());
    }

    #[test]
    fn direct_slots_grow_and_give_way_to_a_hash_for_a_large_key() {
        let mut s = Store::new(2);
        for i in 0..10 {
            s.push(&[i, i % 3]);
        }
        s.ensure_index(&[0]);
        s.ensure_index(&[1]);
        assert!(matches!(s.indexes[0].groups, Groups::Direct(_)));
        s.push(&[2000, 7]);
        s.push(&[1 << 40, 7]);
        assert!(matches!(s.indexes[0].groups, Groups::Hash(_)));
        assert!(matches!(s.indexes[1].groups, Groups::Direct(_)));
        assert_eq!(s.lookup(&[0], &[1 << 40]), &[11]);
        assert_eq!(s.lookup(&[0], &[2000]), &[10]);
        assert_eq!(s.lookup(&[0], &[4]), &[4]);
        assert_eq!(s.lookup(&[1], &[0]), &[0, 3, 6, 9]);
        assert_eq!(s.lookup(&[1], &[7]), &[10, 11]);
        assert!(s.lookup(&[0], &[11]).is_empty());
        assert!(s.lookup(&[1], &[5000]).is_empty());
        let _ = s.take_rows();
        s.push(&[5, 1]);
        assert_eq!(s.lookup(&[1], &[1]), &[0]);
        assert!(s.lookup(&[1], &[0]).is_empty());
    }
}
