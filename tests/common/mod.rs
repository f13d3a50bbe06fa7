//! A tiny harness for integration tests: run the real binary, read the
//! `.facts` files it writes, find `../shared` when it is there.
#![allow(dead_code)]

pub mod random_program;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rulecheck"))
}

/// Runs `rulecheck ARGS` and returns (exit code, stdout, stderr).
pub fn run<I, S>(args: I) -> (i32, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out: Output = bin().args(args).output().expect("run rulecheck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/traces/trainticket`, or `None` with a skip line when this
/// checkout has no `../shared` beside it (a user's fresh clone).
pub fn trainticket(test: &str) -> Option<PathBuf> {
    let dir = repo().join("../shared/traces/trainticket");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {test}: ../shared/traces/trainticket not found");
        None
    }
}

/// Rows of `<dir>/<rel>.facts`, fields unescaped.
pub fn facts(dir: &Path, rel: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(dir.join(format!("{rel}.facts")))
        .unwrap_or_else(|e| panic!("{rel}.facts: {e}"));
    text.lines()
        .map(|l| {
            l.split('\t')
                .map(|f| rulecheck::facts::tsv::unescape(f).into_owned())
                .collect()
        })
        .collect()
}

/// The same rows as a set of tab-joined lines, for exact comparisons.
pub fn fact_set(dir: &Path, rel: &str) -> BTreeSet<String> {
    facts(dir, rel).into_iter().map(|r| r.join("\t")).collect()
}

/// Writes `rulecheck facts INPUTS -o <tmp>` and returns (tempdir, stderr).
pub fn lower_to_facts(inputs: &[&Path]) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let mut args: Vec<std::ffi::OsString> = vec!["facts".into()];
    args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    args.push("-o".into());
    args.push(out.path().as_os_str().to_owned());
    let (code, _stdout, stderr) = run(&args);
    assert_eq!(code, 0, "rulecheck facts failed: {stderr}");
    (out, stderr)
}

pub fn set<const N: usize>(rows: [&str; N]) -> BTreeSet<String> {
    rows.iter().map(|s| s.to_string()).collect()
}
