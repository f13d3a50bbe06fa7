//! Server-side snapshots of a MySQL/MariaDB schema.
//!
//! A snapshot copies each table into a side schema on the same server
//! (`CREATE TABLE … LIKE`, `INSERT … SELECT`): no rows cross the network,
//! and nothing is shelled out. The side schema also records what it holds
//! (`_rulecheck_meta`), so a snapshot left behind by a killed run is found
//! at the next start and can be restored by a new process (`run --recover`).

use mysql_async::prelude::*;
use mysql_async::Conn;

/// Side schemas are named with this prefix and the live schema's name.
pub const SIDE_PREFIX: &str = "rulecheck_snap_";
const META: &str = "_rulecheck_meta";

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("database error: {0}")]
    Db(#[from] mysql_async::Error),
    #[error("a snapshot of schema `{schema}` from an earlier run is still on the server (schema `{side}`); run `rulecheck run --recover` to restore it first")]
    Leftover { schema: String, side: String },
    #[error("schema `{0}` has no tables to snapshot")]
    Empty(String),
    #[error("side schema `{0}` has no snapshot metadata; it was not written by rulecheck")]
    NotASnapshot(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SavedTable {
    name: String,
    auto_increment: Option<u64>,
}

/// A copy of some tables of one schema, restorable any number of times.
#[derive(Debug)]
pub struct Snapshot {
    schema: String,
    side: String,
    tables: Vec<SavedTable>,
}

fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

/// The side schema for `schema` (MySQL names are at most 64 characters).
pub fn side_schema(schema: &str) -> String {
    let name = format!("{SIDE_PREFIX}{schema}");
    if name.len() <= 64 {
        return name;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    schema.hash(&mut h);
    format!("{SIDE_PREFIX}{:016x}", h.finish())
}

impl Snapshot {
    /// Copies `tables` of `schema` (every base table when `None`).
    pub async fn take(
        conn: &mut Conn,
        schema: &str,
        tables: Option<&[String]>,
    ) -> Result<Snapshot, SnapshotError> {
        let side = side_schema(schema);
        if schema_exists(conn, &side).await? {
            return Err(SnapshotError::Leftover {
                schema: schema.to_string(),
                side,
            });
        }
        let listed: Vec<(String, Option<u64>)> = conn
            .exec(
                "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                (schema,),
            )
            .await?;
        let saved: Vec<SavedTable> = listed
            .into_iter()
            .filter(|(name, _)| {
                tables.is_none_or(|t| t.iter().any(|w| w.eq_ignore_ascii_case(name)))
            })
            .map(|(name, auto_increment)| SavedTable {
                name,
                auto_increment,
            })
            .collect();
        if saved.is_empty() {
            return Err(SnapshotError::Empty(schema.to_string()));
        }
        let (s, d) = (quote(schema), quote(&side));
        conn.query_drop(format!("CREATE DATABASE {d}")).await?;
        let snap = Snapshot {
            schema: schema.to_string(),
            side,
            tables: saved,
        };
        let result = async {
            conn.query_drop(format!(
                "CREATE TABLE {d}.{META} (source VARCHAR(255) NOT NULL, tbl VARCHAR(255) NOT NULL, auto_inc BIGINT UNSIGNED NULL)"
            ))
            .await?;
            for t in &snap.tables {
                let q = quote(&t.name);
                conn.query_drop(format!("CREATE TABLE {d}.{q} LIKE {s}.{q}")).await?;
                conn.query_drop(format!("INSERT INTO {d}.{q} SELECT * FROM {s}.{q}")).await?;
                conn.exec_drop(
                    format!("INSERT INTO {d}.{META} (source, tbl, auto_inc) VALUES (?, ?, ?)"),
                    (&snap.schema, &t.name, t.auto_increment),
                )
                .await?;
            }
            Ok::<(), mysql_async::Error>(())
        }
        .await;
        if let Err(e) = result {
            // A half-made snapshot must not block the next run.
            let _ = conn
                .query_drop(format!("DROP DATABASE IF EXISTS {d}"))
                .await;
            return Err(e.into());
        }
        Ok(snap)
    }

    /// Reads back a snapshot another process left in `side`.
    pub async fn open(conn: &mut Conn, side: &str) -> Result<Snapshot, SnapshotError> {
        let rows: Vec<(String, String, Option<u64>)> = conn
            .query(format!(
                "SELECT source, tbl, auto_inc FROM {}.{META}",
                quote(side)
            ))
            .await
            .map_err(|_| SnapshotError::NotASnapshot(side.to_string()))?;
        let Some(schema) = rows.first().map(|r| r.0.clone()) else {
            return Err(SnapshotError::NotASnapshot(side.to_string()));
        };
        let tables = rows
            .into_iter()
            .map(|(_, name, auto_increment)| SavedTable {
                name,
                auto_increment,
            })
            .collect();
        Ok(Snapshot {
            schema,
            side: side.to_string(),
            tables,
        })
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|t| t.name.as_str())
    }

    /// Puts every saved table back as it was, AUTO_INCREMENT counters too.
    pub async fn restore(&self, conn: &mut Conn) -> Result<(), SnapshotError> {
        let (s, d) = (quote(&self.schema), quote(&self.side));
        conn.query_drop("SET FOREIGN_KEY_CHECKS = 0").await?;
        let result = async {
            for t in &self.tables {
                let q = quote(&t.name);
                conn.query_drop(format!("TRUNCATE TABLE {s}.{q}")).await?;
                conn.query_drop(format!("INSERT INTO {s}.{q} SELECT * FROM {d}.{q}"))
                    .await?;
                if let Some(n) = t.auto_increment {
                    conn.query_drop(format!("ALTER TABLE {s}.{q} AUTO_INCREMENT = {n}"))
                        .await?;
                }
            }
            Ok::<(), mysql_async::Error>(())
        }
        .await;
        conn.query_drop("SET FOREIGN_KEY_CHECKS = 1").await?;
        result.map_err(Into::into)
    }

    /// Removes the side schema; the live tables are left as they are.
    pub async fn discard(self, conn: &mut Conn) -> Result<(), SnapshotError> {
        conn.query_drop(format!("DROP DATABASE IF EXISTS {}", quote(&self.side)))
            .await?;
        Ok(())
    }
}

async fn schema_exists(conn: &mut Conn, schema: &str) -> Result<bool, mysql_async::Error> {
    let n: Option<u64> = conn
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            (schema,),
        )
        .await?;
    Ok(n.unwrap_or(0) > 0)
}

/// Side schemas of snapshots that were never discarded (a killed run).
pub async fn leftovers(conn: &mut Conn) -> Result<Vec<String>, SnapshotError> {
    let names: Vec<String> = conn
        .exec(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY SCHEMA_NAME",
            (format!("{}%", SIDE_PREFIX.replace('_', "\\_")),),
        )
        .await?;
    Ok(names)
}

/// Restores and discards every leftover snapshot; returns the schemas restored.
pub async fn recover(conn: &mut Conn) -> Result<Vec<String>, SnapshotError> {
    let mut restored = Vec::new();
    for side in leftovers(conn).await? {
        let snap = Snapshot::open(conn, &side).await?;
        snap.restore(conn).await?;
        restored.push(snap.schema.clone());
        snap.discard(conn).await?;
    }
    Ok(restored)
}

/// `CHECKSUM TABLE` of every base table of `schema`, by name: equal
/// checksums before and after a run show nothing was lost.
pub async fn checksums(
    conn: &mut Conn,
    schema: &str,
) -> Result<Vec<(String, Option<i64>)>, SnapshotError> {
    let tables: Vec<String> = conn
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            (schema,),
        )
        .await?;
    let mut out = Vec::new();
    for t in tables {
        let row: Option<(String, Option<i64>)> = conn
            .query_first(format!("CHECKSUM TABLE {}.{}", quote(schema), quote(&t)))
            .await?;
        out.push((t, row.and_then(|r| r.1)));
    }
    Ok(out)
}
