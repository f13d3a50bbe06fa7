//! A template's analysis + one execution's slot values → that execution's
//! facts. This runs once per execution, so it only copies what the
//! `Execution` cannot borrow.
//!
//! Keys: a read or write of a table takes, as its keys, the values bound to
//! the table's key columns in its own scope (`where` for reads, updates and
//! deletes; `values` for inserts), one row per value, deduplicated; `*` when
//! no key column is bound.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

use super::analyze::{AccessKind, Analysis, Form, Operand};
use super::params::Value;
use super::{Clause, ColumnValue, Execution, Key, KeyColumns, Placeholder};

/// The text an operand stands for in this execution.
fn operand_text<'x>(op: &'x Operand, values: &[Option<&'x Value<'_>>]) -> Option<Cow<'x, str>> {
    match op {
        Operand::Slot { ordinal, negate } => {
            let v = values.get(*ordinal as usize).copied().flatten()?;
            Some(if *negate {
                Cow::Owned(format!("-{}", v.text))
            } else {
                Cow::Borrowed(v.text.as_ref())
            })
        }
        Operand::Const(c) => Some(Cow::Borrowed(c)),
    }
}

/// Pushes `(table, key)` unless already there; a set takes over from the
/// linear scan once the list grows (multi-row inserts).
struct Unique<'x> {
    rows: Vec<Key<'x>>,
    seen: Option<FxHashSet<Key<'x>>>,
}

impl<'x> Unique<'x> {
    fn new() -> Self {
        Unique {
            rows: Vec::new(),
            seen: None,
        }
    }

    fn push(&mut self, table: &'x str, key: Cow<'x, str>) {
        let row = (Cow::Borrowed(table), key);
        if let Some(seen) = &mut self.seen {
            if seen.insert(row.clone()) {
                self.rows.push(row);
            }
            return;
        }
        if self.rows.contains(&row) {
            return;
        }
        self.rows.push(row);
        if self.rows.len() > 16 {
            self.seen = Some(self.rows.iter().cloned().collect());
        }
    }
}

/// `values[k]` is the value of the k-th `?` of the parsed text.
pub fn execution<'x>(
    an: &'x Analysis,
    values: &[Option<&'x Value<'_>>],
    keys: &KeyColumns,
) -> Execution<'x> {
    let mut columns = Vec::with_capacity(an.bindings.len());
    for b in &an.bindings {
        if let Some(text) = operand_text(&b.operand, values) {
            columns.push(ColumnValue {
                table: Cow::Borrowed(&b.table),
                column: Cow::Borrowed(&b.column),
                value: text,
                clause: b.clause,
            });
        }
    }
    let (mut reads, mut writes) = (Unique::new(), Unique::new());
    for acc in &an.accesses {
        let out = match acc.kind {
            AccessKind::Read => &mut reads,
            AccessKind::Write => &mut writes,
        };
        let mut pinned = false;
        for &k in &acc.candidates {
            let b = &an.bindings[k as usize];
            if !keys.is_key(&b.table, &b.column) {
                continue;
            }
            if let Some(text) = operand_text(&b.operand, values) {
                out.push(&acc.table, text);
                pinned = true;
            }
        }
        if !pinned {
            out.push(&acc.table, Cow::Borrowed("*"));
        }
    }
    // Indexed by slot position; a slot's first binding names its column.
    let mut slots: Vec<Option<Placeholder>> = values
        .iter()
        .enumerate()
        .map(|(pos, v)| {
            Some(Placeholder {
                pos: pos as u32,
                table: Cow::Borrowed(""),
                column: Cow::Borrowed(""),
                context: "other",
                value: Cow::Borrowed(v.as_ref()?.text.as_ref()),
            })
        })
        .collect();
    for b in &an.bindings {
        let Operand::Slot { ordinal, .. } = b.operand else {
            continue;
        };
        let Some(Some(p)) = slots.get_mut(ordinal as usize) else {
            continue;
        };
        if p.context != "other" {
            continue;
        }
        p.table = Cow::Borrowed(&b.table);
        p.column = Cow::Borrowed(&b.column);
        p.context = match (b.clause, b.form) {
            (Clause::Set, _) => "set",
            (Clause::Values, _) => "values",
            (Clause::Where, _) if b.scope != 0 => "nested",
            (Clause::Where, Form::Plain) => "where",
            (Clause::Where, Form::InList) => "in",
            (Clause::Where, Form::Tuple) => "tuple",
        };
    }
    let placeholders = slots.into_iter().flatten().collect();
    Execution {
        bound: String::new(),
        placeholders,
        tables: Cow::Borrowed(&an.tables),
        columns,
        reads: reads.rows,
        writes: writes.rows,
        warnings: Vec::new(),
    }
}
