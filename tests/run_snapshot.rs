//! Snapshots against a real MariaDB: restore brings back rows and
//! AUTO_INCREMENT counters; a leftover snapshot blocks a new one and is
//! recovered by a fresh process.

use mysql_async::prelude::*;
use mysql_async::{Conn, Opts};
use rulecheck::run::snapshot::{self, Snapshot, SnapshotError};

fn mysql_url() -> String {
    std::env::var("RULECHECK_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A connection, or `None` with a skip line outside CI (where `.ci/run`
/// has started MariaDB, a missing server is a failure).
async fn connect(test: &str) -> Option<Conn> {
    match Conn::new(Opts::from_url(&mysql_url()).unwrap()).await {
        Ok(c) => Some(c),
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("skipped: {test}: no MariaDB at {}: {e}", mysql_url());
            None
        }
        Err(e) => panic!("MariaDB not reachable at {}: {e}", mysql_url()),
    }
}

async fn auto_increment(conn: &mut Conn, schema: &str, table: &str) -> Option<u64> {
    conn.exec_first(
        "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        (schema, table),
    )
    .await
    .unwrap()
    .flatten()
}

#[tokio::test(flavor = "current_thread")]
async fn restore_brings_back_rows_and_counters() {
    let Some(mut conn) = connect("restore_brings_back_rows_and_counters").await else {
        return;
    };
    let schema = format!("rc_snap_{}", std::process::id());
    conn.query_drop(format!("DROP DATABASE IF EXISTS {schema}"))
        .await
        .unwrap();
    conn.query_drop(format!(
        "DROP DATABASE IF EXISTS {}",
        snapshot::side_schema(&schema)
    ))
    .await
    .unwrap();
    conn.query_drop(format!("CREATE DATABASE {schema}"))
        .await
        .unwrap();
    conn.query_drop(format!(
        "CREATE TABLE {schema}.account (id INT AUTO_INCREMENT PRIMARY KEY, owner VARCHAR(20), balance DECIMAL(10,2))"
    ))
    .await
    .unwrap();
    conn.query_drop(format!(
        "CREATE TABLE {schema}.audit (id INT PRIMARY KEY, note TEXT)"
    ))
    .await
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {schema}.account (owner, balance) VALUES ('ann', 100.00), ('bob', 50.50), ('cy', 0)"
    ))
    .await
    .unwrap();
    let before = snapshot::checksums(&mut conn, &schema).await.unwrap();
    let counter = auto_increment(&mut conn, &schema, "account").await;
    assert_eq!(counter, Some(4));

    let snap = Snapshot::take(&mut conn, &schema, None).await.unwrap();
    assert_eq!(snap.tables().collect::<Vec<_>>(), ["account", "audit"]);

    // A second snapshot of the same schema is refused while this one exists.
    match Snapshot::take(&mut conn, &schema, None).await {
        Err(SnapshotError::Leftover { side, .. }) => {
            assert_eq!(side, snapshot::side_schema(&schema))
        }
        other => panic!("expected Leftover, got {other:?}"),
    }

    for round in 0..2 {
        conn.query_drop(format!(
            "UPDATE {schema}.account SET balance = balance - 30 WHERE owner = 'ann'"
        ))
        .await
        .unwrap();
        conn.query_drop(format!("DELETE FROM {schema}.account WHERE owner = 'bob'"))
            .await
            .unwrap();
        conn.query_drop(format!(
            "INSERT INTO {schema}.account (owner, balance) VALUES ('dan', 7)"
        ))
        .await
        .unwrap();
        conn.query_drop(format!("INSERT INTO {schema}.audit VALUES ({round}, 'x')"))
            .await
            .unwrap();
        assert_ne!(
            snapshot::checksums(&mut conn, &schema).await.unwrap(),
            before
        );
        snap.restore(&mut conn).await.unwrap();
        assert_eq!(
            snapshot::checksums(&mut conn, &schema).await.unwrap(),
            before,
            "round {round}"
        );
        assert_eq!(auto_increment(&mut conn, &schema, "account").await, counter);
    }

    // A killed run leaves the side schema; recovery in a new connection restores from it.
    conn.query_drop(format!("UPDATE {schema}.account SET balance = 0"))
        .await
        .unwrap();
    drop(snap);
    let mut fresh = connect("restore_brings_back_rows_and_counters")
        .await
        .unwrap();
    assert!(snapshot::leftovers(&mut fresh)
        .await
        .unwrap()
        .contains(&snapshot::side_schema(&schema)));
    let restored = snapshot::recover(&mut fresh).await.unwrap();
    assert!(restored.contains(&schema));
    assert_eq!(
        snapshot::checksums(&mut fresh, &schema).await.unwrap(),
        before
    );
    assert!(!snapshot::leftovers(&mut fresh)
        .await
        .unwrap()
        .contains(&snapshot::side_schema(&schema)));
    fresh
        .query_drop(format!("DROP DATABASE {schema}"))
        .await
        .unwrap();
}
