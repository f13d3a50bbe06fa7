//! Bad input: each problem gets a message naming the file (and span), the
//! other files are still read, the exit code says what happened; never a panic.

mod common;
use common::*;
use std::path::Path;

fn sw_span(seg: &str, id: i64, parent: i64, refs: &str, start: &str) -> String {
    format!(
        r#"{{"traceId":"t","segmentId":"{seg}","spanId":{id},"parentSpanId":{parent},"refs":[{refs}],
        "serviceCode":"svc","serviceInstanceName":"i","startTime":{start},"endTime":2000,
        "endpointName":"op","type":"Local","peer":"","component":"x","isError":false,"layer":"Unknown","tags":[],"logs":[]}}"#
    )
}

fn sw_doc(spans: &[String]) -> String {
    format!(
        r#"{{"data":{{"trace":{{"spans":[{}]}}}}}}"#,
        spans.join(",")
    )
}

fn xref(seg: &str, span: i64) -> String {
    format!(
        r#"{{"traceId":"t","parentSegmentId":"{seg}","parentSpanId":{span},"type":"CROSS_PROCESS"}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn facts_of(dir: &Path, extra: &[&str]) -> (i32, String, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["facts".into(), dir.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["-o".into(), out.path().display().to_string()]);
    let (code, _, stderr) = run(&args);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, stderr, out)
}

fn good(dir: &Path) {
    write(
        dir,
        "good.json",
        &sw_doc(&[sw_span("g", 0, -1, "", "1000")]),
    );
}

#[test]
fn truncated_json_is_an_error_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    good(dir.path());
    let doc = sw_doc(&[sw_span("a", 0, -1, "", "1000")]);
    write(dir.path(), "truncated.json", &doc[..doc.len() / 2]);
    let (code, stderr, out) = facts_of(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("truncated.json"), "{stderr}");
    assert!(
        stderr.contains("line 2, column"),
        "names the position: {stderr}"
    );
    assert_eq!(
        fact_set(out.path(), "span").len(),
        1,
        "good.json still read"
    );
}

#[test]
fn wrong_field_type_names_the_span_and_field() {
    let dir = tempfile::tempdir().unwrap();
    good(dir.path());
    write(
        dir.path(),
        "types.json",
        &sw_doc(&[sw_span("a", 0, -1, "", "\"soon\"")]),
    );
    let (code, stderr, out) = facts_of(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("types.json"), "{stderr}");
    assert!(stderr.contains("startTime"), "{stderr}");
    assert_eq!(fact_set(out.path(), "span").len(), 1);
}

#[test]
fn unknown_format_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    good(dir.path());
    write(dir.path(), "other.json", r#"{"hello": "world"}"#);
    let (code, stderr, _) = facts_of(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("other.json")
            && stderr.contains("not a SkyWalking, Jaeger, Zipkin or OTLP trace"),
        "{stderr}"
    );
}

#[test]
fn missing_parent_is_a_warning_and_the_span_a_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "orphan.json",
        &sw_doc(&[sw_span("a", 0, -1, &xref("gone", 3), "1000")]),
    );
    let (code, stderr, out) = facts_of(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("orphan.json") && stderr.contains("span a-0"),
        "{stderr}"
    );
    assert!(stderr.contains("gone-3 is not in the input"), "{stderr}");
    assert!(fact_set(out.path(), "parent").is_empty());
    assert_eq!(fact_set(out.path(), "span").len(), 1);
    let (code, stderr, _) = facts_of(dir.path(), &["--strict"]);
    assert_eq!(code, 2, "--strict makes warnings fatal: {stderr}");
}

#[test]
fn duplicate_ids_keep_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let same = sw_doc(&[sw_span("a", 0, -1, "", "1000")]);
    write(dir.path(), "one.json", &same);
    write(dir.path(), "two.json", &same);
    write(
        dir.path(),
        "three.json",
        &sw_doc(&[sw_span("a", 0, -1, "", "1500")]),
    );
    let (code, stderr, out) = facts_of(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    // Files are read in name order: one, three, two.
    assert!(
        stderr.contains("three.json: span a-0: two different spans share this id"),
        "{stderr}"
    );
    assert!(
        stderr.contains("two.json: span a-0: span exported twice"),
        "{stderr}"
    );
    assert_eq!(
        fact_set(out.path(), "span"),
        set(["a-0\tt\tsvc\top\tinternal\t1000000\t2000000"])
    );
}

#[test]
fn parent_cycle_is_an_error_naming_the_spans() {
    let dir = tempfile::tempdir().unwrap();
    let spans = [
        sw_span("a", 0, -1, &xref("b", 0), "1000"),
        sw_span("b", 0, -1, &xref("a", 0), "1000"),
    ];
    write(dir.path(), "cycle.json", &sw_doc(&spans));
    let (code, stderr, out) = facts_of(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cycle.json") && stderr.contains("cycle"),
        "{stderr}"
    );
    assert!(stderr.contains("a-0") && stderr.contains("b-0"), "{stderr}");
    assert_eq!(
        fact_set(out.path(), "parent").len(),
        1,
        "one edge of the cycle is cut"
    );
    assert_eq!(fact_set(out.path(), "span").len(), 2, "both spans kept");
}

#[test]
fn empty_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, _) = facts_of(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no trace file"), "{stderr}");
}

#[test]
fn missing_path_is_an_error() {
    let (code, _, stderr) = run(["facts", "/nonexistent/traces", "-o", "/tmp/rulecheck-none"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/traces"), "{stderr}");
}
