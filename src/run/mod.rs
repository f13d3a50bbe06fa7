//! The interleaving executor: replays candidate pairs against the live
//! system in every order, restoring the databases in between.
//!
//! Architecture invariant: `run` reads pair files and talks to services and
//! databases; it knows nothing of traces or rule evaluation beyond the
//! invariants it is handed.

pub mod snapshot;
