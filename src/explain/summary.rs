//! A proof on one line, for lists where a whole tree is too much (each
//! pair of `rulecheck pairs`): the rule chain level by level from the
//! tuple down (each relation once, where it first appears), the rule that
//! derived the tuple, and the SQL statements of the spans among the base
//! facts it rests on, which for a conflict are the statements that
//! touched the shared row.

use std::collections::HashSet;

use super::prove::Node;
use super::solve::Ctx;

/// Levels of the rule chain shown before `…`.
const LEVELS: usize = 5;
/// Statements shown before `(+N more)`.
const STATEMENTS: usize = 6;
/// Characters kept of a statement's start and end (its table and its
/// `WHERE` key) when it is longer than both.
const HEAD: usize = 60;
const TAIL: usize = 90;

/// `reported_pair ⇐ pair_different_flows, conflict ⇐ … (21 steps, rule
/// conflicts.rules:74:1); SQL: span-4: select … | span-7: insert …`
pub fn one_line(ctx: &mut Ctx<'_>, node: &Node) -> String {
    let program = ctx.program;
    let mut levels: Vec<Vec<&str>> = Vec::new();
    let mut named = HashSet::new();
    let mut steps = 0;
    let mut frontier = vec![node];
    while !frontier.is_empty() {
        let mut names = Vec::new();
        let mut next = Vec::new();
        for n in frontier {
            if let Node::Derived {
                relation, children, ..
            } = n
            {
                steps += 1;
                let name = program.relation(*relation).name.as_str();
                if named.insert(name) {
                    names.push(name);
                }
                next.extend(children);
            }
        }
        if !names.is_empty() {
            levels.push(names);
        }
        frontier = next;
    }
    let mut out = levels
        .iter()
        .take(LEVELS)
        .map(|l| l.join(", "))
        .collect::<Vec<_>>()
        .join(" ⇐ ");
    if levels.len() > LEVELS {
        out.push_str(" ⇐ …");
    }
    if let Node::Derived { rule, .. } = node {
        out.push_str(&format!(
            " ({steps} step{}, rule {})",
            if steps == 1 { "" } else { "s" },
            program.sources.describe(program.rule(*rule).loc)
        ));
    }
    let mut statements = Vec::new();
    leaf_sql(ctx, node, &mut HashSet::new(), &mut statements);
    if !statements.is_empty() {
        let more = statements.len().saturating_sub(STATEMENTS);
        statements.truncate(STATEMENTS);
        out.push_str("; SQL: ");
        out.push_str(&statements.join(" | "));
        if more > 0 {
            out.push_str(&format!(" (+{more} more)"));
        }
    }
    out
}

/// `span: statement` for each span with SQL among the base-fact leaves,
/// in proof order, each span once.
fn leaf_sql(ctx: &mut Ctx<'_>, node: &Node, seen: &mut HashSet<String>, out: &mut Vec<String>) {
    match node {
        Node::Derived { children, .. } => {
            for c in children {
                leaf_sql(ctx, c, seen, out);
            }
        }
        Node::Fact { relation, tuple } if ctx.program.relation(*relation).base.is_some() => {
            for s in ctx.fact_sources(*relation, tuple) {
                if let Some((_, _, stmt)) = &s.sql {
                    if seen.insert(s.span.clone()) {
                        out.push(format!("{}: {}", s.span, elide(stmt)));
                    }
                }
            }
        }
        _ => {}
    }
}

/// The statement on one line, its middle (long column lists) elided.
fn elide(stmt: &str) -> String {
    let one = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = one.chars().collect();
    if chars.len() <= HEAD + TAIL + 3 {
        return one;
    }
    let head: String = chars[..HEAD].iter().collect();
    let tail: String = chars[chars.len() - TAIL..].iter().collect();
    format!("{} … {}", head.trim_end(), tail.trim_start())
}

#[cfg(test)]
mod tests {
    use super::{elide, HEAD, TAIL};

    #[test]
    fn long_statements_keep_their_start_and_where_clause() {
        let short = "select a from t where id = 1";
        assert_eq!(elide(short), short);
        let cols: Vec<String> = (0..40).map(|i| format!("c{i} as x{i}")).collect();
        let long = format!("select {}\n from orders where id='k-42'", cols.join(", "));
        let e = elide(&long);
        assert!(e.starts_with("select c0 as x0, c1"), "{e}");
        assert!(e.ends_with("from orders where id='k-42'"), "{e}");
        assert!(e.contains(" … ") && !e.contains('\n'), "{e}");
        assert!(e.chars().count() <= HEAD + TAIL + 3, "{e}");
    }
}
