//! Warnings about programs that are valid but probably not what was meant.
//! Soufflé's best-known one: a variable that occurs once in a clause joins
//! nothing and constrains nothing, which is almost always a misspelling of
//! another variable; `_` says "any value" on purpose.

use rustc_hash::FxHashMap;

use super::ast;
use super::error::{ErrorKind, LangError};
use super::source::{Loc, SourceMap};

/// Variables of one clause (one head, one disjunct) that occur once.
/// Names starting with `_` are exempt, as documentation of intent.
pub(super) fn single_use(
    sources: &SourceMap,
    head: &ast::Atom,
    conj: &[&ast::Literal],
) -> Vec<LangError> {
    let mut seen: FxHashMap<&str, (usize, Loc)> = FxHashMap::default();
    let mut order = Vec::new();
    for e in &head.args {
        walk_expr(e, &mut seen, &mut order);
    }
    for l in conj {
        walk_lit(l, &mut seen, &mut order);
    }
    order
        .into_iter()
        .filter(|name| seen[name].0 == 1 && !name.starts_with('_'))
        .map(|name| {
            let loc = seen[name].1;
            LangError::at(
                sources,
                ErrorKind::SingleUse,
                loc,
                format!("variable `{name}` occurs only once"),
                "used once",
            )
            .with_help(format!(
                "a variable used once matches any value; write `_` if that is meant, or check the spelling of `{name}`"
            ))
            .warning()
        })
        .collect()
}

type Seen<'a> = FxHashMap<&'a str, (usize, Loc)>;

fn walk_lit<'a>(l: &'a ast::Literal, seen: &mut Seen<'a>, order: &mut Vec<&'a str>) {
    match l {
        ast::Literal::Atom(a) | ast::Literal::Negated { atom: a, .. } => {
            a.args.iter().for_each(|e| walk_expr(e, seen, order))
        }
        ast::Literal::Compare(c) => {
            walk_expr(&c.lhs, seen, order);
            walk_expr(&c.rhs, seen, order);
        }
        ast::Literal::Constraint { args, .. } => {
            args.iter().for_each(|e| walk_expr(e, seen, order))
        }
        ast::Literal::Bool { .. } => {}
    }
}

fn walk_body<'a>(b: &'a ast::Body, seen: &mut Seen<'a>, order: &mut Vec<&'a str>) {
    match b {
        ast::Body::Literal(l) => walk_lit(l, seen, order),
        ast::Body::And(parts) | ast::Body::Or(parts) => {
            parts.iter().for_each(|p| walk_body(p, seen, order))
        }
    }
}

fn walk_expr<'a>(e: &'a ast::Expr, seen: &mut Seen<'a>, order: &mut Vec<&'a str>) {
    match &e.kind {
        ast::ExprKind::Var(name) => {
            let entry = seen.entry(name.as_str()).or_insert_with(|| {
                order.push(name.as_str());
                (0, e.loc)
            });
            entry.0 += 1;
        }
        ast::ExprKind::Neg(inner) => walk_expr(inner, seen, order),
        ast::ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, seen, order);
            walk_expr(rhs, seen, order);
        }
        ast::ExprKind::Call { args, .. } => args.iter().for_each(|a| walk_expr(a, seen, order)),
        ast::ExprKind::Aggregate(agg) => {
            if let Some(t) = &agg.target {
                walk_expr(t, seen, order);
            }
            walk_body(&agg.body, seen, order);
        }
        _ => {}
    }
}
