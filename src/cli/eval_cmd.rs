//! `rulecheck eval`: read traces (or facts folders), load the rules (the
//! standard library when no `-r` is given), evaluate, print every `.output`
//! relation and every invariant violation (with `--explain`, its proof
//! tree from provenance recorded during evaluation). Exit 0 clean,
//! 1 violations, 2 input/rule/evaluation errors (2 wins over 1).
//!
//! An input folder that holds `.facts` files and no trace file is a facts
//! folder, as `rulecheck facts -o DIR` writes it (Soufflé layout): its
//! `<base>.facts` files are the base relations and its other `.facts` files
//! feed `.input` relations, like `--facts DIR`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::Problem;
use crate::engine::{self, base_input, input, Limits};
use crate::facts::{Base, FactDb};
use crate::lang::{self, Demand, Program};

use super::eval_output::{self, Format};
use super::{check_cmd, inputs, EvalArgs, InputArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

/// The standard library, compiled in so an installed binary works anywhere.
const STDLIB: [(&str, &str); 3] = [
    ("flows.rules", include_str!("../../rules/flows.rules")),
    ("inputs.rules", include_str!("../../rules/inputs.rules")),
    (
        "conflicts.rules",
        include_str!("../../rules/conflicts.rules"),
    ),
];

pub fn run(args: &EvalArgs) -> i32 {
    let limits = Limits {
        max_tuples: args.max_tuples,
        timeout: args.timeout.map(Duration::from_secs_f64),
        provenance: args.explain,
    };
    // Proofs show where a fact came from (span, SQL, HTTP), and their
    // leaves are whole base tuples: every base relation is read whole.
    let also: &[Base] = if args.explain { &Base::ALL } else { &[] };
    let (program, db, mut failed) = match evaluate(&args.rules, &args.input, &limits, also) {
        Ok(done) => done,
        Err(code) => return code,
    };
    if args.input.stats {
        // Evaluation alone: from the parsed `.input` rows to the last
        // stratum, before any output; benches/engine_bench.py sets it
        // beside the time each peer reports for its own evaluation.
        eprintln!(
            "stats: eval: {} derived tuples, {} rounds in {:.3} s",
            db.stats.derived,
            db.stats.iterations,
            db.stats.elapsed.as_secs_f64()
        );
        // The strata that took longest: where to look when a program is slow.
        let mut strata = db.stats.strata.clone();
        strata.sort_by_key(|s| std::cmp::Reverse(s.1));
        for (i, took, derived) in strata.iter().take(5) {
            let names: Vec<&str> = program.strata[*i]
                .relations
                .iter()
                .map(|&r| program.relation(r).name.as_str())
                .collect();
            eprintln!(
                "stats:   {:.3} s, {derived} tuples: {}",
                took.as_secs_f64(),
                names.join(", ")
            );
        }
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Tsv
    });
    let output_started = std::time::Instant::now();
    let mut report = eval_output::Report::new(&program, &db);
    let sorted = output_started.elapsed();
    if args.explain {
        report.add_proofs(&program, &db);
    }
    // Stdout is line-buffered: without this, every row is a write(2),
    // a fifth of the time when the conflict rules print 8.6M rows.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Err(e) = report.write(format, &mut out).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the results: {e}");
            return EXIT_ERROR;
        }
    }
    if args.input.stats {
        eprintln!(
            "stats: output: sorted in {:.3} s, written in {:.3} s",
            sorted.as_secs_f64(),
            (output_started.elapsed() - sorted).as_secs_f64()
        );
    }
    if let Some(dir) = &args.output_dir {
        if let Err(e) = report.write_dir(dir) {
            eprintln!("error: {}: cannot write the results: {e}", dir.display());
            failed = true;
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, report.junit()) {
            eprintln!(
                "error: {}: cannot write the JUnit report: {e}",
                path.display()
            );
            failed = true;
        }
    }
    let violations = report.violation_count();
    if violations > 0 {
        eprintln!(
            "{violations} invariant violation{} ({} derived tuples in {:.2}s)",
            if violations == 1 { "" } else { "s" },
            db.stats.derived,
            db.stats.elapsed.as_secs_f64()
        );
    }
    // The process ends here: freeing a million-span database piece by
    // piece would only add to the wall time.
    std::mem::forget(report);
    std::mem::forget(db);
    if failed {
        EXIT_ERROR
    } else if violations > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Loads rules and inputs and evaluates: the program, the database and
/// whether an input problem makes the run fail; or the exit code. Facts
/// folders give only what the program can observe of the base relations
/// (see [`Demand`]) and all of those in `also`: the database lacks the
/// others, and unobserved columns hold placeholders.
pub(super) fn evaluate(
    rules: &[PathBuf],
    input: &InputArgs,
    limits: &Limits,
    also: &[Base],
) -> Result<(Program, engine::Database, bool), i32> {
    let program = load_rules(rules)?;
    let demand = program.demand();
    let (facts, facts_dirs, mut failed) = load_facts(input, &|b| {
        if also.contains(&b) {
            Some(Demand::all(b.schema().columns.len()))
        } else {
            demand[b as usize].clone()
        }
    });
    let (result, problems) = engine::eval_with_dirs(&program, facts, &facts_dirs, limits);
    failed |= inputs::report(&problems, input.strict);
    match result {
        Ok(db) => Ok((program, db, failed)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_ERROR)
        }
    }
}

/// The program of `-r` files and folders, or the standard library; on
/// failure the diagnostics are printed and the exit code returned.
pub(super) fn load_rules(paths: &[PathBuf]) -> Result<Program, i32> {
    let result = if paths.is_empty() {
        lang::compile_sources(&STDLIB)
    } else {
        // Lints (single-use variables, …) are shown for the user's own
        // rules; they never change the exit code.
        let checked = lang::check_files(paths);
        eprint!("{}", check_cmd::render(&checked.warnings));
        checked.program
    };
    result.map_err(|errors| {
        eprint!("{}", check_cmd::render(&errors));
        eprintln!(
            "error: the rules have {} problem{}; nothing was evaluated",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        EXIT_ERROR
    })
}

/// Base facts from traces and facts folders (of facts folders, only what
/// `demand` asks for); the folders `.input` relations are read from;
/// whether any problem makes the run fail.
pub(super) fn load_facts(
    args: &InputArgs,
    demand: &dyn Fn(Base) -> Option<Demand>,
) -> (FactDb, Vec<PathBuf>, bool) {
    let (fact_inputs, traces): (Vec<PathBuf>, Vec<PathBuf>) =
        args.inputs.iter().cloned().partition(|p| {
            p.is_dir()
                && input::is_facts_dir(p)
                && crate::ingest::find_files(std::slice::from_ref(p))
                    .0
                    .is_empty()
        });
    let (mut db, mut failed) = if traces.is_empty() {
        (FactDb::default(), false)
    } else {
        inputs::load(&InputArgs {
            inputs: traces,
            ..args.clone()
        })
    };
    let mut problems: Vec<Problem> = Vec::new();
    let started = std::time::Instant::now();
    let mut from_image = 0;
    for dir in &fact_inputs {
        // An image holds its own symbol table: usable only as the first
        // source of facts.
        let fresh = db.symbols.is_empty() && db.tables.iter().all(|t| t.is_empty());
        if fresh {
            match base_input::read_image(dir, demand) {
                Ok(Some(image)) => {
                    db = image;
                    from_image += 1;
                    continue;
                }
                Ok(None) => {}
                Err(p) => problems.push(p),
            }
        }
        problems.extend(base_input::read_base_facts(dir, &mut db, demand));
    }
    if args.stats && !fact_inputs.is_empty() {
        let rows: usize = db.tables.iter().map(|t| t.len()).sum();
        eprintln!(
            "stats: facts folders: {rows} rows, {} symbols in {:.3} s ({from_image} of {} from {})",
            db.symbols.len(),
            started.elapsed().as_secs_f64(),
            fact_inputs.len(),
            crate::facts::image::FILE_NAME,
        );
    }
    failed |= inputs::report(&problems, args.strict);
    let mut dirs = fact_inputs;
    dirs.extend(args.facts_dir.clone());
    (db, dirs, failed)
}
