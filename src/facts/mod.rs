//! Base facts: the relational form of traces, the hand-off from lowering to
//! the engine and to `rulecheck facts`.
//!
//! A fact database is a symbol table plus one flat table per relation. Every
//! cell is a `u64`: an interned symbol id or an `i64`'s bits, as the column's
//! type in [`schema`] says. Flat rows keep a million spans' facts in a few
//! hundred megabytes and let the engine take them without conversion.

pub mod image;
pub mod schema;
mod symbol_index;
pub mod symbols;
pub mod tsv;

pub use schema::{Base, Column, RelSchema, Type, BASE};
pub use symbols::{Sym, Symbols};

/// A relation's rows, row-major, `arity` cells each.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub arity: usize,
    pub cells: Vec<u64>,
}

impl Table {
    pub fn new(arity: usize) -> Self {
        Table {
            arity,
            cells: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.cells.len().checked_div(self.arity).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn push(&mut self, row: &[u64]) {
        debug_assert_eq!(row.len(), self.arity);
        self.cells.extend_from_slice(row);
    }

    pub fn rows(&self) -> impl Iterator<Item = &[u64]> {
        self.cells.chunks_exact(self.arity.max(1))
    }

    /// Keeps only the rows `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u64]) -> bool) {
        let arity = self.arity;
        let mut out = Vec::with_capacity(self.cells.len());
        for row in self.cells.chunks_exact(arity) {
            if keep(row) {
                out.extend_from_slice(row);
            }
        }
        self.cells = out;
    }

    /// Whether the rows from `row` on each come strictly after the row
    /// before (the one before `row` included): sorted, with no repeats.
    pub fn is_sorted_from(&self, row: usize) -> bool {
        let arity = self.arity.max(1);
        self.cells[row.saturating_sub(1) * arity..]
            .chunks_exact(arity)
            .is_sorted_by(|a, b| a < b)
    }

    /// Sorts rows and removes duplicates (set semantics, as Datalog has).
    /// Rows are sorted as fixed-size arrays for the arities the schema
    /// uses: compared without slice bounds, moved without indirection.
    pub fn sort_dedup(&mut self) {
        // Tables from a facts image come sorted (ingest sorts them before
        // writing): one pass then spares the copies a sort makes.
        if self.arity > 0 && self.is_sorted_from(0) {
            return;
        }
        match self.arity {
            0 => {}
            1 => dedup_fixed::<1>(&mut self.cells),
            2 => dedup_fixed::<2>(&mut self.cells),
            3 => dedup_fixed::<3>(&mut self.cells),
            4 => dedup_fixed::<4>(&mut self.cells),
            5 => dedup_fixed::<5>(&mut self.cells),
            6 => dedup_fixed::<6>(&mut self.cells),
            7 => dedup_fixed::<7>(&mut self.cells),
            8 => dedup_fixed::<8>(&mut self.cells),
            arity => {
                let mut rows: Vec<&[u64]> = self.cells.chunks_exact(arity).collect();
                rows.sort_unstable();
                rows.dedup();
                self.cells = rows.concat();
            }
        }
    }
}

/// Tables at least this long are sorted in parallel.
const PAR_SORT_ROWS: usize = 1 << 16;

fn dedup_fixed<const N: usize>(cells: &mut Vec<u64>) {
    let rows: &mut [[u64; N]] = bytemuck::cast_slice_mut(cells.as_mut_slice());
    if rows.is_sorted_by_key(|row| row[0]) {
        // Lowering pushes a span's rows together and spans in id order
        // (tags, SQL facts): only the rows within each span are out of
        // order, and sorting those few is a pass over the table.
        for span in rows.chunk_by_mut(|a, b| a[0] == b[0]) {
            span.sort_unstable();
        }
    } else if rows.len() >= PAR_SORT_ROWS {
        // Large tables sort on every core; the order is total, so the
        // result is the same either way.
        use rayon::slice::ParallelSliceMut;
        rows.par_sort_unstable();
    } else {
        rows.sort_unstable();
    }
    let mut kept = 0;
    for i in 0..rows.len() {
        if kept == 0 || rows[i] != rows[kept - 1] {
            rows[kept] = rows[i];
            kept += 1;
        }
    }
    cells.truncate(kept * N);
}

/// All base facts of an input, one table per [`Base`] relation.
#[derive(Debug)]
pub struct FactDb {
    pub symbols: Symbols,
    pub tables: Vec<Table>,
}

impl Default for FactDb {
    fn default() -> Self {
        FactDb {
            symbols: Symbols::default(),
            tables: BASE.iter().map(|r| Table::new(r.columns.len())).collect(),
        }
    }
}

impl FactDb {
    /// Forgets every fact and symbol, keeping the memory for reuse.
    pub fn clear(&mut self) {
        self.symbols.clear();
        for table in &mut self.tables {
            table.cells.clear();
        }
    }

    pub fn table(&self, rel: Base) -> &Table {
        &self.tables[rel as usize]
    }

    pub fn table_mut(&mut self, rel: Base) -> &mut Table {
        &mut self.tables[rel as usize]
    }

    pub fn sym(&mut self, s: &str) -> u64 {
        self.symbols.intern(s) as u64
    }

    /// Appends a row given as symbols and numbers in column order.
    pub fn push(&mut self, rel: Base, row: &[u64]) {
        self.tables[rel as usize].push(row);
    }

    /// Renders a cell as text according to its column type.
    pub fn render(&self, ty: Type, cell: u64) -> String {
        match ty {
            Type::Symbol => self.symbols.resolve(cell as Sym).to_string(),
            Type::Number => (cell as i64).to_string(),
            Type::Unsigned => cell.to_string(),
            Type::Float => f64::from_bits(cell).to_string(),
        }
    }

    /// Rows of `rel` rendered as text, for tests and small outputs.
    pub fn rows_text(&self, rel: Base) -> Vec<Vec<String>> {
        let schema = &BASE[rel as usize];
        self.table(rel)
            .rows()
            .map(|row| {
                row.iter()
                    .zip(schema.columns)
                    .map(|(&c, col)| self.render(col.ty, c))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    fn sorted(arity: usize, cells: &[u64]) -> Vec<u64> {
        let mut t = Table::new(arity);
        t.cells = cells.to_vec();
        t.sort_dedup();
        t.cells
    }

    #[test]
    fn sort_dedup_orders_rows_and_drops_repeats() {
        assert_eq!(sorted(1, &[3, 1, 3, 2, 1]), [1, 2, 3]);
        assert_eq!(sorted(2, &[2, 1, 1, 9, 2, 1, 1, 2]), [1, 2, 1, 9, 2, 1]);
        assert_eq!(sorted(3, &[]), Vec::<u64>::new());
        // An arity with no fixed-size path takes the general one.
        let row_a = [5u64; 9];
        let mut row_b = [5u64; 9];
        row_b[8] = 1;
        let cells: Vec<u64> = [row_a, row_b, row_a].concat();
        assert_eq!(sorted(9, &cells), [row_b, row_a].concat());
    }

    #[test]
    fn rows_grouped_by_first_column_sort_as_any_rows() {
        // Grouped by span (the first column ascending) with each group's
        // rows shuffled and repeated, and the same rows in no order.
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for arity in 1..=4 {
            let mut grouped = Vec::new();
            for span in 0..300u64 {
                for _ in 0..next(5) {
                    grouped.push(span);
                    grouped.extend((1..arity).map(|_| next(4)));
                }
            }
            let mut rows: Vec<Vec<u64>> = grouped.chunks(arity).map(<[u64]>::to_vec).collect();
            rows.sort();
            rows.dedup();
            let expected = rows.concat();
            assert_eq!(sorted(arity, &grouped), expected, "arity {arity}");
            let mut shuffled: Vec<&[u64]> = grouped.chunks(arity).collect();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, next(i as u64 + 1) as usize);
            }
            assert_eq!(sorted(arity, &shuffled.concat()), expected, "arity {arity}");
        }
    }
}
