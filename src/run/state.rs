//! The state of a database after a schedule: every row of every table,
//! keyed by its primary key, values as text. Lowered to
//! `row(Db, Table, Key, Column, Value)` for invariants and diffed between
//! schedules.

use std::collections::BTreeMap;

use mysql_async::prelude::*;
use mysql_async::{Conn, Row, Value};
use serde::Serialize;

/// (table, key) → column → value. Keys are the primary-key values joined
/// with `,`; a table without a primary key is keyed by the whole row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DbState {
    pub rows: BTreeMap<(String, String), BTreeMap<String, String>>,
}

fn text(v: &Value) -> String {
    match v {
        Value::NULL => "NULL".into(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Date(y, mo, d, h, mi, s, us) => {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}")
        }
        Value::Time(neg, d, h, m, s, us) => {
            format!(
                "{}{} {h:02}:{m:02}:{s:02}.{us:06}",
                if *neg { "-" } else { "" },
                d
            )
        }
    }
}

pub async fn capture(
    conn: &mut Conn,
    schema: &str,
    tables: &[String],
) -> Result<DbState, mysql_async::Error> {
    let mut state = DbState::default();
    for table in tables {
        let keys: Vec<String> = conn
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
                (schema, table),
            )
            .await?;
        let rows: Vec<Row> = conn
            .query(format!(
                "SELECT * FROM `{}`.`{}`",
                schema.replace('`', "``"),
                table.replace('`', "``")
            ))
            .await?;
        for row in rows {
            let columns = row.columns();
            let mut values = BTreeMap::new();
            for (i, col) in columns.iter().enumerate() {
                let v = row.as_ref(i).map(text).unwrap_or_default();
                values.insert(col.name_str().into_owned(), v);
            }
            let key = if keys.is_empty() {
                values.values().cloned().collect::<Vec<_>>().join(",")
            } else {
                keys.iter()
                    .map(|k| values.get(k).cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            state.rows.insert((table.clone(), key), values);
        }
    }
    Ok(state)
}

/// One differing row between two states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowDiff {
    pub table: String,
    pub key: String,
    /// column → (left value, right value); `None` where the row is absent.
    pub columns: BTreeMap<String, (Option<String>, Option<String>)>,
}

/// Row-level differences, ignoring the `table.column` names in `ignore`.
pub fn diff(left: &DbState, right: &DbState, ignore: &[String]) -> Vec<RowDiff> {
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<_> = left.rows.keys().chain(right.rows.keys()).collect();
    for key in keys {
        let (l, r) = (left.rows.get(key), right.rows.get(key));
        let mut columns = BTreeMap::new();
        let names: std::collections::BTreeSet<&String> =
            l.into_iter().chain(r).flat_map(|m| m.keys()).collect();
        for name in names {
            if ignore.iter().any(|i| *i == format!("{}.{}", key.0, name)) {
                continue;
            }
            let (lv, rv) = (
                l.and_then(|m| m.get(name)).cloned(),
                r.and_then(|m| m.get(name)).cloned(),
            );
            if lv != rv {
                columns.insert(name.clone(), (lv, rv));
            }
        }
        if !columns.is_empty() {
            out.push(RowDiff {
                table: key.0.clone(),
                key: key.1.clone(),
                columns,
            });
        }
    }
    out
}
