//! Where a base fact came from: for every span id among its columns, the
//! trace file and position, trace, service, operation, and the SQL
//! statement (parameters bound) or HTTP call the span made, and the SQL its
//! direct child spans ran (an application span such as `withdrawal` runs
//! its statement in a database client span below it). Read from the
//! `span_source`, `span`, `parent`, `db` and `http` base relations, so
//! explanations work on facts folders as well as traces.

use crate::engine::value::render;
use crate::facts::{Base, Type};
use crate::lang::program::RelId;

use super::solve::Ctx;

/// One span's origin, as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanSource {
    pub span: String,
    pub file: Option<String>,
    pub index: Option<i64>,
    pub trace: Option<String>,
    pub service: Option<String>,
    pub operation: Option<String>,
    pub kind: Option<String>,
    /// (system, instance, statement)
    pub sql: Option<(String, String, String)>,
    /// (method, url, status)
    pub http: Option<(String, String, i64)>,
    /// (child span, system, instance, statement) of the direct children
    /// that ran SQL, in child id order.
    pub child_sql: Vec<(String, String, String, String)>,
}

fn rel(b: Base) -> RelId {
    RelId(b as u32)
}

impl Ctx<'_> {
    fn text(&self, cell: u64) -> String {
        render(Type::Symbol, cell, &self.db.symbols)
    }

    /// The origin of the span `cell`, or `None` when it is no span id.
    pub fn span_source(&mut self, cell: u64) -> Option<SpanSource> {
        let span = self.lookup(rel(Base::Span), &[0], &[cell]);
        let row = span.first()?;
        let mut src = SpanSource {
            span: self.text(cell),
            trace: Some(self.text(row[1])),
            service: Some(self.text(row[2])),
            operation: Some(self.text(row[3])),
            kind: Some(self.text(row[4])),
            ..SpanSource::default()
        };
        if let Some(r) = self.lookup(rel(Base::SpanSource), &[0], &[cell]).first() {
            src.file = Some(self.text(r[1]));
            src.index = Some(r[2] as i64);
        }
        if let Some(r) = self.lookup(rel(Base::Db), &[0], &[cell]).first() {
            src.sql = Some((self.text(r[1]), self.text(r[2]), self.text(r[3])));
        }
        if let Some(r) = self.lookup(rel(Base::Http), &[0], &[cell]).first() {
            src.http = Some((self.text(r[1]), self.text(r[2]), r[3] as i64));
        }
        for child in self.lookup(rel(Base::Parent), &[1], &[cell]) {
            for r in self.lookup(rel(Base::Db), &[0], &[child[0]]) {
                // Connection-level spans (commit, close) carry no statement.
                if !self.text(r[3]).is_empty() {
                    src.child_sql.push((
                        self.text(r[0]),
                        self.text(r[1]),
                        self.text(r[2]),
                        self.text(r[3]),
                    ));
                }
            }
        }
        src.child_sql.sort();
        Some(src)
    }

    /// The origins of every span a fact of `relation` names.
    pub fn fact_sources(&mut self, relation: RelId, tuple: &[u64]) -> Vec<SpanSource> {
        let types: Vec<Type> = self.program.relation(relation).types().collect();
        let mut out: Vec<SpanSource> = Vec::new();
        for (&cell, ty) in tuple.iter().zip(types) {
            if ty == Type::Symbol {
                if let Some(s) = self.span_source(cell) {
                    if !out.iter().any(|o| o.span == s.span) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }
}
