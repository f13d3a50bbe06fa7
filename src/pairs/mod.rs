//! Candidate pairs: the hand-off from rule evaluation to the executor.

pub mod build;
pub mod format;
pub mod microracer;
