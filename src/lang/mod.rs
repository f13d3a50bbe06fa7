//! The rule language front end: parse `.rules` files, check them (names,
//! arities, types, range restriction, stratification) and hand the engine a
//! [`Program`]. Every problem is a miette diagnostic pointing at the file,
//! line and columns.

pub mod ast;
mod check;
mod demand;
pub mod error;
mod lex;
mod lint;
mod load;
mod parse;
pub mod program;
mod rules;
pub mod source;
mod stratify;

use std::path::PathBuf;

pub use demand::Demand;
pub use error::{ErrorKind, LangError};
pub use load::{check_files, check_sources, compile_files, compile_sources, Checked};
pub use program::Program;
pub use source::{FileId, Loc, SourceMap};

/// Reads, parses and checks rule files and folders (with what they
/// `.include`): the entry point of `eval`, `check` and every command that
/// takes `-r`. On failure, every problem found, as miette reports.
pub fn load(paths: &[PathBuf]) -> Result<Program, Vec<miette::Report>> {
    compile_files(paths).map_err(into_reports)
}

/// [`load`] for sources held in memory, such as the standard library
/// compiled into the binary: `(name, text)` pairs.
pub fn load_sources(sources: &[(&str, &str)]) -> Result<Program, Vec<miette::Report>> {
    compile_sources(sources).map_err(into_reports)
}

fn into_reports(errors: Vec<LangError>) -> Vec<miette::Report> {
    errors.into_iter().map(miette::Report::new).collect()
}
