//! Every JSON proof re-checks: a walker independent of the prover confirms
//! that each derived node is an instance of the rule it names (head and
//! positive body atoms agree with the bindings), that every tuple it rests
//! on exists, and that every negated atom has no matching tuple. Run over
//! every tuple of a recursive relation, of random programs and, with
//! `../shared`, of the MicroRacer stages on TrainTicket; each both with the
//! provenance recorded during evaluation and by re-derivation from a
//! database evaluated without it.

mod common;
use common::random_program::{edges, input_facts, program_text, rules, RELS};
use common::*;

use proptest::prelude::*;
use rulecheck::engine::{self, Database, Limits};
use rulecheck::explain::{self, render, Ctx, Node};
use rulecheck::facts::FactDb;
use rulecheck::lang::program::{Literal, Program, Term, Value};
use rulecheck::lang::{self};
use serde_json::Value as Json;

fn limits(provenance: bool) -> Limits {
    Limits {
        provenance,
        ..Limits::default()
    }
}

/// Height of a proof: a leaf is 0, a derived tuple one above its tallest child.
fn height(n: &Node) -> usize {
    match n {
        Node::Derived { children, .. } => 1 + children.iter().map(height).max().unwrap_or(0),
        _ => 0,
    }
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Symbol(s) => Json::String(s.clone()),
        Value::Number(n) => serde_json::json!(n),
        Value::Unsigned(u) => serde_json::json!(u),
        Value::Float(f) => serde_json::json!(f),
    }
}

struct Checker<'a> {
    program: &'a Program,
    db: &'a Database,
    steps: usize,
}

impl Checker<'_> {
    fn rows(&self, rel: &str) -> Vec<Vec<Json>> {
        let id = self.program.relation_by_name(rel).expect("relation exists");
        self.db
            .values(self.program, id)
            .iter()
            .map(|r| r.iter().map(to_json).collect())
            .collect()
    }

    fn exists(&self, rel: &str, tuple: &Json) -> bool {
        let t = tuple.as_array().unwrap();
        self.rows(rel).iter().any(|r| r == t)
    }

    fn check(&mut self, n: &Json) {
        let rel = n["relation"].as_str().unwrap_or("");
        match n["kind"].as_str().unwrap() {
            "base" | "input" => assert!(
                self.exists(rel, &n["tuple"]),
                "leaf {n} not in the database"
            ),
            "absent" => {
                let pattern = n["tuple"].as_array().unwrap();
                let hit = self
                    .rows(rel)
                    .into_iter()
                    .any(|r| r.iter().zip(pattern).all(|(c, p)| p.is_null() || c == p));
                assert!(!hit, "negated atom {n} has a matching tuple");
            }
            "aggregate" | "condition" => {}
            "derived" => {
                self.steps += 1;
                assert!(
                    self.exists(rel, &n["tuple"]),
                    "{rel}{} not derived",
                    n["tuple"]
                );
                let rule = self.program.rule(lang::program::RuleId(
                    n["rule"]["index"].as_u64().unwrap() as u32,
                ));
                let head = self.program.relation(rule.head.relation);
                assert_eq!(head.name, rel, "rule of another relation");
                let b = &n["bindings"];
                let var = |v: lang::program::VarId| -> Option<Json> {
                    let name = &rule.var(v).name;
                    (!name.starts_with('$')).then(|| b[name.as_str()].clone())
                };
                for (i, arg) in rule.head.args.iter().enumerate() {
                    if let lang::program::ExprKind::Var(v) = arg.kind {
                        if let Some(val) = var(v) {
                            assert_eq!(val, n["tuple"][i], "head column {i} of {n}");
                        }
                    }
                }
                let children = n["children"].as_array().unwrap();
                assert_eq!(children.len(), rule.body.len(), "one child per literal");
                for (lit, child) in rule.body.iter().zip(children) {
                    if let Literal::Positive(a) | Literal::Negative(a) = lit {
                        assert_eq!(
                            child["relation"].as_str().unwrap(),
                            self.program.relation(a.relation).name
                        );
                        for (i, t) in a.args.iter().enumerate() {
                            let want = match t {
                                Term::Var(v) => var(*v),
                                Term::Const(c) => Some(to_json(c)),
                                Term::Wildcard => None,
                            };
                            if let Some(w) = want {
                                assert_eq!(w, child["tuple"][i], "argument {i} of {child}");
                            }
                        }
                        let kind = child["kind"].as_str().unwrap();
                        match lit {
                            Literal::Positive(_) => assert_ne!(kind, "absent"),
                            _ => assert_eq!(kind, "absent"),
                        }
                    }
                    self.check(child);
                }
            }
            k => panic!("unknown node kind {k}"),
        }
    }
}

/// Proves every tuple of `rel` and re-checks each proof; returns the
/// number of derived steps checked and each proof's height.
fn recheck_all(program: &Program, db: &Database, rel: &str) -> (usize, Vec<usize>) {
    let mut ctx = Ctx::new(program, db);
    let query = explain::parse(
        &format!(
            "{rel}({})",
            vec![
                "_";
                program
                    .relation(program.relation_by_name(rel).unwrap())
                    .arity()
            ]
            .join(", ")
        ),
        program,
    )
    .unwrap();
    let proofs = explain::explain(&mut ctx, &query, usize::MAX);
    assert_eq!(
        proofs.len(),
        db.len(query.relation),
        "every tuple of {rel} proved"
    );
    let mut checker = Checker {
        program,
        db,
        steps: 0,
    };
    for p in &proofs {
        let j = render::json(&mut ctx, p);
        assert_eq!(j["relation"], rel);
        checker.check(&j);
    }
    (checker.steps, proofs.iter().map(height).collect())
}

#[test]
fn every_proof_of_a_recursive_relation_rechecks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("edge.facts"),
        "a\tb\nb\tc\nc\td\nd\tb\nc\ta\ne\te\n",
    )
    .unwrap();
    let rules = dir.path().join("r.rules");
    std::fs::write(
        &rules,
        r#"
.decl edge(A: symbol, B: symbol)
.input edge
.decl path(A: symbol, B: symbol)
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), path(Y, Z).
.decl node(X: symbol)
node(X) :- edge(X, _).
.decl lonely(X: symbol, Y: symbol)
lonely(X, Y) :- node(X), node(Y), X != Y, !path(X, Y).
.decl out_degree(X: symbol, N: number)
out_degree(X, N) :- node(X), N = count : { edge(X, _) }.
"#,
    )
    .unwrap();
    let program = lang::compile_files(&[rules]).expect("rules compile");
    let eval = |provenance| {
        let (db, problems) = engine::eval_with_dirs(
            &program,
            FactDb::default(),
            &[dir.path().to_path_buf()],
            &limits(provenance),
        );
        assert!(problems.is_empty(), "{problems:?}");
        db.unwrap()
    };
    let (recorded, rederived) = (eval(true), eval(false));
    assert!(recorded.provenance.is_some() && rederived.provenance.is_none());
    let path = program.relation_by_name("path").unwrap();
    assert!(recorded.len(path) > 10);
    let mut heights = Vec::new();
    for db in [&recorded, &rederived] {
        let (steps, h) = recheck_all(&program, db, "path");
        assert!(steps >= db.len(path));
        heights.push(h);
        assert!(recheck_all(&program, db, "lonely").0 > 0);
        assert!(recheck_all(&program, db, "out_degree").0 > 0);
    }
    // `path` is one recursive stratum over input facts: the round that
    // first finds a tuple is its minimal height, so the recorded proofs
    // are exactly as tall as the shortest ones re-derivation finds.
    assert_eq!(heights[0], heights[1]);
    assert!(heights[0].iter().any(|&h| h >= 3), "{:?}", heights[0]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Recorded provenance on random programs (recursion, negation,
    /// aggregates, arithmetic): the same tuples as without it, and every
    /// tuple of every derived relation has a recorded proof that re-checks.
    #[test]
    fn recorded_proofs_of_random_programs_recheck(
        rules in rules(15),
        e0 in edges(),
        e1 in edges(),
    ) {
        let text = program_text(&rules);
        let program = lang::compile_sources(&[("random.rules", &text)]).expect("valid program");
        let facts = input_facts(&program, &e0, &e1);
        let with = engine::eval(&program, FactDb::default(), &facts, &limits(true)).unwrap();
        let without = engine::eval(&program, FactDb::default(), &facts, &limits(false)).unwrap();
        for (name, layer) in RELS {
            let rel = program.relation_by_name(name).unwrap();
            prop_assert_eq!(with.values(&program, rel), without.values(&program, rel), "{}", name);
            if layer > 0 {
                recheck_all(&program, &with, name);
            }
        }
    }
}

#[test]
fn every_proof_of_the_microracer_stages_rechecks_on_trainticket() {
    let Some(tt) = trainticket("every_proof_of_the_microracer_stages_rechecks_on_trainticket")
    else {
        return;
    };
    let program =
        lang::compile_files(&[repo().join("rules/microracer.rules")]).expect("rules compile");
    for provenance in [true, false] {
        let (facts, _) = rulecheck::lower::load(&[tt.join("case1")], Default::default());
        let (db, _) = engine::eval_with_dirs(
            &program,
            facts,
            &[repo().join("facts/trainticket")],
            &limits(provenance),
        );
        let db = db.unwrap();
        assert_eq!(db.provenance.is_some(), provenance);
        for rel in [
            "mr_prune_by_flow",
            "mr_pre_validate_reported",
            "mr_pre_validate_kept",
        ] {
            assert!(recheck_all(&program, &db, rel).0 > 0, "{rel}");
        }
    }
}
