//! `rulecheck explain`: why a tuple was derived (its proof tree, down to
//! the trace spans of the base facts) and why one was not (how far each
//! rule got). The engine records no provenance; everything here is rebuilt
//! from the final relations by re-deriving, so it costs nothing when
//! nobody asks.
//!
//! Code map: `query` parses the tuple pattern, `solve` walks a rule body
//! over the final relations, `prove` finds minimal-height proofs,
//! `why_not` reports failing rules, `source` finds where a span came from,
//! `render` writes text, JSON and Graphviz.

pub mod prove;
pub mod query;
pub mod render;
pub mod solve;
pub mod source;
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

/// Proofs of up to `limit` tuples matching the query.
pub fn explain(ctx: &mut Ctx<'_>, q: &Query, limit: usize) -> Vec<Node> {
    let rows = matching(ctx, q);
    let mut prover = Prover::new(ctx);
    rows.iter()
        .take(limit)
        .filter_map(|t| prover.prove(q.relation, t))
        .collect()
}

/// Whether `rel` is derived by rules (rather than only read).
pub fn has_rules(ctx: &Ctx<'_>, rel: RelId) -> bool {
    !ctx.rules_of(rel).is_empty()
}
