//! `.invariant` rules over a database state: the state is lowered to
//! `row(Db, Table, Key, Column, Value)` facts (the rules declare
//! `.decl row(...)` and `.input row`), evaluated, and every tuple of an
//! invariant relation is a violation.

use std::io::Write;

use crate::engine::{self, Limits};
use crate::facts::{tsv, FactDb};
use crate::lang::Program;

use super::state::DbState;
use std::collections::BTreeMap;

/// Violations as `message: relation(values…)` lines, sorted.
pub fn violations(
    program: &Program,
    state: &BTreeMap<String, DbState>,
) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(dir.path().join("row.facts"))
            .map_err(|e| format!("row.facts: {e}"))?,
    );
    for (db, s) in state {
        for ((table, key), columns) in &s.rows {
            for (column, value) in columns {
                for (i, field) in [db, table, key, column, value].into_iter().enumerate() {
                    if i > 0 {
                        out.write_all(b"\t").map_err(|e| e.to_string())?;
                    }
                    tsv::write_escaped(&mut out, field).map_err(|e| e.to_string())?;
                }
                out.write_all(b"\n").map_err(|e| e.to_string())?;
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    let dirs = [dir.path().to_path_buf()];
    let (result, _problems) =
        engine::eval_with_dirs(program, FactDb::default(), &dirs, &Limits::default());
    let db = result.map_err(|e| format!("evaluating the invariants: {e}"))?;
    let mut found = Vec::new();
    for inv in &program.invariants {
        let name = &program.relation(inv.relation).name;
        for row in db.rows_text(program, inv.relation) {
            found.push(format!("{}: {name}({})", inv.message, row.join(", ")));
        }
    }
    found.sort();
    Ok(found)
}
