//! Base facts: the relational form of traces, the hand-off from lowering to
//! the engine and to `rulecheck facts`.
//!
//! A fact database is a symbol table plus one flat table per relation. Every
//! cell is a `u64`: an interned symbol id or an `i64`'s bits, as the column's
//! type in [`schema`] says. Flat rows keep a million spans' facts in a few
//! hundred megabytes and let the engine take them without conversion.

pub mod schema;
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

    /// Sorts rows and removes duplicates (set semantics, as Datalog has).
    pub fn sort_dedup(&mut self) {
        let arity = self.arity;
        if arity == 0 {
            return;
        }
        let mut rows: Vec<&[u64]> = self.cells.chunks_exact(arity).collect();
        rows.sort_unstable();
        rows.dedup();
        let cells = rows.concat();
        self.cells = cells;
    }
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
