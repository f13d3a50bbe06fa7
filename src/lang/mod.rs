//! The rule language front end: parse `.rules` files, check them (names,
//! arities, types, range restriction, stratification) and hand the engine a
//! [`Program`]. Every problem is a miette diagnostic pointing at the file,
//! line and columns.

pub mod ast;
pub mod program;
pub mod source;

pub use program::Program;
pub use source::{FileId, Loc, SourceMap};
