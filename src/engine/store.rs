//! A relation's tuples during evaluation: flat rows plus hash indexes on
//! the column sets that some join plan looks up. Indexes are maintained as
//! rows are appended, so a recursive relation's indexes stay valid from one
//! semi-naive round to the next without being rebuilt.

use rustc_hash::FxHashMap;

/// Rows of one relation, row-major, and the indexes plans asked for.
#[derive(Debug, Default)]
pub struct Store {
    pub arity: usize,
    cells: Vec<u64>,
    /// Row count (needed apart from `cells` for nullary relations).
    len: usize,
    indexes: Vec<Index>,
}

/// Rows grouped by the values of `cols`; values are row numbers.
#[derive(Debug)]
struct Index {
    cols: Box<[usize]>,
    map: FxHashMap<Box<[u64]>, Vec<u32>>,
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
            index.map.clear();
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
            let key: Box<[u64]> = index.cols.iter().map(|&c| row[c]).collect();
            index.map.entry(key).or_default().push(id);
        }
    }

    /// Makes sure an index on `cols` exists (built from the current rows).
    pub fn ensure_index(&mut self, cols: &[usize]) {
        if cols.is_empty() || self.indexes.iter().any(|i| &*i.cols == cols) {
            return;
        }
        let mut map: FxHashMap<Box<[u64]>, Vec<u32>> = FxHashMap::default();
        for id in 0..self.len {
            let row = self.row(id);
            let key: Box<[u64]> = cols.iter().map(|&c| row[c]).collect();
            map.entry(key).or_default().push(id as u32);
        }
        self.indexes.push(Index {
            cols: cols.into(),
            map,
        });
    }

    /// Row numbers whose `cols` equal `key`; the index must exist.
    pub fn lookup(&self, cols: &[usize], key: &[u64]) -> &[u32] {
        let index = self
            .indexes
            .iter()
            .find(|i| &*i.cols == cols)
            .expect("plans create their indexes before running");
        index.map.get(key).map(|v| v.as_slice()).unwrap_or(&[])
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
