//! Acceptance on the real TrainTicket SkyWalking traces: every file reads
//! without a warning, `span.facts` has one line per span, every prepared
//! statement span reads or writes rows, and no statement fails to parse.
//! Expected numbers are counted here from the JSON, independently of the
//! readers and lowering.

mod common;
use common::*;
use std::collections::BTreeSet;

struct Expected {
    spans: usize,
    prepared: BTreeSet<String>,
}

fn count(case: &std::path::Path) -> Expected {
    let mut spans = 0;
    let mut prepared = BTreeSet::new();
    for entry in std::fs::read_dir(case).unwrap() {
        let path = entry.unwrap().path();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for s in doc["data"]["trace"]["spans"].as_array().unwrap() {
            spans += 1;
            if s["endpointName"]
                .as_str()
                .unwrap()
                .starts_with("Mysql/JDBC/PreparedStatement/")
            {
                prepared.insert(format!(
                    "{}-{}",
                    s["segmentId"].as_str().unwrap(),
                    s["spanId"]
                ));
            }
        }
    }
    Expected { spans, prepared }
}

#[test]
fn trainticket_cases_lower_completely() {
    let Some(tt) = trainticket("trainticket_cases_lower_completely") else {
        return;
    };
    for case in ["case1", "case2", "case3"] {
        let dir = tt.join(case);
        let expected = count(&dir);
        let (out, stderr) = lower_to_facts(&[&dir]);
        assert!(
            stderr.trim().is_empty(),
            "{case}: expected no warning, got:\n{stderr}"
        );
        let d = out.path();
        let spans = facts(d, "span");
        assert_eq!(spans.len(), expected.spans, "{case}: span.facts lines");
        let ids: BTreeSet<_> = spans.iter().map(|r| r[0].clone()).collect();
        assert_eq!(ids.len(), expected.spans, "{case}: distinct span ids");
        let touched: BTreeSet<String> = facts(d, "reads")
            .into_iter()
            .chain(facts(d, "writes"))
            .map(|r| r[0].clone())
            .collect();
        let missing: Vec<_> = expected.prepared.difference(&touched).collect();
        assert!(
            missing.is_empty(),
            "{case}: prepared statements without reads/writes: {missing:?}"
        );
        assert!(
            facts(d, "sql_unparsed").is_empty(),
            "{case}: sql_unparsed not empty"
        );
        // Cross-process refs become calls; both cases have HTTP hops between services.
        assert!(!facts(d, "calls").is_empty(), "{case}: no calls");
    }
}
