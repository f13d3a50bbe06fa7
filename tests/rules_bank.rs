//! The bank invariant over traces recorded from the testbed (real
//! OpenTelemetry output): one overdraft in `violating/`, none elsewhere.

mod common;
use common::*;

fn eval_bank(folder: &str) -> (i32, String, String) {
    let traces = repo().join("examples/bank").join(folder);
    let rules = repo().join("rules/examples/bank.rules");
    run([
        "eval".as_ref(),
        traces.as_os_str(),
        "-r".as_ref(),
        rules.as_os_str(),
        "--format".as_ref(),
        "tsv".as_ref(),
    ])
}

#[test]
fn violating_traces_break_the_invariant() {
    let (code, stdout, stderr) = eval_bank("violating");
    assert_eq!(code, 1, "{stdout}{stderr}");
    // The 500 withdrawal after the balance was down to 20.
    assert!(stdout.lines().any(|l| l.ends_with("\t20\t500")), "{stdout}");
    let violations: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("violation:"))
        .collect();
    assert_eq!(violations.len(), 1, "{stdout}");
    assert!(violations[0].contains(
        "a withdrawal was committed although the fetched balance was lower than the amount"
    ));
}

#[test]
fn clean_traces_satisfy_it() {
    for folder in ["clean", "lost-update"] {
        let (code, stdout, stderr) = eval_bank(folder);
        assert_eq!(code, 0, "{folder}: {stdout}{stderr}");
        assert!(!stdout.contains("violation:"), "{folder}: {stdout}");
    }
}

/// Every statement of `child_sql` anywhere under a proof node.
fn child_statements(node: &serde_json::Value, out: &mut Vec<String>) {
    for s in node["sources"].as_array().into_iter().flatten() {
        for c in s["child_sql"].as_array().into_iter().flatten() {
            out.push(c["statement"].as_str().unwrap_or_default().to_string());
        }
    }
    for c in node["children"].as_array().into_iter().flatten() {
        child_statements(c, out);
    }
}

#[test]
fn eval_explain_prints_the_overdraft_proof_down_to_the_sql() {
    let traces = repo().join("examples/bank/violating");
    let rules = repo().join("rules/examples/bank.rules");
    let args = |format: &str| {
        vec![
            "eval".into(),
            traces.clone().into_os_string(),
            "-r".into(),
            rules.clone().into_os_string(),
            "--explain".into(),
            "--format".into(),
            format.into(),
        ]
    };
    let (code, stdout, stderr) = run(args("tsv"));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let (_, proof) = stdout.split_once("violation: ").expect("a violation line");
    let lines: Vec<&str> = proof.lines().collect();
    assert!(
        lines[1].starts_with("  overdraft(\"83c1859514f740d5\", 20, 500)"),
        "{proof}"
    );
    assert!(
        lines[2].contains("⇐ ") && lines[2].contains("bank.rules:29:1"),
        "{proof}"
    );
    // The withdrawal and the balance it was checked against, as run.
    assert!(proof.contains("operation withdrawal"), "{proof}");
    assert!(
        proof.contains("SQL by child span 049a3c710aeaf8ed (mysql 127.0.0.1:3306/testbed_bank): UPDATE accounts SET balance = -480 WHERE id = 1"),
        "{proof}"
    );
    assert!(
        proof.contains("SQL by child span fa14ea04b758acfc (mysql 127.0.0.1:3306/testbed_bank): SELECT balance FROM accounts WHERE id = 1"),
        "{proof}"
    );
    assert!(
        proof.contains("!rolled_back(\"83c1859514f740d5\")  [no such tuple]"),
        "{proof}"
    );

    let (code, stdout, stderr) = run(args("json"));
    assert_eq!(code, 1, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let proofs = v["violations"][0]["proofs"].as_array().expect("proofs");
    assert_eq!(proofs.len(), 1);
    assert_eq!(proofs[0]["kind"], "derived");
    assert_eq!(
        proofs[0]["tuple"],
        serde_json::json!(["83c1859514f740d5", 20, 500])
    );
    let mut statements = Vec::new();
    child_statements(&proofs[0], &mut statements);
    assert!(
        statements.contains(&"UPDATE accounts SET balance = -480 WHERE id = 1".to_string()),
        "{statements:?}"
    );

    // Without --explain, no proof and no "proofs" key.
    let (_, plain, _) = eval_bank("violating");
    assert!(!plain.contains('⇐'), "{plain}");
}
