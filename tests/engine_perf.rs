//! Performance sanity, not a benchmark: transitive closure of a random
//! graph of 2,000 nodes and 6,000 edges. Run in release mode:
//! `cargo test --release --test engine_perf -- --ignored --nocapture`.

use std::time::Instant;

use rulecheck::engine::{self, InputFacts, InputFile, Limits};
use rulecheck::facts::FactDb;
use rulecheck::lang;

const RULES: &str = r#"
.decl edge(x: number, y: number)
.input edge
.decl tc(x: number, y: number)
.output tc
tc(X, Y) :- edge(X, Y).
tc(X, Z) :- tc(X, Y), edge(Y, Z).
"#;

mod tc {
    crepe::crepe! {
        @input
        pub struct Edge(pub u64, pub u64);
        @output
        pub struct Tc(pub u64, pub u64);
        Tc(x, y) <- Edge(x, y);
        Tc(x, z) <- Tc(x, y), Edge(y, z);
    }
}

/// A fixed pseudo-random graph (64-bit LCG), so runs compare.
fn graph(nodes: u64, edges: usize) -> Vec<(u64, u64)> {
    let mut s: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) % nodes
    };
    (0..edges).map(|_| (next(), next())).collect()
}

#[test]
#[ignore = "performance sanity; run in release mode"]
fn transitive_closure_2000_nodes_6000_edges() {
    let program = lang::compile_sources(&[("tc.rules", RULES)]).unwrap();
    let edge = program.relation_by_name("edge").unwrap();
    let tc = program.relation_by_name("tc").unwrap();
    let edges = graph(2000, 6000);
    let rows = edges
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| (i + 1, vec![x.to_string(), y.to_string()]))
        .collect();
    let inputs = InputFacts {
        files: vec![InputFile {
            relation: edge,
            path: "edge.facts".into(),
            rows,
        }],
    };
    let start = Instant::now();
    let db = engine::eval(&program, FactDb::default(), &inputs, &Limits::default()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let n = db.len(tc);
    println!(
        "tc: {n} tuples, {} rounds, {secs:.2}s, {:.0} tuples/s",
        db.stats.iterations,
        n as f64 / secs
    );
    // The same closure by crepe (compiled Datalog), as a yardstick.
    let start = Instant::now();
    let mut rt = tc::Crepe::new();
    rt.extend(edges.iter().map(|&(x, y)| tc::Edge(x, y)));
    let (out,) = rt.run();
    let crepe_secs = start.elapsed().as_secs_f64();
    println!("crepe: {} tuples, {crepe_secs:.2}s", out.len());
    assert_eq!(out.len(), n);
    assert!(
        n > 1_000_000,
        "a random graph this dense is mostly one component"
    );
}
