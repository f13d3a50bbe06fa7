//! Lowering: spans → base facts (see `facts::schema` for every relation).
//!
//! Files are lowered as they are read, so only facts (interned) stay in
//! memory: each file on a worker thread into facts of its own
//! ([`file::FileFacts`]), merged in file order into the input's facts. Facts
//! that need the whole input (`calls`, payloads a client span borrows from
//! its callee, the graph checks) are completed in [`Lowerer::finish`].
//!
//! Architecture invariant: lowering knows nothing of rules; it only fills
//! the tables of `facts::BASE`.

pub mod db;
mod file;
pub mod graph;
pub mod http;
pub mod sql;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::diag::Problem;
use crate::facts::{Base, FactDb, Type, BASE};
use crate::ingest::FileSpans;
use crate::model::{RefKind, Span};
use file::{FileFacts, Lowered};
use graph::{Admit, Graph};
use sql::{KeyColumns, SqlLowerer};

pub struct Lowerer {
    db: FactDb,
    sql: SqlLowerer,
    graph: Graph,
    /// (child, parent) of every reference, checked in `finish`.
    edges: Vec<(u32, u32)>,
    problems: Vec<Problem>,
    /// Bytes of the input's files not yet merged, for sizing the tables.
    unread: u64,
    /// Per table, whether its rows are known to be sorted and distinct:
    /// checked as each file's rows are merged, while they are in cache,
    /// so that `finish` need not read the tables from memory to see it.
    sorted: Vec<bool>,
}

/// Where spans are lowered to: the input's facts, or one file's
/// ([`file::FileFacts`]), whose symbols are then numbered apart.
pub(crate) struct Out<'a> {
    pub db: &'a mut FactDb,
    pub sql: &'a mut SqlLowerer,
    pub edges: &'a mut Vec<(u32, u32)>,
    pub problems: &'a mut Vec<Problem>,
    pub fixed: Fixed,
}

/// Symbols of the fixed strings lowering writes again and again (span
/// kinds, SQL operations and clauses, placeholder contexts), found by the
/// string's address instead of by hashing its text and probing the table.
#[derive(Default)]
pub(crate) struct Fixed(Vec<(usize, usize, u64)>);

impl Fixed {
    fn sym(&mut self, db: &mut FactDb, s: &'static str) -> u64 {
        let key = (s.as_ptr() as usize, s.len());
        if let Some(&(_, _, sym)) = self.0.iter().find(|&&(p, l, _)| (p, l) == key) {
            return sym;
        }
        let sym = db.sym(s);
        self.0.push((key.0, key.1, sym));
        sym
    }
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

impl Out<'_> {
    pub(crate) fn lower_span(
        &mut self,
        s: u64,
        span: &Span,
        file_sym: u64,
        index: i64,
        path: &Path,
    ) {
        let db = &mut *self.db;
        let row = [
            s,
            db.sym(&span.trace_id),
            db.sym(&span.service),
            db.sym(&span.name),
            self.fixed.sym(db, span.kind.as_str()),
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
            self.lower_db(s, span, call, path);
        }
    }

    fn lower_db(&mut self, s: u64, span: &Span, call: db::DbCall<'_>, path: &Path) {
        let db = &mut *self.db;
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
        let problems = &mut *self.problems;
        let fixed = &mut self.fixed;
        let lowered = self.sql.lower_each(call.statement, call.params, |ex| {
            let row = [s, system, instance, db.sym(&ex.bound)];
            db.push(Base::Db, &row);
            for (op, table) in ex.tables.iter() {
                let row = [s, fixed.sym(db, op.as_str()), db.sym(table)];
                db.push(Base::Sql, &row);
            }
            for cv in &ex.columns {
                let row = [
                    s,
                    db.sym(&cv.table),
                    db.sym(&cv.column),
                    db.sym(&cv.value),
                    fixed.sym(db, cv.clause.as_str()),
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
                    fixed.sym(db, p.context),
                    db.sym(&p.value),
                ];
                db.push(Base::Placeholder, &row);
            }
            for (table, key) in &ex.writes {
                let row = [s, db.sym(table), db.sym(key)];
                db.push(Base::Writes, &row);
            }
            for w in ex.warnings {
                problems.push(Problem::warning(path, Some(format!("span {}", span.id)), w));
            }
        });
        if let Err(reason) = lowered {
            let row = [s, system, instance, db.sym(call.statement)];
            db.push(Base::Db, &row);
            let row = [s, db.sym(&reason)];
            db.push(Base::SqlUnparsed, &row);
        }
    }
}

impl Lowerer {
    pub fn new(keys: KeyColumns) -> Self {
        Lowerer {
            db: FactDb::default(),
            sql: SqlLowerer::new(keys),
            graph: Graph::default(),
            edges: Vec::new(),
            problems: Vec::new(),
            unread: 0,
            sorted: vec![true; BASE.len()],
        }
    }

    /// Makes room, once, for the facts of the whole input as the first
    /// file merged suggests: growing tables of a million spans by doubling
    /// copied each several times (a few hundred MB) and faulted in pages
    /// twice. The guess is bounded by the input's size; pages reserved
    /// and never written cost nothing.
    fn reserve_like(&mut self, file: &FileFacts) {
        let unread = std::mem::take(&mut self.unread);
        if file.bytes == 0 || unread <= file.bytes as u64 {
            return;
        }
        let scale = |n: usize| {
            let n = (n as u64).saturating_mul(unread) / file.bytes as u64;
            n.min(unread) as usize
        };
        for (table, local) in self.db.tables.iter_mut().zip(&file.db.tables) {
            table.cells.reserve(scale(local.cells.len()));
        }
        let (text, ends) = file.db.symbols.parts();
        self.db
            .symbols
            .reserve(scale(ends.len()), scale(text.len()));
        self.edges.reserve(scale(file.edges.len()));
    }

    /// Lowers every span of one file, in order.
    pub fn add_file(&mut self, file: FileSpans) {
        // Rows pushed here are sorted in `finish`.
        self.sorted.fill(false);
        self.problems.extend(file.problems);
        let file_sym = self.db.sym(&file.path.to_string_lossy());
        let file_no = self.graph.add_file(file.path);
        let mut out = Out {
            fixed: Fixed::default(),
            db: &mut self.db,
            sql: &mut self.sql,
            edges: &mut self.edges,
            problems: &mut self.problems,
        };
        for (index, span) in file.spans.iter().enumerate() {
            let id = out.db.sym(&span.id);
            let hash = graph::content_hash(span);
            let admit = self
                .graph
                .admit(id as u32, hash, file_no, index as u32, &out.db.symbols);
            if admit == Admit::Skip {
                continue;
            }
            let path = self.graph.file(file_no);
            out.lower_span(id, span, file_sym, index as i64, path);
        }
    }

    /// Merges a file lowered on its own, as [`Lowerer::add_file`] would
    /// have lowered it: its new symbols numbered in the order it met them,
    /// its rows appended. `Err` (with nothing changed) when one of its spans
    /// takes an id an earlier file took: then which spans are lowered
    /// differs, and the file must go through `add_file`.
    /// Gives back the file's fact tables for another file.
    fn merge(&mut self, file: FileFacts) -> Result<FactDb, PathBuf> {
        self.reserve_like(&file);
        let symbols = &mut self.db.symbols;
        let before = symbols.len();
        let remap = symbols.intern_all(&file.db.symbols, &file.hashes);
        let at = |local: u32| remap[local as usize];
        if file
            .spans
            .iter()
            .any(|s| s.lowered && self.graph.is_seen(at(s.id)))
        {
            symbols.truncate(before);
            return Err(file.path);
        }
        let file_no = self.graph.add_file(file.path);
        for (index, s) in file.spans.iter().enumerate() {
            let admit = self
                .graph
                .admit(at(s.id), s.hash, file_no, index as u32, symbols);
            debug_assert_eq!(admit == Admit::New, s.lowered);
        }
        self.problems.extend(file.problems);
        self.edges
            .extend(file.edges.iter().map(|&(c, p)| (at(c), at(p))));
        let tables = BASE.iter().zip(&mut self.db.tables).zip(&file.db.tables);
        for (((schema, table), local), sorted) in tables.zip(&mut self.sorted) {
            let symbols: Vec<usize> = (0..schema.columns.len())
                .filter(|&c| schema.columns[c].ty == Type::Symbol)
                .collect();
            let start = table.cells.len();
            table.cells.extend_from_slice(&local.cells);
            for row in table.cells[start..].chunks_exact_mut(table.arity.max(1)) {
                for &c in &symbols {
                    row[c] = remap[row[c] as usize] as u64;
                }
            }
            *sorted = *sorted && table.is_sorted_from(start / table.arity.max(1));
        }
        Ok(file.db)
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
        // Spans are symbols, dense from 0: vectors indexed by symbol beat
        // hash maps over a million spans.
        let n = db.symbols.len();
        let mut kinds = vec![u64::MAX; n];
        for r in db.table(Base::Span).rows() {
            kinds[r[0] as usize] = r[4];
        }
        let mut calls = Vec::new();
        for r in db.table(Base::Parent).rows() {
            if kinds[r[0] as usize] == server && kinds[r[1] as usize] == client {
                calls.push([r[1], r[0]]);
            }
        }
        drop(kinds);
        // http_payload(C, Req, Resp) :- calls(C, S), http(C, ..), !has_payload(C), http_payload(S, Req, Resp).
        // Each span's payload row (the last, as a map collecting them kept).
        let mut payload = vec![u32::MAX; n];
        for (i, r) in db.table(Base::HttpPayload).rows().enumerate() {
            payload[r[0] as usize] = i as u32;
        }
        let mut is_http = vec![false; n];
        for r in db.table(Base::Http).rows() {
            is_http[r[0] as usize] = true;
        }
        // Rows pushed here are out of order.
        for rel in [Base::Calls, Base::HttpPayload] {
            self.sorted[rel as usize] = false;
        }
        for &[c, s] in &calls {
            db.push(Base::Calls, &[c, s]);
            if is_http[c as usize] && payload[c as usize] == u32::MAX {
                let at = payload[s as usize];
                if at != u32::MAX {
                    let table = db.table(Base::HttpPayload);
                    let at = at as usize * table.arity;
                    let row = &table.cells[at..at + table.arity];
                    let (req, resp) = (row[1], row[2]);
                    db.push(Base::HttpPayload, &[c, req, resp]);
                }
            }
        }
        {
            use rayon::prelude::*;
            // Parent and follows rows cut above keep their order.
            db.tables
                .par_iter_mut()
                .zip(&self.sorted)
                .filter(|(_, &sorted)| !sorted)
                .for_each(|(t, _)| t.sort_dedup());
        }
        (self.db, self.problems)
    }
}

/// Reads and lowers every trace file under `paths`: the whole front half of
/// the pipeline. Workers read, parse and lower files on their own, a
/// bounded batch at a time (never the whole corpus in memory); the files
/// are merged in order while the next batch is read, so the result is the
/// same as lowering every file in order on one thread.
pub fn load(paths: &[PathBuf], keys: KeyColumns) -> (FactDb, Vec<Problem>) {
    use rayon::prelude::*;
    let (files, mut problems) = crate::ingest::find_files(paths);
    let mut lowerer = Lowerer::new(keys.clone());
    lowerer.unread = files
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|meta| meta.len())
        .sum();
    let threads = rayon::current_num_threads().max(1);
    // One SQL lowerer (and template cache) per worker thread.
    let sql: Vec<Mutex<SqlLowerer>> = (0..threads)
        .map(|_| Mutex::new(SqlLowerer::in_isolation(keys.clone())))
        .collect();
    // Fact tables of merged files, for the files still to be lowered.
    let spare: Mutex<Vec<FactDb>> = Mutex::new(Vec::new());
    let lower_batch = |batch: &[PathBuf]| -> Vec<Lowered> {
        batch
            .par_iter()
            .map(|path| {
                let slot = rayon::current_thread_index().unwrap_or(0) % threads;
                let mut sql = sql[slot].lock().unwrap_or_else(|e| e.into_inner());
                let db = spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
                file::lower(path, &mut sql, db.unwrap_or_default())
            })
            .collect()
    };
    let mut batches = files.chunks(threads * 2);
    let mut pending = batches.next().map(lower_batch);
    while let Some(done) = pending {
        let next = batches.next();
        let merge = || {
            for lowered in done {
                if let Some(db) = lowerer.take(lowered, &mut problems) {
                    spare.lock().unwrap_or_else(|e| e.into_inner()).push(db);
                }
            }
        };
        pending = rayon::join(merge, || next.map(lower_batch)).1;
    }
    let (db, lower_problems) = lowerer.finish();
    problems.extend(lower_problems);
    (db, problems)
}

impl Lowerer {
    /// Adds one file's outcome: merged facts, or the file lowered again in
    /// order where merging cannot give the same facts, or its problem.
    /// Returns the merged file's fact tables, for reuse.
    fn take(&mut self, lowered: Lowered, problems: &mut Vec<Problem>) -> Option<FactDb> {
        let path = match lowered {
            Lowered::Facts(facts) => match self.merge(*facts) {
                Ok(db) => return Some(db),
                Err(path) => path,
            },
            Lowered::InOrder(path) => path,
            Lowered::Failed(problem) => {
                problems.push(problem);
                return None;
            }
        };
        match crate::ingest::read_text(&path) {
            Ok(text) => match crate::ingest::parse(&path, &text) {
                Ok(file) => self.add_file(file),
                Err(problem) => problems.push(problem),
            },
            Err(problem) => problems.push(problem),
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(segment: &str, n: u32, parent: i64, statement: &str, extra: &str) -> String {
        format!(
            r#"{{"traceId":"t","segmentId":"{segment}","spanId":{n},"parentSpanId":{parent},"serviceCode":"svc","startTime":1,"endTime":2,"endpointName":"op{extra}","type":"Exit","peer":"db:3306","layer":"Database","component":"mysql","tags":[{{"key":"db.type","value":"mysql"}},{{"key":"db.statement","value":"{statement}"}}]}}"#
        )
    }

    fn write(dir: &Path, name: &str, spans: &[String]) {
        let doc = format!(
            r#"{{"data":{{"trace":{{"spans":[{}]}}}}}}"#,
            spans.join(",")
        );
        std::fs::write(dir.join(name), doc).unwrap();
    }

    /// Everything a lowering produced, as text.
    fn dump(db: &FactDb, problems: &[Problem]) -> String {
        let symbols: Vec<&str> = (0..db.symbols.len() as u32)
            .map(|i| db.symbols.resolve(i))
            .collect();
        let tables: Vec<Vec<Vec<String>>> = Base::ALL.iter().map(|&r| db.rows_text(r)).collect();
        let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        format!("{symbols:?}\n{:?}\n{tables:?}\n{problems:?}", db.tables)
    }

    /// Files lowered apart and merged give exactly what lowering them in
    /// order gives: symbols numbered alike, rows, warnings, in the cases
    /// where a file must be lowered again in order (a span id an earlier
    /// file took; SQL that does not parse, whose reading depends on the
    /// statements before it).
    #[test]
    fn merged_files_equal_files_lowered_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let ddl = "create table t (id int, name varchar(64) default 'x')";
        let bad_ddl = "create table t (id int, name varchar(64) default 'x' oops)";
        write(
            dir.path(),
            "a.json",
            &[
                span("s1", 0, -1, "select * from t where id = 1", ""),
                span("s1", 1, 0, "update t set a = ? where id = 2", ""),
                span("s1", 1, 0, "update t set a = ? where id = 2", "again"),
            ],
        );
        write(
            dir.path(),
            "b.json",
            &[
                span("s2", 0, -1, "insert into u (id, v) values (3, 'w')", ""),
                span("s1", 0, -1, "select * from t where id = 1", ""),
                span("s2", 1, 0, "delete from u where id = 4", "x"),
            ],
        );
        write(dir.path(), "c.json", &[span("s3", 0, -1, ddl, "")]);
        write(
            dir.path(),
            "d.json",
            &[
                span("s4", 0, -1, bad_ddl, ""),
                span("s4", 1, 0, ddl, ""),
                span("s4", 2, 1, "select v from u where id = 9", "fresh"),
            ],
        );
        write(dir.path(), "e.json", &[span("s5", 0, 7, "select 1", "")]);
        write(
            dir.path(),
            "e2.json",
            &[span("s6", 0, -1, "selec * from t where id = ?", "")],
        );
        std::fs::write(dir.path().join("f.json"), "{").unwrap();

        let (files, _) = crate::ingest::find_files(&[dir.path().to_path_buf()]);
        let mut in_order = Lowerer::new(KeyColumns::default());
        let mut problems = Vec::new();
        for path in &files {
            let text = crate::ingest::read_text(path).unwrap();
            match crate::ingest::parse(path, &text) {
                Ok(file) => in_order.add_file(file),
                Err(problem) => problems.push(problem),
            }
        }
        let (db, more) = in_order.finish();
        problems.extend(more);
        let expected = dump(&db, &problems);
        assert!(expected.contains("exported twice"), "{expected}");
        assert!(
            expected.contains("two different spans share this id"),
            "{expected}"
        );
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (db, problems) =
                pool.install(|| load(&[dir.path().to_path_buf()], KeyColumns::default()));
            assert_eq!(dump(&db, &problems), expected, "{threads} threads");
        }
    }
}
