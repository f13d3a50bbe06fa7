//! `rulecheck pairs` on the TrainTicket traces: the native file carries
//! replayable requests and the conflict rows; `--format microracer` writes
//! files whose field names and nesting are MicroRacer's.

mod common;
use common::*;
use serde_json::Value;

fn pairs(case: &std::path::Path, extra: &[&str]) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("pairs");
    let facts = repo().join("facts/trainticket");
    let mut args = vec![
        "pairs".to_string(),
        case.display().to_string(),
        "--facts".into(),
        facts.display().to_string(),
        "-o".into(),
        target.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    (out, stderr)
}

#[test]
fn native_pairs_are_replayable() {
    let Some(tt) = trainticket("native_pairs_are_replayable") else {
        return;
    };
    let (out, _) = pairs(&tt.join("case1"), &[]);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("pairs")).unwrap()).unwrap();
    let list = file["pairs"].as_array().unwrap();
    assert!(!list.is_empty());
    let mut prevalidated = 0;
    for p in list {
        let (a, b) = (
            p["a"]["span"].as_str().unwrap(),
            p["b"]["span"].as_str().unwrap(),
        );
        assert!(a < b, "pairs list their span ids in order: {a} {b}");
        for side in ["a", "b"] {
            let r = &p[side];
            assert!(
                ["GET", "POST", "PUT", "DELETE"].contains(&r["method"].as_str().unwrap()),
                "{r}"
            );
            assert!(r["url"].as_str().unwrap().starts_with("http://"), "{r}");
            assert!(r["status"].as_u64().unwrap() > 0, "{r}");
        }
        let conflicts = p["conflicts"].as_array().unwrap();
        assert!(!conflicts.is_empty(), "{p}");
        for c in conflicts {
            let db = c["database"].as_str().unwrap();
            assert!(
                p["databases"].as_array().unwrap().iter().any(|d| d == db),
                "{p}"
            );
        }
        assert_eq!(
            p["prevalidated"].as_bool().unwrap(),
            p["rule"] == "reported_pair"
        );
        prevalidated += p["prevalidated"].as_bool().unwrap() as usize;
        // The proof from explain on one line: the rule chain from the
        // pair's relation down, the rule that derived it, and the SQL of
        // the leaf spans, which name the table and the shared key.
        let proof = p["proof"].as_str().unwrap();
        assert!(
            proof.starts_with(&format!("{} ⇐ ", p["rule"].as_str().unwrap())),
            "{proof}"
        );
        assert!(proof.contains(" conflict"), "{proof}");
        assert!(proof.contains(" steps, rule conflicts.rules:"), "{proof}");
        let (_, sql) = proof.split_once("; SQL: ").expect("SQL leaves");
        assert!(
            sql.contains(conflicts[0]["table"].as_str().unwrap()),
            "{proof}"
        );
        assert!(
            conflicts
                .iter()
                .any(|c| sql.contains(c["key"].as_str().unwrap())),
            "{proof}"
        );
        assert!(!proof.contains('\n'), "one line: {proof}");
    }
    assert!(prevalidated > 0 && prevalidated < list.len());
}

#[test]
fn microracer_files_have_microracers_shape() {
    let Some(tt) = trainticket("microracer_files_have_microracers_shape") else {
        return;
    };
    let (out, _) = pairs(&tt.join("case1"), &["--format", "microracer"]);
    let dir = out.path().join("pairs");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.starts_with("candidatePairs_") && name.ends_with(".json"),
            "{name}"
        );
        let id = &name["candidatePairs_".len()..name.len() - ".json".len()];
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{name}"
        );
        files += 1;
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let obj = doc.as_object().unwrap();
        let mut keys: Vec<usize> = obj
            .keys()
            .map(|k| k.parse().expect("numeric keys"))
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            (0..obj.len()).collect::<Vec<_>>(),
            "pairs are keyed 0, 1, ..."
        );
        for entry in obj.values() {
            let parts = entry.as_array().unwrap();
            assert_eq!(parts.len(), 3, "[{{databases}}, request, request]");
            let dbs = parts[0].as_object().unwrap();
            assert_eq!(dbs.keys().collect::<Vec<_>>(), ["databases"]);
            for d in dbs["databases"].as_array().unwrap() {
                let d = d.as_str().unwrap();
                assert_eq!(
                    d.matches(':').count(),
                    2,
                    "peer:port:db, as MicroRacer writes it: {d}"
                );
            }
            for req in &parts[1..] {
                let r = req.as_object().unwrap();
                let mut keys: Vec<&str> = r.keys().map(String::as_str).collect();
                keys.sort();
                assert_eq!(
                    keys,
                    [
                        "flow_id",
                        "flow_span_id",
                        "http_body",
                        "http_method",
                        "http_response",
                        "http_status_code",
                        "http_url",
                        "sqls"
                    ]
                );
                assert!(r["flow_id"].is_u64() && r["flow_span_id"].is_u64());
                assert!(r["http_method"].is_string() && r["http_url"].is_string());
                assert!(r["http_status_code"]
                    .as_str()
                    .unwrap()
                    .parse::<u16>()
                    .is_ok());
                let sqls = r["sqls"].as_array().unwrap();
                assert!(
                    sqls.iter().all(|s| s
                        .as_str()
                        .is_some_and(|s| !s.is_empty() && !s.contains('?'))),
                    "{sqls:?}"
                );
                assert!(
                    r["http_response"].is_object(),
                    "recorded JSON stays JSON: {}",
                    r["http_response"]
                );
            }
        }
    }
    assert!(files > 0);
}
