//! Candidate pairs: the hand-off from rule evaluation to the executor.

pub mod format;
