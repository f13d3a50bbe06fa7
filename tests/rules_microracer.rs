//! MicroRacer parity: `rules/microracer.rules` over the TrainTicket traces
//! derives, stage by stage, exactly the pair sets MicroRacer reported
//! (`../shared/traces/trainticket/microracer-reference.json`), and the
//! table-aware `rules/conflicts.rules` only reports pairs that share a row.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;

const STAGES: [&str; 5] = [
    "baseline",
    "prune_by_database",
    "prune_by_flow",
    "pre_validate_kept",
    "pre_validate_reported",
];

/// The replica grouping MicroRacer ran with, as input facts.
fn replica_facts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("same_database.facts"),
        "ts-order-other-mysql-slave:3306/ts\tts-order-other-mysql:3306/ts\n",
    )
    .unwrap();
    dir
}

fn eval_to_dir(case: &Path, rules: &str, facts: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run([
        "eval".as_ref(),
        case.as_os_str(),
        "-r".as_ref(),
        repo().join(rules).as_os_str(),
        "--facts".as_ref(),
        facts.as_os_str(),
        "--output-dir".as_ref(),
        out.path().as_os_str(),
        "--format".as_ref(),
        "tsv".as_ref(),
    ]);
    assert_eq!(code, 0, "eval {rules} on {}: {stderr}", case.display());
    out
}

fn pairs(dir: &Path, rel: &str) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(dir.join(format!("{rel}.csv"))).unwrap();
    text.lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').expect("two columns");
            (a.to_string(), b.to_string())
        })
        .collect()
}

#[test]
fn microracer_rules_reproduce_the_reference_pairs() {
    let Some(tt) = trainticket("microracer_rules_reproduce_the_reference_pairs") else {
        return;
    };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tt.join("microracer-reference.json")).unwrap(),
    )
    .unwrap();
    let facts = replica_facts();
    for case in ["case1", "case2", "case3"] {
        let out = eval_to_dir(&tt.join(case), "rules/microracer.rules", facts.path());
        for stage in STAGES {
            let want: BTreeSet<(String, String)> = reference[case][stage]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(
                want.len() as u64,
                reference[case]["counts"][stage].as_u64().unwrap()
            );
            let got = pairs(out.path(), &format!("mr_{stage}"));
            let extra: Vec<_> = got.difference(&want).collect();
            let missing: Vec<_> = want.difference(&got).collect();
            assert!(
                extra.is_empty() && missing.is_empty(),
                "{case} {stage}: {} derived, {} expected; extra {extra:?}; missing {missing:?}",
                got.len(),
                want.len()
            );
        }
    }
}

#[test]
fn conflict_rules_only_pair_requests_that_share_a_row() {
    let Some(tt) = trainticket("conflict_rules_only_pair_requests_that_share_a_row") else {
        return;
    };
    let facts = replica_facts();
    let mut microracer_only = 0;
    for case in ["case1", "case2", "case3"] {
        let out = eval_to_dir(&tt.join(case), "rules/conflicts.rules", facts.path());
        let candidates: BTreeSet<_> = pairs(out.path(), "candidate_pair")
            .into_iter()
            .chain(pairs(out.path(), "reported_pair"))
            .collect();
        let conflicts = std::fs::read_to_string(out.path().join("conflict.csv")).unwrap();
        let with_row: BTreeSet<(String, String)> = conflicts
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 7, "{l}");
                assert!(
                    !f[2].is_empty() && !f[3].is_empty() && !f[4].is_empty(),
                    "db, table, key: {l}"
                );
                (f[0].to_string(), f[1].to_string())
            })
            .collect();
        for p in &candidates {
            assert!(with_row.contains(p), "{case}: pair {p:?} has no shared row");
        }
        // MicroRacer pairs requests that bind one id value anywhere; the
        // table-aware rules do not pair those whose rows differ.
        let mr = eval_to_dir(&tt.join(case), "rules/microracer.rules", facts.path());
        let mr_pairs: BTreeSet<_> = pairs(mr.path(), "mr_pre_validate_kept")
            .into_iter()
            .chain(pairs(mr.path(), "mr_pre_validate_reported"))
            .collect();
        microracer_only += mr_pairs.difference(&candidates).count();
    }
    assert!(
        microracer_only > 0,
        "expected a MicroRacer pair the table-aware rules drop"
    );
}
