//! The evaluator: a checked [`Program`] over base facts and `.input` rows
//! gives every relation's tuples. Stratified: each stratum reads only
//! complete relations of earlier strata (negation and aggregates included)
//! besides its own; recursive strata iterate semi-naively on datafrog.
//!
//! Why the joins are not datafrog's `from_join`: there, a rule of n atoms is
//! a chain of n−1 binary joins, each materialising its intermediate result
//! in a new variable (re-keyed by `from_map`) that lives for the whole
//! fixpoint, and with columns of any arity every intermediate tuple is a
//! heap-allocated key/value pair. A plan here walks its atoms depth first
//! through hash indexes on the bound columns, one register per variable,
//! storing nothing in between; datafrog keeps the semi-naive bookkeeping
//! (each round's new tuples, deduplicated against all earlier ones).
//!
//! Architecture invariant: the engine knows nothing of traces, nor of the
//! terminal; it gets a [`FactDb`] and a program and returns a [`Database`].
//!
//! Code map: `plan` orders a rule's literals and picks its indexes, `exec`
//! runs a plan tuple by tuple, `expr` evaluates functors and arithmetic,
//! `aggregate` accumulates aggregates, `store` holds relations and their
//! indexes, `eval` drives strata to their fixpoint, `input` reads `.facts`
//! folders, `value` gives cells their meaning.

pub(crate) mod aggregate;
pub mod base_input;
mod eval;
mod exec;
pub(crate) mod expr;
pub mod input;
mod plan;
pub mod provenance;
mod row;
mod store;
pub mod value;

use std::cmp::Ordering;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use eval::eval;
pub use input::{read_inputs, InputFacts, InputFile};
pub use provenance::{Derivation, Provenance};

use crate::facts::{FactDb, Symbols};
use crate::lang::program::{Program, RelId, Value};
use rayon::slice::ParallelSliceMut;
use store::Store;

/// Stops a runaway program; says what to record on the way.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Most derived tuples (over all relations) before evaluation stops.
    pub max_tuples: Option<u64>,
    /// Longest evaluation before it stops.
    pub timeout: Option<Duration>,
    /// Record each derived tuple's first derivation ([`Database::provenance`]),
    /// for `explain`; off, evaluation costs what it did without it.
    pub provenance: bool,
}

/// Why a plan run was cut short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    MaxTuples,
    Timeout,
}

#[derive(Debug)]
pub enum EngineError {
    /// A `.facts` row that does not fit its relation.
    Input {
        file: PathBuf,
        line: usize,
        message: String,
    },
    TooManyTuples {
        limit: u64,
        relation: String,
    },
    Timeout {
        limit: Duration,
        relation: String,
    },
    /// A program the checker should not have let through.
    Internal(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Input {
                file,
                line,
                message,
            } => write!(f, "{}: line {line}: {message}", file.display()),
            EngineError::TooManyTuples { limit, relation } => write!(
                f,
                "evaluation stopped: more than {limit} derived tuples (--max-tuples {limit}) \
                 while computing `{relation}`; a rule may join without a shared variable \
                 or recurse without bound"
            ),
            EngineError::Timeout { limit, relation } => write!(
                f,
                "evaluation stopped after {}s (--timeout) while computing `{relation}`",
                limit.as_secs_f64()
            ),
            EngineError::Internal(m) => write!(f, "internal error in the rule engine: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Counters of one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Distinct tuples derived (inputs and rule results, base facts not counted).
    pub derived: u64,
    /// Semi-naive rounds over all recursive strata.
    pub iterations: u64,
    pub elapsed: Duration,
    /// Per stratum (index into `Program::strata`): time and tuples derived.
    pub strata: Vec<(usize, Duration, u64)>,
}

/// Every relation's tuples after evaluation, indexed by [`RelId`].
#[derive(Debug)]
pub struct Database {
    relations: Vec<Store>,
    pub symbols: Symbols,
    pub stats: Stats,
    /// Each derived tuple's first derivation, when [`Limits::provenance`] asked.
    pub provenance: Option<Provenance>,
}

impl Database {
    pub fn len(&self, rel: RelId) -> usize {
        self.relations[rel.0 as usize].len()
    }

    pub fn is_empty(&self, rel: RelId) -> bool {
        self.len(rel) == 0
    }

    /// Row `i` as stored; provenance names body tuples this way.
    pub fn row(&self, rel: RelId, i: usize) -> &[u64] {
        self.relations[rel.0 as usize].row(i)
    }

    /// Rows as stored (no particular order).
    pub fn rows(&self, rel: RelId) -> impl Iterator<Item = &[u64]> {
        self.relations[rel.0 as usize].rows()
    }

    /// Rows sorted column by column in the columns' own order (symbols by
    /// text), so that output is the same from run to run.
    pub fn sorted_rows(&self, program: &Program, rel: RelId) -> Vec<&[u64]> {
        let types: Vec<_> = program.relation(rel).types().collect();
        let symbols = &self.symbols;
        let from = |col: usize, a: &[u64], b: &[u64]| {
            for ((&x, &y), &ty) in a[col..].iter().zip(&b[col..]).zip(&types[col..]) {
                match value::sort_cells(ty, x, y, symbols) {
                    Ordering::Equal => continue,
                    other => return other,
                }
            }
            Ordering::Equal
        };
        // Each row carries the sort prefixes of its first two cells, so
        // most comparisons stay in the array being sorted instead of
        // reading symbols from all over the table. A prefix orders its
        // cell only where prefixes differ: equal ones fall back to the cell.
        let prefix = |row: &[u64], col: usize| match types.get(col) {
            Some(&ty) => value::sort_prefix(ty, row[col], symbols),
            None => 0,
        };
        let mut keyed: Vec<([u64; 2], &[u64])> = self
            .rows(rel)
            .map(|row| ([prefix(row, 0), prefix(row, 1)], row))
            .collect();
        let order = |(ka, a): &([u64; 2], &[u64]), (kb, b): &([u64; 2], &[u64])| {
            ka[0]
                .cmp(&kb[0])
                .then_with(|| match types.first() {
                    Some(&ty) => value::sort_cells(ty, a[0], b[0], symbols),
                    None => Ordering::Equal,
                })
                .then_with(|| ka[1].cmp(&kb[1]))
                .then_with(|| from(1.min(a.len()), a, b))
        };
        // Rows are distinct, so an unstable sort gives the one order; the
        // other cores help where there are any.
        if keyed.len() > 1 << 14 && rayon::current_num_threads() > 1 {
            keyed.par_sort_unstable_by(order);
        } else {
            keyed.sort_unstable_by(order);
        }
        keyed.into_iter().map(|(_, row)| row).collect()
    }

    /// Sorted rows as values.
    pub fn values(&self, program: &Program, rel: RelId) -> Vec<Vec<Value>> {
        let types: Vec<_> = program.relation(rel).types().collect();
        self.sorted_rows(program, rel)
            .into_iter()
            .map(|row| {
                row.iter()
                    .zip(&types)
                    .map(|(&c, &ty)| value::cell_value(ty, c, &self.symbols))
                    .collect()
            })
            .collect()
    }

    /// Sorted rows rendered as text (symbols as they are, numbers in decimal).
    pub fn rows_text(&self, program: &Program, rel: RelId) -> Vec<Vec<String>> {
        let types: Vec<_> = program.relation(rel).types().collect();
        self.sorted_rows(program, rel)
            .into_iter()
            .map(|row| {
                row.iter()
                    .zip(&types)
                    .map(|(&c, &ty)| value::render(ty, c, &self.symbols))
                    .collect()
            })
            .collect()
    }
}

/// Evaluates with the `.input` rows read from `facts_dirs`; the problems
/// found reading them (missing files are warnings) come back with the result.
pub fn eval_with_dirs(
    program: &Program,
    facts: FactDb,
    facts_dirs: &[PathBuf],
    limits: &Limits,
) -> (Result<Database, EngineError>, Vec<crate::diag::Problem>) {
    let (inputs, problems) = read_inputs(program, facts_dirs);
    (eval(program, facts, &inputs, limits), problems)
}
