//! Runs a plan: a depth-first walk over its steps with one register per
//! rule variable, so no intermediate relation is materialised and a rule
//! costs the index lookups and matches it makes. Each row a plan yields is
//! the head tuple (or, inside an aggregate, one solution of its body).

use std::time::Instant;

use rustc_hash::FxHashMap;

use super::aggregate::Acc;
use super::expr::{CExpr, Env};
use super::plan::{AtomStep, Operand, Step};
use super::row::Delta;
use super::store::Store;
use super::Stop;

/// Rows under this many key cells are looked up without allocating.
const SMALL_KEY: usize = 8;

/// Where solutions go.
pub enum Sink<'s> {
    /// Head tuples, appended row-major to `out`; `rows` counts them (a
    /// nullary head has no cells).
    Rows {
        args: &'s [CExpr],
        out: &'s mut Vec<u64>,
        rows: &'s mut usize,
    },
    /// Head tuples as in `Rows`, each followed in `recs` by its provenance
    /// record: `rule`, then the trail (see [`Exec::trail`]).
    Traced {
        args: &'s [CExpr],
        out: &'s mut Vec<u64>,
        rows: &'s mut usize,
        recs: &'s mut Vec<u32>,
        rule: u32,
    },
    /// One aggregate's accumulator and target.
    Agg {
        acc: &'s mut Acc,
        target: Option<&'s CExpr>,
    },
}

pub struct Exec<'a, 'e> {
    pub stores: &'a [Store],
    /// The new tuples of the delta relation of the plan being run.
    pub delta: Delta<'a>,
    pub env: Env<'e>,
    /// Aggregate results by memo id and outer values.
    pub memos: &'a mut Vec<FxHashMap<Box<[u64]>, Option<u64>>>,
    pub deadline: Option<Instant>,
    /// Stops the run once `rows` in a `Rows` sink exceed it.
    pub row_cap: usize,
    /// With provenance: the store row each positive body atom matched, by
    /// [`AtomStep::slot`]; written only by `run::<true>`.
    pub trail: Vec<u32>,
    ticks: u32,
}

impl<'a, 'e> Exec<'a, 'e> {
    pub fn new(
        stores: &'a [Store],
        delta: Delta<'a>,
        env: Env<'e>,
        memos: &'a mut Vec<FxHashMap<Box<[u64]>, Option<u64>>>,
        deadline: Option<Instant>,
        row_cap: usize,
    ) -> Self {
        Exec {
            stores,
            delta,
            env,
            memos,
            deadline,
            row_cap,
            trail: Vec::new(),
            ticks: 0,
        }
    }

    fn tick(&mut self) -> Result<(), Stop> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks & 0xffff == 0 {
            if let Some(d) = self.deadline {
                if Instant::now() >= d {
                    return Err(Stop::Timeout);
                }
            }
        }
        Ok(())
    }

    /// Runs `steps`; with `TRACK`, atoms note their matched rows in the
    /// trail (compiled out otherwise, so untracked runs pay nothing).
    pub fn run<const TRACK: bool>(
        &mut self,
        steps: &[Step],
        regs: &mut [u64],
        sink: &mut Sink,
    ) -> Result<(), Stop> {
        let Some((step, rest)) = steps.split_first() else {
            return self.emit(regs, sink);
        };
        match step {
            Step::Atom(a) => self.atom::<TRACK>(a, rest, regs, sink),
            Step::Neg(n) => {
                let store = &self.stores[n.rel.0 as usize];
                let present = if n.cols.is_empty() {
                    !store.is_empty()
                } else {
                    with_key(&n.key, regs, |key| !store.lookup(&n.cols, key).is_empty())
                };
                if present {
                    Ok(())
                } else {
                    self.run::<TRACK>(rest, regs, sink)
                }
            }
            Step::Filter(c) => {
                if self.env.test(c, regs) {
                    self.run::<TRACK>(rest, regs, sink)
                } else {
                    Ok(())
                }
            }
            Step::Bind(reg, e) => match self.env.eval(e, regs) {
                Some(v) => {
                    regs[*reg] = v;
                    self.run::<TRACK>(rest, regs, sink)
                }
                None => Ok(()),
            },
            Step::Agg(g) => {
                let outer: Box<[u64]> = g.outer.iter().map(|&r| regs[r]).collect();
                let value = match self.memos[g.memo].get(&outer) {
                    Some(v) => *v,
                    None => {
                        let mut acc = Acc::new(g.op, g.target_ty);
                        let mut inner = regs.to_vec();
                        // An aggregate is a leaf of a proof: its body's
                        // rows are not part of the record.
                        self.run::<false>(
                            &g.body,
                            &mut inner,
                            &mut Sink::Agg {
                                acc: &mut acc,
                                target: g.target.as_ref(),
                            },
                        )?;
                        let v = acc.finish();
                        self.memos[g.memo].insert(outer, v);
                        v
                    }
                };
                match value {
                    Some(v) => {
                        regs[g.result] = v;
                        self.run::<TRACK>(rest, regs, sink)
                    }
                    None => Ok(()),
                }
            }
        }
    }

    fn atom<const TRACK: bool>(
        &mut self,
        a: &AtomStep,
        rest: &[Step],
        regs: &mut [u64],
        sink: &mut Sink,
    ) -> Result<(), Stop> {
        let stores = self.stores;
        let store = &stores[a.rel.0 as usize];
        if a.delta {
            let delta = self.delta;
            // The delta is the last rows of the store (pushed at the
            // round's start), which numbers them for provenance.
            let first = store.len() - delta.len();
            for i in 0..delta.len() {
                let row = delta.row(i, store.arity);
                self.tick()?;
                if keys_match(a, row, regs) {
                    self.bind_and_run::<TRACK>(a, (first + i) as u32, row, rest, regs, sink)?;
                }
            }
        } else if a.key_cols.is_empty() || a.scan {
            for i in 0..store.len() {
                self.tick()?;
                let row = store.row(i);
                if keys_match(a, row, regs) {
                    self.bind_and_run::<TRACK>(a, i as u32, row, rest, regs, sink)?;
                }
            }
        } else {
            let ids = with_key(&a.key, regs, |key| store.lookup(&a.key_cols, key));
            for &id in ids {
                self.tick()?;
                self.bind_and_run::<TRACK>(a, id, store.row(id as usize), rest, regs, sink)?;
            }
        }
        Ok(())
    }

    fn bind_and_run<const TRACK: bool>(
        &mut self,
        a: &AtomStep,
        id: u32,
        row: &[u64],
        rest: &[Step],
        regs: &mut [u64],
        sink: &mut Sink,
    ) -> Result<(), Stop> {
        if a.checks.iter().any(|&(c, c0)| row[c] != row[c0]) {
            return Ok(());
        }
        for &(col, reg) in &a.binds {
            regs[reg] = row[col];
        }
        if TRACK {
            self.trail[a.slot] = id;
        }
        self.run::<TRACK>(rest, regs, sink)
    }

    // Inlined into `run` as before the tracked sink existed: a call per
    // solution cost 3% on transitive closure.
    #[inline(always)]
    fn emit(&mut self, regs: &[u64], sink: &mut Sink) -> Result<(), Stop> {
        match sink {
            Sink::Rows { args, out, rows } => {
                if self.push_head(args, out, regs) {
                    self.count(rows)?;
                }
                Ok(())
            }
            Sink::Traced {
                args,
                out,
                rows,
                recs,
                rule,
            } => {
                if self.push_head(args, out, regs) {
                    recs.push(*rule);
                    recs.extend_from_slice(&self.trail);
                    self.count(rows)?;
                }
                Ok(())
            }
            Sink::Agg { acc, target } => {
                let v = match target {
                    Some(t) => match self.env.eval(t, regs) {
                        Some(v) => v,
                        None => return Ok(()),
                    },
                    None => 0,
                };
                acc.add(v, self.env.symbols);
                Ok(())
            }
        }
    }
}

impl Exec<'_, '_> {
    /// Appends the head tuple to `out`; false (and nothing appended) when
    /// a head expression has no value.
    #[inline(always)]
    fn push_head(&mut self, args: &[CExpr], out: &mut Vec<u64>, regs: &[u64]) -> bool {
        let mark = out.len();
        for e in args {
            match self.env.eval(e, regs) {
                Some(v) => out.push(v),
                None => {
                    out.truncate(mark);
                    return false;
                }
            }
        }
        true
    }

    #[inline(always)]
    fn count(&self, rows: &mut usize) -> Result<(), Stop> {
        *rows += 1;
        if *rows > self.row_cap {
            return Err(Stop::MaxTuples);
        }
        Ok(())
    }
}

fn operand(o: Operand, regs: &[u64]) -> u64 {
    match o {
        Operand::Const(c) => c,
        Operand::Reg(r) => regs[r],
    }
}

fn keys_match(a: &AtomStep, row: &[u64], regs: &[u64]) -> bool {
    a.key_cols
        .iter()
        .zip(&a.key)
        .all(|(&c, &o)| row[c] == operand(o, regs))
}

/// Calls `f` with the key's values, on the stack when the key is short.
fn with_key<R>(key: &[Operand], regs: &[u64], f: impl FnOnce(&[u64]) -> R) -> R {
    if key.len() <= SMALL_KEY {
        let mut buf = [0u64; SMALL_KEY];
        for (slot, &o) in buf.iter_mut().zip(key) {
            *slot = operand(o, regs);
        }
        f(&buf[..key.len()])
    } else {
        let buf: Vec<u64> = key.iter().map(|&o| operand(o, regs)).collect();
        f(&buf)
    }
}
