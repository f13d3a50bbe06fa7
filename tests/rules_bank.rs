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
