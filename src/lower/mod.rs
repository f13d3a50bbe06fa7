//! Lowering: spans → base facts (see `facts::schema` for every relation).
//!
//! Files are lowered one at a time as they are read, so only facts (interned)
//! stay in memory. Facts that need the whole input (`calls`, payloads a
//! client span borrows from its callee, the graph checks) are completed in
//! [`Lowerer::finish`].
//!
//! Architecture invariant: lowering knows nothing of rules; it only fills
//! the tables of `facts::BASE`.

pub mod db;
pub mod graph;
pub mod http;
pub mod sql;

use std::path::PathBuf;

use rustc_hash::FxHashMap;

use crate::diag::Problem;
use crate::facts::{Base, FactDb};
use crate::ingest::FileSpans;
use crate::model::{RefKind, Span};
use graph::{Admit, Graph};
use sql::{KeyColumns, SqlLowerer};

pub struct Lowerer {
    db: FactDb,
    sql: SqlLowerer,
    graph: Graph,
    /// (child, parent) of every reference, checked in `finish`.
    edges: Vec<(u32, u32)>,
    problems: Vec<Problem>,
}

fn num(n: i64) -> u64 {
    n as u64
}

/// A statement of an unknown system is parsed only when it reads as SQL.
fn looks_like_sql(statement: &str) -> bool {
    let word: String = statement
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "select" | "insert" | "update" | "delete" | "replace" | "with" | "merge" | "upsert"
    )
}

impl Lowerer {
    pub fn new(keys: KeyColumns) -> Self {
        Lowerer {
            db: FactDb::default(),
            sql: SqlLowerer::new(keys),
            graph: Graph::default(),
            edges: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Lowers every span of one file.
    pub fn add_file(&mut self, file: FileSpans) {
        self.problems.extend(file.problems);
        let file_sym = self.db.sym(&file.path.to_string_lossy());
        let file_no = self.graph.add_file(file.path);
        for (index, span) in file.spans.iter().enumerate() {
            let id = self.db.sym(&span.id);
            if self.graph.admit(id as u32, span, file_no, index as u32) == Admit::Skip {
                continue;
            }
            self.lower_span(id, span, file_sym, index as i64, file_no);
        }
    }

    fn lower_span(&mut self, s: u64, span: &Span, file_sym: u64, index: i64, file_no: u32) {
        let db = &mut self.db;
        let row = [
            s,
            db.sym(&span.trace_id),
            db.sym(&span.service),
            db.sym(&span.name),
            db.sym(span.kind.as_str()),
            num(span.start_us),
            num(span.end_us),
        ];
        db.push(Base::Span, &row);
        db.push(Base::SpanSource, &[s, file_sym, num(index)]);

        for r in &span.refs {
            let p = db.sym(&r.parent);
            db.push(Base::Parent, &[s, p]);
            if r.kind == RefKind::FollowsFrom {
                db.push(Base::Follows, &[s, p]);
            }
            self.edges.push((s as u32, p as u32));
        }
        for (k, v) in &span.tags {
            let (k_sym, v_sym) = (db.sym(k), db.sym(v));
            db.push(Base::Tag, &[s, k_sym, v_sym]);
            if let Ok(n) = v.trim().parse::<i64>() {
                db.push(Base::TagNum, &[s, k_sym, num(n)]);
            }
        }
        for log in &span.logs {
            for (k, v) in &log.fields {
                let row = [s, num(log.time_us), db.sym(k), db.sym(v)];
                db.push(Base::Log, &row);
            }
        }
        if span.error {
            db.push(Base::Error, &[s]);
        }
        if let Some((seg, no)) = &span.segment {
            let row = [s, db.sym(seg), num(*no)];
            db.push(Base::Segment, &row);
        }
        if let Some(peer) = db::peer(span) {
            let row = [s, db.sym(&peer)];
            db.push(Base::Peer, &row);
        }
        if span.layer.is_some() || span.component.is_some() {
            let row = [
                s,
                db.sym(span.layer.as_deref().unwrap_or("")),
                db.sym(span.component.as_deref().unwrap_or("")),
            ];
            db.push(Base::Component, &row);
        }
        if let Some(call) = http::http_call(span) {
            let row = [s, db.sym(call.method), db.sym(&call.url), num(call.status)];
            db.push(Base::Http, &row);
            if call.request.is_some() || call.response.is_some() {
                let row = [
                    s,
                    db.sym(call.request.unwrap_or("")),
                    db.sym(call.response.unwrap_or("")),
                ];
                db.push(Base::HttpPayload, &row);
            }
        }
        if let Some(call) = db::db_call(span) {
            self.lower_db(s, span, call, file_no);
        }
    }

    fn lower_db(&mut self, s: u64, span: &Span, call: db::DbCall<'_>, file_no: u32) {
        let db = &mut self.db;
        let system = db.sym(&call.system);
        let instance = db.sym(&call.instance);
        let is_sql = if call.system.is_empty() {
            looks_like_sql(call.statement)
        } else {
            db::speaks_sql(&call.system)
        };
        if !is_sql || call.statement.trim().is_empty() {
            let row = [s, system, instance, db.sym(call.statement)];
            db.push(Base::Db, &row);
            return;
        }
        match self.sql.lower(call.statement, call.params) {
            Err(reason) => {
                let row = [s, system, instance, db.sym(call.statement)];
                db.push(Base::Db, &row);
                let row = [s, db.sym(&reason)];
                db.push(Base::SqlUnparsed, &row);
            }
            Ok(executions) => {
                for ex in executions {
                    let row = [s, system, instance, db.sym(&ex.bound)];
                    db.push(Base::Db, &row);
                    for (op, table) in &ex.tables {
                        let row = [s, db.sym(op.as_str()), db.sym(table)];
                        db.push(Base::Sql, &row);
                    }
                    for cv in &ex.columns {
                        let row = [
                            s,
                            db.sym(&cv.table),
                            db.sym(&cv.column),
                            db.sym(&cv.value),
                            db.sym(cv.clause.as_str()),
                        ];
                        db.push(Base::ColumnValue, &row);
                    }
                    for (table, key) in &ex.reads {
                        let row = [s, db.sym(table), db.sym(key)];
                        db.push(Base::Reads, &row);
                    }
                    for p in &ex.placeholders {
                        let row = [
                            s,
                            num(p.pos as i64),
                            db.sym(&p.table),
                            db.sym(&p.column),
                            db.sym(p.context),
                            db.sym(&p.value),
                        ];
                        db.push(Base::Placeholder, &row);
                    }
                    for (table, key) in &ex.writes {
                        let row = [s, db.sym(table), db.sym(key)];
                        db.push(Base::Writes, &row);
                    }
                    for w in ex.warnings {
                        self.problems.push(Problem::warning(
                            self.graph.file(file_no),
                            Some(format!("span {}", span.id)),
                            w,
                        ));
                    }
                }
            }
        }
    }

    /// Completes the facts that need the whole input and returns them with
    /// every problem met, in the order found.
    pub fn finish(mut self) -> (FactDb, Vec<Problem>) {
        let (graph_problems, cut) = self.graph.finish(&self.edges, &self.db.symbols);
        self.problems.extend(graph_problems);
        let db = &mut self.db;
        if !cut.is_empty() {
            for rel in [Base::Parent, Base::Follows] {
                db.table_mut(rel)
                    .retain(|r| !cut.contains(&(r[0] as u32, r[1] as u32)));
            }
        }
        // calls(Client, Server) :- parent(Server, Client),
        //     span(Client, _, _, _, "client", _, _), span(Server, _, _, _, "server", _, _).
        let (client, server) = (db.sym("client"), db.sym("server"));
        let kinds: FxHashMap<u64, u64> =
            db.table(Base::Span).rows().map(|r| (r[0], r[4])).collect();
        let mut calls = Vec::new();
        for r in db.table(Base::Parent).rows() {
            if kinds.get(&r[0]) == Some(&server) && kinds.get(&r[1]) == Some(&client) {
                calls.push([r[1], r[0]]);
            }
        }
        // http_payload(C, Req, Resp) :- calls(C, S), http(C, ..), !has_payload(C), http_payload(S, Req, Resp).
        let payload: FxHashMap<u64, (u64, u64)> = db
            .table(Base::HttpPayload)
            .rows()
            .map(|r| (r[0], (r[1], r[2])))
            .collect();
        let is_http: rustc_hash::FxHashSet<u64> =
            db.table(Base::Http).rows().map(|r| r[0]).collect();
        for &[c, s] in &calls {
            db.push(Base::Calls, &[c, s]);
            if is_http.contains(&c) && !payload.contains_key(&c) {
                if let Some(&(req, resp)) = payload.get(&s) {
                    db.push(Base::HttpPayload, &[c, req, resp]);
                }
            }
        }
        for t in &mut db.tables {
            t.sort_dedup();
        }
        (self.db, self.problems)
    }
}

/// Reads and lowers every trace file under `paths`: the whole front half of
/// the pipeline. Files are parsed in parallel and lowered in order.
pub fn load(paths: &[PathBuf], keys: KeyColumns) -> (FactDb, Vec<Problem>) {
    use rayon::prelude::*;
    let (files, mut problems) = crate::ingest::find_files(paths);
    let mut lowerer = Lowerer::new(keys);
    // Parse a bounded batch at a time: parallel, but never the whole corpus in memory.
    let batch = rayon::current_num_threads().max(1) * 4;
    for chunk in files.chunks(batch) {
        let texts: Vec<_> = chunk
            .par_iter()
            .map(|p| crate::ingest::read_text(p))
            .collect();
        // Spans borrow their file's text, which outlives them here.
        let parsed: Vec<_> = chunk
            .par_iter()
            .zip(&texts)
            .map(|(p, text)| match text {
                Ok(text) => crate::ingest::parse(p, text),
                Err(problem) => Err(problem.clone()),
            })
            .collect();
        for result in parsed {
            match result {
                Ok(file) => lowerer.add_file(file),
                Err(problem) => problems.push(problem),
            }
        }
    }
    let (db, lower_problems) = lowerer.finish();
    problems.extend(lower_problems);
    (db, problems)
}
