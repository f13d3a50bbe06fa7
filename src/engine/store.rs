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
    groups: HashTable<Group>,
    /// Row lists of the groups with more than one row.
    many: Vec<Vec<u32>>,
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

const ONE: u32 = u32::MAX;

fn hash_key(key: impl Iterator<Item = u64>) -> u64 {
    let mut h = FxHasher::default();
    for v in key {
        h.write_u64(v);
    }
    h.finish()
}

impl Index {
    fn new(cols: &[usize]) -> Self {
        Index {
            cols: cols.into(),
            groups: HashTable::new(),
            many: Vec::new(),
        }
    }

    /// Adds row `id` (whose cells are `row`) to its group.
    fn add(&mut self, cells: &[u64], arity: usize, row: &[u64], id: u32) {
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
        match self.groups.find_mut(hash, same) {
            Some(g) if g.more == ONE => {
                g.more = u32::try_from(self.many.len()).expect("fewer than 2^32 groups");
                self.many.push(vec![g.first, id]);
            }
            Some(g) => self.many[g.more as usize].push(id),
            None => {
                let n = cols.len();
                self.groups.insert_unique(
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

    fn get(&self, cells: &[u64], arity: usize, key: &[u64]) -> &[u32] {
        let hash = hash_key(key.iter().copied());
        let cols = &self.cols;
        let found = if cols.len() == 1 {
            self.groups.find(hash, |g| g.tag == key[0])
        } else {
            self.groups.find(hash, |g| {
                g.tag == hash && {
                    let first = &cells[g.first as usize * arity..][..arity];
                    cols.iter().zip(key).all(|(&c, &k)| first[c] == k)
                }
            })
        };
        match found {
            None => &[],
            Some(g) if g.more == ONE => std::slice::from_ref(&g.first),
            Some(g) => &self.many[g.more as usize],
        }
    }

    fn clear(&mut self) {
        self.groups.clear();
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
        let mut index = Index::new(cols);
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
}
