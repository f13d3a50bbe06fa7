//! `rulecheck eval` end to end: the real binary on a small facts folder,
//! checking output, formats and the exit-code contract (0 clean, 1
//! violations, 2 errors).

use std::path::Path;
use std::process::{Command, Output};

const RULES: &str = r#"
// Ancestors over the base `parent` facts.
.decl anc(x: symbol, y: symbol)
.output anc
anc(X, Y) :- parent(X, Y).
anc(X, Z) :- anc(X, Y), parent(Y, Z).

.decl bad(x: symbol)
.input bad

.decl depth(x: symbol, n: number)
.output depth
depth(X, N) :- parent(X, _), N = count : { anc(X, _) }.

.decl nothing(x: symbol)
.output nothing
nothing(X) :- parent(X, X).

.decl flagged(x: symbol, y: symbol)
flagged(X, Y) :- anc(X, Y), bad(Y).
.invariant flagged "no span may descend from a bad one"
"#;

fn setup(bad: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts");
    std::fs::create_dir(&facts).unwrap();
    std::fs::write(facts.join("parent.facts"), "a\tr\nb\ta\nc\tb\n").unwrap();
    std::fs::write(facts.join("bad.facts"), bad).unwrap();
    std::fs::write(dir.path().join("t.rules"), RULES).unwrap();
    dir
}

fn eval(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulecheck"))
        .arg("eval")
        .arg(dir.join("facts"))
        .arg("-r")
        .arg(dir.join("t.rules"))
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn clean_run_prints_sorted_tsv_and_exits_0() {
    let dir = setup("");
    let o = eval(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "# anc\na\tr\nb\ta\nb\tr\nc\ta\nc\tb\nc\tr\n# depth\na\t1\nb\t2\nc\t3\n# nothing\n"
    );
}

#[test]
fn violations_exit_1_and_json_lists_them() {
    let dir = setup("b\n");
    let o = eval(dir.path(), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["outputs"]["anc"]["rows"].as_array().unwrap().len(), 6);
    assert_eq!(
        v["outputs"]["depth"]["rows"][2],
        serde_json::json!(["c", 3])
    );
    assert_eq!(v["violations"][0]["invariant"], "flagged");
    assert_eq!(
        v["violations"][0]["message"],
        "no span may descend from a bad one"
    );
    assert_eq!(
        v["violations"][0]["tuples"],
        serde_json::json!([["c", "b"]])
    );
    let text = eval(dir.path(), &["--format", "tsv"]);
    assert!(stdout(&text)
        .contains("violation: no span may descend from a bad one: flagged(\"c\", \"b\")\n"));
}

#[test]
fn output_dir_writes_every_output_relation_and_junit_the_invariants() {
    let dir = setup("b\n");
    let out = dir.path().join("out");
    let junit = dir.path().join("junit.xml");
    let o = eval(
        dir.path(),
        &[
            "--output-dir",
            out.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let anc = std::fs::read_to_string(out.join("anc.csv")).unwrap();
    assert_eq!(anc.lines().count(), 6);
    assert_eq!(anc.lines().next(), Some("a\tr"));
    assert_eq!(
        std::fs::read_to_string(out.join("nothing.csv")).unwrap(),
        ""
    );
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(
        xml.contains("failures=\"1\"") && xml.contains("name=\"flagged\""),
        "{xml}"
    );
}

#[test]
fn rule_errors_exit_2() {
    let dir = setup("");
    std::fs::write(dir.path().join("t.rules"), "anc(X) :- nowhere(X).\n").unwrap();
    let o = eval(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nothing was evaluated"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn bad_facts_exit_2_naming_file_and_line() {
    let dir = setup("");
    std::fs::write(dir.path().join("facts/parent.facts"), "a\tb\nonly-one\n").unwrap();
    let o = eval(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("parent.facts") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn missing_input_file_warns_and_runs() {
    let dir = setup("");
    std::fs::remove_file(dir.path().join("facts/bad.facts")).unwrap();
    let o = eval(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning") && stderr(&o).contains("bad.facts"));
    let strict = eval(dir.path(), &["--strict"]);
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn max_tuples_stops_with_a_clear_message_and_exit_2() {
    let dir = setup("b\n");
    let o = eval(dir.path(), &["--max-tuples", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--max-tuples 3"), "{}", stderr(&o));
    let bad = eval(dir.path(), &["--timeout", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn table_and_csv_formats() {
    let dir = setup("b\n");
    let table = stdout(&eval(dir.path(), &["--format", "table"]));
    assert!(
        table.starts_with("anc (6 tuples)\n  x  y\n  -  -\n  a  r\n"),
        "{table}"
    );
    assert!(table.contains("nothing (0 tuples)\n"));
    let csv = stdout(&eval(dir.path(), &["--format", "csv"]));
    assert!(csv.starts_with("# anc\r\nx,y\r\na,r\r\n"), "{csv:?}");
    assert!(
        csv.contains(
            "flagged,no span may descend from a bad one,\"flagged(\"\"c\"\", \"\"b\"\")\"\r\n"
        ),
        "{csv:?}"
    );
}
