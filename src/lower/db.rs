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

/// A database call's statement, system and name, each under its names.
const STATEMENT_KEYS: &[&str] = &["db.statement", "db.query.text", "sql.query"];
const SYSTEM_KEYS: &[&str] = &["db.system", "db.system.name", "db.type"];
const NAME_KEYS: &[&str] = &["db.instance", "db.name", "db.namespace"];

/// True for every key of the three lists above (a test checks it).
fn may_name_db(key: &str) -> bool {
    key.starts_with("db.") || key == "sql.query"
}

/// The database call a span records: it must carry a statement, or a
/// database system, name or instance.
pub fn db_call<'s>(span: &'s Span<'_>) -> Option<DbCall<'s>> {
    // One pass over the tags rules out most spans before nine lookups.
    if !span.tags.iter().any(|(k, _)| may_name_db(k)) {
        return None;
    }
    let statement = span.first_tag(STATEMENT_KEYS);
    let system = span.first_tag(SYSTEM_KEYS);
    let name = span.first_tag(NAME_KEYS);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_test_passes_every_database_key() {
        for key in [STATEMENT_KEYS, SYSTEM_KEYS, NAME_KEYS].concat() {
            assert!(may_name_db(key), "{key}");
        }
    }
}
