//! Snapshot and restore time of a 100,000-row table on the local MariaDB
//! (`RULECHECK_TEST_MYSQL`, default mysql://root@127.0.0.1:3306/test):
//! median of 5 of each. `cargo bench --bench snapshot`.

use std::time::{Duration, Instant};

use mysql_async::prelude::*;
use mysql_async::{Conn, Opts};
use rulecheck::run::snapshot::{self, Snapshot};

const ROWS: u64 = 100_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn bench() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RULECHECK_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let mut conn = Conn::new(Opts::from_url(&url)?).await?;
    let schema = "rc_bench_snapshot";
    conn.query_drop(format!("DROP DATABASE IF EXISTS {schema}"))
        .await?;
    conn.query_drop(format!(
        "DROP DATABASE IF EXISTS {}",
        snapshot::side_schema(schema)
    ))
    .await?;
    conn.query_drop(format!("CREATE DATABASE {schema}")).await?;
    conn.query_drop(format!(
        "CREATE TABLE {schema}.orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, account VARCHAR(40), \
         item VARCHAR(64), price DECIMAL(10,2), status VARCHAR(16), created DATETIME)"
    ))
    .await?;
    conn.query_drop(format!(
        "INSERT INTO {schema}.orders (account, item, price, status, created) \
         SELECT CONCAT('acct-', seq % 997), CONCAT('item-', seq), seq % 1000 + 0.99, 'new', NOW() \
         FROM seq_1_to_{ROWS}"
    ))
    .await?;
    let before = snapshot::checksums(&mut conn, schema).await?;
    let (mut takes, mut restores) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let snap = Snapshot::take(&mut conn, schema, None).await?;
        takes.push(t.elapsed());
        conn.query_drop(format!(
            "UPDATE {schema}.orders SET status = 'paid' WHERE id % 3 = 0"
        ))
        .await?;
        conn.query_drop(format!("DELETE FROM {schema}.orders WHERE id % 7 = 0"))
            .await?;
        let t = Instant::now();
        snap.restore(&mut conn).await?;
        restores.push(t.elapsed());
        assert_eq!(
            snapshot::checksums(&mut conn, schema).await?,
            before,
            "restore lost data"
        );
        snap.discard(&mut conn).await?;
    }
    println!(
        "{ROWS} rows: snapshot median {:.3} s, restore median {:.3} s (5 runs each; restore checked by CHECKSUM TABLE)",
        median(takes).as_secs_f64(),
        median(restores).as_secs_f64()
    );
    conn.query_drop(format!("DROP DATABASE {schema}")).await?;
    Ok(())
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Err(e) = rt.block_on(bench()) {
        eprintln!("snapshot bench: {e}");
        std::process::exit(2);
    }
}
