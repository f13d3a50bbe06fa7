//! `rulecheck run`: the interleaving executor.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::pairs::format::PairFile;
use crate::run::endpoints::{DbTarget, Targets};
use crate::run::executor::{self, Config};
use crate::run::report::Report;
use crate::run::verdict::Ignore;

use super::{RunArgs, EXIT_ERROR, EXIT_OK};

fn config(args: &RunArgs) -> Result<Config, String> {
    let invariants = if args.rules.is_empty() {
        None
    } else {
        let program = crate::lang::compile_files(&args.rules).map_err(|errors| {
            format!(
                "the invariant rules have problems:\n{}",
                super::check_cmd::render(&errors)
            )
        })?;
        Some(program)
    };
    Ok(Config {
        invariants,
        vars: Default::default(),
        stop: Default::default(),
        targets: Targets::parse(&args.targets)?,
        dbs: args
            .dbs
            .iter()
            .map(|d| DbTarget::parse(d))
            .collect::<Result<_, _>>()?,
        repeat: args.repeat,
        seed: args.seed,
        max_offset: Duration::from_millis(args.max_offset_ms),
        timeout: Duration::from_secs(args.timeout.max(1)),
        ignore: Ignore {
            pointers: args.ignore.clone(),
            columns: args.ignore_columns.clone(),
        },
    })
}

fn read_pairs(path: &std::path::Path) -> Result<PairFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a pair file: {e}", path.display()))
}

pub fn run(args: &RunArgs) -> i32 {
    let mut cfg = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    runtime.block_on(async {
        if args.recover {
            return match executor::recover(&cfg.dbs).await {
                Ok(schemas) if schemas.is_empty() => {
                    eprintln!("nothing to recover");
                    EXIT_OK
                }
                Ok(schemas) => {
                    eprintln!("restored: {}", schemas.join(", "));
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_ERROR
                }
            };
        }
        let Some(path) = &args.pairs else {
            eprintln!("error: a pair file is required");
            return EXIT_ERROR;
        };
        let file = match read_pairs(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        };
        if let Err(e) = executor::check_leftovers(&cfg).await {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
        let client = match reqwest::Client::builder().build() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: cannot build the HTTP client: {e}");
                return EXIT_ERROR;
            }
        };
        if let Some(setup) = &args.setup {
            match crate::run::setup::run(setup, &client, &cfg.targets, cfg.timeout).await {
                Ok(vars) => cfg.vars = vars,
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_ERROR;
                }
            }
        }
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(file.pairs.len() as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let started = Instant::now();
        let mut rng = fastrand::Rng::with_seed(cfg.seed);
        let mut report = Report {
            pairs: Vec::new(),
            repeat: cfg.repeat,
            seed: cfg.seed,
            seconds: 0.0,
            interrupted: false,
        };
        // First Ctrl-C: let the schedule in flight finish (a request already
        // sent keeps running on the server; restoring under it would be
        // undone by its write), restore, stop. Second Ctrl-C: restore from
        // the side schemas now and exit.
        let stop = cfg.stop.clone();
        let dbs = cfg.dbs.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                eprintln!("interrupting: finishing the current schedule, then restoring (Ctrl-C again to stop at once)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    match executor::recover(&dbs).await {
                        Ok(s) => eprintln!("interrupted; restored {}", s.join(", ")),
                        Err(e) => eprintln!("interrupted; restore failed: {e} (run `rulecheck run --recover`)"),
                    }
                    std::process::exit(EXIT_ERROR);
                }
            }
        });
        for pair in &file.pairs {
            if cfg.stop.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            bar.set_message(pair.id.clone());
            report.pairs.push(executor::run_pair(&client, &cfg, pair, &mut rng).await);
            bar.inc(1);
        }
        report.interrupted = cfg.stop.load(std::sync::atomic::Ordering::SeqCst);
        bar.finish_and_clear();
        report.seconds = started.elapsed().as_secs_f64();
        if let Err(e) = report.write(&args.out) {
            eprintln!("error: {}: cannot write the report: {e}", args.out.display());
            return EXIT_ERROR;
        }
        let mut stdout = std::io::stdout().lock();
        let _ = report.summary(&mut stdout);
        report.exit_code()
    })
}
