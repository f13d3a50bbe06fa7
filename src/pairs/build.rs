//! Derived pair relations + base facts → replayable pairs.
//!
//! A pair relation holds request span ids `(A, B, …)`. Each id becomes a
//! request from the trace facts: its HTTP call (a client span's URL is the
//! callee's), the body and response (borrowed from the callee's server span
//! when the client span has none), the request headers the server span
//! recorded, and the SQL its server span ran. Conflict details come from
//! the `conflict` relation when the rules derive one; the pair's `proof`
//! is its explain proof on one line (rule chain, SQL of the leaf spans).

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use crate::engine::Database;
use crate::explain::{self, summary, Ctx};
use crate::facts::Base;
use crate::lang::program::{Program, RelId};

use super::format::{Conflict, Pair, PairFile, Request};

/// Base facts indexed by span, for building requests.
pub struct TraceIndex<'a> {
    db: &'a Database,
    spans: FxHashMap<u64, [u64; 7]>,
    http: FxHashMap<u64, [u64; 4]>,
    payload: FxHashMap<u64, [u64; 3]>,
    calls: FxHashMap<u64, u64>,
    children: FxHashMap<u64, Vec<u64>>,
    statements: FxHashMap<u64, Vec<(u64, u64)>>,
    tags: FxHashMap<u64, Vec<(u64, u64)>>,
}

fn rel(b: Base) -> RelId {
    RelId(b as u32)
}

fn fixed<const N: usize>(row: &[u64]) -> [u64; N] {
    let mut a = [0; N];
    a.copy_from_slice(&row[..N]);
    a
}

impl<'a> TraceIndex<'a> {
    pub fn new(db: &'a Database) -> Self {
        let mut ix = TraceIndex {
            db,
            spans: db.rows(rel(Base::Span)).map(|r| (r[0], fixed(r))).collect(),
            http: db.rows(rel(Base::Http)).map(|r| (r[0], fixed(r))).collect(),
            payload: db
                .rows(rel(Base::HttpPayload))
                .map(|r| (r[0], fixed(r)))
                .collect(),
            calls: FxHashMap::default(),
            children: FxHashMap::default(),
            statements: FxHashMap::default(),
            tags: FxHashMap::default(),
        };
        for r in db.rows(rel(Base::Calls)) {
            ix.calls.entry(r[0]).or_insert(r[1]);
        }
        let follows: rustc_hash::FxHashSet<(u64, u64)> =
            db.rows(rel(Base::Follows)).map(|r| (r[0], r[1])).collect();
        for r in db.rows(rel(Base::Parent)) {
            if !follows.contains(&(r[0], r[1])) {
                ix.children.entry(r[1]).or_default().push(r[0]);
            }
        }
        for r in db.rows(rel(Base::Db)) {
            ix.statements.entry(r[0]).or_default().push((r[2], r[3]));
        }
        for r in db.rows(rel(Base::Tag)) {
            ix.tags.entry(r[0]).or_default().push((r[1], r[2]));
        }
        ix
    }

    fn text(&self, cell: u64) -> &str {
        self.db.symbols.resolve(cell as u32)
    }

    fn sym(&self, text: &str) -> Option<u64> {
        self.db.symbols.get(text).map(u64::from)
    }

    /// The interned id of a span id, if it is a span of the input.
    pub fn sym_of(&self, span_id: &str) -> Option<u64> {
        self.sym(span_id).filter(|s| self.spans.contains_key(s))
    }

    fn is_server(&self, s: u64) -> bool {
        self.spans
            .get(&s)
            .is_some_and(|r| self.text(r[4]) == "server")
    }

    /// The server span that handled request `s`: itself, or its callee.
    fn server(&self, s: u64) -> u64 {
        if self.is_server(s) {
            s
        } else {
            self.calls.get(&s).copied().unwrap_or(s)
        }
    }

    /// (start, instance, statement) of the database calls the server span
    /// made itself (not through another server span), in start order.
    pub fn statements(&self, request: u64) -> Vec<(i64, String, String)> {
        let root = self.server(request);
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(s) = stack.pop() {
            if let Some(stmts) = self.statements.get(&s) {
                let start = self.spans.get(&s).map_or(0, |r| r[5] as i64);
                for &(inst, stmt) in stmts {
                    // Connection-level spans (commit, close) carry no statement.
                    if self.text(stmt).is_empty() {
                        continue;
                    }
                    out.push((
                        start,
                        self.text(inst).to_string(),
                        self.text(stmt).to_string(),
                    ));
                }
            }
            for &c in self.children.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
                if !self.is_server(c) {
                    stack.push(c);
                }
            }
        }
        out.sort();
        out
    }

    /// Database instances of every call under request `s`, across services.
    pub fn databases(&self, request: u64) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![request, self.server(request)];
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some(s) = stack.pop() {
            if !seen.insert(s) {
                continue;
            }
            for &(inst, _) in self.statements.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
                out.insert(self.text(inst).to_string());
            }
            stack.extend(self.children.get(&s).map(Vec::as_slice).unwrap_or(&[]));
        }
        out
    }

    /// The request a span id stands for; `None` when the span is unknown.
    pub fn request(&self, span_id: &str) -> Option<Request> {
        let s = self.sym(span_id)?;
        let span = self.spans.get(&s)?;
        let server = self.server(s);
        let http = self.http.get(&s).or_else(|| self.http.get(&server));
        let payload = self.payload.get(&s).or_else(|| self.payload.get(&server));
        let mut headers = Vec::new();
        for &(k, v) in self.tags.get(&server).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(name) = self.text(k).strip_prefix("http.request.header.") {
                headers.push((name.replace('_', "-"), header_value(self.text(v))));
            }
        }
        Some(Request {
            span: span_id.to_string(),
            trace: self.text(span[1]).to_string(),
            service: self
                .text(self.spans.get(&server).unwrap_or(span)[2])
                .to_string(),
            method: http.map_or(String::new(), |h| self.text(h[1]).to_string()),
            url: http.map_or(String::new(), |h| self.text(h[2]).to_string()),
            headers,
            body: payload.map_or(String::new(), |p| self.text(p[1]).to_string()),
            status: http.map_or(0, |h| u16::try_from(h[3] as i64).unwrap_or(0)),
            response: payload.map_or(String::new(), |p| self.text(p[2]).to_string()),
        })
    }
}

/// OpenTelemetry records header values as a list (`["application/json"]`).
fn header_value(v: &str) -> String {
    match serde_json::from_str::<Vec<String>>(v) {
        Ok(list) => list.join(", "),
        Err(_) => v.to_string(),
    }
}

/// `conflict(A, B, Db, Table, Key, KindA, KindB)` rows by pair.
fn conflicts(program: &Program, db: &Database) -> BTreeMap<(String, String), Vec<Conflict>> {
    let mut out: BTreeMap<(String, String), Vec<Conflict>> = BTreeMap::new();
    let Some(id) = program
        .relation_by_name("conflict")
        .filter(|&r| program.relation(r).arity() == 7)
    else {
        return out;
    };
    for r in db.rows_text(program, id) {
        out.entry((r[0].clone(), r[1].clone()))
            .or_default()
            .push(Conflict {
                database: r[2].clone(),
                table: r[3].clone(),
                key: r[4].clone(),
                kind_a: r[5].clone(),
                kind_b: r[6].clone(),
            });
    }
    out
}

/// Relations whose pairs are pre-validated (an insert dependency).
fn prevalidated(relation: &str) -> bool {
    matches!(relation, "reported_pair" | "mr_pre_validate_reported")
}

/// Builds the pair file from `relations` (each with two symbol columns
/// first), in relation order, pairs sorted. Unknown relations are an error.
pub fn build(
    program: &Program,
    db: &Database,
    index: &TraceIndex<'_>,
    relations: &[String],
) -> Result<PairFile, String> {
    let conflicts = conflicts(program, db);
    let mut file = PairFile {
        version: 1,
        pairs: Vec::new(),
    };
    for name in relations {
        let id = program
            .relation_by_name(name)
            .ok_or_else(|| format!("no relation `{name}` in the rules"))?;
        if program.relation(id).arity() < 2 {
            return Err(format!(
                "relation `{name}` has fewer than two columns; pairs need (A, B)"
            ));
        }
        let mut ctx = Ctx::new(program, db);
        let cells = db.sorted_rows(program, id);
        // `rows_text` renders `sorted_rows` in the same order.
        for (row, cells) in db.rows_text(program, id).into_iter().zip(cells) {
            let (a, b) = (&row[0], &row[1]);
            let (Some(ra), Some(rb)) = (index.request(a), index.request(b)) else {
                return Err(format!("{name}({a}, {b}): not span ids of the traces"));
            };
            let cs = conflicts
                .get(&(a.clone(), b.clone()))
                .cloned()
                .unwrap_or_default();
            // Every database either request reaches, downstream services included:
            // `run` must snapshot all of them, not only where the conflict is.
            let mut databases: BTreeSet<String> = cs.iter().map(|c| c.database.clone()).collect();
            for sid in [a, b] {
                if let Some(s) = index.sym(sid) {
                    databases.extend(index.databases(s));
                }
            }
            let proof = match explain::proof(&mut ctx, id, cells) {
                Some(node) => summary::one_line(&mut ctx, &node),
                None => {
                    return Err(format!(
                        "{name}({a}, {b}): no proof re-checks against the rules (a bug, please report it)"
                    ))
                }
            };
            file.pairs.push(Pair {
                id: format!("p{}", file.pairs.len() + 1),
                a: ra,
                b: rb,
                databases: databases.into_iter().collect(),
                conflicts: cs,
                rule: name.clone(),
                prevalidated: prevalidated(name),
                proof,
            });
        }
    }
    Ok(file)
}

/// Request span ids in flow order, numbered as MicroRacer numbers them:
/// flows (from `request(R, F, H)` or `mr_request(R, F)`) by first start
/// time, requests within a flow by start time.
pub fn flow_numbers(
    program: &Program,
    db: &Database,
    index: &TraceIndex<'_>,
) -> BTreeMap<String, (usize, usize)> {
    let rel = program
        .relation_by_name("request")
        .or_else(|| program.relation_by_name("mr_request"));
    let mut flows: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    if let Some(rel) = rel {
        for r in db.rows_text(program, rel) {
            let start = index
                .sym(&r[0])
                .and_then(|s| index.spans.get(&s))
                .map_or(0, |row| row[5] as i64);
            flows
                .entry(r[1].clone())
                .or_default()
                .push((start, r[0].clone()));
        }
    }
    type Flow = (i64, String, Vec<(i64, String)>);
    let mut ordered: Vec<Flow> = flows
        .into_iter()
        .map(|(f, mut reqs)| {
            reqs.sort();
            (reqs.first().map_or(0, |r| r.0), f, reqs)
        })
        .collect();
    ordered.sort();
    let mut out = BTreeMap::new();
    for (fi, (_, _, reqs)) in ordered.into_iter().enumerate() {
        for (si, (_, r)) in reqs.into_iter().enumerate() {
            out.entry(r).or_insert((fi, si));
        }
    }
    out
}
