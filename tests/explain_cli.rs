//! `rulecheck explain` through the real binary: proof trees of a small
//! recursive program with negation and an aggregate, --why-not, the exit
//! codes of bad queries and of tuples that are not derived, and the
//! TrainTicket acceptance case (skipped without `../shared`).

mod common;
use common::*;
use std::path::Path;

const RULES: &str = r#"
.decl edge(A: symbol, B: symbol)
.input edge
.decl path(A: symbol, B: symbol)
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
.decl node(X: symbol)
node(X) :- edge(X, _).
node(Y) :- edge(_, Y).
.decl unreachable(A: symbol, B: symbol)
unreachable(X, Y) :- node(X), node(Y), !path(X, Y).
.decl edges(N: number)
edges(N) :- N = count : { edge(_, _) }.
"#;

/// A facts folder with a chain a→b→c→d plus a cycle d→b, and the rules.
fn small() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("facts")).unwrap();
    std::fs::write(
        dir.path().join("facts/edge.facts"),
        "a\tb\nb\tc\nc\td\nd\tb\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("small.rules"), RULES).unwrap();
    dir
}

fn explain(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args: Vec<std::ffi::OsString> = vec![
        "explain".into(),
        dir.join("facts").into(),
        "-r".into(),
        dir.join("small.rules").into(),
    ];
    args.extend(extra.iter().map(Into::into));
    run(args)
}

#[test]
fn recursive_tuple_gets_a_minimal_proof_down_to_input_facts() {
    let d = small();
    let (code, out, err) = explain(d.path(), &[r#"path("a", "d")"#]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r#"path("a", "d")"#);
    // a→b→c→d: three edges, each an input fact, no detour through the cycle.
    assert_eq!(out.matches("[input fact]").count(), 3, "{out}");
    for e in [
        r#"edge("a", "b")"#,
        r#"edge("b", "c")"#,
        r#"edge("c", "d")"#,
    ] {
        assert!(out.contains(e), "{e} missing from\n{out}");
    }
    assert!(!out.contains(r#"edge("d", "b")"#), "{out}");
    assert!(
        out.contains("small.rules:6:1: path(X, Z) :- path(X, Y), edge(Y, Z)."),
        "{out}"
    );
}

#[test]
fn cycle_tuple_terminates_and_negation_and_aggregate_show_as_leaves() {
    let d = small();
    // b reaches itself only through the cycle.
    let (code, out, err) = explain(d.path(), &[r#"path("b", "b")"#]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#"edge("d", "b")"#), "{out}");
    let (code, out, err) = explain(d.path(), &[r#"unreachable("b", "a")"#]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#"!path("b", "a")  [no such tuple]"#), "{out}");
    let (code, out, err) = explain(d.path(), &["edges(_)"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("[aggregate = 4]"), "{out}");
}

#[test]
fn wildcard_explains_every_match_up_to_the_limit() {
    let d = small();
    let (code, out, _) = explain(d.path(), &[r#"path("a", _)"#]);
    assert_eq!(code, 0);
    let roots: Vec<&str> = out.lines().filter(|l| l.starts_with("path(")).collect();
    assert_eq!(
        roots,
        [
            r#"path("a", "b")"#,
            r#"path("a", "c")"#,
            r#"path("a", "d")"#
        ]
    );
    let (_, out, _) = explain(d.path(), &[r#"path("a", _)"#, "--limit", "2"]);
    assert_eq!(out.lines().filter(|l| l.starts_with("path(")).count(), 2);
}

#[test]
fn not_derived_exits_1_with_the_why_not_hint() {
    let d = small();
    let (code, out, err) = explain(d.path(), &[r#"path("d", "a")"#]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("is not derived"), "{err}");
    assert!(err.contains("--why-not"), "{err}");
}

#[test]
fn why_not_names_the_first_failing_literal_with_its_values() {
    let d = small();
    let (code, out, err) = explain(d.path(), &["--why-not", r#"unreachable("a", "b")"#]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not derived"), "{out}");
    assert!(
        out.contains(
            r#"2 of 3 body literals hold; the first that fails: !path(X, Y)  with X = "a", Y = "b""#
        ),
        "{out}"
    );
    let (code, out, _) = explain(
        d.path(),
        &["--why-not", r#"path("d", "a")"#, "--format", "json"],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["derived"], false);
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["outcome"], "fails");
    assert_eq!(rules[0]["failing_literal"], "edge(X, Y)");
    assert_eq!(rules[0]["satisfied"], 0);
}

#[test]
fn malformed_queries_exit_2_with_a_clear_message() {
    let d = small();
    for (query, msg) in [
        ("nope(1)", "no relation `nope`"),
        (r#"path("a")"#, "has 2 columns"),
        ("path(1, _)", "is a symbol, given the number 1"),
        (r#"edges("x")"#, "is a number, given the text"),
        (r#"path("a", _"#, "expected `,` or `)`"),
        ("path(a, b)", "symbols must be quoted"),
        (r#"path("a, _)"#, "unterminated string"),
    ] {
        let (code, _, err) = explain(d.path(), &[query]);
        assert_eq!(code, 2, "{query}: {err}");
        assert!(err.contains(msg), "{query}: {err}");
    }
    let (code, _, err) = explain(d.path(), &["--why-not", "edge(_, _)"]);
    assert_eq!(code, 2);
    assert!(err.contains("not derived by any rule"), "{err}");
}

#[test]
fn dot_output_is_a_digraph_with_an_edge_per_body_literal() {
    let d = small();
    let (code, out, _) = explain(d.path(), &[r#"path("a", "c")"#, "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph proof {"), "{out}");
    // path(a,c) ← path(a,b), edge(b,c); path(a,b) ← edge(a,b): three edges.
    assert_eq!(out.matches(" -> ").count(), 3, "{out}");
}

#[test]
fn trainticket_reported_pair_shows_both_requests_and_the_conflicting_statements() {
    let Some(tt) =
        trainticket("trainticket_reported_pair_shows_both_requests_and_the_conflicting_statements")
    else {
        return;
    };
    let case = tt.join("case1");
    let pair = (
        "1baa362d72fe4eb29b0fa3a13dae680b.103.17169468437490000-1",
        "1e5647f3bd5e4068b5027979e8f7868a.114.17169468311580000-6",
    );
    let query = format!(r#"mr_pre_validate_reported("{}", "{}")"#, pair.0, pair.1);
    let (code, out, err) = run([
        "explain".as_ref(),
        case.as_os_str(),
        "-r".as_ref(),
        repo().join("rules/microracer.rules").as_os_str(),
        "--facts".as_ref(),
        repo().join("facts/trainticket").as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        query.as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let proof = &v["proofs"][0];
    // The data pair the conflict rests on: its two statement spans DA, DB.
    let data_pair =
        find(proof, &|n| n["relation"] == "mr_data_pair").expect("mr_data_pair in proof");
    let (da, db) = (
        data_pair["tuple"][2].as_str().unwrap().to_string(),
        data_pair["tuple"][3].as_str().unwrap().to_string(),
    );
    let mut sources = Vec::new();
    collect_sources(proof, &mut sources);
    let source = |span: &str| {
        sources
            .iter()
            .find(|s| s["span"] == span)
            .unwrap_or_else(|| panic!("no source for span {span}"))
    };
    for req in [pair.0, pair.1] {
        let s = source(req);
        assert!(
            s["http"]["method"].is_string()
                && s["http"]["url"].as_str().unwrap().starts_with("http"),
            "{s}"
        );
        assert!(s["file"].as_str().unwrap().contains("case1/"), "{s}");
    }
    // The text tree shows the same leaves, each origin once.
    let (code, text, _) = run([
        "explain".as_ref(),
        case.as_os_str(),
        "-r".as_ref(),
        repo().join("rules/microracer.rules").as_os_str(),
        "--facts".as_ref(),
        repo().join("facts/trainticket").as_os_str(),
        query.as_ref(),
    ]);
    assert_eq!(code, 0);
    for span in [pair.0, pair.1, &da, &db] {
        let at = text
            .find(&format!("span {span} in "))
            .unwrap_or_else(|| panic!("no origin of {span} in\n{text}"));
        let next = &text[at..].lines().nth(1).unwrap().trim_start();
        assert!(
            next.starts_with("HTTP ") || next.starts_with("SQL ("),
            "{next}"
        );
    }
    // The shared id (mr_id's value) is bound into both statements.
    let id = find(data_pair, &|n| n["relation"] == "mr_id").unwrap()["tuple"][1]
        .as_str()
        .unwrap()
        .to_string();
    for d in [&da, &db] {
        let s = source(d);
        let stmt = s["sql"]["statement"].as_str().unwrap();
        assert!(stmt.contains(&id), "{stmt} lacks {id}");
        assert!(!stmt.contains('?'), "parameters not bound: {stmt}");
        assert!(s["file"].as_str().unwrap().ends_with(".json"), "{s}");
        assert!(s["trace"].is_string(), "{s}");
    }
}

fn find<'j>(
    n: &'j serde_json::Value,
    pred: &dyn Fn(&serde_json::Value) -> bool,
) -> Option<&'j serde_json::Value> {
    if pred(n) {
        return Some(n);
    }
    n["children"].as_array()?.iter().find_map(|c| find(c, pred))
}

fn collect_sources(n: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
    if let Some(s) = n["sources"].as_array() {
        out.extend(s.iter().cloned());
    }
    for c in n["children"].as_array().into_iter().flatten() {
        collect_sources(c, out);
    }
}
