//! Stratification: the strongly connected components of the dependency
//! graph (head depends on body), in an order where each component comes
//! after everything it reads. Negation or aggregation inside a component
//! has no stratified meaning and is an error that shows the cycle.

use std::collections::VecDeque;

use super::error::{ErrorKind, LangError};
use super::program::{Literal, RelId, Relation, Rule, RuleId, Stratum};
use super::source::{Loc, SourceMap};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    Positive,
    Negative,
    Aggregate,
}

struct Dep {
    from: usize,
    to: usize,
    edge: Edge,
    loc: Loc,
}

pub(super) fn stratify(
    sources: &SourceMap,
    relations: &[Relation],
    rules: &[Rule],
    errors: &mut Vec<LangError>,
) -> Vec<Stratum> {
    let n = relations.len();
    let mut deps = Vec::new();
    for rule in rules {
        let head = rule.head.relation.0 as usize;
        collect(head, &rule.body, false, &mut deps);
    }
    let mut adj = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        adj[d.from].push(i);
    }
    let comps = tarjan(n, &adj, &deps);
    let mut comp_of = vec![0; n];
    for (c, members) in comps.iter().enumerate() {
        for &m in members {
            comp_of[m] = c;
        }
    }

    let mut reported = vec![false; comps.len()];
    for d in &deps {
        let c = comp_of[d.from];
        if d.edge != Edge::Positive && comp_of[d.to] == c && !reported[c] {
            reported[c] = true;
            errors.push(cycle_error(sources, relations, &deps, &adj, &comp_of, d));
        }
    }

    let mut rules_of = vec![Vec::new(); comps.len()];
    for (i, r) in rules.iter().enumerate() {
        rules_of[comp_of[r.head.relation.0 as usize]].push(RuleId(i as u32));
    }
    let mut self_loop = vec![false; n];
    for d in &deps {
        if d.from == d.to {
            self_loop[d.from] = true;
        }
    }
    let mut strata = Vec::new();
    for (members, rel_rules) in comps.iter().zip(rules_of) {
        if rel_rules.is_empty() {
            continue;
        }
        let recursive = members.len() > 1 || self_loop[members[0]];
        let mut relations: Vec<RelId> = members.iter().map(|&m| RelId(m as u32)).collect();
        relations.sort();
        strata.push(Stratum {
            relations,
            rules: rel_rules,
            recursive,
        });
    }
    strata
}

fn collect(head: usize, body: &[Literal], in_agg: bool, deps: &mut Vec<Dep>) {
    for lit in body {
        match lit {
            Literal::Positive(a) | Literal::Negative(a) => deps.push(Dep {
                from: head,
                to: a.relation.0 as usize,
                edge: if in_agg {
                    Edge::Aggregate
                } else if matches!(lit, Literal::Negative(_)) {
                    Edge::Negative
                } else {
                    Edge::Positive
                },
                loc: a.loc,
            }),
            Literal::Aggregate(agg) => collect(head, &agg.body, true, deps),
            _ => {}
        }
    }
}

/// Tarjan's algorithm, iterative so that long rule chains cannot overflow
/// the stack. Components come out dependencies first.
fn tarjan(n: usize, adj: &[Vec<usize>], deps: &[Dep]) -> Vec<Vec<usize>> {
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comps = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i < adj[v].len() {
                let w = deps[adj[v][*i]].to;
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comps.push(comp);
            }
        }
    }
    comps
}

/// "a -> !b -> a": the negative (or aggregate) edge, then the shortest path
/// back to its head within the component.
fn cycle_error(
    sources: &SourceMap,
    relations: &[Relation],
    deps: &[Dep],
    adj: &[Vec<usize>],
    comp_of: &[usize],
    bad: &Dep,
) -> LangError {
    let comp = comp_of[bad.from];
    // Breadth-first from bad.to back to bad.from along dependency edges.
    let mut via: Vec<Option<usize>> = vec![None; relations.len()];
    let mut seen = vec![false; relations.len()];
    let mut queue = VecDeque::from([bad.to]);
    seen[bad.to] = true;
    while let Some(v) = queue.pop_front() {
        if v == bad.from {
            break;
        }
        for &e in &adj[v] {
            let w = deps[e].to;
            if comp_of[w] == comp && !seen[w] {
                seen[w] = true;
                via[w] = Some(e);
                queue.push_back(w);
            }
        }
    }
    let mut path = Vec::new();
    let mut v = bad.from;
    while v != bad.to {
        let Some(e) = via[v] else { break };
        path.push(e);
        v = deps[e].from;
    }
    path.reverse();
    let step = |d: &Dep| {
        let name = &relations[d.to].name;
        match d.edge {
            Edge::Positive => name.clone(),
            Edge::Negative => format!("!{name}"),
            Edge::Aggregate => format!("aggregate over {name}"),
        }
    };
    let mut cycle = format!("{} -> {}", relations[bad.from].name, step(bad));
    for &e in &path {
        cycle.push_str(" -> ");
        cycle.push_str(&step(&deps[e]));
    }
    let what = if bad.edge == Edge::Negative {
        "negation"
    } else {
        "aggregation"
    };
    LangError::at(
        sources,
        ErrorKind::Stratification,
        bad.loc,
        format!("the program cannot be stratified: {what} inside a recursive cycle: {cycle}"),
        format!("{what} inside the cycle"),
    )
    .with_help(format!(
        "`{}` depends on itself through this {what}; a relation may only be negated or \
         aggregated once it is complete, so break the cycle",
        relations[bad.from].name
    ))
}
