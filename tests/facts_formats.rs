//! The same traces in all four formats lower to the same structure.
//! `tests/convert/sw_convert.py` writes the TrainTicket SkyWalking traces as
//! Jaeger, Zipkin (gzipped, shared client/server spans) and OTLP (JSON
//! lines, base64 ids, new semantic conventions), with SQL parameters bound
//! into the statement text as OpenTelemetry instrumentations record them.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

struct Shape {
    spans: usize,
    parent: usize,
    calls: usize,
    reads: usize,
    writes: usize,
    keys: BTreeSet<(String, String, String)>,
}

fn shape(dir: &Path) -> Shape {
    let keys = facts(dir, "reads")
        .into_iter()
        .map(|r| ("read".to_string(), r[1].clone(), r[2].clone()))
        .chain(
            facts(dir, "writes")
                .into_iter()
                .map(|r| ("write".to_string(), r[1].clone(), r[2].clone())),
        )
        .collect();
    Shape {
        spans: facts(dir, "span").len(),
        parent: facts(dir, "parent").len(),
        calls: facts(dir, "calls").len(),
        reads: facts(dir, "reads").len(),
        writes: facts(dir, "writes").len(),
        keys,
    }
}

#[test]
fn four_formats_lower_alike() {
    let Some(tt) = trainticket("four_formats_lower_alike") else {
        return;
    };
    for case in ["case1", "case2", "case3"] {
        let src = tt.join(case);
        let converted = tempfile::tempdir().unwrap();
        let status = Command::new("python3")
            .arg(repo().join("tests/convert/sw_convert.py"))
            .arg(&src)
            .arg(converted.path())
            .status()
            .expect("python3 runs the converter");
        assert!(status.success(), "converter failed on {case}");

        let (sw_out, stderr) = lower_to_facts(&[&src]);
        assert!(stderr.trim().is_empty(), "{stderr}");
        let want = shape(sw_out.path());
        assert!(want.calls > 0 && want.reads > 0 && want.writes > 0);
        for format in ["jaeger", "zipkin", "otlp"] {
            let dir = converted.path().join(format);
            let (out, stderr) = lower_to_facts(&[&dir]);
            assert!(
                stderr.trim().is_empty(),
                "{case}/{format}: warnings:\n{stderr}"
            );
            let got = shape(out.path());
            let label = format!("{case}/{format}");
            assert_eq!(got.spans, want.spans, "{label}: spans");
            assert_eq!(got.parent, want.parent, "{label}: parent rows");
            assert_eq!(got.calls, want.calls, "{label}: calls rows");
            assert_eq!(got.reads, want.reads, "{label}: reads rows");
            assert_eq!(got.writes, want.writes, "{label}: writes rows");
            let only_sw: Vec<_> = want.keys.difference(&got.keys).take(5).collect();
            let only_other: Vec<_> = got.keys.difference(&want.keys).take(5).collect();
            assert!(
                only_sw.is_empty() && only_other.is_empty(),
                "{label}: (table, key) sets differ: only SkyWalking {only_sw:?}, only {format} {only_other:?}"
            );
        }
    }
}
