//! Provenance recorded during evaluation (`Limits::provenance`): for every
//! tuple a rule derived, that rule and the rows its positive body atoms
//! matched in one derivation, the first found. Stores are append-only, so
//! a body tuple is named by (relation, row number); together with the rule
//! (whose atoms name the relations) that is a proof step, and following
//! the rows down rebuilds the whole proof tree without re-running the
//! program. A row's derivation only names rows stored before it, so the
//! steps are well founded, and since a recursive stratum adds a round's
//! tuples only after the round, a tuple's recorded proof has the height of
//! the round that found it: minimal. Negated atoms and aggregates have no
//! rows; explain shows them as leaves, recomputed from the bindings.
//!
//! How it is collected: plans run with a tracking sink (`exec::Sink::
//! Traced`) append to each candidate head row its record `[rule, row of
//! each positive atom…]`. Candidates repeat known tuples and each other;
//! [`Recorder::stage`] keeps them until the engine has deduplicated them,
//! then [`Recorder::commit`] hashes only the rows that turned out new and
//! gives each the record of its first candidate. (Sorting the candidates
//! a second time, beside datafrog's sort, doubled the cost of a round.)
//! With provenance off none of this runs: the untracked plans are
//! compiled without the trail.

use rustc_hash::FxHashMap;

use crate::lang::program::{Literal, Program, RelId, RuleId};

/// The rule id of a row no rule derived (an `.input` row).
const NO_RULE: u32 = u32::MAX;

/// Every derived tuple's first derivation, by relation and row number.
#[derive(Debug, Default)]
pub struct Provenance {
    rels: Vec<Records>,
}

/// Fixed-width records, one per stored row: the rule, then the row numbers
/// of its positive body atoms in body order (zero-padded to the widest
/// rule of the relation).
#[derive(Debug, Default)]
struct Records {
    stride: usize,
    data: Vec<u32>,
}

/// How one tuple was derived.
#[derive(Clone, Copy, Debug)]
pub struct Derivation<'a> {
    pub rule: RuleId,
    /// Row numbers of the rule's positive body atoms, in body order, each
    /// in the atom's relation (`Database::row`).
    pub rows: &'a [u32],
}

impl Provenance {
    /// The recorded derivation of row `row` of `rel`; `None` for base facts,
    /// `.input` rows and relations no rule derives.
    pub fn derivation(&self, rel: RelId, row: usize) -> Option<Derivation<'_>> {
        let r = self.rels.get(rel.0 as usize)?;
        if r.stride == 0 {
            return None;
        }
        let rec = r.data.get(row * r.stride..(row + 1) * r.stride)?;
        (rec[0] != NO_RULE).then(|| Derivation {
            rule: RuleId(rec[0]),
            rows: &rec[1..],
        })
    }

    /// Bytes held by the records.
    pub fn heap_bytes(&self) -> usize {
        self.rels.iter().map(|r| r.data.capacity() * 4).sum()
    }
}

/// Number of positive atoms in a rule body.
pub(crate) fn positive_atoms(body: &[Literal]) -> usize {
    body.iter()
        .filter(|l| matches!(l, Literal::Positive(_)))
        .count()
}

/// The candidate rows of one pass and their records.
struct Staged {
    /// Row-major; the last `recs.len() / stride` rows have records.
    cells: Vec<u64>,
    rows: usize,
    recs: Vec<u32>,
}

/// Collects records while the strata run.
pub(crate) struct Recorder {
    prov: Provenance,
    /// Records of the current pass's candidate rows, per head relation.
    pending: Vec<Vec<u32>>,
    staged: FxHashMap<RelId, Staged>,
}

impl Recorder {
    pub fn new(program: &Program) -> Self {
        let mut strides = vec![0usize; program.relations.len()];
        for rule in &program.rules {
            let s = &mut strides[rule.head.relation.0 as usize];
            *s = (*s).max(1 + positive_atoms(&rule.body));
        }
        Recorder {
            prov: Provenance {
                rels: strides
                    .into_iter()
                    .map(|stride| Records {
                        stride,
                        data: Vec::new(),
                    })
                    .collect(),
            },
            pending: vec![Vec::new(); program.relations.len()],
            staged: FxHashMap::default(),
        }
    }

    /// Where a plan deriving `head` appends its records, and their width.
    pub fn sink(&mut self, head: RelId) -> (&mut Vec<u32>, usize) {
        let stride = self.prov.rels[head.0 as usize].stride;
        (&mut self.pending[head.0 as usize], stride)
    }

    /// Keeps `rel`'s candidates of this pass (`rows` rows of `cells`, whose
    /// last ones have the pending records; rows before them, `.input`
    /// seeds, have none) until [`Recorder::commit`] learns which are new.
    pub fn stage(&mut self, rel: RelId, cells: Vec<u64>, rows: usize) {
        let recs = std::mem::take(&mut self.pending[rel.0 as usize]);
        if recs.is_empty() {
            return;
        }
        self.staged.insert(rel, Staged { cells, rows, recs });
    }

    /// Records the `rows` rows just appended to `rel`'s store (`row(i)`,
    /// in store order): each gets the record of the first staged candidate
    /// equal to it, or none (an `.input` row). Only the new rows are
    /// hashed; the candidates, mostly repeats, are only probed.
    pub fn commit<'r>(&mut self, rel: RelId, rows: usize, row: impl Fn(usize) -> &'r [u64]) {
        let staged = self.staged.remove(&rel);
        let out = &mut self.prov.rels[rel.0 as usize];
        let stride = out.stride;
        if stride == 0 || rows == 0 {
            return;
        }
        const NONE: u32 = u32::MAX;
        let mut first = vec![NONE; rows];
        if let Some(st) = &staged {
            let n = st.recs.len() / stride;
            let arity = row(0).len();
            if arity == 0 {
                // A nullary relation's one row: the first candidate.
                first[0] = 0;
            } else {
                let new: FxHashMap<&[u64], u32> = (0..rows).map(|i| (row(i), i as u32)).collect();
                let mut left = rows;
                let skip = st.rows - n;
                for (c, cand) in st.cells.chunks_exact(arity).skip(skip).enumerate() {
                    if let Some(&i) = new.get(cand) {
                        let f = &mut first[i as usize];
                        if *f == NONE {
                            *f = c as u32;
                            left -= 1;
                            if left == 0 {
                                break;
                            }
                        }
                    }
                }
            }
        }
        out.data.reserve(rows * stride);
        for f in first {
            match (&staged, f) {
                (Some(st), f) if f != NONE => {
                    let f = f as usize;
                    out.data
                        .extend_from_slice(&st.recs[f * stride..(f + 1) * stride]);
                }
                _ => {
                    out.data.push(NO_RULE);
                    out.data.extend(std::iter::repeat_n(0, stride - 1));
                }
            }
        }
    }

    pub fn finish(self) -> Provenance {
        self.prov
    }
}
