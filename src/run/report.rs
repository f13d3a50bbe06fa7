//! The run's report: `report.json` for machines, a summary for people.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::executor::PairReport;
use super::verdict::Verdict;

#[derive(Debug, Serialize)]
pub struct Report {
    pub pairs: Vec<PairReport>,
    pub repeat: usize,
    pub seed: u64,
    pub seconds: f64,
    /// Set when the run was interrupted (Ctrl-C) before every pair ran.
    pub interrupted: bool,
}

impl Report {
    /// Exit code: 1 when a race, order dependence or broken invariant was
    /// confirmed, 2 when a pair could not be run (2 wins).
    pub fn exit_code(&self) -> i32 {
        if self.interrupted || self.pairs.iter().any(|p| p.verdict == Verdict::Error) {
            2
        } else if self.pairs.iter().any(|p| p.verdict != Verdict::Consistent) {
            1
        } else {
            0
        }
    }

    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        std::fs::write(dir.join("report.json"), json)?;
        let mut text = Vec::new();
        self.summary(&mut text)?;
        std::fs::write(dir.join("summary.txt"), text)
    }

    /// One line per pair: the two requests and the verdict, then the first
    /// diff that shows it.
    pub fn summary(&self, out: &mut impl Write) -> io::Result<()> {
        for p in &self.pairs {
            writeln!(
                out,
                "{:<5} {:<17} {}  ×  {}",
                p.id,
                p.verdict.as_str(),
                p.a,
                p.b
            )?;
            if let Some(e) = &p.error {
                writeln!(out, "      {e}")?;
            }
            if let Some(d) = p.diffs.first() {
                for (db, rows) in &d.rows {
                    for r in rows {
                        for (col, (l, rv)) in &r.columns {
                            writeln!(
                                out,
                                "      {db} {}[{}].{col}: {} = {}, {} = {}",
                                r.table,
                                r.key,
                                d.left,
                                l.as_deref().unwrap_or("(no row)"),
                                d.right,
                                rv.as_deref().unwrap_or("(no row)")
                            )?;
                        }
                    }
                }
                for (side, (l, r)) in &d.responses {
                    writeln!(
                        out,
                        "      response {side}: {} = {} {}, {} = {} {}",
                        d.left, l.status, l.body, d.right, r.status, r.body
                    )?;
                }
            }
        }
        let count = |v: Verdict| self.pairs.iter().filter(|p| p.verdict == v).count();
        writeln!(
            out,
            "{} pairs: {} non-serializable, {} order-dependent, {} invariant-broken, {} consistent, {} error{}",
            self.pairs.len(),
            count(Verdict::NonSerializable),
            count(Verdict::OrderDependent),
            count(Verdict::InvariantBroken),
            count(Verdict::Consistent),
            count(Verdict::Error),
            if self.interrupted { " (interrupted)" } else { "" }
        )
    }
}
