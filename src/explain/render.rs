//! Proofs and why-not reports as an indented text tree, JSON (schema in
//! docs/explain.md) and Graphviz dot.

use std::collections::HashSet;

use serde_json::{json, Map, Value as Json};

use crate::engine::value::render;
use crate::facts::Type;
use crate::lang::program::{Literal, RelId, VarId};

use super::prove::Node;
use super::solve::Ctx;
use super::source::SpanSource;
use super::why_not::{RuleOutcome, RuleReport};

fn cell_text(ctx: &Ctx<'_>, ty: Type, c: u64) -> String {
    match ty {
        Type::Symbol => format!("{:?}", render(ty, c, &ctx.symbols)),
        _ => render(ty, c, &ctx.symbols),
    }
}

fn cell_json(ctx: &Ctx<'_>, ty: Type, c: u64) -> Json {
    match ty {
        Type::Symbol => Json::String(render(ty, c, &ctx.symbols)),
        Type::Number => json!(c as i64),
        Type::Unsigned => json!(c),
        Type::Float => json!(f64::from_bits(c)),
    }
}

/// `rel("a", 1, _)`
pub fn tuple_text(ctx: &Ctx<'_>, rel: RelId, cells: &[Option<u64>]) -> String {
    let r = ctx.program.relation(rel);
    let args: Vec<String> = cells
        .iter()
        .zip(r.types())
        .map(|(c, ty)| c.map_or("_".to_string(), |c| cell_text(ctx, ty, c)))
        .collect();
    format!("{}({})", r.name, args.join(", "))
}

fn some(t: &[u64]) -> Vec<Option<u64>> {
    t.iter().copied().map(Some).collect()
}

/// Source text on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn var_text(ctx: &Ctx<'_>, rule: &crate::lang::program::Rule, v: VarId, c: u64) -> String {
    let var = rule.var(v);
    format!("{} = {}", var.name, cell_text(ctx, var.ty, c))
}

fn source_lines(s: &SpanSource) -> Vec<String> {
    let mut lines = vec![format!(
        "span {} in {}{} (trace {}, service {}, operation {})",
        s.span,
        s.file.as_deref().unwrap_or("?"),
        s.index.map_or(String::new(), |i| format!(" #{i}")),
        s.trace.as_deref().unwrap_or("?"),
        s.service.as_deref().unwrap_or("?"),
        s.operation.as_deref().unwrap_or("?"),
    )];
    if let Some((m, u, st)) = &s.http {
        lines.push(format!("  HTTP {m} {u} -> {st}"));
    }
    if let Some((sys, inst, stmt)) = &s.sql {
        lines.push(format!("  SQL ({sys} {inst}): {}", one_line(stmt)));
    }
    for (child, sys, inst, stmt) in &s.child_sql {
        lines.push(format!(
            "  SQL by child span {child} ({sys} {inst}): {}",
            one_line(stmt)
        ));
    }
    lines
}

/// The indented text tree of one proof. A derived tuple's subproof and a
/// span's origin are printed where they first appear; later occurrences
/// only name them, which keeps proofs over shared flows readable.
pub fn text(ctx: &mut Ctx<'_>, node: &Node, depth: usize, out: &mut String) {
    text_in(ctx, node, depth, out, &mut HashSet::new());
}

fn text_in(
    ctx: &mut Ctx<'_>,
    node: &Node,
    depth: usize,
    out: &mut String,
    seen: &mut HashSet<String>,
) {
    let pad = "  ".repeat(depth);
    let program = ctx.program;
    match node {
        Node::Derived {
            relation,
            tuple,
            rule,
            children,
            ..
        } => {
            let head = tuple_text(ctx, *relation, &some(tuple));
            if !seen.insert(head.clone()) {
                out.push_str(&format!("{pad}{head}  [proved above]\n"));
                return;
            }
            let loc = program.rule(*rule).loc;
            out.push_str(&format!(
                "{pad}{head}\n{pad}  ⇐ {}: {}\n",
                program.sources.describe(loc),
                one_line(program.rule_text(*rule))
            ));
            for c in children {
                text_in(ctx, c, depth + 2, out, seen);
            }
        }
        Node::Fact { relation, tuple } => {
            let kind = if program.relation(*relation).base.is_some() {
                "base fact"
            } else {
                "input fact"
            };
            out.push_str(&format!(
                "{pad}{}  [{kind}]\n",
                tuple_text(ctx, *relation, &some(tuple))
            ));
            for s in ctx.fact_sources(*relation, tuple) {
                if seen.insert(s.span.clone()) {
                    for l in source_lines(&s) {
                        out.push_str(&format!("{pad}    {l}\n"));
                    }
                } else {
                    out.push_str(&format!("{pad}    span {} (origin above)\n", s.span));
                }
            }
        }
        Node::Absent {
            relation, pattern, ..
        } => out.push_str(&format!(
            "{pad}!{}  [no such tuple]\n",
            tuple_text(ctx, *relation, pattern)
        )),
        Node::Aggregate { loc, value, ty } => out.push_str(&format!(
            "{pad}{}  [aggregate = {}]\n",
            one_line(program.sources.text(*loc)),
            cell_text(ctx, *ty, *value)
        )),
        Node::Condition { loc } => out.push_str(&format!(
            "{pad}{}  [holds]\n",
            one_line(program.sources.text(*loc))
        )),
    }
}

fn source_json(s: &SpanSource) -> Json {
    json!({
        "span": s.span, "file": s.file, "index": s.index, "trace": s.trace,
        "service": s.service, "operation": s.operation, "kind": s.kind,
        "sql": s.sql.as_ref().map(|(sys, inst, stmt)| json!({"system": sys, "instance": inst, "statement": stmt})),
        "http": s.http.as_ref().map(|(m, u, st)| json!({"method": m, "url": u, "status": st})),
        "child_sql": s.child_sql.iter().map(|(span, sys, inst, stmt)| json!({"span": span, "system": sys, "instance": inst, "statement": stmt})).collect::<Vec<_>>(),
    })
}

/// One proof as JSON.
pub fn json(ctx: &mut Ctx<'_>, node: &Node) -> Json {
    let program = ctx.program;
    let tuple_json = |ctx: &Ctx<'_>, rel: RelId, cells: &[Option<u64>]| -> Json {
        Json::Array(
            cells
                .iter()
                .zip(program.relation(rel).types())
                .map(|(c, ty)| c.map_or(Json::Null, |c| cell_json(ctx, ty, c)))
                .collect(),
        )
    };
    match node {
        Node::Derived {
            relation,
            tuple,
            rule,
            bindings,
            children,
        } => {
            let r = program.rule(*rule);
            let mut b = Map::new();
            for (i, v) in bindings.iter().enumerate() {
                if let Some(c) = v {
                    let var = r.var(VarId(i as u32));
                    if !var.name.starts_with('$') {
                        b.insert(var.name.clone(), cell_json(ctx, var.ty, *c));
                    }
                }
            }
            let kids: Vec<Json> = children.iter().map(|c| json(ctx, c)).collect();
            json!({
                "kind": "derived",
                "relation": program.relation(*relation).name,
                "tuple": tuple_json(ctx, *relation, &some(tuple)),
                "rule": {"index": rule.0, "location": program.sources.describe(r.loc), "text": program.rule_text(*rule)},
                "bindings": b,
                "children": kids,
            })
        }
        Node::Fact { relation, tuple } => {
            let sources: Vec<Json> = ctx
                .fact_sources(*relation, tuple)
                .iter()
                .map(source_json)
                .collect();
            json!({
                "kind": if program.relation(*relation).base.is_some() { "base" } else { "input" },
                "relation": program.relation(*relation).name,
                "tuple": tuple_json(ctx, *relation, &some(tuple)),
                "sources": sources,
            })
        }
        Node::Absent {
            relation,
            pattern,
            loc,
        } => json!({
            "kind": "absent",
            "relation": program.relation(*relation).name,
            "tuple": tuple_json(ctx, *relation, pattern),
            "location": program.sources.describe(*loc),
        }),
        Node::Aggregate { loc, value, ty } => json!({
            "kind": "aggregate",
            "text": program.sources.text(*loc),
            "location": program.sources.describe(*loc),
            "value": cell_json(ctx, *ty, *value),
        }),
        Node::Condition { loc } => json!({
            "kind": "condition",
            "text": program.sources.text(*loc),
            "location": program.sources.describe(*loc),
        }),
    }
}

/// Proofs as one Graphviz digraph: a box per derived tuple, an ellipse per
/// leaf, edges from a tuple to what it was derived from.
pub fn dot(ctx: &mut Ctx<'_>, nodes: &[Node]) -> String {
    fn esc(s: &str) -> String {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    }
    fn walk(ctx: &mut Ctx<'_>, n: &Node, next: &mut usize, out: &mut String) -> usize {
        let id = *next;
        *next += 1;
        let mut label = String::new();
        text(ctx, &strip(n), 0, &mut label);
        let shape = if matches!(n, Node::Derived { .. }) {
            "box"
        } else {
            "ellipse"
        };
        out.push_str(&format!(
            "  n{id} [shape={shape}, label=\"{}\"];\n",
            esc(label.trim_end())
        ));
        if let Node::Derived { children, .. } = n {
            for c in children {
                let cid = walk(ctx, c, next, out);
                out.push_str(&format!("  n{id} -> n{cid};\n"));
            }
        }
        id
    }
    /// The node without its children, for its label.
    fn strip(n: &Node) -> Node {
        match n {
            Node::Derived {
                relation,
                tuple,
                rule,
                bindings,
                ..
            } => Node::Derived {
                relation: *relation,
                tuple: tuple.clone(),
                rule: *rule,
                bindings: bindings.clone(),
                children: Vec::new(),
            },
            other => other.clone(),
        }
    }
    let mut out = String::from("digraph proof {\n  rankdir=TB;\n");
    let mut next = 0;
    for n in nodes {
        walk(ctx, n, &mut next, &mut out);
    }
    out.push_str("}\n");
    out
}

/// The why-not report as text.
pub fn why_not_text(ctx: &Ctx<'_>, reports: &[RuleReport]) -> String {
    let program = ctx.program;
    let mut out = String::new();
    for r in reports {
        let rule = program.rule(r.rule);
        out.push_str(&format!(
            "rule {}: {}\n",
            program.sources.describe(rule.loc),
            one_line(program.rule_text(r.rule))
        ));
        let binds = |b: &[(VarId, u64)]| {
            b.iter()
                .filter(|(v, _)| !rule.var(*v).name.starts_with('$'))
                .map(|(v, c)| var_text(ctx, rule, *v, *c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &r.outcome {
            RuleOutcome::HeadMismatch => out.push_str("  the head cannot take these values\n"),
            RuleOutcome::Derives => out.push_str("  derives the tuple\n"),
            RuleOutcome::HeadDiffers { bindings } => out.push_str(&format!(
                "  the whole body holds (with {}) but the head computes other values\n",
                binds(bindings)
            )),
            RuleOutcome::Fails {
                satisfied,
                failing,
                bindings,
            } => {
                let lit = &rule.body[*failing];
                out.push_str(&format!(
                    "  {satisfied} of {} body literals hold; the first that fails: {}{}\n",
                    rule.body.len(),
                    literal_text(ctx, lit),
                    if bindings.is_empty() {
                        String::new()
                    } else {
                        format!("  with {}", binds(bindings))
                    }
                ));
            }
        }
    }
    out
}

/// The why-not report as JSON.
pub fn why_not_json(ctx: &Ctx<'_>, reports: &[RuleReport]) -> Json {
    let program = ctx.program;
    Json::Array(
        reports
            .iter()
            .map(|r| {
                let rule = program.rule(r.rule);
                let binds = |b: &[(VarId, u64)]| {
                    let mut m = Map::new();
                    for (v, c) in b {
                        let var = rule.var(*v);
                        m.insert(var.name.clone(), cell_json(ctx, var.ty, *c));
                    }
                    Json::Object(m)
                };
                let mut o = json!({
                    "rule": {"index": r.rule.0, "location": program.sources.describe(rule.loc), "text": program.rule_text(r.rule)},
                    "body_literals": rule.body.len(),
                });
                let extra = match &r.outcome {
                    RuleOutcome::HeadMismatch => json!({"outcome": "head_mismatch"}),
                    RuleOutcome::Derives => json!({"outcome": "derives"}),
                    RuleOutcome::HeadDiffers { bindings } => {
                        json!({"outcome": "head_differs", "bindings": binds(bindings)})
                    }
                    RuleOutcome::Fails { satisfied, failing, bindings } => json!({
                        "outcome": "fails",
                        "satisfied": satisfied,
                        "failing_literal": literal_text(ctx, &rule.body[*failing]),
                        "failing_location": program.sources.describe(super::solve::literal_loc(&rule.body[*failing])),
                        "bindings": binds(bindings),
                    }),
                };
                if let (Json::Object(o), Json::Object(e)) = (&mut o, extra) {
                    o.extend(e);
                }
                o
            })
            .collect(),
    )
}

fn literal_text(ctx: &Ctx<'_>, lit: &Literal) -> String {
    let loc = super::solve::literal_loc(lit);
    let t = one_line(ctx.program.sources.text(loc));
    match lit {
        Literal::Negative(_) if !t.starts_with('!') => format!("!{t}"),
        _ => t,
    }
}
