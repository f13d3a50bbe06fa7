//! Exact facts for a hand-written SkyWalking trace: a cross-process call,
//! a SpringAsync cross-thread continuation, SQL with a parameter holding a
//! comma and a quote, an error span with a log.

mod common;
use common::*;

#[test]
fn skywalking_cross_process_and_async() {
    let trace = repo().join("tests/fixtures/facts/skywalking_async");
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run([
        "facts".as_ref(),
        trace.as_os_str(),
        "-o".as_ref(),
        out.path().as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let d = out.path();

    // Only the parameter list with more pieces than placeholders warns, naming the span.
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("span segA-3"), "{stderr}");

    assert_eq!(
        fact_set(d, "span"),
        set([
            "segA-0\tt-1\tshop\tPOST:/api/orders\tserver\t1000000\t1090000",
            "segA-1\tt-1\tshop\t/api/pay\tclient\t1010000\t1050000",
            "segA-2\tt-1\tshop\tSpringAsync\tinternal\t1055000\t1056000",
            "segA-3\tt-1\tshop\tMysql/JDBC/PreparedStatement/executeUpdate\tclient\t1060000\t1070000",
            "segB-0\tt-1\tbank\tPOST:/api/pay\tserver\t1020000\t1045000",
            "segB-1\tt-1\tbank\tMysql/JDBC/PreparedStatement/executeUpdate\tclient\t1030000\t1040000",
            "segC-0\tt-1\tshop\tSpringAsync/run\tinternal\t1057000\t1080000",
            "segC-1\tt-1\tshop\tMysql/JDBC/PreparedStatement/executeQuery\tclient\t1060000\t1075000",
        ])
    );
    assert_eq!(
        fact_set(d, "parent"),
        set([
            "segA-1\tsegA-0",
            "segA-2\tsegA-0",
            "segA-3\tsegA-0",
            "segB-0\tsegA-1",
            "segB-1\tsegB-0",
            "segC-0\tsegA-2",
            "segC-1\tsegC-0",
        ])
    );
    assert_eq!(fact_set(d, "follows"), set(["segC-0\tsegA-2"]));
    assert_eq!(fact_set(d, "calls"), set(["segA-1\tsegB-0"]));
    assert_eq!(fact_set(d, "error"), set(["segB-1"]));
    assert_eq!(
        fact_set(d, "log"),
        set([
            "segB-1\t1039000\tevent\terror",
            "segB-1\t1039000\tmessage\tDeadlock found"
        ])
    );
    assert_eq!(
        fact_set(d, "http"),
        set([
            "segA-0\tPOST\thttp://shop:8080/api/orders\t200",
            "segA-1\tPOST\thttp://bank:8081/api/pay\t200",
            "segB-0\tPOST\thttp://bank:8081/api/pay\t200",
        ])
    );
    // The Exit span borrows the body and response of the Entry span it calls.
    assert_eq!(
        fact_set(d, "http_payload"),
        set([
            "segA-0\t{\"item\":\"pen\"}\t{\"status\":1}",
            "segA-1\t{\"account\":\"acc-9\"}\t{\"ok\":true}",
            "segB-0\t{\"account\":\"acc-9\"}\t{\"ok\":true}",
        ])
    );
    assert_eq!(
        fact_set(d, "db"),
        set([
            "segA-3\tmysql\tshop-mysql:3306/shop\tinsert into orders (id, account_id, note) values ('o-1', 'acc-9', 'it''s, fine')",
            "segB-1\tmysql\tbank-mysql:3306/bank\tupdate account set balance=90 where id='acc-9'",
            "segC-1\tmysql\tshop-mysql:3306/shop\tselect order0_.id as id1_0_, order0_.note as note2_0_ from orders order0_ where order0_.id='o-1'",
        ])
    );
    assert_eq!(
        fact_set(d, "sql"),
        set([
            "segA-3\tinsert\torders",
            "segB-1\tupdate\taccount",
            "segC-1\tselect\torders"
        ])
    );
    assert_eq!(
        fact_set(d, "column_value"),
        set([
            "segA-3\torders\tid\to-1\tvalues",
            "segA-3\torders\taccount_id\tacc-9\tvalues",
            "segA-3\torders\tnote\tit's, fine\tvalues",
            "segB-1\taccount\tbalance\t90\tset",
            "segB-1\taccount\tid\tacc-9\twhere",
            "segC-1\torders\tid\to-1\twhere",
        ])
    );
    // One row per key column the statement pins; UPDATE reads and writes its rows.
    assert_eq!(
        fact_set(d, "writes"),
        set([
            "segA-3\torders\to-1",
            "segA-3\torders\tacc-9",
            "segB-1\taccount\tacc-9"
        ])
    );
    assert_eq!(
        fact_set(d, "reads"),
        set(["segB-1\taccount\tacc-9", "segC-1\torders\to-1"])
    );
    assert!(fact_set(d, "sql_unparsed").is_empty());
    assert_eq!(
        fact_set(d, "segment"),
        set([
            "segA-0\tsegA\t0",
            "segA-1\tsegA\t1",
            "segA-2\tsegA\t2",
            "segA-3\tsegA\t3",
            "segB-0\tsegB\t0",
            "segB-1\tsegB\t1",
            "segC-0\tsegC\t0",
            "segC-1\tsegC\t1",
        ])
    );
    assert!(fact_set(d, "tag").contains("segA-3\tdb.sql.parameters\t[o-1,acc-9,it's, fine]"));
    assert!(fact_set(d, "tag_num").contains("segA-0\thttp.status_code\t200"));
}
