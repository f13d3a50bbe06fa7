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
//! before the new rows are stored, [`Recorder::stage`] sorts the candidates
//! (keeping the first of equal rows) and [`Recorder::commit`] gives each
//! stored row its record by binary search. With provenance off none of
//! this runs: the untracked plans are compiled without the trail.

use rustc_hash::FxHashMap;

use crate::lang::program::{Literal, Program, RelId, RuleId};

use super::row::INLINE;

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

/// Candidate rows of one pass, sorted, the first record of equal rows kept.
enum Keys {
    Inline(Vec<([u64; INLINE], u32)>),
    Boxed(Vec<(Box<[u64]>, u32)>),
}

struct Staged {
    keys: Keys,
    /// Records of the kept candidates (`stride` each), by key order.
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

    /// Takes the pending records of `rel`'s candidates: the last rows of
    /// `cells` (`rows` rows of `arity`; rows before them, `.input` seeds,
    /// have no record). Sorted and deduplicated for [`Recorder::commit`].
    pub fn stage(&mut self, rel: RelId, cells: &[u64], rows: usize, arity: usize) {
        let pending = std::mem::take(&mut self.pending[rel.0 as usize]);
        let stride = self.prov.rels[rel.0 as usize].stride;
        if stride == 0 || pending.is_empty() {
            return;
        }
        let n = pending.len() / stride;
        let first = rows - n;
        let row = |i: usize| &cells[(first + i) * arity..(first + i + 1) * arity];
        let mut kept: Vec<u32> = Vec::new();
        let keys = if arity <= INLINE {
            let mut keys: Vec<([u64; INLINE], u32)> = (0..n)
                .map(|i| {
                    let mut k = [0; INLINE];
                    k[..arity].copy_from_slice(row(i));
                    (k, i as u32)
                })
                .collect();
            keys.sort_unstable();
            keys.dedup_by(|b, a| a.0 == b.0);
            for k in &mut keys {
                kept.push(std::mem::replace(&mut k.1, kept.len() as u32));
            }
            Keys::Inline(keys)
        } else {
            let mut keys: Vec<(Box<[u64]>, u32)> =
                (0..n).map(|i| (Box::from(row(i)), i as u32)).collect();
            keys.sort_unstable();
            keys.dedup_by(|b, a| a.0 == b.0);
            for k in &mut keys {
                kept.push(std::mem::replace(&mut k.1, kept.len() as u32));
            }
            Keys::Boxed(keys)
        };
        let mut recs = Vec::with_capacity(kept.len() * stride);
        for i in kept {
            let i = i as usize;
            recs.extend_from_slice(&pending[i * stride..(i + 1) * stride]);
        }
        self.staged.insert(rel, Staged { keys, recs });
    }

    /// Records the rows just appended to `rel`'s store, in store order,
    /// from what was staged for it (no record: an `.input` row).
    pub fn commit<'r>(&mut self, rel: RelId, rows: usize, row: impl Fn(usize) -> &'r [u64]) {
        let staged = self.staged.remove(&rel);
        let out = &mut self.prov.rels[rel.0 as usize];
        let stride = out.stride;
        if stride == 0 {
            return;
        }
        out.data.reserve(rows * stride);
        for i in 0..rows {
            let row = row(i);
            let arity = row.len();
            let found = staged.as_ref().and_then(|s| {
                let k = match &s.keys {
                    Keys::Inline(keys) => {
                        let mut want = [0; INLINE];
                        want[..arity].copy_from_slice(row);
                        keys.binary_search_by(|(k, _)| k.cmp(&want))
                            .ok()
                            .map(|j| keys[j].1)
                    }
                    Keys::Boxed(keys) => keys
                        .binary_search_by(|(k, _)| (**k).cmp(row))
                        .ok()
                        .map(|j| keys[j].1),
                }?;
                let k = k as usize;
                Some(&s.recs[k * stride..(k + 1) * stride])
            });
            match found {
                Some(rec) => out.data.extend_from_slice(rec),
                None => {
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
