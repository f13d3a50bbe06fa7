//! `rulecheck explain`: why a tuple was derived (its proof tree, down to
//! the trace spans of the base facts) and why one was not (how far each
//! rule got). Proofs come from the provenance the engine records when
//! asked (`Limits::provenance`); a database evaluated without it (a
//! library caller's) is explained by re-deriving from the final relations
//! instead. Why-not answers are always computed from the final relations.
//!
//! Code map: `query` parses the tuple pattern, `solve` walks a rule body
//! over the final relations, `recorded` reads proofs from provenance,
//! `prove` finds minimal-height proofs by re-derivation, `why_not` reports
//! failing rules, `source` finds where a span came from, `render` writes
//! text, JSON and Graphviz, `summary` puts a proof on one line.

pub mod prove;
pub mod query;
pub mod recorded;
pub mod render;
pub mod solve;
pub mod source;
pub mod summary;
pub mod why_not;

pub use prove::{Node, Prover};
pub use query::{parse, Query};
pub use solve::Ctx;
pub use why_not::{why_not, RuleOutcome, RuleReport};

use crate::engine::value::{const_cell, sort_cells};
use crate::lang::program::RelId;

/// The query's constants as cells (`None`: wildcard).
pub fn pattern_cells(ctx: &mut Ctx<'_>, q: &Query) -> Vec<Option<u64>> {
    q.args
        .iter()
        .map(|a| a.as_ref().map(|v| const_cell(v, &mut ctx.symbols)))
        .collect()
}

/// The tuples of the query's relation matching it, sorted as `eval`
/// prints them.
pub fn matching(ctx: &mut Ctx<'_>, q: &Query) -> Vec<Vec<u64>> {
    let pattern = pattern_cells(ctx, q);
    let (cols, key): (Vec<usize>, Vec<u64>) = pattern
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.map(|c| (i, c)))
        .unzip();
    let mut rows: Vec<Vec<u64>> = ctx
        .lookup(q.relation, &cols, &key)
        .into_iter()
        .map(<[u64]>::to_vec)
        .collect();
    let types: Vec<_> = ctx.program.relation(q.relation).types().collect();
    let symbols = &ctx.db.symbols;
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .zip(&types)
            .map(|((&x, &y), &ty)| sort_cells(ty, x, y, symbols))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows
}

/// Proofs of up to `limit` tuples matching the query (fewer when a proof
/// cannot be had, which is a bug the caller reports): recorded when the
/// database has provenance, else re-derived.
pub fn explain(ctx: &mut Ctx<'_>, q: &Query, limit: usize) -> Vec<Node> {
    let mut rows = matching(ctx, q);
    rows.truncate(limit);
    let db = ctx.db;
    match &db.provenance {
        Some(prov) => rows
            .iter()
            .filter_map(|t| recorded::proof(ctx, prov, q.relation, t))
            .collect(),
        None => {
            let mut prover = Prover::new(ctx);
            rows.iter()
                .filter_map(|t| prover.prove(q.relation, t))
                .collect()
        }
    }
}

/// The proof of one tuple: recorded when the database has provenance,
/// else re-derived (`None`: the tuple is not in the database, or, a bug,
/// no proof re-checks).
pub fn proof(ctx: &mut Ctx<'_>, rel: RelId, tuple: &[u64]) -> Option<Node> {
    let db = ctx.db;
    match &db.provenance {
        Some(prov) => recorded::proof(ctx, prov, rel, tuple),
        None => Prover::new(ctx).prove(rel, tuple),
    }
}

/// Whether `rel` is derived by rules (rather than only read).
pub fn has_rules(ctx: &Ctx<'_>, rel: RelId) -> bool {
    !ctx.rules_of(rel).is_empty()
}
