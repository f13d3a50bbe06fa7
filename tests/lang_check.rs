//! The rule language front end through its library API: every class of
//! error with its message and position, and valid programs with their
//! strata. Plus `rulecheck check` run as a binary.

use std::process::Command;

use rulecheck::facts::Type;
use rulecheck::lang::program::{Condition, Literal, Term, Value};
use rulecheck::lang::{compile_files, compile_sources, ErrorKind, LangError, Program};

fn check(src: &str) -> Result<Program, Vec<LangError>> {
    compile_sources(&[("t.rules", src)])
}

fn ok(src: &str) -> Program {
    match check(src) {
        Ok(p) => {
            assert_engine_contract(&p);
            p
        }
        Err(errors) => panic!(
            "expected a clean program, got:\n{}",
            errors
                .iter()
                .map(|e| e.short())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// What the engine relies on, checked on every program the tests accept:
/// each body literal reads only variables bound before it, a binding binds
/// a fresh variable, head variables are bound, and strata come in an order
/// where negation and aggregation read only earlier strata.
fn assert_engine_contract(p: &Program) {
    use rulecheck::lang::program::{Expr, ExprKind, RelId, VarId};
    use std::collections::HashSet;

    fn expr_vars(e: &Expr, out: &mut Vec<VarId>) {
        match &e.kind {
            ExprKind::Var(v) => out.push(*v),
            ExprKind::Const(_) => {}
            ExprKind::Neg(x) => expr_vars(x, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                expr_vars(lhs, out);
                expr_vars(rhs, out);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| expr_vars(a, out)),
        }
    }
    fn all_bound(vars: &[VarId], bound: &HashSet<VarId>, what: &str) {
        for v in vars {
            assert!(bound.contains(v), "{what} reads unbound {v:?}");
        }
    }
    fn check_body(
        body: &[Literal],
        bound: &mut HashSet<VarId>,
        reads: &mut Vec<(RelId, bool)>,
        neg: bool,
    ) {
        let mut seen_other = false;
        for lit in body {
            match lit {
                Literal::Positive(a) => {
                    assert!(!seen_other, "positive atoms come first");
                    reads.push((a.relation, neg));
                    for t in &a.args {
                        if let Term::Var(v) = t {
                            bound.insert(*v);
                        }
                    }
                }
                Literal::Negative(a) => {
                    seen_other = true;
                    reads.push((a.relation, true));
                    let vars: Vec<_> = a
                        .args
                        .iter()
                        .filter_map(|t| match t {
                            Term::Var(v) => Some(*v),
                            _ => None,
                        })
                        .collect();
                    all_bound(&vars, bound, "negation");
                }
                Literal::Bind { var, expr, .. } => {
                    seen_other = true;
                    let mut vars = Vec::new();
                    expr_vars(expr, &mut vars);
                    all_bound(&vars, bound, "binding");
                    assert!(bound.insert(*var), "binding rebinds {var:?}");
                }
                Literal::Filter(c) => {
                    seen_other = true;
                    let mut vars = Vec::new();
                    match c {
                        Condition::Compare { lhs, rhs, ty, .. } => {
                            assert_eq!(lhs.ty, *ty);
                            assert_eq!(rhs.ty, *ty);
                            expr_vars(lhs, &mut vars);
                            expr_vars(rhs, &mut vars);
                        }
                        Condition::Builtin { args, .. } => {
                            args.iter().for_each(|a| expr_vars(a, &mut vars))
                        }
                        Condition::False { .. } => {}
                    }
                    all_bound(&vars, bound, "filter");
                }
                Literal::Aggregate(agg) => {
                    seen_other = true;
                    all_bound(&agg.outer, bound, "aggregate");
                    let mut inner = bound.clone();
                    check_body(&agg.body, &mut inner, reads, true);
                    if let Some(t) = &agg.target {
                        let mut vars = Vec::new();
                        expr_vars(t, &mut vars);
                        all_bound(&vars, &inner, "aggregate target");
                    }
                    assert!(bound.insert(agg.var), "aggregate rebinds");
                }
            }
        }
    }

    let stratum_of = |r: RelId| p.strata.iter().position(|s| s.contains(r));
    for (si, stratum) in p.strata.iter().enumerate() {
        let mut recursive = false;
        for &rid in &stratum.rules {
            let rule = p.rule(rid);
            assert!(stratum.contains(rule.head.relation));
            let mut bound = HashSet::new();
            let mut reads = Vec::new();
            check_body(&rule.body, &mut bound, &mut reads, false);
            let mut head_vars = Vec::new();
            for (arg, col) in rule
                .head
                .args
                .iter()
                .zip(p.relation(rule.head.relation).types())
            {
                assert_eq!(arg.ty, col, "head argument type");
                expr_vars(arg, &mut head_vars);
            }
            all_bound(&head_vars, &bound, "head");
            for (rel, negative) in reads {
                match stratum_of(rel) {
                    Some(k) if negative => {
                        assert!(k < si, "negation/aggregate reads its own stratum")
                    }
                    Some(k) => {
                        assert!(k <= si, "reads a later stratum");
                        recursive |= k == si;
                    }
                    None => {}
                }
            }
        }
        assert_eq!(
            stratum.recursive, recursive,
            "recursive flag of stratum {si}"
        );
    }
    let in_strata: usize = p.strata.iter().map(|s| s.rules.len()).sum();
    assert_eq!(
        in_strata,
        p.rules.len(),
        "every rule in exactly one stratum"
    );
}

fn errors(src: &str) -> Vec<LangError> {
    match check(src) {
        Ok(_) => panic!("expected errors, the program checked cleanly"),
        Err(errors) => errors,
    }
}

/// The single error of a program, asserted to be of `kind`.
fn single(src: &str, kind: ErrorKind) -> LangError {
    let mut errs = errors(src);
    assert_eq!(
        errs.len(),
        1,
        "expected one error, got: {:#?}",
        errs.iter().map(|e| e.short()).collect::<Vec<_>>()
    );
    let e = errs.pop().unwrap();
    assert_eq!(e.kind, kind, "{}", e.short());
    assert!(e.help.is_some(), "no hint: {}", e.short());
    e
}

fn at(e: &LangError) -> (usize, usize) {
    (e.line, e.col)
}

const EDGE: &str = ".decl edge(a: symbol, b: symbol)\n.input edge\n";

#[test]
fn syntax_error_names_expected_and_found() {
    let e = single(
        ".decl r(a: symbol)\nr(X) :- span(X, _, _, _, _, _, _)\n",
        ErrorKind::Syntax,
    );
    assert_eq!(e.message, "expected `,`, `;` or `.`, found end of file");
    // Right after the last token, where the `.` is missing.
    assert_eq!(at(&e), (2, 34));
    let e = single(
        ".decl r(a: symbol)\nr(X) :- error(X)\nr(Y) :- error(Y).\n",
        ErrorKind::Syntax,
    );
    assert_eq!(e.message, "expected `,`, `;` or `.`, found `r`");
    assert_eq!(at(&e), (2, 17));
    assert!(e.help.as_deref().unwrap().contains("ends with `.`"));

    let e = single(".decl r(a symbol)\n", ErrorKind::Syntax);
    assert_eq!(e.message, "expected `:` and a type, found `symbol`");
    assert_eq!(at(&e), (1, 11));
}

#[test]
fn syntax_errors_are_collected_per_clause() {
    let errs = errors(".decl r(a: number)\nr(1) :- .\nr(2) :- r(X) X.\nr(3).\n");
    let got: Vec<_> = errs.iter().map(|e| (e.line, e.col, e.kind)).collect();
    assert_eq!(
        got,
        vec![(2, 9, ErrorKind::Syntax), (3, 14, ErrorKind::Syntax)]
    );
    assert_eq!(errs[0].message, "expected an expression, found `.`");
}

#[test]
fn lexical_errors() {
    let e = single(".decl r(a: symbol)\nr(\"abc).\n", ErrorKind::Syntax);
    assert_eq!(e.message, "unterminated string");
    assert_eq!(at(&e), (2, 3));

    let e = single(".decl r(a: symbol)\nr(\"a\\qb\").\n", ErrorKind::Syntax);
    assert_eq!(e.message, "unknown escape `\\q`");
    assert_eq!(at(&e), (2, 5));
}

#[test]
fn preprocessor_line_is_an_error_with_a_hint() {
    let e = single(
        "#include \"x.dl\"\n.decl r(a: number)\n",
        ErrorKind::Unsupported,
    );
    assert_eq!(e.message, "preprocessor lines are not supported");
    assert_eq!(at(&e), (1, 1));
    assert!(e.help.as_deref().unwrap().contains(".include"));
}

#[test]
fn unknown_relation_suggests_the_closest_name() {
    let e = single(
        ".decl r(a: symbol)\nr(X) :- spam(X, _, _, _, _, _, _).\n",
        ErrorKind::UnknownRelation,
    );
    assert_eq!(e.message, "relation `spam` is not declared");
    assert_eq!(at(&e), (2, 9));
    assert_eq!(e.help.as_deref(), Some("did you mean `span`?"));
}

#[test]
fn arity_mismatch() {
    let src = format!("{EDGE}.decl r(a: symbol)\nr(X) :- edge(X, _, _).\n");
    let e = single(&src, ErrorKind::Arity);
    assert_eq!(e.message, "`edge` has 2 columns but is given 3 arguments");
    assert_eq!(at(&e), (4, 9));
    assert!(e
        .help
        .as_deref()
        .unwrap()
        .contains("edge(a: symbol, b: symbol)"));
}

#[test]
fn conflicting_variable_types_name_both_uses() {
    let e = single(
        ".decl r(a: symbol)\nr(S) :- span(S, _, _, _, _, T, _), parent(T, S).\n",
        ErrorKind::Type,
    );
    assert_eq!(
        e.message,
        "type mismatch: `T` is used as number and as symbol"
    );
    assert_eq!(at(&e), (2, 43));
    // The first use is labelled too: rendered, both show.
    let rendered = render(&e);
    assert!(
        rendered.contains("symbol here (column `Child` of `parent`)"),
        "{rendered}"
    );
    assert!(
        rendered.contains("number here (column `Start` of `span`)"),
        "{rendered}"
    );
}

#[test]
fn type_mismatch_in_comparison_and_functor() {
    let e = single(
        ".decl r(a: symbol)\nr(S) :- span(S, _, _, _, _, T, _), T < \"x\".\n",
        ErrorKind::Type,
    );
    assert_eq!(e.message, "type mismatch: expected number, found symbol");
    assert_eq!(at(&e), (2, 40));

    let e = single(
        ".decl r(a: number)\nr(N) :- span(S, _, _, _, _, _, _), N = cat(S, \"x\").\n",
        ErrorKind::Type,
    );
    assert_eq!(e.message, "type mismatch: expected number, found symbol");
    assert_eq!(at(&e), (2, 40));

    let e = single(
        ".decl r(a: symbol)\nr(S) :- span(S, _, _, _, _, _, _), S = \"a\" + \"b\".\n",
        ErrorKind::Type,
    );
    assert!(e.message.contains("arithmetic `+`"), "{}", e.message);
}

#[test]
fn constants_must_fit_their_column() {
    let e = single(".decl r(a: symbol, n: number)\nr(1, 2).\n", ErrorKind::Type);
    assert_eq!(e.message, "type mismatch: expected symbol, found number");
    assert_eq!(at(&e), (2, 3));
    let e = single(".decl r(n: unsigned)\nr(-1).\n", ErrorKind::Type);
    assert_eq!(at(&e), (2, 3));
}

#[test]
fn unbound_head_variable() {
    let e = single(
        &format!("{EDGE}.decl r(a: symbol, b: symbol)\nr(X, Y) :- edge(X, _).\n"),
        ErrorKind::Unbound,
    );
    assert_eq!(e.message, "head variable `Y` is not bound by the body");
    assert_eq!(at(&e), (4, 6));
}

#[test]
fn unbound_in_negation_and_comparison() {
    let e = single(
        &format!("{EDGE}.decl r(a: symbol)\nr(X) :- edge(X, _), !edge(Y, X).\n"),
        ErrorKind::Unbound,
    );
    assert_eq!(e.message, "variable `Y` is not bound");
    assert_eq!(at(&e), (4, 27));
    assert!(e.help.as_deref().unwrap().contains("negated atom"));

    let e = single(
        &format!("{EDGE}.decl r(a: symbol)\nr(X) :- edge(X, _), X != Z.\n"),
        ErrorKind::Unbound,
    );
    assert_eq!(e.message, "variable `Z` is not bound");
    assert_eq!(at(&e), (4, 26));

    let e = single(
        &format!("{EDGE}.decl r(a: symbol)\nr(X) :- edge(X, _), contains(W, X).\n"),
        ErrorKind::Unbound,
    );
    assert_eq!(at(&e), (4, 30));
}

#[test]
fn variable_in_a_fact() {
    let e = single(".decl r(a: symbol)\nr(X).\n", ErrorKind::Unbound);
    assert_eq!(e.message, "variable `X` in a fact");
    assert_eq!(at(&e), (2, 3));
}

#[test]
fn negation_through_recursion_shows_the_cycle() {
    let src = format!(
        "{EDGE}.decl a(x: symbol)\n.decl b(x: symbol)\na(X) :- edge(X, _), !b(X).\nb(X) :- a(X).\n"
    );
    let e = single(&src, ErrorKind::Stratification);
    assert_eq!(
        e.message,
        "the program cannot be stratified: negation inside a recursive cycle: a -> !b -> a"
    );
    assert_eq!(at(&e), (5, 21));
}

#[test]
fn aggregation_through_recursion_shows_the_cycle() {
    let src = ".decl n(x: number)\nn(0).\nn(C) :- n(_), C = count : { n(_) }.\n";
    let e = single(src, ErrorKind::Stratification);
    assert_eq!(
        e.message,
        "the program cannot be stratified: aggregation inside a recursive cycle: n -> aggregate over n"
    );
    assert_eq!(at(&e), (3, 29));
}

#[test]
fn directives_of_undeclared_relations() {
    let errs = errors(".output out\n.input inp\n.invariant never \"x\"\n");
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, e.line, e.col, e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::UnknownRelation,
                1,
                9,
                "`.output` relation `out` is not declared"
            ),
            (
                ErrorKind::UnknownRelation,
                2,
                8,
                "`.input` relation `inp` is not declared"
            ),
            (
                ErrorKind::UnknownRelation,
                3,
                12,
                "invariant relation `never` is not declared"
            ),
        ]
    );
}

#[test]
fn duplicate_declaration_points_at_both() {
    let e = single(
        ".decl r(a: symbol)\n.decl r(a: symbol)\n",
        ErrorKind::DuplicateDecl,
    );
    assert_eq!(e.message, "relation `r` is declared twice");
    assert_eq!(at(&e), (2, 7));
    assert!(render(&e).contains("first declared here"));
}

#[test]
fn base_relation_redeclared() {
    // The same signature is fine (so Soufflé can run the file)…
    let p = ok(".decl parent(c: symbol, p: symbol)\n.input parent\n");
    let parent = p.relation_by_name("parent").unwrap();
    assert!(p.relation(parent).base.is_some());
    assert!(!p.relation(parent).input);
    // …another is not.
    let e = single(
        ".decl parent(c: symbol, p: number)\n",
        ErrorKind::BaseMismatch,
    );
    assert_eq!(at(&e), (1, 1));
    assert!(e
        .help
        .as_deref()
        .unwrap()
        .contains(".decl parent(Child: symbol, Parent: symbol)"));
}

#[test]
fn base_relation_in_a_head() {
    let e = single("parent(\"a\", \"b\").\n", ErrorKind::Invalid);
    assert_eq!(at(&e), (1, 1));
}

#[test]
fn unknown_type_and_aliases() {
    let e = single(".decl r(a: strin)\n", ErrorKind::UnknownType);
    assert_eq!(e.message, "unknown type `strin`");
    assert_eq!(at(&e), (1, 12));
    let p = ok(".type Id <: symbol\n.type Count = number\n.type Key = Id\n.decl r(a: Key, n: Count)\nr(\"x\", 1).\n");
    let r = p.relation(p.relation_by_name("r").unwrap());
    assert_eq!(
        r.types().collect::<Vec<_>>(),
        vec![Type::Symbol, Type::Number]
    );
}

#[test]
fn invalid_regex_is_reported_at_check_time() {
    let e = single(
        ".decl r(a: symbol)\nr(S) :- span(S, _, _, N, _, _, _), match(\"a(b\", N).\n",
        ErrorKind::Regex,
    );
    assert!(
        e.message.starts_with("invalid regular expression"),
        "{}",
        e.message
    );
    assert_eq!(at(&e), (2, 42));
}

#[test]
fn several_errors_in_one_file() {
    let errs = errors(".decl r(a: symbol)\nr(X) :- nope(X).\nr(X) :- parent(X).\n.output zz\n");
    let kinds: Vec<_> = errs.iter().map(|e| (e.kind, e.line)).collect();
    assert_eq!(
        kinds,
        vec![
            (ErrorKind::UnknownRelation, 2),
            (ErrorKind::Arity, 3),
            (ErrorKind::UnknownRelation, 4)
        ]
    );
}

#[test]
fn recursion_gives_a_recursive_stratum_after_its_inputs() {
    let p = ok(&format!(
        "{EDGE}.decl path(a: symbol, b: symbol)\n.output path\n\
         path(A, B) :- edge(A, B).\npath(A, C) :- path(A, B), edge(B, C).\n\
         .decl far(a: symbol)\nfar(A) :- path(A, _), !edge(A, _).\n"
    ));
    let names = |s: &rulecheck::lang::program::Stratum| {
        s.relations
            .iter()
            .map(|&r| p.relation(r).name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(p.strata.len(), 2);
    assert_eq!(names(&p.strata[0]), vec!["path"]);
    assert!(p.strata[0].recursive);
    assert_eq!(p.strata[0].rules.len(), 2);
    assert_eq!(names(&p.strata[1]), vec!["far"]);
    assert!(!p.strata[1].recursive);
    let path = p.relation_by_name("path").unwrap();
    assert!(p.relation(path).output);
    assert!(p.relation(p.relation_by_name("edge").unwrap()).input);
}

#[test]
fn mutual_recursion_is_one_stratum() {
    let p = ok(&format!(
        "{EDGE}.decl even(a: symbol)\n.decl odd(a: symbol)\n\
         even(A) :- edge(A, A).\nodd(B) :- even(A), edge(A, B).\neven(B) :- odd(A), edge(A, B).\n"
    ));
    assert_eq!(p.strata.len(), 1);
    assert_eq!(p.strata[0].relations.len(), 2);
    assert!(p.strata[0].recursive);
    assert_eq!(p.strata[0].rules.len(), 3);
}

#[test]
fn negation_is_ordered_after_the_atoms_that_bind_it() {
    let p = ok(&format!(
        "{EDGE}.decl r(a: symbol, n: number)\n\
         r(A, N) :- !edge(A, B), edge(A, B), span(A, _, _, _, _, S, _), N = S + 1, A != B.\n"
    ));
    let rule = &p.rules[0];
    let kinds: Vec<&str> = rule
        .body
        .iter()
        .map(|l| match l {
            Literal::Positive(_) => "pos",
            Literal::Negative(_) => "neg",
            Literal::Bind { .. } => "bind",
            Literal::Filter(_) => "filter",
            Literal::Aggregate(_) => "agg",
        })
        .collect();
    assert_eq!(kinds, vec!["pos", "pos", "neg", "bind", "filter"]);
    let Literal::Bind { var, expr, .. } = &rule.body[3] else {
        unreachable!()
    };
    assert_eq!(rule.var(*var).name, "N");
    assert_eq!(rule.var(*var).ty, Type::Number);
    assert_eq!(expr.ty, Type::Number);
    let Literal::Filter(Condition::Compare { ty, .. }) = &rule.body[4] else {
        panic!("expected a comparison filter")
    };
    assert_eq!(*ty, Type::Symbol);
}

#[test]
fn disjunction_and_multiple_heads_split_into_rules() {
    let p = ok(&format!(
        "{EDGE}.decl a(x: symbol)\n.decl b(x: symbol)\n\
         a(X), b(X) :- edge(X, Y), (Y = \"p\" ; Y = \"q\"), !error(X).\n"
    ));
    assert_eq!(p.rules.len(), 4);
    let heads: Vec<_> = p
        .rules
        .iter()
        .map(|r| p.relation(r.head.relation).name.clone())
        .collect();
    assert_eq!(heads, vec!["a", "a", "b", "b"]);
    for r in &p.rules {
        assert_eq!(r.body.len(), 3);
        assert_eq!(p.sources.text(r.loc).lines().count(), 1);
    }
}

#[test]
fn aggregates_bind_their_result_with_local_variables() {
    let p = ok(&format!(
        "{EDGE}.decl deg(a: symbol, n: number)\n\
         deg(A, N) :- edge(A, _), N = count : {{ edge(A, B) }}.\n\
         .decl total(n: number)\ntotal(T) :- T = sum D : {{ deg(_, D) }}.\n\
         .decl fewest(n: number)\nfewest(M) :- M = min D : deg(_, D).\n\
         .decl avg(f: float)\navg(M) :- M = mean D : {{ deg(_, D) }}.\n"
    ));
    let deg = &p.rules[0];
    let agg = deg
        .body
        .iter()
        .find_map(|l| match l {
            Literal::Aggregate(a) => Some(a),
            _ => None,
        })
        .expect("an aggregate");
    assert_eq!(agg.outer.len(), 1);
    assert_eq!(deg.var(agg.outer[0]).name, "A");
    assert_eq!(deg.var(agg.var).ty, Type::Number);
    assert_eq!(p.strata.len(), 4);
    // The aggregate reads `deg`, so `total` comes in a later stratum.
    let total = p.relation_by_name("total").unwrap();
    let deg_id = p.relation_by_name("deg").unwrap();
    let pos = |r| p.strata.iter().position(|s| s.contains(r)).unwrap();
    assert!(pos(deg_id) < pos(total));
    let avg = &p.rules[3];
    assert_eq!(avg.head.args[0].ty, Type::Float);
}

#[test]
fn aggregate_variable_bound_only_inside_is_an_error_outside() {
    let e = single(
        &format!("{EDGE}.decl r(a: symbol, n: number)\nr(B, N) :- N = count : {{ edge(_, B) }}.\n"),
        ErrorKind::Unbound,
    );
    assert_eq!(e.message, "variable `B` is not bound");
    assert_eq!(at(&e), (4, 34));
    assert!(e.help.as_deref().unwrap().contains("outside"));
}

#[test]
fn constants_functors_and_facts() {
    let p = ok(".decl r(s: symbol, n: number, u: unsigned, f: float)\n\
               r(\"a\\\"b\\n\", -0x10, 3u, 1.5).\nr(\"x\", 2, 4, 2).\n\
               .decl s(s: symbol)\ns(L) :- r(S, N, _, _), N < 0, L = cat(lower(S), to_string(strlen(S) + N)).\n\
               s(S) :- r(S, _, _, _), contains(\"a\", S), match(\"a.*\", S).\n");
    let fact = &p.rules[0];
    assert!(fact.body.is_empty());
    let consts: Vec<_> = fact
        .head
        .args
        .iter()
        .map(|a| match &a.kind {
            rulecheck::lang::program::ExprKind::Const(c) => c.clone(),
            other => panic!("not a constant: {other:?}"),
        })
        .collect();
    assert_eq!(
        consts,
        vec![
            Value::Symbol("a\"b\n".into()),
            Value::Number(-16),
            Value::Unsigned(3),
            Value::Float(1.5)
        ]
    );
    let second: Vec<Type> = p.rules[1].head.args.iter().map(|a| a.ty).collect();
    assert_eq!(
        second,
        vec![Type::Symbol, Type::Number, Type::Unsigned, Type::Float]
    );
    // A constant in a body atom is a constant term.
    let p = ok(".decl t(s: symbol)\nt(S) :- tag(S, \"http.method\", _).\n");
    let Literal::Positive(atom) = &p.rules[0].body[0] else {
        panic!()
    };
    assert_eq!(
        atom.args[1],
        Term::Const(Value::Symbol("http.method".into()))
    );
    assert_eq!(atom.args[2], Term::Wildcard);
}

#[test]
fn soufflé_io_parameters_and_qualifiers_are_accepted() {
    let p = ok(".decl r(a: symbol) btree\n.input r(IO=file, filename=\"r.facts\", delimiter=\"\\t\")\n\
                .decl o(a: symbol)\n.output o(IO=stdout)\no(X) :- r(X).\n/* block\ncomment */ // line\n");
    assert!(p.relation(p.relation_by_name("o").unwrap()).output);
}

#[test]
fn invariants_are_collected() {
    let p = ok(".decl bad(s: symbol)\n.invariant bad \"no span may fail\"\nbad(S) :- error(S).\n");
    assert_eq!(p.invariants.len(), 1);
    assert_eq!(p.invariants[0].message, "no span may fail");
    assert_eq!(p.relation(p.invariants[0].relation).name, "bad");
}

#[test]
fn in_memory_includes_resolve_by_name() {
    let p = compile_sources(&[
        (
            "lib/flows.rules",
            ".decl flow(s: symbol)\nflow(S) :- span(S, _, _, _, _, _, _).\n",
        ),
        (
            "lib/conflicts.rules",
            ".include \"flows.rules\"\n.decl c(s: symbol)\nc(S) :- flow(S).\n",
        ),
    ])
    .unwrap_or_else(|e| panic!("{}", e[0].short()));
    assert_eq!(p.sources.files.len(), 2);
    assert_eq!(p.rules.len(), 2);
}

#[test]
fn includes_on_disk_once_and_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(
        d.join("base.rules"),
        ".decl b(s: symbol)\nb(S) :- error(S).\n",
    )
    .unwrap();
    std::fs::write(
        d.join("sub/left.rules"),
        ".include \"../base.rules\"\n.decl l(s: symbol)\nl(S) :- b(S).\n",
    )
    .unwrap();
    std::fs::write(
        d.join("main.rules"),
        ".include \"base.rules\"\n.include \"sub/left.rules\"\n.decl m(s: symbol)\n.output m\nm(S) :- l(S), b(S).\n",
    )
    .unwrap();
    // base.rules is reached twice but read once: no duplicate `.decl b`.
    let p = compile_files(&[d.join("main.rules")]).unwrap_or_else(|e| panic!("{}", e[0].short()));
    assert_eq!(p.sources.files.len(), 3);
    assert_eq!(p.strata.len(), 3);
    // The folder form finds all three; each still read once.
    let p = compile_files(&[d.to_path_buf()]).unwrap_or_else(|e| panic!("{}", e[0].short()));
    assert_eq!(p.sources.files.len(), 3);

    std::fs::write(d.join("x.rules"), ".include \"y.rules\"\n").unwrap();
    std::fs::write(d.join("y.rules"), "\n.include \"x.rules\"\n").unwrap();
    let errs = compile_files(&[d.join("x.rules")]).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, ErrorKind::Include);
    assert_eq!(at(&errs[0]), (2, 1));
    assert!(errs[0].file.ends_with("y.rules"));
    assert!(errs[0].message.starts_with("include cycle: "));
    assert!(errs[0].message.contains("x.rules -> "));

    std::fs::write(
        d.join("z.rules"),
        ".decl z(a: number)\n.include \"missing.rules\"\n",
    )
    .unwrap();
    let errs = compile_files(&[d.join("z.rules")]).unwrap_err();
    assert_eq!(errs[0].kind, ErrorKind::Include);
    assert_eq!(at(&errs[0]), (2, 1));

    let errs = compile_files(&[d.join("nope.rules")]).unwrap_err();
    assert_eq!(errs[0].kind, ErrorKind::Io);
}

#[test]
fn binary_check_exits_2_and_names_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.rules");
    std::fs::write(&bad, ".decl r(a: symbol)\n\nr(X) :-  nope(X).\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rulecheck"))
        .arg("check")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:10", bad.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("relation `nope` is not declared"),
        "{stderr}"
    );
    assert!(stderr.contains("1 problem in 1 file"), "{stderr}");

    let good = dir.path().join("good.rules");
    std::fs::write(&good, ".decl r(a: symbol)\n.output r\nr(X) :- error(X).\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rulecheck"))
        .arg("check")
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn render(e: &LangError) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
        .render_report(&mut out, e)
        .unwrap();
    out
}

#[test]
fn pathological_nesting_and_disjunctions_are_errors_not_crashes() {
    let deep = format!(
        ".decl r(n: number)\nr(N) :- r(M), N = {}M{}.\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let e = single(&deep, ErrorKind::Syntax);
    assert_eq!(e.message, "expression nested too deeply");
    let alts = "(r(N) ; r(N)), ".repeat(40);
    let wide = format!(".decl r(n: number)\nr(N) :- {alts}r(N).\n");
    let e = single(&wide, ErrorKind::Unsupported);
    assert_eq!(at(&e), (2, 1));
}

#[test]
fn undeclared_user_input_hints_at_its_declaration() {
    let e = single(
        ".decl k(t: symbol)\nk(T) :- key_column(T, _).\n",
        ErrorKind::UnknownRelation,
    );
    assert_eq!(at(&e), (2, 9));
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .contains(".decl key_column(Table: symbol, Column: symbol)` and `.input key_column`"),
        "{:?}",
        e.help
    );
}

#[test]
fn parenthesised_expressions_and_groups_both_parse() {
    let p = ok(".decl n(x: number)\nn(1).\nn(2).\n.decl m(x: number)\n\
                m(X) :- n(X), (X + 1) * 2 > 3, (X = 1 ; (X = 2, true)).\n");
    let rules: Vec<_> = p.rules.iter().filter(|r| !r.body.is_empty()).collect();
    assert_eq!(rules.len(), 2);
    // n(X), the arithmetic filter, and X = 1 (or X = 2; `true` is dropped).
    assert!(rules.iter().all(|r| r.body.len() == 3));
}

#[test]
fn numbers_in_every_notation() {
    let p = ok(".decl n(x: number)\nn(0x1F).\nn(-0x10).\nn(- 7).\n\
                .decl f(x: float)\nf(2e3).\nf(1.5E-2).\nf(3).\n.decl u(x: unsigned)\nu(18446744073709551615u).\n");
    let values: Vec<Value> = p
        .rules
        .iter()
        .map(|r| match &r.head.args[0].kind {
            rulecheck::lang::program::ExprKind::Const(c) => c.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        vec![
            Value::Number(31),
            Value::Number(-16),
            Value::Number(-7),
            Value::Float(2000.0),
            Value::Float(0.015),
            Value::Float(3.0),
            Value::Unsigned(u64::MAX),
        ]
    );
    let e = single(
        ".decl n(x: number)\nn(9223372036854775808).\n",
        ErrorKind::Syntax,
    );
    assert_eq!(e.message, "number out of range for a 64-bit integer");
    assert_eq!(at(&e), (2, 3));
    let p = ok(".decl n(x: number)\nn(-9223372036854775808).\n");
    assert_eq!(p.rules.len(), 1);
    let e = single(".decl n(x: number)\nn(12ab).\n", ErrorKind::Syntax);
    assert_eq!(e.message, "`12ab` is not a number");
}

#[test]
fn computed_atom_arguments_become_filters() {
    let p = ok(
        ".decl n(x: number)\nn(1).\n.decl m(x: number)\nm(X) :- n(X), n(X + 1).\n\
                .decl k(x: number)\nk(X) :- n(X), !n(X * 2).\n",
    );
    let m = &p.rules[1];
    assert_eq!(m.body.len(), 3);
    assert!(matches!(
        m.body[2],
        Literal::Filter(Condition::Compare { .. })
    ));
    let k = &p.rules[2];
    // The computed argument of a negated atom is bound before it.
    assert!(matches!(k.body[1], Literal::Bind { .. }));
    assert!(matches!(k.body[2], Literal::Negative(_)));
}

#[test]
fn unsupported_souffle_constructs_say_so() {
    let cases = [
        (".decl e(a: number, b: number) eqrel\n", "eqrel"),
        (".type T = A | B\n", "union types"),
        (".functor f(number): number\n", "`.functor`"),
        (
            ".decl r(x: number)\nr(X) :- r(Y), X = @f(Y).\n",
            "user-defined functors",
        ),
        (
            ".decl r(x: number)\nr(C) :- C = sum X : { r(X) ; r(X) }.\n",
            "disjunction inside an aggregate",
        ),
    ];
    for (src, what) in cases {
        let e = single(src, ErrorKind::Unsupported);
        assert!(e.message.contains(what), "{src}: {}", e.message);
    }
}

#[test]
fn nested_aggregates_scope_their_variables() {
    let p = ok(
        ".decl e(a: symbol, b: symbol)\n.input e\n.decl r(a: symbol, n: number)\n\
                r(A, N) :- e(A, _), N = max C : { e(B, _), C = count : { e(B, X), X != A } }.\n",
    );
    let rule = &p.rules[0];
    let outer = rule
        .body
        .iter()
        .find_map(|l| match l {
            Literal::Aggregate(a) => Some(a),
            _ => None,
        })
        .unwrap();
    let names: Vec<_> = outer
        .outer
        .iter()
        .map(|&v| rule.var(v).name.as_str())
        .collect();
    assert_eq!(names, vec!["A"]);
    let inner = outer
        .body
        .iter()
        .find_map(|l| match l {
            Literal::Aggregate(a) => Some(a),
            _ => None,
        })
        .unwrap();
    let mut names: Vec<_> = inner
        .outer
        .iter()
        .map(|&v| rule.var(v).name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, vec!["A", "B"]);
}

#[test]
fn souffle_declaration_forms() {
    let p = ok(".decl a, b(x: number) output\n.decl c(x: number) brie input\nc(1).\na(X) :- c(X).\nb(X) :- c(X).\n\
                .once\n.decl n(x: unsigned)\nn(0x1Fu).\nn(0b101).\n.decl s(x: symbol)\ns(\"\\a\\v\").\n");
    let rel = |n: &str| p.relation(p.relation_by_name(n).unwrap());
    assert!(rel("a").output && rel("b").output && !rel("c").output);
    assert!(rel("c").input);
    let consts: Vec<_> = p
        .rules
        .iter()
        .filter(|r| r.body.is_empty())
        .map(|r| match &r.head.args[0].kind {
            rulecheck::lang::program::ExprKind::Const(c) => c.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        consts,
        vec![
            Value::Number(1),
            Value::Unsigned(31),
            Value::Unsigned(5),
            Value::Symbol("\u{7}\u{b}".into())
        ]
    );
    // A qualifier-like name on the next line is a rule, not a qualifier.
    let p = ok(".decl input(x: number)\n.decl r(x: number)\ninput(1).\nr(X) :- input(X).\n");
    assert_eq!(p.rules.len(), 2);
}

/// Every single-character edit of a valid program compiles or fails with
/// diagnostics that point inside the text; none panics.
#[test]
fn no_edit_of_a_valid_program_panics() {
    let src =
        ".type Id <: symbol\n.decl e(a: Id, b: Id)\n.input e\n.decl p(a: symbol, n: number)\n\
               .output p\n/* c */ p(A, N) :- e(A, B), !e(B, A), N = count : { e(A, _) }, \
               N > 0x1 ; e(A, \"x\\n\"), N = strlen(cat(A, \"y\")) - 1.\n.invariant p \"never\"\n";
    let inserts = [
        "(", ")", ",", ".", ":", ":-", "!", "\"", "{", "}", ";", "=", "-", "_", "0", "a", "#",
        "/*", "@",
    ];
    let mut variants = Vec::new();
    for (i, _) in src.char_indices() {
        let mut deleted = src.to_string();
        deleted.remove(i);
        variants.push(deleted);
        for ins in inserts {
            let mut s = src.to_string();
            s.insert_str(i, ins);
            variants.push(s);
        }
    }
    for v in &variants {
        if let Err(errors) = check(v) {
            assert!(!errors.is_empty());
            for e in &errors {
                assert!(
                    e.line >= 1 && e.line <= v.lines().count() + 1,
                    "{v}\n{}",
                    e.short()
                );
                assert!(e.help.is_some(), "no hint for {}\nin:\n{v}", e.short());
            }
        }
    }
}

#[test]
fn single_use_variables_are_warnings() {
    use rulecheck::lang::check_sources;
    let checked = check_sources(&[(
        "t.rules",
        ".decl r(a: symbol)\nr(X) :- parent(X, Y).\nr(X) :- parent(X, _y), N = count : { calls(X, C) }, N > 1.\n",
    )]);
    assert!(checked.program.is_ok());
    let got: Vec<_> = checked
        .warnings
        .iter()
        .map(|w| (w.kind, w.line, w.col, w.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (ErrorKind::SingleUse, 2, 19, "variable `Y` occurs only once"),
            (ErrorKind::SingleUse, 3, 47, "variable `C` occurs only once"),
        ]
    );
    assert!(checked
        .warnings
        .iter()
        .all(|w| w.severity == rulecheck::diag::Severity::Warning));
    let checked = check_sources(&[(
        "t.rules",
        ".decl seen(a: symbol)\n.decl r(a: symbol)\nr(X) :- error(X), !seen(X).\n",
    )]);
    let w = &checked.warnings;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, ErrorKind::NoRules);
    assert_eq!(
        w[0].message,
        "relation `seen` is read but never filled: it is always empty"
    );
    assert_eq!(at(&w[0]), (1, 1));
    // A rule with errors gets no lint on top.
    let checked = check_sources(&[("t.rules", ".decl r(a: symbol)\nr(X) :- nope(X, Y).\n")]);
    assert!(checked.program.is_err());
    assert!(checked.warnings.is_empty());
}

#[test]
fn functor_and_constraint_arity() {
    let e = single(
        ".decl r(a: symbol)\nr(X) :- error(S), X = substr(S, 1).\n",
        ErrorKind::Arity,
    );
    assert_eq!(e.message, "`substr` takes 3 arguments, 2 given");
    assert_eq!(at(&e), (2, 23));
    let e = single(
        ".decl r(a: symbol)\nr(S) :- error(S), contains(S).\n",
        ErrorKind::Arity,
    );
    assert_eq!(e.message, "`contains` takes 2 arguments, 1 given");
    assert_eq!(at(&e), (2, 19));
    let e = single(
        ".decl r(a: symbol)\nr(X) :- error(S), X = frob(S).\n",
        ErrorKind::Syntax,
    );
    assert_eq!(e.message, "unknown functor `frob`");
    assert_eq!(at(&e), (2, 23));
}
