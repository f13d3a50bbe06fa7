//! `rulecheck check`: parse and check rule files only, printing every
//! diagnostic rustc-style on stderr. Warnings are shown but leave the exit
//! code at 0.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use super::{CheckArgs, EXIT_ERROR, EXIT_OK};
use crate::lang;

pub fn run(args: &CheckArgs) -> i32 {
    let checked = lang::check_files(&args.rules);
    eprint!("{}", render(&checked.warnings));
    let warned = match checked.warnings.len() {
        0 => String::new(),
        n => format!(", {n} warning{}", plural(n)),
    };
    match checked.program {
        Ok(program) => {
            let derived = program
                .relations
                .iter()
                .filter(|r| r.base.is_none())
                .count();
            eprintln!(
                "ok: {} file{}, {} relation{}, {} rule{}, {} strat{}, {} invariant{}{warned}",
                program.sources.files.len(),
                plural(program.sources.files.len()),
                derived,
                plural(derived),
                program.rules.len(),
                plural(program.rules.len()),
                program.strata.len(),
                if program.strata.len() == 1 { "um" } else { "a" },
                program.invariants.len(),
                plural(program.invariants.len()),
            );
            EXIT_OK
        }
        Err(errors) => {
            eprint!("{}", render(&errors));
            let files: std::collections::BTreeSet<&str> =
                errors.iter().map(|e| e.file.as_str()).collect();
            eprintln!(
                "error: {} problem{} in {} file{}{warned}",
                errors.len(),
                plural(errors.len()),
                files.len(),
                plural(files.len())
            );
            EXIT_ERROR
        }
    }
}

/// Renders diagnostics as miette's graphical (rustc-like) reports: colour
/// and Unicode on a terminal, plain ASCII without escapes otherwise, so
/// logs and CI output stay readable.
pub fn render(errors: &[lang::LangError]) -> String {
    let theme = if std::io::stderr().is_terminal() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::none()
    };
    let handler = GraphicalReportHandler::new_themed(theme);
    let mut out = String::new();
    for e in errors {
        if handler.render_report(&mut out, e).is_err() {
            out.push_str(&e.short());
        }
        out.push('\n');
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
