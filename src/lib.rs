//! rulecheck: Datalog rules over distributed-trace facts.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! `ingest` (trace files → spans) → `lower` (spans → base facts) →
//! `facts` (the fact store and its files) → rules and evaluation.

pub mod cli;
pub mod diag;
pub mod engine;
pub mod explain;
pub mod facts;
pub mod ingest;
pub mod lang;
pub mod lower;
pub mod model;
pub mod pairs;
pub mod run;
