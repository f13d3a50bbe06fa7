//! Deciding what a pair's schedules show.
//!
//! An outcome is the two responses and the final state of every database.
//! Serial orders that end differently make a pair order-dependent; a
//! concurrent run that ends in an outcome neither serial order gives is a
//! race the serial orders cannot explain: non-serializable.

use std::collections::BTreeMap;

use serde::Serialize;

use super::replay::Response;
use super::state::{diff, DbState, RowDiff};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub a: Response,
    pub b: Response,
    /// Database instance name → state.
    pub state: BTreeMap<String, DbState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Consistent,
    OrderDependent,
    NonSerializable,
    InvariantBroken,
    /// A schedule could not run (target down, database error): no verdict.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::OrderDependent => "order-dependent",
            Verdict::NonSerializable => "non-serializable",
            Verdict::InvariantBroken => "invariant-broken",
            Verdict::Error => "error",
        }
    }
}

/// What to leave out of comparisons: JSON pointers into response bodies
/// (`/timestamp`) and `table.column` names in database state.
#[derive(Clone, Debug, Default)]
pub struct Ignore {
    pub pointers: Vec<String>,
    pub columns: Vec<String>,
}

impl Ignore {
    fn body(&self, body: &serde_json::Value) -> serde_json::Value {
        let mut body = body.clone();
        for p in &self.pointers {
            if let Some((parent, last)) = p.rsplit_once('/') {
                let last = last.replace("~1", "/").replace("~0", "~");
                match body.pointer_mut(parent) {
                    Some(serde_json::Value::Object(m)) => {
                        m.remove(&last);
                    }
                    Some(serde_json::Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            if i < a.len() {
                                a[i] = serde_json::Value::Null;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        body
    }

    fn response_eq(&self, x: &Response, y: &Response) -> bool {
        x.status == y.status && self.body(&x.body) == self.body(&y.body)
    }

    /// Same responses and same states, up to what is ignored.
    pub fn same(&self, x: &Outcome, y: &Outcome) -> bool {
        self.response_eq(&x.a, &y.a)
            && self.response_eq(&x.b, &y.b)
            && x.state.keys().eq(y.state.keys())
            && x.state.iter().all(|(db, s)| {
                y.state
                    .get(db)
                    .is_some_and(|t| diff(s, t, &self.columns).is_empty())
            })
    }
}

/// The differences between two outcomes, for the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OutcomeDiff {
    pub left: String,
    pub right: String,
    /// Database instance → differing rows.
    pub rows: BTreeMap<String, Vec<RowDiff>>,
    /// "a" / "b" → (left response, right response) where they differ.
    pub responses: BTreeMap<String, (Response, Response)>,
}

pub fn outcome_diff(
    ignore: &Ignore,
    left: (&str, &Outcome),
    right: (&str, &Outcome),
) -> OutcomeDiff {
    let mut d = OutcomeDiff {
        left: left.0.to_string(),
        right: right.0.to_string(),
        ..Default::default()
    };
    let empty = DbState::default();
    for (db, l) in &left.1.state {
        let rows = diff(l, right.1.state.get(db).unwrap_or(&empty), &ignore.columns);
        if !rows.is_empty() {
            d.rows.insert(db.clone(), rows);
        }
    }
    for (name, l, r) in [("a", &left.1.a, &right.1.a), ("b", &left.1.b, &right.1.b)] {
        if !ignore.response_eq(l, r) {
            d.responses.insert(name.to_string(), (l.clone(), r.clone()));
        }
    }
    d
}

/// The verdict over the serial outcomes and the concurrent ones, with the
/// diffs that show it.
pub fn decide(
    ignore: &Ignore,
    ab: &Outcome,
    ba: &Outcome,
    concurrent: &[Outcome],
) -> (Verdict, Vec<OutcomeDiff>) {
    if let Some((i, odd)) = concurrent
        .iter()
        .enumerate()
        .find(|(_, c)| !ignore.same(c, ab) && !ignore.same(c, ba))
    {
        let name = format!("A||B #{}", i + 1);
        let diffs = vec![
            outcome_diff(ignore, ("A;B", ab), (&name, odd)),
            outcome_diff(ignore, ("B;A", ba), (&name, odd)),
        ];
        return (Verdict::NonSerializable, diffs);
    }
    if !ignore.same(ab, ba) {
        return (
            Verdict::OrderDependent,
            vec![outcome_diff(ignore, ("A;B", ab), ("B;A", ba))],
        );
    }
    (Verdict::Consistent, Vec::new())
}
