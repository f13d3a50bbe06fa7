//! The four trace readers, through the library API, on small hand-written
//! fixtures whose every span is spelled out, on malformed input, and on the
//! TrainTicket SkyWalking exports in `../shared` when they are there.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use rulecheck::diag::Severity;
use rulecheck::ingest::{self, FileSpans, Format};
use rulecheck::model::{Log, RefKind, Span, SpanKind, SpanRef};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(name)
}

fn read(name: &str) -> FileSpans<'static> {
    match ingest::read_file(&fixture(name)) {
        Ok(file) => file,
        Err(p) => panic!("{name} did not read: {p}"),
    }
}

fn read_err(name: &str) -> String {
    match ingest::read_file(&fixture(name)) {
        Ok(file) => panic!(
            "{name} read as {:?} with {} spans",
            file.format,
            file.spans.len()
        ),
        Err(p) => {
            assert_eq!(p.severity, Severity::Error);
            assert!(p.file.ends_with(name), "{p}");
            p.to_string()
        }
    }
}

fn s(x: &str) -> Cow<'static, str> {
    Cow::Owned(x.to_string())
}

fn pairs(kv: &[(&str, &str)]) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    kv.iter().map(|(k, v)| (s(k), s(v))).collect()
}

fn child_of(parent: &str) -> SpanRef<'static> {
    SpanRef {
        parent: s(parent),
        kind: RefKind::ChildOf,
    }
}

fn follows(parent: &str) -> SpanRef<'static> {
    SpanRef {
        parent: s(parent),
        kind: RefKind::FollowsFrom,
    }
}

fn ids<'f>(file: &'f FileSpans<'_>) -> Vec<&'f str> {
    file.spans.iter().map(|s| s.id.as_ref()).collect()
}

#[test]
fn skywalking_segments_and_cross_process_and_cross_thread_refs() {
    let file = read("skywalking.json");
    assert_eq!(file.format, Format::SkyWalking);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(ids(&file), ["segA-0", "segA-1", "segB-0", "segC-0"]);
    assert_eq!(
        file.spans[0],
        Span {
            id: s("segA-0"),
            trace_id: s("t1.1.100"),
            service: s("ts-gateway"),
            name: s("POST:/api/v1/orders"),
            kind: SpanKind::Server,
            start_us: 1716946829770000,
            end_us: 1716946829900000,
            refs: vec![],
            tags: pairs(&[
                ("url", "http://gw:8080/api/v1/orders"),
                ("http.method", "POST")
            ]),
            logs: vec![],
            error: false,
            peer: None,
            layer: Some(s("Http")),
            component: Some(s("SpringMVC")),
            segment: Some((s("segA"), 0)),
        }
    );
    assert_eq!(
        file.spans[1],
        Span {
            id: s("segA-1"),
            trace_id: s("t1.1.100"),
            service: s("ts-gateway"),
            name: s("/api/v1/orders"),
            kind: SpanKind::Client,
            start_us: 1716946829780000,
            end_us: 1716946829890000,
            refs: vec![child_of("segA-0")],
            tags: pairs(&[("http.status_code", "500")]),
            logs: vec![Log {
                time_us: 1716946829885000,
                fields: pairs(&[("event", "error"), ("message", "Read \"timed\" out")]),
            }],
            error: true,
            peer: Some(s("ts-order:12031")),
            layer: Some(s("Http")),
            component: Some(s("Feign")),
            segment: Some((s("segA"), 1)),
        }
    );
    let entry = &file.spans[2];
    assert_eq!(entry.refs, [child_of("segA-1")]);
    assert_eq!(
        (entry.kind, entry.service.as_ref(), &entry.peer),
        (SpanKind::Server, "ts-order", &None)
    );
    let task = &file.spans[3];
    assert_eq!(task.refs, [follows("segB-0")]);
    assert_eq!(task.kind, SpanKind::Internal);
    assert_eq!(task.component.as_deref(), Some("SpringAsync"));
    assert_eq!(task.segment, Some((s("segC"), 0)));
    assert_eq!(
        (task.start_us, task.end_us),
        (1716946829800000, 1716946829850000)
    );
}

#[test]
fn jaeger_typed_tags_processes_follows_from_and_non_hex_ids() {
    let file = read("jaeger.json");
    assert_eq!(file.format, Format::Jaeger);
    assert_eq!(
        ids(&file),
        [
            "00000000000000a1",
            "00000000000000b2",
            "00000000000000c3",
            "span-x1"
        ]
    );
    let trace = "5b8efff798038103d269b633813fc60c";
    assert_eq!(
        file.spans[0],
        Span {
            id: s("00000000000000a1"),
            trace_id: s(trace),
            service: s("frontend"),
            name: s("GET /orders"),
            kind: SpanKind::Server,
            start_us: 1716946829770000,
            end_us: 1716946829775000,
            refs: vec![],
            tags: pairs(&[
                ("span.kind", "server"),
                ("http.status_code", "200"),
                ("sampler.param", "0.25"),
                ("internal.flag", "false"),
                ("otel.scope.name", "io.opentelemetry.tomcat"),
            ]),
            logs: vec![Log {
                time_us: 1716946829771000,
                fields: pairs(&[("event", "cache miss"), ("size", "3")]),
            }],
            error: false,
            peer: None,
            layer: None,
            component: Some(s("io.opentelemetry.tomcat")),
            segment: None,
        }
    );
    let db = &file.spans[1];
    assert_eq!(db.refs, [child_of("00000000000000a1")]);
    assert_eq!(db.kind, SpanKind::Client);
    assert_eq!(db.service, "order-db-client");
    assert_eq!(db.peer.as_deref(), Some("mysql:3306"));
    assert!(db.error, "tag error=true");
    assert_eq!(db.end_us - db.start_us, 1000);

    let mail = &file.spans[2];
    assert_eq!(mail.refs, [follows("00000000000000a1")]);
    assert_eq!(mail.kind, SpanKind::Producer);
    assert!(mail.error, "otel.status_code=ERROR");
    assert_eq!(mail.peer.as_deref(), Some("mq:5672"));
    assert_eq!(mail.component, None);

    let legacy = &file.spans[3];
    assert_eq!(
        legacy.refs,
        [child_of("00000000000000a1")],
        "legacy parentSpanID"
    );
    assert_eq!(legacy.kind, SpanKind::Internal);
    assert!(!legacy.error);

    assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
    let warning = &file.problems[0];
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.at.as_deref(), Some("span span-x1"));
    assert!(
        warning.message.contains("`Span-X1` is not hex"),
        "{warning}"
    );
    assert!(warning.file.ends_with("jaeger.json"));
}

fn check_zipkin(file: &FileSpans) {
    assert_eq!(file.format, Format::Zipkin);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        ids(file),
        [
            "00000000000000a0",
            "00000000000000a1",
            "00000000000000a1-server",
            "00000000000000b1",
            "00000000000000b2",
            "00000000000000c3",
        ]
    );
    let trace = "00000000000000000000000000000abc";
    let root = &file.spans[0];
    assert_eq!(root.kind, SpanKind::Server);
    assert_eq!(
        root.tags,
        pairs(&[("http.method", "GET"), ("http.path", "/checkout")])
    );
    assert_eq!((root.peer.as_deref(), root.error), (None, false));
    assert_eq!(
        file.spans[1],
        Span {
            id: s("00000000000000a1"),
            trace_id: s(trace),
            service: s("frontend"),
            name: s("post /pay"),
            kind: SpanKind::Client,
            start_us: 1716946829771000,
            end_us: 1716946829776000,
            refs: vec![child_of("00000000000000a0")],
            tags: pairs(&[("z.last", "1"), ("a.first", "2"), ("error", "")]),
            logs: vec![Log {
                time_us: 1716946829771500,
                fields: pairs(&[("event", "ws")]),
            }],
            error: true,
            peer: Some(s("10.0.0.2:8080")),
            layer: None,
            component: None,
            segment: None,
        }
    );
    let server = &file.spans[2];
    assert_eq!(server.refs, [child_of("00000000000000a1")]);
    assert_eq!(server.kind, SpanKind::Server);
    assert_eq!(server.service, "payment");
    assert_eq!(server.trace_id, trace);
    assert_eq!(server.peer.as_deref(), Some("[::1]:51000"));
    assert_eq!(
        (server.start_us, server.end_us),
        (1716946829772000, 1716946829775000)
    );
    // The server half's own work hangs off it; the client side's stays put.
    assert_eq!(file.spans[3].refs, [child_of("00000000000000a1-server")]);
    assert_eq!(file.spans[4].refs, [child_of("00000000000000a1")]);
    assert_eq!(file.spans[4].kind, SpanKind::Internal);
    // Two fragments of one span: united, earliest start, latest end.
    assert_eq!(
        file.spans[5],
        Span {
            id: s("00000000000000c3"),
            trace_id: s(trace),
            service: s("frontend"),
            name: s("render"),
            kind: SpanKind::Internal,
            start_us: 1716946829775000,
            end_us: 1716946829777000,
            refs: vec![child_of("00000000000000a0")],
            tags: pairs(&[("template", "checkout.html"), ("bytes", "5120")]),
            logs: vec![Log {
                time_us: 1716946829778500,
                fields: pairs(&[("event", "flushed")]),
            }],
            error: false,
            peer: None,
            layer: None,
            component: None,
            segment: None,
        }
    );
}

#[test]
fn zipkin_shared_halves_children_and_fragments() {
    check_zipkin(&read("zipkin.json"));
}

#[test]
fn gzipped_file_reads_like_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zipkin.json.gz");
    let plain = std::fs::read(fixture("zipkin.json")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let file = ingest::read_file(&path).unwrap();
    assert_eq!(file.path, path);
    check_zipkin(&file);
}

#[test]
fn otlp_base64_ids_enum_names_and_new_attribute_names() {
    let file = read("otlp_base64.json");
    assert_eq!(file.format, Format::Otlp);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        file.spans[0],
        Span {
            id: s("eee19b7ec3c1b174"),
            trace_id: s("5b8efff798038103d269b633813fc60c"),
            service: s("bank"),
            name: s("UPDATE bank"),
            kind: SpanKind::Client,
            start_us: 1716946829770123,
            end_us: 1716946829771123,
            refs: vec![child_of("0102030405060708"), follows("eee19b7ec3c1b173")],
            tags: pairs(&[
                ("db.system.name", "mysql"),
                (
                    "db.query.text",
                    "UPDATE account SET balance = %s WHERE id = %s"
                ),
                ("db.statement.parameters", "(90, 7)"),
                ("server.address", "db.local"),
                ("server.port", "3306"),
                ("retry.ratio", "0.5"),
                ("cached", "true"),
                ("tags", r#"["a",2]"#),
                ("ctx", r#"{"k":"v"}"#),
            ]),
            logs: vec![Log {
                time_us: 1716946829770500,
                fields: pairs(&[
                    ("event", "exception"),
                    ("exception.type", "OperationalError")
                ]),
            }],
            error: true,
            peer: None,
            layer: None,
            component: Some(s("opentelemetry.instrumentation.dbapi")),
            segment: None,
        }
    );
    let server = &file.spans[1];
    assert_eq!(server.id, "0102030405060708");
    assert_eq!(server.kind, SpanKind::Server);
    assert!(server.refs.is_empty());
    assert!(!server.error);
    assert_eq!(server.tag("http.request.method"), Some("POST"));
    assert_eq!(server.tag("url.full"), Some("http://bank:8000/withdraw"));
    assert_eq!(server.tag("http.response.status_code"), Some("200"));
}

#[test]
fn otlp_hex_ids_numeric_enums_and_old_scope_names() {
    let file = read("otlp_hex.json");
    assert_eq!(file.format, Format::Otlp);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(ids(&file), ["eee19b7ec3c1b174", "eee19b7ec3c1b173"]);
    let (root, db) = (&file.spans[0], &file.spans[1]);
    assert_eq!(root.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(db.trace_id, root.trace_id);
    assert_eq!((root.kind, db.kind), (SpanKind::Server, SpanKind::Client));
    assert!(root.refs.is_empty(), "empty parentSpanId is a root");
    assert_eq!(db.refs, [child_of("eee19b7ec3c1b174")]);
    assert_eq!(
        (root.start_us, root.end_us),
        (1716946829770000, 1716946829790000)
    );
    assert_eq!((root.error, db.error), (false, true));
    assert_eq!(root.tag("http.status_code"), Some("200"));
    assert_eq!(root.service, "legacy");
    assert_eq!(db.component.as_deref(), Some("io.opentelemetry.jdbc"));
}

#[test]
fn otlp_json_lines_one_request_per_line() {
    let file = read("otlp_lines.jsonl");
    assert_eq!(file.format, Format::Otlp);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    let got: Vec<_> = file
        .spans
        .iter()
        .map(|s| {
            (
                s.id.as_ref(),
                s.service.as_ref(),
                s.kind,
                s.start_us,
                s.end_us,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("eee19b7ec3c1b174", "a", SpanKind::Internal, 1, 3),
            ("eee19b7ec3c1b173", "b", SpanKind::Consumer, 2, 2),
        ]
    );
    assert_eq!(file.spans[1].refs, [child_of("eee19b7ec3c1b174")]);
}

#[test]
fn empty_zipkin_array_is_a_file_without_spans() {
    let file = read("zipkin_empty.json");
    assert_eq!(file.format, Format::Zipkin);
    assert!(file.spans.is_empty());
    assert!(file.problems.is_empty());
}

#[test]
fn truncated_json_names_line_and_column() {
    let e = read_err("truncated.json");
    assert!(e.contains("invalid JSON: EOF while parsing"), "{e}");
    assert!(e.contains("line 15, column"), "{e}");
}

#[test]
fn wrong_field_type_names_span_field_expected_and_found() {
    let e = read_err("wrong_type.json");
    assert!(e.contains("span #1 (id s-1)"), "{e}");
    assert!(
        e.contains("field `startTime`: expected an integer, found string \"abc\""),
        "{e}"
    );
    assert!(e.contains("line 5, column"), "{e}");
}

#[test]
fn wrong_container_type_names_the_path() {
    let e = read_err("wrong_spans.json");
    assert!(
        e.contains("`data[0].spans`: expected an array, found integer `3`"),
        "{e}"
    );
}

#[test]
fn unknown_format_lists_top_level_keys() {
    let e = read_err("unknown.json");
    assert!(
        e.ends_with(
            "not a SkyWalking, Jaeger, Zipkin or OTLP trace (top-level keys: kind, series)"
        ),
        "{e}"
    );
}

#[test]
fn json_lines_error_names_the_file_line() {
    let e = read_err("bad_line.jsonl");
    assert!(
        e.contains("span #0 (id eee19b7ec3c1b174) at line 2, column"),
        "{e}"
    );
    assert!(e.contains("field `startTimeUnixNano`"), "{e}");
    assert!(e.contains("found string \"soon\""), "{e}");
}

/// Every prefix and many corruptions of every fixture give `Ok` or `Err`,
/// never a panic.
#[test]
fn damaged_inputs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.json");
    let mut seen_err = 0;
    for name in [
        "skywalking.json",
        "jaeger.json",
        "zipkin.json",
        "otlp_base64.json",
    ] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let mut variants: Vec<String> = (0..text.len())
            .step_by(29)
            .filter(|&i| text.is_char_boundary(i))
            .map(|i| text[..i].to_string())
            .collect();
        for (i, c) in text.char_indices().step_by(31) {
            for replacement in ["", "0", "\"", "null", "[", "}"] {
                let mut v = text.clone();
                v.replace_range(i..i + c.len_utf8(), replacement);
                variants.push(v);
            }
        }
        for v in variants {
            std::fs::write(&path, &v).unwrap();
            if ingest::read_file(&path).is_err() {
                seen_err += 1;
            }
        }
    }
    assert!(seen_err > 50, "damage went unnoticed: {seen_err} errors");
}

#[test]
fn trainticket_skywalking_exports_read_completely() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/trainticket");
    if !root.is_dir() {
        println!("skipped: ../shared not found");
        return;
    }
    let mut files = 0;
    for case in std::fs::read_dir(&root).unwrap().flatten() {
        let name = case.file_name().to_string_lossy().into_owned();
        if !name.starts_with("case") || !case.path().is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(case.path()).unwrap().flatten() {
            let path = entry.path();
            let text = std::fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let expected = value["data"]["trace"]["spans"].as_array().unwrap().len();
            let file = ingest::read_file(&path).unwrap_or_else(|p| panic!("{p}"));
            assert_eq!(file.format, Format::SkyWalking, "{}", path.display());
            assert!(file.problems.is_empty(), "{:?}", file.problems);
            assert_eq!(file.spans.len(), expected, "{}", path.display());
            files += 1;
        }
    }
    assert!(files > 0, "no case*/ files under {}", root.display());
}

fn read_text_as(name: &str, text: &str) -> Result<FileSpans<'static>, rulecheck::diag::Problem> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    ingest::read_file(&path)
}

#[test]
fn skywalking_without_the_graphql_wrapper() {
    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("skywalking.json")).unwrap())
            .unwrap();
    let expected = read("skywalking.json").spans;
    let trace = serde_json::json!({ "trace": full["data"]["trace"] }).to_string();
    let bare = serde_json::json!({ "spans": full["data"]["trace"]["spans"] }).to_string();
    for text in [trace, bare] {
        let file = read_text_as("sw.json", &text).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(file.format, Format::SkyWalking);
        assert_eq!(file.spans, expected);
    }
    // A bare `spans` array whose spans are not SkyWalking's is no trace.
    let e = read_text_as("x.json", r#"{"spans": [{"spanID": "ab"}]}"#).unwrap_err();
    assert!(e.message.starts_with("not a SkyWalking"), "{e}");
}

#[test]
fn json_lines_of_other_formats_each_detected() {
    let zipkin = r#"[{"traceId":"ab","id":"cd","name":"z","timestamp":5,"duration":2}]"#;
    let jaeger = r#"{"data":[{"spans":[{"traceID":"ab","spanID":"ef","startTime":7,"processID":"p1"}],"processes":{"p1":{"serviceName":"j"}}}]}"#;
    let text = format!("{zipkin}\r\n\r\n{jaeger}\r\n");
    let file = read_text_as("mixed.jsonl", &text).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(file.format, Format::Zipkin, "the first line's format");
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    let got: Vec<_> = file
        .spans
        .iter()
        .map(|s| {
            (
                s.id.as_ref(),
                s.name.as_ref(),
                s.service.as_ref(),
                s.start_us,
                s.end_us,
            )
        })
        .collect();
    assert_eq!(got, [("cd", "z", "", 5, 7), ("ef", "", "j", 7, 7)]);
}

#[test]
fn empty_and_non_object_documents_are_errors() {
    let e = read_text_as("e.json", " \n").unwrap_err();
    assert_eq!(e.message, "empty file: not a trace");
    let e = read_text_as("n.json", "42").unwrap_err();
    assert!(e.message.ends_with("(a number)"), "{e}");
    let e = read_text_as(
        "g.json",
        r#"{"errors": [{"message": "trace not found"}], "data": {"trace": null}}"#,
    )
    .unwrap_err();
    assert!(
        e.message
            .ends_with("(top-level keys: errors, data; GraphQL errors: trace not found)"),
        "{e}"
    );
    let e = read_text_as(
        "g2.json",
        r#"{"data": null, "errors": [{"message": "denied"}]}"#,
    )
    .unwrap_err();
    assert!(e.message.ends_with("GraphQL errors: denied)"), "{e}");
    let e = read_text_as("a.json", "[1, 2]").unwrap_err();
    assert!(
        e.message
            .ends_with("(an array whose items are not Zipkin spans)"),
        "{e}"
    );
}

/// Odd values are read, each with a warning naming the file and the span.
#[test]
fn odd_values_are_read_with_warnings() {
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "sw.json",
            r#"{"spans": [{"traceId": "t", "segmentId": "s", "spanId": 0, "startTime": 1, "endTime": 2, "type": "Weird", "refs": [{"parentSegmentId": "p", "parentSpanId": 3, "type": "SIDEWAYS"}]}]}"#,
            "span s-0",
            "span type `Weird` is not Entry, Exit or Local; read as Local",
        ),
        (
            "j.json",
            r#"{"data": [{"spans": [{"traceID": "ab", "spanID": "cd", "startTime": 1, "processID": "p9"}], "processes": {}}]}"#,
            "span cd",
            "process `p9` is not in the trace's processes; service left empty",
        ),
        (
            "z.json",
            r#"[{"traceId": "ab", "id": "XYZ", "kind": "SERVER"}]"#,
            "span xyz",
            "span id `XYZ` is not hex; kept as given (lowercased)",
        ),
        (
            "o.json",
            r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "kind": 9}]}]}]}"#,
            "span eee19b7ec3c1b174",
            "span kind `9` is unknown; read as internal",
        ),
        (
            "o2.json",
            r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "not-an-id"}]}]}]}"#,
            "span not-an-id",
            "span id `not-an-id` is not hex; kept as given (lowercased)",
        ),
    ];
    for (name, text, at, message) in cases {
        let file = read_text_as(name, text).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(file.spans.len(), 1, "{name}");
        assert!(
            file.problems.iter().any(|p| p.message == message),
            "{name}: {:?}",
            file.problems
        );
        for p in &file.problems {
            assert_eq!(p.severity, Severity::Warning);
            assert!(p.file.ends_with(name), "{p}");
            assert_eq!(p.at.as_deref(), Some(at), "{p}");
        }
    }
    // The inline `process` of some Jaeger exports names the service too.
    let file = read_text_as(
        "j2.json",
        r#"{"data": [{"spans": [{"traceID": "ab", "spanID": "cd", "startTime": 1, "process": {"serviceName": "inline"}}]}]}"#,
    )
    .unwrap();
    assert_eq!(file.spans[0].service, "inline");
    assert!(file.problems.is_empty(), "{:?}", file.problems);
}
