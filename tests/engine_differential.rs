//! The engine against independent evaluations: a naive bottom-up reference
//! evaluator written here (nested loops over whole relations, body in
//! source order, no indexes, no semi-naive deltas) on random programs with
//! recursion, negation and aggregates; and crepe, a compiled Datalog, on
//! random graphs for transitive closure and a negation shape.

mod common;
use common::random_program::{edges, input_facts, program_text, rule_slots, rules, RELS};

use std::collections::BTreeSet;

use proptest::prelude::*;
use rulecheck::engine::{self, InputFacts, InputFile, Limits};
use rulecheck::facts::FactDb;
use rulecheck::lang::program::*;
use rulecheck::lang::{self, Program};

type Tuple = Vec<i64>;

/// Bottom-up evaluation to a fixpoint, stratum by stratum, of a program
/// over number columns only.
struct Naive {
    rels: Vec<BTreeSet<Tuple>>,
}

impl Naive {
    fn run(p: &Program, inputs: &[(RelId, Vec<Tuple>)]) -> Vec<BTreeSet<Tuple>> {
        let mut n = Naive {
            rels: vec![BTreeSet::new(); p.relations.len()],
        };
        for (rel, rows) in inputs {
            n.rels[rel.0 as usize].extend(rows.iter().cloned());
        }
        for stratum in &p.strata {
            loop {
                let mut new = Vec::new();
                for &r in &stratum.rules {
                    let rule = p.rule(r);
                    let mut b = vec![None; rule.vars.len()];
                    n.solve(&rule.body, &mut b, &mut |b| {
                        let t: Option<Tuple> = rule.head.args.iter().map(|e| eval(e, b)).collect();
                        if let Some(t) = t {
                            new.push((rule.head.relation, t));
                        }
                    });
                }
                let mut changed = false;
                for (rel, t) in new {
                    changed |= n.rels[rel.0 as usize].insert(t);
                }
                if !changed {
                    break;
                }
            }
        }
        n.rels
    }

    fn solve(
        &self,
        body: &[Literal],
        b: &mut Vec<Option<i64>>,
        out: &mut dyn FnMut(&[Option<i64>]),
    ) {
        let Some((lit, rest)) = body.split_first() else {
            out(b);
            return;
        };
        match lit {
            Literal::Positive(a) => {
                for t in &self.rels[a.relation.0 as usize] {
                    let mut b2 = b.clone();
                    if unify(&a.args, t, &mut b2) {
                        self.solve(rest, &mut b2, out);
                    }
                }
            }
            Literal::Negative(a) => {
                let found = self.rels[a.relation.0 as usize]
                    .iter()
                    .any(|t| unify(&a.args, t, &mut b.clone()));
                if !found {
                    self.solve(rest, b, out);
                }
            }
            Literal::Bind { var, expr, .. } => {
                if let Some(x) = eval(expr, b) {
                    let mut b2 = b.clone();
                    b2[var.0 as usize] = Some(x);
                    self.solve(rest, &mut b2, out);
                }
            }
            Literal::Filter(Condition::Compare { op, lhs, rhs, .. }) => {
                if let (Some(x), Some(y)) = (eval(lhs, b), eval(rhs, b)) {
                    let holds = match op {
                        CmpOp::Eq => x == y,
                        CmpOp::Ne => x != y,
                        CmpOp::Lt => x < y,
                        CmpOp::Le => x <= y,
                        CmpOp::Gt => x > y,
                        CmpOp::Ge => x >= y,
                    };
                    if holds {
                        self.solve(rest, b, out);
                    }
                }
            }
            Literal::Filter(Condition::False { .. }) => {}
            Literal::Filter(other) => panic!("not generated: {other:?}"),
            Literal::Aggregate(g) => {
                let mut vals = Vec::new();
                self.solve(&g.body, &mut b.clone(), &mut |inner| {
                    vals.push(g.target.as_ref().map(|t| eval(t, inner)).unwrap_or(Some(0)));
                });
                let vals: Vec<i64> = vals.into_iter().flatten().collect();
                let result = match g.op {
                    AggOp::Count => Some(vals.len() as i64),
                    AggOp::Sum => Some(vals.iter().fold(0i64, |a, &x| a.wrapping_add(x))),
                    AggOp::Min => vals.iter().copied().min(),
                    AggOp::Max => vals.iter().copied().max(),
                    AggOp::Mean => panic!("not generated"),
                };
                if let Some(x) = result {
                    let mut b2 = b.clone();
                    b2[g.var.0 as usize] = Some(x);
                    self.solve(rest, &mut b2, out);
                }
            }
        }
    }
}

fn unify(args: &[Term], t: &[i64], b: &mut [Option<i64>]) -> bool {
    for (arg, &x) in args.iter().zip(t) {
        match arg {
            Term::Wildcard => {}
            Term::Const(Value::Number(n)) => {
                if *n != x {
                    return false;
                }
            }
            Term::Const(other) => panic!("not generated: {other:?}"),
            Term::Var(v) => match b[v.0 as usize] {
                Some(y) if y != x => return false,
                Some(_) => {}
                None => b[v.0 as usize] = Some(x),
            },
        }
    }
    true
}

fn eval(e: &Expr, b: &[Option<i64>]) -> Option<i64> {
    match &e.kind {
        ExprKind::Var(v) => b[v.0 as usize],
        ExprKind::Const(Value::Number(n)) => Some(*n),
        ExprKind::Neg(x) => eval(x, b).map(i64::wrapping_neg),
        ExprKind::Binary { op, lhs, rhs } => {
            let (x, y) = (eval(lhs, b)?, eval(rhs, b)?);
            match op {
                BinOp::Add => Some(x.wrapping_add(y)),
                BinOp::Sub => Some(x.wrapping_sub(y)),
                BinOp::Mul => Some(x.wrapping_mul(y)),
                BinOp::Div => (y != 0).then(|| x.wrapping_div(y)),
                BinOp::Rem => (y != 0).then(|| x.wrapping_rem(y)),
            }
        }
        other => panic!("not generated: {other:?}"),
    }
}

fn inputs(
    program: &Program,
    e0: &[(i64, i64)],
    e1: &[(i64, i64)],
) -> (InputFacts, Vec<(RelId, Vec<Tuple>)>) {
    let naive = [("e0", e0), ("e1", e1)]
        .into_iter()
        .map(|(name, rows)| {
            let rel = program.relation_by_name(name).unwrap();
            (rel, rows.iter().map(|&(x, y)| vec![x, y]).collect())
        })
        .collect();
    (input_facts(program, e0, e1), naive)
}

fn engine_rows(program: &Program, db: &engine::Database, rel: RelId) -> BTreeSet<Tuple> {
    db.values(program, rel)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    Value::Number(n) => n,
                    other => panic!("unexpected {other:?}"),
                })
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_agree_with_the_naive_evaluator(
        rules in rules(15),
        e0 in edges(),
        e1 in edges(),
    ) {
        let text = program_text(&rules);
        let program = match lang::compile_sources(&[("random.rules", &text)]) {
            Ok(p) => p,
            // The checker may refuse a combination (e.g. an unstratifiable
            // cycle is impossible here, but keep the test about the engine).
            Err(errors) => panic!("generated program rejected:\n{text}\n{errors:?}"),
        };
        let (facts, naive_inputs) = inputs(&program, &e0, &e1);
        let db = engine::eval(&program, FactDb::default(), &facts, &Limits::default()).unwrap();
        let want = Naive::run(&program, &naive_inputs);
        for (name, _) in RELS {
            let rel = program.relation_by_name(name).unwrap();
            prop_assert_eq!(
                engine_rows(&program, &db, rel),
                want[rel.0 as usize].clone(),
                "relation {} of\n{}", name, text
            );
        }
    }
}

mod tc {
    crepe::crepe! {
        @input
        pub struct Edge(pub u32, pub u32);
        @output
        pub struct Tc(pub u32, pub u32);
        Tc(x, y) <- Edge(x, y);
        Tc(x, z) <- Tc(x, y), Edge(y, z);
    }
}

mod unreach {
    crepe::crepe! {
        @input
        pub struct Edge(pub u32, pub u32);
        struct Node(u32);
        struct Reach(u32, u32);
        @output
        pub struct Unreach(pub u32, pub u32);
        Node(x) <- Edge(x, _);
        Node(y) <- Edge(_, y);
        Reach(x, y) <- Edge(x, y);
        Reach(x, z) <- Reach(x, y), Edge(y, z);
        Unreach(x, y) <- Node(x), Node(y), !Reach(x, y);
    }
}

const GRAPH_RULES: &str = r#"
.decl edge(x: number, y: number)
.input edge
.decl tc(x: number, y: number)
.output tc
tc(X, Y) :- edge(X, Y).
tc(X, Z) :- tc(X, Y), edge(Y, Z).
.decl node(x: number)
node(X) :- edge(X, _).
node(Y) :- edge(_, Y).
.decl unreach(x: number, y: number)
.output unreach
unreach(X, Y) :- node(X), node(Y), !tc(X, Y).
// The closure again in six columns: rows too long to be held inline.
.decl tc6(x: number, y: number, a: number, b: number, c: number, d: number)
tc6(X, Y, 1, 2, 3, 4) :- edge(X, Y).
tc6(X, Z, A, B, C, D) :- tc6(X, Y, A, B, C, D), edge(Y, Z).
.decl tc6p(x: number, y: number)
tc6p(X, Y) :- tc6(X, Y, 1, 2, 3, 4).
"#;

fn graph_db(edges: &[(u32, u32)]) -> (Program, engine::Database) {
    let program = lang::compile_sources(&[("graph.rules", GRAPH_RULES)]).unwrap();
    let rows: Vec<(i64, i64)> = edges.iter().map(|&(x, y)| (x as i64, y as i64)).collect();
    let edge = program.relation_by_name("edge").unwrap();
    let facts = InputFacts {
        files: vec![InputFile {
            relation: edge,
            path: "edge.facts".into(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (x, y))| (i + 1, vec![x.to_string(), y.to_string()]))
                .collect(),
        }],
    };
    let db = engine::eval(&program, FactDb::default(), &facts, &Limits::default()).unwrap();
    (program, db)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn transitive_closure_and_negation_agree_with_crepe(
        edges in prop::collection::vec((0u32..30, 0u32..30), 0..60)
    ) {
        let (program, db) = graph_db(&edges);

        let mut rt = tc::Crepe::new();
        rt.extend(edges.iter().map(|&(x, y)| tc::Edge(x, y)));
        let (tc_out,) = rt.run();
        let want: BTreeSet<Tuple> = tc_out.into_iter().map(|tc::Tc(x, y)| vec![x as i64, y as i64]).collect();
        prop_assert_eq!(engine_rows(&program, &db, program.relation_by_name("tc").unwrap()), want.clone());
        prop_assert_eq!(engine_rows(&program, &db, program.relation_by_name("tc6p").unwrap()), want);

        let mut ru = unreach::Crepe::new();
        ru.extend(edges.iter().map(|&(x, y)| unreach::Edge(x, y)));
        let (un_out,) = ru.run();
        let want: BTreeSet<Tuple> = un_out.into_iter().map(|unreach::Unreach(x, y)| vec![x as i64, y as i64]).collect();
        prop_assert_eq!(engine_rows(&program, &db, program.relation_by_name("unreach").unwrap()), want);
    }
}

/// Symbols in byte order; the naive evaluator works on their ranks, so it
/// compares texts as the engine must, whatever order they are interned in.
const WORDS: [&str; 8] = ["", "A", "B", "a", "ab", "b", "ba", "é"];

fn symbol_rule_text(t: u8, h: u8, a: u8, b: u8) -> String {
    let [head, p1, p2, n1] = rule_slots(h, a, b);
    match t % 9 {
        0 => format!("{head}(X, Y) :- {p1}(X, Y)."),
        1 => format!("{head}(X, Z) :- {p1}(X, Y), {p2}(Y, Z)."),
        2 => format!("{head}(Y, X) :- {p1}(X, Y)."),
        3 => format!("{head}(X, Y) :- {p1}(X, Y), !{n1}(X, Y)."),
        4 => format!("{head}(X, Y) :- {p1}(X, Y), X < Y."),
        5 => format!("{head}(X, Y) :- {p1}(X, Y), {p2}(X, Y), X >= \"ab\"."),
        6 => format!("{head}(X, X) :- {p1}(X, _), !{n1}(_, X)."),
        7 => format!("{head}(X, Z) :- {p1}(X, Y), {p2}(Z, Y), X != Z."),
        _ => format!(
            "{head}({:?}, {:?}).",
            WORDS[a as usize % WORDS.len()],
            WORDS[b as usize % WORDS.len()]
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_symbol_programs_compare_by_text(
        rules in rules(9),
        e0 in prop::collection::vec((0usize..8, 0usize..8), 0..14),
        e1 in prop::collection::vec((0usize..8, 0usize..8), 0..14),
    ) {
        let mut text = String::new();
        for (name, layer) in RELS {
            text.push_str(&format!(".decl {name}(a: symbol, b: symbol)\n"));
            text.push_str(if layer == 0 { ".input " } else { ".output " });
            text.push_str(name);
            text.push('\n');
        }
        for &(t, h, a, b) in &rules {
            text.push_str(&symbol_rule_text(t, h, a, b));
            text.push('\n');
        }
        let program = lang::compile_sources(&[("random.rules", &text)])
            .unwrap_or_else(|e| panic!("generated program rejected:\n{text}\n{e:?}"));
        // Intern the words in reverse order so ids disagree with text order.
        let mut db = FactDb::default();
        for w in WORDS.iter().rev() {
            db.sym(w);
        }
        let mut facts = InputFacts::default();
        let mut naive_inputs = Vec::new();
        for (name, rows) in [("e0", &e0), ("e1", &e1)] {
            let rel = program.relation_by_name(name).unwrap();
            facts.files.push(InputFile {
                relation: rel,
                path: format!("{name}.facts").into(),
                rows: rows.iter().enumerate()
                    .map(|(i, &(x, y))| (i + 1, vec![WORDS[x].to_string(), WORDS[y].to_string()]))
                    .collect(),
            });
            naive_inputs.push((rel, rows.iter().map(|&(x, y)| vec![x as i64, y as i64]).collect()));
        }
        let got = engine::eval(&program, db, &facts, &Limits::default()).unwrap();
        // The naive evaluator sees ranks: rewrite symbol constants as numbers.
        let ranked = rank_program(&program);
        let want = Naive::run(&ranked, &naive_inputs);
        for (name, _) in RELS {
            let rel = program.relation_by_name(name).unwrap();
            let rows: BTreeSet<Tuple> = got.values(&program, rel).into_iter().map(|row| {
                row.into_iter().map(|v| match v {
                    Value::Symbol(s) => WORDS.iter().position(|w| *w == s).unwrap() as i64,
                    other => panic!("unexpected {other:?}"),
                }).collect()
            }).collect();
            prop_assert_eq!(rows, want[rel.0 as usize].clone(), "relation {} of\n{}", name, text);
        }
    }
}

/// The program with every symbol constant replaced by its rank in WORDS.
fn rank_program(p: &Program) -> Program {
    fn expr(e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Const(v) => rank(v),
            ExprKind::Neg(x) => expr(x),
            ExprKind::Binary { lhs, rhs, .. } => {
                expr(lhs);
                expr(rhs);
            }
            ExprKind::Call { args, .. } => args.iter_mut().for_each(expr),
            ExprKind::Var(_) => {}
        }
    }
    fn rank(v: &mut Value) {
        if let Value::Symbol(s) = v {
            *v = Value::Number(WORDS.iter().position(|w| w == s).unwrap() as i64);
        }
    }
    fn body(lits: &mut [Literal]) {
        for l in lits {
            match l {
                Literal::Positive(a) | Literal::Negative(a) => {
                    for t in &mut a.args {
                        if let Term::Const(v) = t {
                            rank(v);
                        }
                    }
                }
                Literal::Bind { expr: e, .. } => expr(e),
                Literal::Filter(Condition::Compare { lhs, rhs, .. }) => {
                    expr(lhs);
                    expr(rhs);
                }
                Literal::Filter(_) => {}
                Literal::Aggregate(g) => body(&mut g.body),
            }
        }
    }
    let mut p = p.clone();
    for r in &mut p.rules {
        r.head.args.iter_mut().for_each(expr);
        body(&mut r.body);
    }
    p
}
