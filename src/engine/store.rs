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

/// Rows grouped by the values of `cols`. A group keeps no copy of its key:
/// the key is read from the cells of the group's first row. Measured on the
/// conflict rules over 100k spans, a boxed key and a `Vec` per group spent
/// a fifth of the run in the allocator and most of the memory.
#[derive(Debug)]
struct Index {
    cols: Box<[usize]>,
    groups: HashTable<Group>,
}

#[derive(Debug)]
struct Group {
    hash: u64,
    rows: Rows,
}

/// Row numbers of one group; most groups hold one row, which then costs
/// no allocation.
#[derive(Debug)]
enum Rows {
    One(u32),
    Many(Vec<u32>),
}

impl Rows {
    fn first(&self) -> u32 {
        match self {
            Rows::One(r) => *r,
            Rows::Many(v) => v[0],
        }
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Rows::One(r) => std::slice::from_ref(r),
            Rows::Many(v) => v,
        }
    }

    fn push(&mut self, id: u32) {
        match self {
            Rows::One(r) => *self = Rows::Many(vec![*r, id]),
            Rows::Many(v) => v.push(id),
        }
    }
}

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
        }
    }

    /// Adds row `id` (whose cells are `row`) to its group.
    fn add(&mut self, cells: &[u64], arity: usize, row: &[u64], id: u32) {
        let cols = &self.cols;
        let hash = hash_key(cols.iter().map(|&c| row[c]));
        let same = |g: &Group| {
            let first = &cells[g.rows.first() as usize * arity..][..arity];
            g.hash == hash && cols.iter().all(|&c| first[c] == row[c])
        };
        match self.groups.find_mut(hash, same) {
            Some(g) => g.rows.push(id),
            None => {
                self.groups.insert_unique(
                    hash,
                    Group {
                        hash,
                        rows: Rows::One(id),
                    },
                    |g| g.hash,
                );
            }
        }
    }

    fn get(&self, cells: &[u64], arity: usize, key: &[u64]) -> &[u32] {
        let hash = hash_key(key.iter().copied());
        let cols = &self.cols;
        self.groups
            .find(hash, |g| {
                let first = &cells[g.rows.first() as usize * arity..][..arity];
                g.hash == hash && cols.iter().zip(key).all(|(&c, &k)| first[c] == k)
            })
            .map(|g| g.rows.as_slice())
            .unwrap_or(&[])
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
            index.groups.clear();
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
