//! A facts folder read back by `rulecheck eval`: through its binary image
//! (`facts.image`, written by `rulecheck facts`) while the `.facts` files
//! are unchanged, through the files otherwise, and in both cases reading
//! only what the rules can observe (columns and rows). Every way must give
//! the results of evaluating the traces themselves.

use std::path::Path;
use std::process::{Command, Output};

const TRACES: &str = "examples/bank/lost-update";

/// Reads several columns of `span`, tests constants in two of its atoms,
/// and counts through an aggregate (which must see every row).
const RULES: &str = r#"
.decl server(S: symbol, Service: symbol)
.output server
server(S, V) :- span(S, _, V, _, "server", _, _).

.decl client_parent(C: symbol, P: symbol)
.output client_parent
client_parent(C, P) :- span(C, _, _, _, "client", _, _), parent(C, P).

.decl spans(N: number)
.output spans
spans(N) :- N = count : { span(_, _, _, _, _, _, _) }.
"#;

fn rulecheck(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulecheck"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `eval` over `input` with the standard rules and with [`RULES`]:
/// (stdout of both, stderr of both).
fn eval(input: &Path, rules: &Path) -> (String, String) {
    let mut out = String::new();
    let mut err = String::new();
    let standard = rulecheck(&["eval".as_ref(), input, "--stats".as_ref()]);
    let custom = rulecheck(&[
        "eval".as_ref(),
        input,
        "-r".as_ref(),
        rules,
        "--stats".as_ref(),
    ]);
    for o in [standard, custom] {
        assert!(o.status.success(), "{}", text(&o.stderr));
        out += &text(&o.stdout);
        err += &text(&o.stderr);
    }
    (out, err)
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let facts = tmp.path().join("facts");
    let rules = tmp.path().join("t.rules");
    std::fs::write(&rules, RULES).unwrap();
    let o = rulecheck(&["facts".as_ref(), TRACES.as_ref(), "-o".as_ref(), &facts]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(facts.join("facts.image").is_file());
    (tmp, facts, rules)
}

#[test]
fn image_and_facts_files_give_the_results_of_the_traces() {
    let (_tmp, facts, rules) = setup();
    let (expected, _) = eval(TRACES.as_ref(), &rules);
    // Computed from the file itself: the server spans and how many spans.
    let span_text = std::fs::read_to_string(facts.join("span.facts")).unwrap();
    let servers: Vec<&str> = span_text
        .lines()
        .filter(|l| l.split('\t').nth(4) == Some("server"))
        .collect();
    assert!(!servers.is_empty());
    for line in &servers {
        let mut cols = line.split('\t');
        let (id, service) = (cols.next().unwrap(), cols.nth(1).unwrap());
        assert!(
            expected.contains(&format!("{id}\t{service}\n")),
            "{id} {service}"
        );
    }
    assert!(expected.contains(&format!("# spans\n{}\n", span_text.lines().count())));
    assert!(
        expected.contains("# conflict\n4ff8a0e79bdc123a\t"),
        "{expected}"
    );

    let (from_image, err) = eval(&facts, &rules);
    assert!(err.contains("(1 of 1 from facts.image)"), "{err}");
    assert_eq!(from_image, expected);

    std::fs::remove_file(facts.join("facts.image")).unwrap();
    let (from_files, err) = eval(&facts, &rules);
    assert!(err.contains("(0 of 1 from facts.image)"), "{err}");
    assert_eq!(from_files, expected);
}

#[test]
fn a_changed_facts_file_is_read_instead_of_the_image() {
    let (_tmp, facts, rules) = setup();
    let span = facts.join("span.facts");
    let mut text_now = std::fs::read_to_string(&span).unwrap();
    text_now.push_str("zz-new\ttrace-x\tnew-service\tGET /new\tserver\t1\t2\n");
    std::fs::write(&span, text_now).unwrap();
    let (out, err) = eval(&facts, &rules);
    assert!(err.contains("(0 of 1 from facts.image)"), "{err}");
    assert!(out.contains("zz-new\tnew-service\n"), "{out}");
}

#[test]
fn a_damaged_image_is_a_warning_and_the_files_are_read() {
    let (_tmp, facts, rules) = setup();
    let (expected, _) = eval(TRACES.as_ref(), &rules);
    let image = facts.join("facts.image");
    let bytes = std::fs::read(&image).unwrap();
    std::fs::write(&image, &bytes[..bytes.len() / 2]).unwrap();
    let (out, err) = eval(&facts, &rules);
    assert!(err.contains("facts.image: damaged"), "{err}");
    assert!(err.contains("reading the .facts files instead"), "{err}");
    assert_eq!(out, expected);
}

#[test]
fn proofs_over_a_facts_folder_show_whole_base_tuples() {
    let (tmp, facts, _) = setup();
    // Reads one column of `span`; the proof's leaf must still show all.
    let rules = tmp.path().join("inv.rules");
    std::fs::write(
        &rules,
        ".decl server(S: symbol)\nserver(S) :- span(S, _, _, _, \"server\", _, _).\n\
         .invariant server \"a server span\"\n",
    )
    .unwrap();
    // The .facts files (the image holds whole tuples anyway) and the traces.
    std::fs::remove_file(facts.join("facts.image")).unwrap();
    for input in [facts.as_path(), TRACES.as_ref()] {
        let o = rulecheck(&[
            "eval".as_ref(),
            input,
            "-r".as_ref(),
            &rules,
            "--explain".as_ref(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(
            out.contains("\"GET /accounts/<int:account>\", \"server\""),
            "{out}"
        );
    }
}
