//! Running every schedule of every pair, restoring the databases around
//! each one, whatever happens: a failed request, a database error or
//! Ctrl-C all end with the snapshot restored and discarded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mysql_async::{Conn, Opts};
use serde::Serialize;

use crate::pairs::format::{Pair, Request};

use super::endpoints::{redact, DbTarget, Targets};
use super::replay::{self, Response};
use super::snapshot::{self, Snapshot};
use super::state;
use super::verdict::{decide, Ignore, Outcome, OutcomeDiff, Verdict};

pub struct Config {
    pub targets: Targets,
    pub dbs: Vec<DbTarget>,
    /// Concurrent runs per pair.
    pub repeat: usize,
    /// Seeds the random offsets of concurrent sends.
    pub seed: u64,
    /// Largest random delay before each concurrent send.
    pub max_offset: Duration,
    pub timeout: Duration,
    pub ignore: Ignore,
    /// `.invariant` rules over `row(Db, Table, Key, Column, Value)`.
    pub invariants: Option<crate::lang::Program>,
    /// Values saved by `--setup` requests, substituted as `${name}`.
    pub vars: super::setup::Vars,
    /// Set on Ctrl-C: the current schedule finishes (its requests may still
    /// be running on the server), then the pair restores and the run stops.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScheduleRecord {
    pub name: String,
    pub a: Response,
    pub b: Response,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PairReport {
    pub id: String,
    pub a: String,
    pub b: String,
    pub verdict: Verdict,
    /// Why there is no verdict, naming the schedule that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub schedules: Vec<ScheduleRecord>,
    pub diffs: Vec<OutcomeDiff>,
    /// Invariant violations a schedule's final state showed and the
    /// state before the pair did not, by schedule.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub invariant_violations: BTreeMap<String, Vec<String>>,
    pub seconds: f64,
}

pub fn describe(r: &Request) -> String {
    format!("{} {}", r.method, r.url)
}

/// One connection to a `--db` database; errors never show the password.
async fn open(db: &DbTarget) -> Result<Conn, String> {
    let opts = Opts::from_url(&db.url)
        .map_err(|e| format!("--db {}: {}", db.name, redact(&e.to_string())))?;
    Conn::new(opts)
        .await
        .map_err(|e| format!("cannot connect to {} ({}): {e}", db.name, db.display_url()))
}

/// Opens a connection to every `--db` database. All of them are
/// snapshotted for every pair, not only those the pair file lists: a request
/// may reach a database its trace did not show, and its writes must still
/// be undone.
async fn connect(cfg: &Config) -> Result<Vec<(DbTarget, Conn)>, String> {
    let mut out = Vec::new();
    for db in &cfg.dbs {
        out.push((db.clone(), open(db).await?));
    }
    Ok(out)
}

async fn restore_all(conns: &mut [(DbTarget, Conn)], snaps: &[Snapshot]) -> Result<(), String> {
    for ((db, conn), snap) in conns.iter_mut().zip(snaps) {
        snap.restore(conn)
            .await
            .map_err(|e| format!("restoring {}: {e}", db.name))?;
    }
    Ok(())
}

async fn capture_all(
    conns: &mut [(DbTarget, Conn)],
    snaps: &[Snapshot],
) -> Result<BTreeMap<String, state::DbState>, String> {
    let mut out = BTreeMap::new();
    for ((db, conn), snap) in conns.iter_mut().zip(snaps) {
        let tables: Vec<String> = snap.tables().map(str::to_string).collect();
        let s = state::capture(conn, &db.schema, &tables)
            .await
            .map_err(|e| format!("reading the state of {}: {e}", db.name))?;
        out.insert(db.name.clone(), s);
    }
    Ok(out)
}

enum Order {
    Serial {
        a_first: bool,
    },
    Concurrent {
        offset_a: Duration,
        offset_b: Duration,
    },
}

async fn play(
    client: &reqwest::Client,
    cfg: &Config,
    pair: &Pair,
    order: &Order,
) -> (Response, Response) {
    match order {
        Order::Serial { a_first: true } => {
            let a = replay::send(client, &cfg.targets, &pair.a, cfg.timeout).await;
            let b = replay::send(client, &cfg.targets, &pair.b, cfg.timeout).await;
            (a, b)
        }
        Order::Serial { a_first: false } => {
            let b = replay::send(client, &cfg.targets, &pair.b, cfg.timeout).await;
            let a = replay::send(client, &cfg.targets, &pair.a, cfg.timeout).await;
            (a, b)
        }
        Order::Concurrent { offset_a, offset_b } => {
            let send_a = async {
                tokio::time::sleep(*offset_a).await;
                replay::send(client, &cfg.targets, &pair.a, cfg.timeout).await
            };
            let send_b = async {
                tokio::time::sleep(*offset_b).await;
                replay::send(client, &cfg.targets, &pair.b, cfg.timeout).await
            };
            tokio::join!(send_a, send_b)
        }
    }
}

/// Runs one pair: snapshot, every schedule, restore, discard.
pub async fn run_pair(
    client: &reqwest::Client,
    cfg: &Config,
    pair: &Pair,
    rng: &mut fastrand::Rng,
) -> PairReport {
    let started = Instant::now();
    let mut report = PairReport {
        id: pair.id.clone(),
        a: describe(&pair.a),
        b: describe(&pair.b),
        verdict: Verdict::Error,
        error: None,
        schedules: Vec::new(),
        diffs: Vec::new(),
        invariant_violations: BTreeMap::new(),
        seconds: 0.0,
    };
    let mut conns = match connect(cfg).await {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let mut snaps = Vec::new();
    for (db, conn) in conns.iter_mut() {
        match Snapshot::take(conn, &db.schema, None).await {
            Ok(s) => snaps.push(s),
            Err(e) => {
                report.error = Some(format!("snapshot of {}: {e}", db.name));
                discard_all(&mut conns, snaps).await;
                return report;
            }
        }
    }
    let baseline = match (&cfg.invariants, capture_all(&mut conns, &snaps).await) {
        (Some(program), Ok(state)) => {
            super::invariants::violations(program, &state).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut orders = vec![
        ("A;B".to_string(), Order::Serial { a_first: true }),
        ("B;A".to_string(), Order::Serial { a_first: false }),
    ];
    for i in 0..cfg.repeat {
        let max = cfg.max_offset.as_micros() as u64;
        orders.push((
            format!("A||B #{}", i + 1),
            Order::Concurrent {
                offset_a: Duration::from_micros(rng.u64(0..=max)),
                offset_b: Duration::from_micros(rng.u64(0..=max)),
            },
        ));
    }
    let mut outcomes: Vec<Outcome> = Vec::new();
    for (name, order) in &orders {
        if cfg.stop.load(std::sync::atomic::Ordering::SeqCst) {
            report.error = Some(format!("interrupted before {name}"));
            break;
        }
        if let Err(e) = restore_all(&mut conns, &snaps).await {
            report.error = Some(format!("before {name}: {e}"));
            break;
        }
        let (a, b) = play(client, cfg, pair, order).await;
        let failed = a.error.clone().or(b.error.clone());
        report.schedules.push(ScheduleRecord {
            name: name.clone(),
            a: a.clone(),
            b: b.clone(),
            error: failed.clone(),
        });
        if let Some(e) = failed {
            report.error = Some(format!("schedule {name} failed: {e}"));
            // A request that timed out here may still be running on the
            // server: give it a moment to write before the restore.
            tokio::time::sleep(Duration::from_millis(500)).await;
            break;
        }
        match capture_all(&mut conns, &snaps).await {
            Ok(state) => {
                if let Some(program) = &cfg.invariants {
                    match super::invariants::violations(program, &state) {
                        Ok(found) => {
                            let new: Vec<String> = found
                                .into_iter()
                                .filter(|v| !baseline.contains(v))
                                .collect();
                            if !new.is_empty() {
                                report.invariant_violations.insert(name.clone(), new);
                            }
                        }
                        Err(e) => {
                            report.error = Some(format!("after {name}: {e}"));
                            break;
                        }
                    }
                }
                outcomes.push(Outcome { a, b, state })
            }
            Err(e) => {
                report.error = Some(format!("after {name}: {e}"));
                break;
            }
        }
    }
    if let Err(e) = restore_all(&mut conns, &snaps).await {
        report.error.get_or_insert(format!("final restore: {e}"));
    }
    discard_all(&mut conns, snaps).await;
    if report.error.is_none() && outcomes.len() >= 2 {
        let (verdict, diffs) = decide(&cfg.ignore, &outcomes[0], &outcomes[1], &outcomes[2..]);
        // A broken invariant is the most direct evidence of a bug.
        report.verdict = if report.invariant_violations.is_empty() {
            verdict
        } else {
            Verdict::InvariantBroken
        };
        report.diffs = diffs;
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

async fn discard_all(conns: &mut [(DbTarget, Conn)], snaps: Vec<Snapshot>) {
    for ((db, conn), snap) in conns.iter_mut().zip(snaps) {
        if let Err(e) = snap.discard(conn).await {
            eprintln!("warning: could not drop the snapshot of {}: {e}", db.name);
        }
    }
}

/// Refuses to start over a snapshot a killed run left behind.
pub async fn check_leftovers(cfg: &Config) -> Result<(), String> {
    for db in &cfg.dbs {
        let mut conn = open(db).await?;
        let left = snapshot::leftovers(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        if left.contains(&snapshot::side_schema(&db.schema)) {
            return Err(format!(
                "a snapshot of {} from an interrupted run is still on the server; run `rulecheck run --recover --db …` to restore it",
                db.name
            ));
        }
    }
    Ok(())
}

/// Restores every leftover snapshot on the given servers.
pub async fn recover(dbs: &[DbTarget]) -> Result<Vec<String>, String> {
    let mut restored = Vec::new();
    for db in dbs {
        let mut conn = open(db).await?;
        restored.extend(
            snapshot::recover(&mut conn)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    restored.sort();
    restored.dedup();
    Ok(restored)
}
