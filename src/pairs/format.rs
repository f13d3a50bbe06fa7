//! The native pair file (`rulecheck pairs -o pairs.json`, read by `run`).
//!
//! Each pair carries both requests in full, so `run` can replay them with
//! no access to the traces: method, URL, headers, body, and what the trace
//! recorded as status and response (for comparison, not for replay).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairFile {
    /// Format version; bumped on incompatible changes.
    pub version: u32,
    pub pairs: Vec<Pair>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// Stable within a file: `p1`, `p2`, ...
    pub id: String,
    pub a: Request,
    pub b: Request,
    /// Database instances the pair touches, as lowered (`peer/dbname`).
    #[serde(default)]
    pub databases: Vec<String>,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    /// The relation (rule head) that flagged the pair.
    #[serde(default)]
    pub rule: String,
    /// Pre-validation already shows the pair order-dependent (an insert dependency).
    #[serde(default)]
    pub prevalidated: bool,
    /// One-line summary of why the pair was flagged.
    #[serde(default)]
    pub proof: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub span: String,
    #[serde(default)]
    pub trace: String,
    #[serde(default)]
    pub service: String,
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Request body as recorded (usually JSON text); empty when none.
    #[serde(default)]
    pub body: String,
    /// Recorded response status; 0 when unknown.
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub response: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub database: String,
    pub table: String,
    pub key: String,
    pub kind_a: String,
    pub kind_b: String,
}
