//! The interleaving executor: replays candidate pairs against the live
//! system in every order, restoring the databases in between.
//!
//! Architecture invariant: `run` reads pair files and talks to services and
//! databases; it knows nothing of traces or rule evaluation.

pub mod endpoints;
pub mod executor;
pub mod invariants;
pub mod replay;
pub mod report;
pub mod setup;
pub mod snapshot;
pub mod state;
pub mod verdict;
