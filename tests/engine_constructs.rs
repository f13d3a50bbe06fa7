//! One test per construct of the rule language, on programs built by hand
//! (as the checker hands them over) and small fact sets.

mod engine_support;

use std::time::Duration;

use engine_support::*;
use rulecheck::engine::{self, Database, EngineError, InputFacts, Limits};
use rulecheck::facts::{Base, FactDb, Type};
use rulecheck::lang::program::*;

const N: Type = Type::Number;
const S: Type = Type::Symbol;
const F: Type = Type::Float;

fn run(program: &Program, db: FactDb, inputs: &InputFacts) -> Database {
    engine::eval(program, db, inputs, &Limits::default()).expect("evaluation succeeds")
}

fn rows(db: &Database, program: &Program, rel: RelId) -> Vec<String> {
    db.rows_text(program, rel)
        .into_iter()
        .map(|r| r.join(","))
        .collect()
}

fn edges_program() -> (P, RelId, RelId) {
    let mut p = P::new();
    let edge = p.input("edge", &[N, N]);
    let path = p.decl("path", &[N, N]);
    // path(X, Y) :- edge(X, Y).
    p.rule(
        path,
        vec![v(0, N), v(1, N)],
        vec![pos(edge, vec![var(0), var(1)])],
        &[N, N],
    );
    // path(X, Z) :- path(X, Y), edge(Y, Z).
    p.rule(
        path,
        vec![v(0, N), v(2, N)],
        vec![
            pos(path, vec![var(0), var(1)]),
            pos(edge, vec![var(1), var(2)]),
        ],
        &[N, N, N],
    );
    p.stratum(&[edge]);
    p.stratum(&[path]);
    (p, edge, path)
}

#[test]
fn recursion_from_an_input_tsv() {
    let (p, _, path) = edges_program();
    let program = p.finish();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edge.facts"), "1\t2\n2\t3\n3\t1\n4\t5\n").unwrap();
    let (inputs, problems) = engine::read_inputs(&program, &[dir.path().to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    let db = run(&program, FactDb::default(), &inputs);
    let got = rows(&db, &program, path);
    let mut want = Vec::new();
    for a in 1..=3 {
        for b in 1..=3 {
            want.push(format!("{a},{b}"));
        }
    }
    want.push("4,5".into());
    assert_eq!(got, want);
    assert!(db.stats.iterations >= 3);
}

#[test]
fn missing_input_file_is_a_warning_and_an_empty_relation() {
    let (p, edge, path) = edges_program();
    let program = p.finish();
    let dir = tempfile::tempdir().unwrap();
    let (inputs, problems) = engine::read_inputs(&program, &[dir.path().to_path_buf()]);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("edge.facts"),
        "{}",
        problems[0]
    );
    let db = run(&program, FactDb::default(), &inputs);
    assert!(db.is_empty(edge) && db.is_empty(path));
}

#[test]
fn bad_input_row_names_file_and_line() {
    let (p, _, _) = edges_program();
    let program = p.finish();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edge.facts"), "1\t2\nx\t3\n").unwrap();
    let (inputs, _) = engine::read_inputs(&program, &[dir.path().to_path_buf()]);
    let err = engine::eval(&program, FactDb::default(), &inputs, &Limits::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("edge.facts") && msg.contains("line 2") && msg.contains("`x`"),
        "{msg}"
    );
}

#[test]
fn negation_reads_the_complete_earlier_relation() {
    let (mut p, edge, path) = edges_program();
    let node = p.decl("node", &[N]);
    let unreach = p.decl("unreach", &[N, N]);
    // node(X) :- edge(X, _). node(Y) :- edge(_, Y).
    p.rule(
        node,
        vec![v(0, N)],
        vec![pos(edge, vec![var(0), Term::Wildcard])],
        &[N],
    );
    p.rule(
        node,
        vec![v(0, N)],
        vec![pos(edge, vec![Term::Wildcard, var(0)])],
        &[N],
    );
    // unreach(X, Y) :- node(X), node(Y), !path(X, Y), X < Y.
    p.rule(
        unreach,
        vec![v(0, N), v(1, N)],
        vec![
            pos(node, vec![var(0)]),
            pos(node, vec![var(1)]),
            neg(path, vec![var(0), var(1)]),
            cmp(CmpOp::Lt, v(0, N), v(1, N)),
        ],
        &[N, N],
    );
    p.stratum(&[node]);
    p.stratum(&[unreach]);
    p.fact(edge, vec![Value::Number(1), Value::Number(2)]);
    p.fact(edge, vec![Value::Number(3), Value::Number(2)]);
    let program = p.finish();
    let db = run(&program, FactDb::default(), &InputFacts::default());
    assert_eq!(rows(&db, &program, unreach), vec!["1,3", "2,3"]);
}

#[test]
fn aggregates_per_group_and_on_empty_groups() {
    let mut p = P::new();
    let sale = p.decl("sale", &[S, N]);
    let shop = p.decl("shop", &[S]);
    let stats = p.decl("stats", &[S, N, N, N, N, F]);
    for (s, n) in [("a", 3), ("a", 5), ("a", -2), ("b", 7)] {
        p.fact(sale, vec![Value::Symbol(s.into()), Value::Number(n)]);
    }
    for s in ["a", "b", "c"] {
        p.fact(shop, vec![Value::Symbol(s.into())]);
    }
    // stats(S, C, Sum, Min, Max, Mean) :- shop(S), C = count : sale(S, _),
    //   Sum = sum N : sale(S, N), Min = min N : …, Max = max N : …, Mean = mean N : ….
    // Variables: 0 S, 1 C, 2 Sum, 3 Min, 4 Max, 5 Mean, 6.. the local Ns.
    let body_n = |local: u32| vec![pos(sale, vec![var(0), var(local)])];
    p.rule(
        stats,
        vec![v(0, S), v(1, N), v(2, N), v(3, N), v(4, N), v(5, F)],
        vec![
            pos(shop, vec![var(0)]),
            agg(
                1,
                AggOp::Count,
                None,
                vec![pos(sale, vec![var(0), Term::Wildcard])],
                &[0],
            ),
            agg(2, AggOp::Sum, Some(v(6, N)), body_n(6), &[0]),
            agg(3, AggOp::Min, Some(v(7, N)), body_n(7), &[0]),
            agg(4, AggOp::Max, Some(v(8, N)), body_n(8), &[0]),
            agg(5, AggOp::Mean, Some(v(9, N)), body_n(9), &[0]),
        ],
        &[S, N, N, N, N, F, N, N, N, N],
    );
    let counts = p.decl("counts", &[S, N]);
    // counts(S, C) :- shop(S), C = count : sale(S, _).  (0 for shop c)
    p.rule(
        counts,
        vec![v(0, S), v(1, N)],
        vec![
            pos(shop, vec![var(0)]),
            agg(
                1,
                AggOp::Count,
                None,
                vec![pos(sale, vec![var(0), Term::Wildcard])],
                &[0],
            ),
        ],
        &[S, N],
    );
    p.stratum(&[sale]);
    p.stratum(&[shop]);
    p.stratum(&[stats]);
    p.stratum(&[counts]);
    let program = p.finish();
    let db = run(&program, FactDb::default(), &InputFacts::default());
    assert_eq!(
        rows(&db, &program, stats),
        vec!["a,3,6,-2,5,2", "b,1,7,7,7,7"]
    );
    assert_eq!(rows(&db, &program, counts), vec!["a,3", "b,1", "c,0"]);
}

#[test]
fn functors_on_symbols() {
    let mut p = P::new();
    let word = p.decl("word", &[S]);
    let out = p.decl("out", &[S, S, N, S, N, S]);
    p.fact(word, vec![Value::Symbol("Hello".into())]);
    p.fact(word, vec![Value::Symbol("42".into())]);
    // out(W, cat(W, "-x"), strlen(W), lower(substr(W, 1, 3)), N, to_string(N + 1)) :-
    //   word(W), N = to_number(W).      (only "42" parses)
    p.rule(
        out,
        vec![
            v(0, S),
            call(Functor::Cat, vec![v(0, S), sym("-x")], S),
            call(Functor::Strlen, vec![v(0, S)], N),
            call(
                Functor::Lower,
                vec![call(Functor::Substr, vec![v(0, S), num(1), num(3)], S)],
                S,
            ),
            v(1, N),
            call(Functor::ToString, vec![bin(BinOp::Add, v(1, N), num(1))], S),
        ],
        vec![
            pos(word, vec![var(0)]),
            bind(1, call(Functor::ToNumber, vec![v(0, S)], N)),
        ],
        &[S, N],
    );
    let tests = p.decl("tests", &[S]);
    // tests(W) :- word(W), contains("ell", W), match("H.*o", W).
    p.rule(
        tests,
        vec![v(0, S)],
        vec![
            pos(word, vec![var(0)]),
            Literal::Filter(Condition::Builtin {
                constraint: Constraint::Contains,
                args: [sym("ell"), v(0, S)],
                loc: loc(),
            }),
            Literal::Filter(Condition::Builtin {
                constraint: Constraint::Match,
                args: [sym("H.*o"), v(0, S)],
                loc: loc(),
            }),
        ],
        &[S],
    );
    let partial = p.decl("partial", &[S]);
    // partial(W) :- word(W), match("ell", W).   (anchored: no match)
    p.rule(
        partial,
        vec![v(0, S)],
        vec![
            pos(word, vec![var(0)]),
            Literal::Filter(Condition::Builtin {
                constraint: Constraint::Match,
                args: [sym("ell"), v(0, S)],
                loc: loc(),
            }),
        ],
        &[S],
    );
    p.stratum(&[word]);
    p.stratum(&[out]);
    p.stratum(&[tests]);
    p.stratum(&[partial]);
    let program = p.finish();
    let db = run(&program, FactDb::default(), &InputFacts::default());
    assert_eq!(rows(&db, &program, out), vec!["42,42-x,2,2,42,43"]);
    assert_eq!(rows(&db, &program, tests), vec!["Hello"]);
    assert!(db.is_empty(partial));
}

#[test]
fn arithmetic_wraps_and_division_by_zero_drops_the_tuple() {
    let mut p = P::new();
    let n = p.decl("n", &[N]);
    let r = p.decl("r", &[N, N, N, N, N]);
    for x in [-7i64, 0, 3] {
        p.fact(n, vec![Value::Number(x)]);
    }
    // r(X, X + 1, X * X - 2, 10 / X, 10 % X) :- n(X).
    p.rule(
        r,
        vec![
            v(0, N),
            bin(BinOp::Add, v(0, N), num(1)),
            bin(BinOp::Sub, bin(BinOp::Mul, v(0, N), v(0, N)), num(2)),
            bin(BinOp::Div, num(10), v(0, N)),
            bin(BinOp::Rem, num(10), v(0, N)),
        ],
        vec![pos(n, vec![var(0)])],
        &[N],
    );
    let big = p.decl("big", &[N]);
    // big(X + 1) :- n(X), X = 3 ... with max i64: wraps.
    p.rule(
        big,
        vec![bin(BinOp::Add, num(i64::MAX), v(0, N))],
        vec![pos(n, vec![k(Value::Number(3))]), bind(0, num(1))],
        &[N],
    );
    p.stratum(&[n]);
    p.stratum(&[r]);
    p.stratum(&[big]);
    let program = p.finish();
    let db = run(&program, FactDb::default(), &InputFacts::default());
    assert_eq!(rows(&db, &program, r), vec!["-7,-6,47,-1,3", "3,4,7,3,1"]);
    assert_eq!(rows(&db, &program, big), vec![i64::MIN.to_string()]);
}

#[test]
fn comparisons_on_symbols_numbers_and_floats() {
    let mut p = P::new();
    let s = p.decl("s", &[S]);
    // Interned in this order, so ids disagree with text order.
    for x in ["zeta", "alpha", "Beta", "alp"] {
        p.fact(s, vec![Value::Symbol(x.into())]);
    }
    let lt = p.decl("lt", &[S, S]);
    p.rule(
        lt,
        vec![v(0, S), v(1, S)],
        vec![
            pos(s, vec![var(0)]),
            pos(s, vec![var(1)]),
            cmp(CmpOp::Lt, v(0, S), v(1, S)),
            cmp(CmpOp::Ge, v(1, S), sym("alpha")),
        ],
        &[S, S],
    );
    let f = p.decl("f", &[F]);
    for x in [-1.5f64, 0.25, 2.0] {
        p.fact(f, vec![Value::Float(x)]);
    }
    let fpos = p.decl("fpos", &[F, F]);
    // fpos(X, X / 2.0) :- f(X), X > 0.0, X != 2.0.
    p.rule(
        fpos,
        vec![v(0, F), bin(BinOp::Div, v(0, F), c(Value::Float(2.0)))],
        vec![
            pos(f, vec![var(0)]),
            cmp(CmpOp::Gt, v(0, F), c(Value::Float(0.0))),
            cmp(CmpOp::Ne, v(0, F), c(Value::Float(2.0))),
        ],
        &[F],
    );
    let n = p.decl("nn", &[N]);
    for x in [-10i64, 2, 30] {
        p.fact(n, vec![Value::Number(x)]);
    }
    let nle = p.decl("nle", &[N]);
    p.rule(
        nle,
        vec![v(0, N)],
        vec![pos(n, vec![var(0)]), cmp(CmpOp::Le, v(0, N), num(2))],
        &[N],
    );
    for r in [s, lt, f, fpos, n, nle] {
        p.stratum(&[r]);
    }
    let program = p.finish();
    let db = run(&program, FactDb::default(), &InputFacts::default());
    assert_eq!(
        rows(&db, &program, lt),
        vec![
            "Beta,alpha",
            "Beta,zeta",
            "alp,alpha",
            "alp,zeta",
            "alpha,zeta"
        ]
    );
    assert_eq!(rows(&db, &program, fpos), vec!["0.25,0.125"]);
    assert_eq!(rows(&db, &program, nle), vec!["-10", "2"]);
    assert_eq!(rows(&db, &program, s), vec!["Beta", "alp", "alpha", "zeta"]);
}

#[test]
fn base_facts_join_with_constants_and_repeated_variables() {
    let mut db = FactDb::default();
    for (c, par) in [("a", "r"), ("b", "a"), ("c", "c")] {
        let (c, par) = (db.sym(c), db.sym(par));
        db.push(Base::Parent, &[c, par]);
    }
    // Duplicates in the base facts are one tuple.
    let (x, y) = (db.sym("a"), db.sym("r"));
    db.push(Base::Parent, &[x, y]);
    let mut p = P::new();
    let parent = RelId(Base::Parent as u32);
    let selfp = p.decl("selfp", &[S]);
    let of_a = p.decl("of_a", &[S]);
    let grand = p.decl("grand", &[S, S]);
    // selfp(X) :- parent(X, X).   of_a(X) :- parent(X, "a").
    p.rule(
        selfp,
        vec![v(0, S)],
        vec![pos(parent, vec![var(0), var(0)])],
        &[S],
    );
    p.rule(
        of_a,
        vec![v(0, S)],
        vec![pos(parent, vec![var(0), k(Value::Symbol("a".into()))])],
        &[S],
    );
    // grand(X, Z) :- parent(X, Y), parent(Y, Z).
    p.rule(
        grand,
        vec![v(0, S), v(2, S)],
        vec![
            pos(parent, vec![var(0), var(1)]),
            pos(parent, vec![var(1), var(2)]),
        ],
        &[S, S, S],
    );
    p.stratum(&[selfp]);
    p.stratum(&[of_a]);
    p.stratum(&[grand]);
    let program = p.finish();
    let out = run(&program, db, &InputFacts::default());
    assert_eq!(rows(&out, &program, selfp), vec!["c"]);
    assert_eq!(rows(&out, &program, of_a), vec!["b"]);
    assert_eq!(rows(&out, &program, grand), vec!["b,r", "c,c"]);
    assert_eq!(out.len(parent), 3);
}

/// A program whose result is quadratic in its input.
fn runaway() -> (Program, InputFacts) {
    let (p, _, _) = edges_program();
    let program = p.finish();
    let rows = (0..300)
        .map(|i| (i + 1, vec![i.to_string(), (i + 1).to_string()]))
        .collect();
    let inputs = InputFacts {
        files: vec![engine::InputFile {
            relation: program.relation_by_name("edge").unwrap(),
            path: "edge.facts".into(),
            rows,
        }],
    };
    (program, inputs)
}

#[test]
fn max_tuples_stops_a_runaway_program() {
    let (program, inputs) = runaway();
    let limits = Limits {
        max_tuples: Some(1000),
        timeout: None,
        ..Limits::default()
    };
    let err = engine::eval(&program, FactDb::default(), &inputs, &limits).unwrap_err();
    assert!(
        matches!(err, EngineError::TooManyTuples { limit: 1000, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--max-tuples 1000"));
    // The same program completes without the limit: 300 * 301 / 2 paths.
    let db = engine::eval(&program, FactDb::default(), &inputs, &Limits::default()).unwrap();
    assert_eq!(
        db.len(program.relation_by_name("path").unwrap()),
        300 * 301 / 2
    );
}

#[test]
fn timeout_stops_evaluation() {
    let (program, inputs) = runaway();
    let limits = Limits {
        max_tuples: None,
        timeout: Some(Duration::ZERO),
        ..Limits::default()
    };
    let err = engine::eval(&program, FactDb::default(), &inputs, &limits).unwrap_err();
    assert!(matches!(err, EngineError::Timeout { .. }), "{err}");
}

fn run_text(text: &str) -> (Program, Database) {
    let program = rulecheck::lang::compile_sources(&[("t.rules", text)]).expect("valid rules");
    let db = run(&program, FactDb::default(), &InputFacts::default());
    (program, db)
}

fn rel_rows(program: &Program, db: &Database, name: &str) -> Vec<String> {
    rows(db, program, program.relation_by_name(name).unwrap())
}

#[test]
fn aggregates_with_outer_variables_in_filters_and_without_groups() {
    let (p, db) = run_text(
        r#"
        .decl n(x: number)
        n(1). n(2). n(3). n(4).
        .decl below(x: number, c: number)
        below(X, C) :- n(X), C = count : { n(Y), Y < X }.
        .decl upto(x: number, t: number)
        upto(X, T) :- n(X), T = sum Y : { n(Y), Y <= X }.
        .decl f(x: float)
        f(1.5). f(2.5). f(5.0).
        .decl avg(a: float)
        avg(A) :- A = mean X : { f(X) }.
        .decl none_min(x: number)
        none_min(M) :- M = min X : { n(X), X > 10 }.
        .decl none_count(c: number)
        none_count(C) :- C = count : { n(X), X > 10 }.
        .decl top(x: number)
        top(X) :- n(X), X = max Y : { n(Y) }.
        "#,
    );
    assert_eq!(rel_rows(&p, &db, "below"), vec!["1,0", "2,1", "3,2", "4,3"]);
    assert_eq!(rel_rows(&p, &db, "upto"), vec!["1,1", "2,3", "3,6", "4,10"]);
    assert_eq!(rel_rows(&p, &db, "avg"), vec!["3"]);
    assert!(rel_rows(&p, &db, "none_min").is_empty());
    assert_eq!(rel_rows(&p, &db, "none_count"), vec!["0"]);
    assert_eq!(rel_rows(&p, &db, "top"), vec!["4"]);
}

#[test]
fn mutual_recursion_with_negation_of_an_earlier_stratum() {
    let (p, db) = run_text(
        r#"
        .decl e(x: symbol, y: symbol)
        e("a", "b"). e("b", "c"). e("c", "d"). e("d", "e").
        .decl blocked(x: symbol)
        blocked("d").
        .decl even(x: symbol)
        .decl odd(x: symbol)
        even("a").
        odd(Y) :- even(X), e(X, Y), !blocked(Y).
        even(Y) :- odd(X), e(X, Y), !blocked(Y).
        "#,
    );
    assert_eq!(rel_rows(&p, &db, "even"), vec!["a", "c"]);
    assert_eq!(rel_rows(&p, &db, "odd"), vec!["b"]);
}

#[test]
fn an_input_relation_with_rules_keeps_its_rows_and_grows() {
    let program = rulecheck::lang::compile_sources(&[(
        "t.rules",
        ".decl e(x: number, y: number)\n.input e\n.output e\ne(X, Z) :- e(X, Y), e(Y, Z).\ne(9, 9).\n",
    )])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e.facts"), "1\t2\n2\t3\n3\t4\n").unwrap();
    let (inputs, problems) = engine::read_inputs(&program, &[dir.path().to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    let db = run(&program, FactDb::default(), &inputs);
    assert_eq!(
        rel_rows(&program, &db, "e"),
        vec!["1,2", "1,3", "1,4", "2,3", "2,4", "3,4", "9,9"]
    );
}
