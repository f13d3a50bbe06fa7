//! Reading traces and input facts for a command, and reporting problems.

use std::path::Path;

use crate::diag::{Problem, Severity};
use crate::facts::{tsv, FactDb};
use crate::lower::sql::KeyColumns;

use super::InputArgs;

/// Rows of `<dir>/<name>.facts`, or `None` when the file does not exist.
pub fn read_input_facts(
    dir: &Path,
    name: &str,
    arity: usize,
) -> Result<Option<Vec<Vec<String>>>, Problem> {
    let path = dir.join(format!("{name}.facts"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Problem::error(&path, None, format!("cannot read: {e}"))),
    };
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let fields = tsv::split_line(line);
        if fields.len() != arity {
            return Err(Problem::error(
                &path,
                Some(format!("line {}", n + 1)),
                format!(
                    "expected {arity} tab-separated columns, found {}",
                    fields.len()
                ),
            ));
        }
        rows.push(fields);
    }
    Ok(Some(rows))
}

/// Prints problems to stderr; returns whether any of them makes the run fail.
pub fn report(problems: &[Problem], strict: bool) -> bool {
    let mut failed = false;
    for p in problems {
        let fatal = p.severity == Severity::Error || strict;
        failed |= fatal;
        if fatal && p.severity == Severity::Warning {
            eprintln!(
                "error (--strict): {}",
                p.to_string().trim_start_matches("warning: ")
            );
        } else {
            eprintln!("{p}");
        }
    }
    failed
}

/// Ingests and lowers the inputs of a command: the base facts and whether
/// any problem makes the run fail.
pub fn load(args: &InputArgs) -> (FactDb, bool) {
    let mut keys = KeyColumns::default();
    let mut problems = Vec::new();
    if let Some(dir) = &args.facts_dir {
        match read_input_facts(dir, "key_column", 2) {
            Ok(Some(rows)) => rows.iter().for_each(|r| keys.add(&r[0], &r[1])),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    let started = std::time::Instant::now();
    let cpu_before = super::cpu_usage::Usage::now();
    let (db, more) = crate::lower::load(&args.inputs, keys);
    problems.extend(more);
    if args.stats {
        let secs = started.elapsed().as_secs_f64();
        let spans = db.table(crate::facts::Base::Span).len();
        let rows: usize = db.tables.iter().map(|t| t.len()).sum();
        eprintln!(
            "stats: ingest+lower: {spans} spans, {rows} facts, {} symbols in {secs:.3} s ({:.0} spans/s, {} threads)",
            db.symbols.len(),
            spans as f64 / secs.max(1e-9),
            rayon::current_num_threads()
        );
        if let (Some(before), Some(after)) = (cpu_before, super::cpu_usage::Usage::now()) {
            // Wall time on a shared host moves with its neighbours; where
            // the time went (page faults are system time) says more.
            let used = after.since(&before);
            eprintln!(
                "stats: ingest+lower cpu: user {:.3} s, system {:.3} s, {} minor page faults",
                used.user_s, used.system_s, used.minor_faults
            );
        }
    }
    let failed = report(&problems, args.strict);
    (db, failed)
}
