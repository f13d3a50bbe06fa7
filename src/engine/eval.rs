//! Stratum-by-stratum evaluation. A non-recursive stratum runs each of its
//! rules once over complete relations. A recursive stratum iterates
//! semi-naively: its relations are datafrog `Variable`s, whose `recent`
//! tuples are the delta of a round; each rule runs once per body atom on
//! the stratum, with that atom reading only the delta (the variant's
//! driver) and every other atom reading the whole relation through its
//! index, and datafrog keeps only the truly new results for the next round.

use std::time::Instant;

use datafrog::Iteration;
use rustc_hash::FxHashMap;

use crate::facts::{FactDb, Symbols};
use crate::lang::program::{Literal, Program, RelId, Stratum};

use super::exec::{Exec, Sink};
use super::expr::{Env, Regexes};
use super::input::InputFacts;
use super::plan::{Plan, Planner};
use super::provenance::Recorder;
use super::row::{Delta, RowVar};
use super::store::Store;
use super::value::parse_cell;
use super::{Database, EngineError, Limits, Stats, Stop};

type Memos = Vec<FxHashMap<Box<[u64]>, Option<u64>>>;

struct State<'p> {
    program: &'p Program,
    stores: Vec<Store>,
    symbols: Symbols,
    regexes: Regexes,
    memos: Memos,
    limits: Limits,
    deadline: Option<Instant>,
    stats: Stats,
    /// Set when provenance is recorded.
    prov: Option<Recorder>,
}

/// Evaluates `program` over the base facts `facts` and the `.input` rows
/// `inputs`. The engine owns the facts' symbol table from here on, since
/// functors intern new strings.
pub fn eval(
    program: &Program,
    facts: FactDb,
    inputs: &InputFacts,
    limits: &Limits,
) -> Result<Database, EngineError> {
    let started = Instant::now();
    let FactDb {
        mut symbols,
        mut tables,
    } = facts;
    let mut stores = Vec::with_capacity(program.relations.len());
    for rel in &program.relations {
        let store = match rel.base {
            Some(b) => {
                let mut table = std::mem::take(&mut tables[b as usize]);
                if table.arity != rel.arity() {
                    return Err(EngineError::Internal(format!(
                        "base relation `{}` has {} columns in the facts but {} in the program",
                        rel.name,
                        table.arity,
                        rel.arity()
                    )));
                }
                table.sort_dedup();
                let len = table.len();
                Store::from_cells(rel.arity(), table.cells, len)
            }
            None => Store::new(rel.arity()),
        };
        stores.push(store);
    }
    load_inputs(program, inputs, &mut stores, &mut symbols)?;
    let mut state = State {
        program,
        stores,
        symbols,
        regexes: Regexes::default(),
        memos: Vec::new(),
        limits: limits.clone(),
        deadline: limits.timeout.map(|t| started + t),
        stats: Stats::default(),
        prov: limits.provenance.then(|| Recorder::new(program)),
    };
    for (i, stratum) in program.strata.iter().enumerate() {
        let (t0, d0) = (Instant::now(), state.stats.derived);
        state.stratum(stratum)?;
        state
            .stats
            .strata
            .push((i, t0.elapsed(), state.stats.derived - d0));
    }
    state.stats.elapsed = started.elapsed();
    Ok(Database {
        relations: state
            .stores
            .into_iter()
            .map(|mut s| {
                s.drop_indexes();
                s
            })
            .collect(),
        symbols: state.symbols,
        stats: state.stats,
        provenance: state.prov.map(Recorder::finish),
    })
}

/// Puts the rows of `.input` files into their relations (typed, distinct).
fn load_inputs(
    program: &Program,
    inputs: &InputFacts,
    stores: &mut [Store],
    symbols: &mut Symbols,
) -> Result<(), EngineError> {
    let mut cells: FxHashMap<RelId, (Vec<u64>, usize)> = FxHashMap::default();
    for file in &inputs.files {
        let rel = program.relation(file.relation);
        let (out, rows) = cells.entry(file.relation).or_default();
        for (line, fields) in &file.rows {
            if fields.len() != rel.arity() {
                return Err(EngineError::Input {
                    file: file.path.clone(),
                    line: *line,
                    message: format!(
                        "`{}` has {} columns, the line has {}",
                        rel.name,
                        rel.arity(),
                        fields.len()
                    ),
                });
            }
            for (field, col) in fields.iter().zip(&rel.columns) {
                let cell = parse_cell(col.ty, field, symbols).map_err(|m| EngineError::Input {
                    file: file.path.clone(),
                    line: *line,
                    message: format!("column `{}`: {m}", col.name),
                })?;
                out.push(cell);
            }
            *rows += 1;
        }
    }
    for (rel, (cells, rows)) in cells {
        let store = &mut stores[rel.0 as usize];
        let (cells, len) = dedup_rows(cells, store.arity, rows);
        for i in 0..len {
            store.push(&cells[i * store.arity..(i + 1) * store.arity]);
        }
    }
    Ok(())
}

/// Sorts row-major `cells` of `arity` and removes duplicate rows; `rows`
/// is only used for nullary relations, whose rows have no cells.
pub fn dedup_rows(cells: Vec<u64>, arity: usize, rows: usize) -> (Vec<u64>, usize) {
    if arity == 0 {
        return (Vec::new(), rows.min(1));
    }
    let mut v: Vec<&[u64]> = cells.chunks_exact(arity).collect();
    v.sort_unstable();
    v.dedup();
    let len = v.len();
    (v.concat(), len)
}

impl State<'_> {
    fn stratum(&mut self, stratum: &Stratum) -> Result<(), EngineError> {
        let mut planner = Planner {
            program: self.program,
            // The stratum's own relations are still empty here but will
            // grow: count them as large so that joins start elsewhere.
            sizes: (0..self.stores.len())
                .map(|r| {
                    if stratum.contains(RelId(r as u32)) {
                        usize::MAX / 2
                    } else {
                        self.stores[r].len()
                    }
                })
                .collect(),
            symbols: &mut self.symbols,
            memos: self.memos.len(),
            stores: Some(&self.stores),
            selected: FxHashMap::default(),
        };
        // Rules reading no relation of the stratum run once; the others,
        // in a recursive stratum, once per round per stratum atom.
        let mut once = Vec::new();
        let mut rounds = Vec::new();
        for &rule_id in &stratum.rules {
            let rule = self.program.rule(rule_id);
            let drivers: Vec<usize> = (0..rule.body.len())
                .filter(|&i| {
                    matches!(&rule.body[i], Literal::Positive(a) if stratum.contains(a.relation))
                })
                .collect();
            let internal = |m: String| {
                EngineError::Internal(format!("{}: {m}", self.program.sources.describe(rule.loc)))
            };
            if stratum.recursive && !drivers.is_empty() {
                for d in drivers {
                    rounds.push(planner.plan(rule_id, Some(d)).map_err(internal)?);
                }
            } else {
                once.push(planner.plan(rule_id, None).map_err(internal)?);
            }
        }
        self.memos.resize_with(planner.memos, FxHashMap::default);
        for plan in once.iter().chain(&rounds) {
            for (rel, cols) in plan.indexes() {
                self.stores[rel.0 as usize].ensure_index(&cols);
            }
        }
        // What the stratum's relations hold already (`.input` rows) seeds them.
        let mut seeds: FxHashMap<RelId, (Vec<u64>, usize)> = stratum
            .relations
            .iter()
            .map(|&r| (r, self.stores[r.0 as usize].take_rows()))
            .collect();
        for plan in &once {
            let (cells, rows) = seeds.get_mut(&plan.head).expect("head in its stratum");
            self.run_plan(plan, Delta::EMPTY, cells, rows)?;
            self.check_time(stratum)?;
        }
        if !stratum.recursive {
            for &rel in &stratum.relations {
                let (cells, rows) = seeds.remove(&rel).unwrap_or_default();
                let store = &mut self.stores[rel.0 as usize];
                let arity = store.arity;
                if let Some(rec) = &mut self.prov {
                    rec.stage(rel, cells.clone(), rows);
                }
                let (cells, len) = dedup_rows(cells, arity, rows);
                for i in 0..len {
                    store.push(&cells[i * arity..(i + 1) * arity]);
                }
                if let Some(rec) = &mut self.prov {
                    rec.commit(rel, len, |i| &cells[i * arity..(i + 1) * arity]);
                }
                self.count(len, rel)?;
            }
            return Ok(());
        }
        self.fixpoint(stratum, seeds, &rounds)
    }

    /// Semi-naive iteration of a recursive stratum until no relation grows.
    fn fixpoint(
        &mut self,
        stratum: &Stratum,
        mut seeds: FxHashMap<RelId, (Vec<u64>, usize)>,
        rounds: &[Plan],
    ) -> Result<(), EngineError> {
        let mut iteration = Iteration::new();
        let vars: FxHashMap<RelId, RowVar> = stratum
            .relations
            .iter()
            .map(|&r| {
                let rel = self.program.relation(r);
                (r, RowVar::new(&mut iteration, &rel.name, rel.arity()))
            })
            .collect();
        for (rel, var) in &vars {
            let (cells, rows) = seeds.remove(rel).unwrap_or_default();
            let arity = self.stores[rel.0 as usize].arity;
            var.insert(&cells, arity, rows);
            if let Some(rec) = &mut self.prov {
                rec.stage(*rel, cells, rows);
            }
        }
        while iteration.changed() {
            self.stats.iterations += 1;
            // The round's delta joins the full relations (and their indexes).
            for &rel in &stratum.relations {
                let store = &mut self.stores[rel.0 as usize];
                let prov = &mut self.prov;
                let n = vars[&rel].with_recent(|recent| {
                    for i in 0..recent.len() {
                        store.push(recent.row(i, store.arity));
                    }
                    if let Some(rec) = prov {
                        rec.commit(rel, recent.len(), |i| recent.row(i, store.arity));
                    }
                    recent.len()
                });
                self.count(n, rel)?;
            }
            self.check_time(stratum)?;
            let mut out: FxHashMap<RelId, (Vec<u64>, usize)> = FxHashMap::default();
            for plan in rounds {
                let delta_rel = plan.delta.expect("round plans have a driver");
                let (cells, rows) = out.entry(plan.head).or_default();
                vars[&delta_rel].with_recent(|recent| self.run_plan(plan, recent, cells, rows))?;
            }
            for (rel, (cells, rows)) in out {
                let arity = self.stores[rel.0 as usize].arity;
                vars[&rel].insert(&cells, arity, rows);
                if let Some(rec) = &mut self.prov {
                    rec.stage(rel, cells, rows);
                }
            }
        }
        Ok(())
    }

    fn run_plan(
        &mut self,
        plan: &Plan,
        delta: Delta,
        out: &mut Vec<u64>,
        rows: &mut usize,
    ) -> Result<(), EngineError> {
        let head_len = self.stores[plan.head.0 as usize].len();
        // A runaway guard for one pass: results may repeat known tuples, so
        // allow generously more than the budget; the exact count is taken
        // after duplicates are removed.
        let row_cap = match self.limits.max_tuples {
            Some(max) => (max as usize)
                .saturating_mul(4)
                .saturating_add(head_len)
                .saturating_add(*rows),
            None => usize::MAX,
        };
        let mut regs = vec![0u64; plan.regs];
        let mut exec = Exec::new(
            &self.stores,
            delta,
            Env {
                symbols: &mut self.symbols,
                regexes: &mut self.regexes,
            },
            &mut self.memos,
            self.deadline,
            row_cap,
        );
        let result = match &mut self.prov {
            None => exec.run::<false>(
                &plan.steps,
                &mut regs,
                &mut Sink::Rows {
                    args: &plan.head_args,
                    out,
                    rows,
                },
            ),
            Some(rec) => {
                let (recs, stride) = rec.sink(plan.head);
                exec.trail = vec![0; stride - 1];
                exec.run::<true>(
                    &plan.steps,
                    &mut regs,
                    &mut Sink::Traced {
                        args: &plan.head_args,
                        out,
                        rows,
                        recs,
                        rule: plan.rule.0,
                    },
                )
            }
        };
        result.map_err(|stop| self.stopped(stop, plan.head))
    }

    fn stopped(&self, stop: Stop, rel: RelId) -> EngineError {
        let relation = self.program.relation(rel).name.clone();
        match stop {
            Stop::MaxTuples => EngineError::TooManyTuples {
                limit: self.limits.max_tuples.unwrap_or(0),
                relation,
            },
            Stop::Timeout => EngineError::Timeout {
                limit: self.limits.timeout.unwrap_or_default(),
                relation,
            },
        }
    }

    /// Counts `n` new tuples of `rel` against `--max-tuples`.
    fn count(&mut self, n: usize, rel: RelId) -> Result<(), EngineError> {
        self.stats.derived += n as u64;
        if let Some(max) = self.limits.max_tuples {
            if self.stats.derived > max {
                return Err(self.stopped(Stop::MaxTuples, rel));
            }
        }
        Ok(())
    }

    fn check_time(&self, stratum: &Stratum) -> Result<(), EngineError> {
        if let Some(d) = self.deadline {
            if Instant::now() >= d {
                return Err(self.stopped(Stop::Timeout, stratum.relations[0]));
            }
        }
        Ok(())
    }
}
