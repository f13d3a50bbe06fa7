//! Database client attributes under their many names, and which systems
//! speak SQL (only those reach the SQL parser).

use std::borrow::Cow;

use crate::lower::sql::ParamSource;
use crate::model::Span;

pub struct DbCall<'a> {
    /// Lowercase system name (`mysql`, `redis`, ...); empty when unknown.
    pub system: Cow<'a, str>,
    /// `peer/dbname` as the design defines the instance.
    pub instance: String,
    pub statement: &'a str,
    pub params: ParamSource<'a>,
}

/// Systems whose statements are SQL. Anything else (Redis, Cassandra,
/// MongoDB, ...) keeps its statement in `db` and is never parsed.
pub fn speaks_sql(system: &str) -> bool {
    matches!(
        system,
        "mysql"
            | "mariadb"
            | "postgresql"
            | "postgres"
            | "sqlite"
            | "mssql"
            | "oracle"
            | "db2"
            | "h2"
            | "hsqldb"
            | "derby"
            | "tidb"
            | "cockroachdb"
            | "other_sql"
            | "sql"
            | "clickhouse"
            | "trino"
            | "presto"
            | "sqlserver"
            | "h2database"
    )
}

/// The remote address of a span: the reader's `peer`, else OTel's attributes.
pub fn peer<'s>(span: &'s Span<'_>) -> Option<Cow<'s, str>> {
    if let Some(p) = span.peer.as_deref().filter(|p| !p.is_empty()) {
        return Some(Cow::Borrowed(p));
    }
    let host = span.first_tag(&[
        "server.address",
        "net.peer.name",
        "net.sock.peer.addr",
        "peer.hostname",
    ])?;
    Some(
        match span.first_tag(&["server.port", "net.peer.port", "net.sock.peer.port"]) {
            Some(port) if !host.contains(':') => Cow::Owned(format!("{host}:{port}")),
            _ => Cow::Borrowed(host),
        },
    )
}

/// The database call a span records: it must carry a statement, or a
/// database system, name or instance.
pub fn db_call<'s>(span: &'s Span<'_>) -> Option<DbCall<'s>> {
    // Every name below starts so: one pass rules out most spans.
    if !span
        .tags
        .iter()
        .any(|(k, _)| k.starts_with("db.") || k == "sql.query")
    {
        return None;
    }
    let statement = span.first_tag(&["db.statement", "db.query.text", "sql.query"]);
    let system = span.first_tag(&["db.system", "db.system.name", "db.type"]);
    let name = span.first_tag(&["db.instance", "db.name", "db.namespace"]);
    if statement.is_none() && system.is_none() && name.is_none() {
        return None;
    }
    let system = system.unwrap_or("");
    let system = if system.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(system.to_ascii_lowercase())
    } else {
        Cow::Borrowed(system)
    };
    let (peer, name) = (peer(span).unwrap_or_default(), name.unwrap_or(""));
    let mut instance = String::with_capacity(peer.len() + 1 + name.len());
    instance.push_str(&peer);
    instance.push('/');
    instance.push_str(name);
    let params = if let Some(p) = span.tag("db.sql.parameters") {
        ParamSource::SkyWalking(p)
    } else if let Some(p) = span.tag("db.statement.parameters") {
        ParamSource::Python(p)
    } else {
        ParamSource::None
    };
    Some(DbCall {
        system,
        instance,
        statement: statement.unwrap_or(""),
        params,
    })
}
