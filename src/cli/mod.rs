//! The command line: argument definitions (every flag in one place, with
//! its help) and dispatch. Output formatting lives here; the work is done
//! by the library modules, which know nothing of the terminal.

mod check_cmd;
mod cpu_usage;
mod eval_cmd;
mod eval_output;
mod explain_cmd;
mod facts_cmd;
mod inputs;
mod pairs_cmd;
mod run_cmd;
mod schema_cmd;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes: the contract with CI systems.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "rulecheck",
    version,
    about = "Datalog rules over distributed-trace facts: request flows, conflicting pairs, invariant violations"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read traces and write their base facts, one <relation>.facts TSV per relation.
    Facts(FactsArgs),
    /// Print the built-in fact schema with the meaning of each column.
    Schema,
    /// Write candidate request pairs (native JSON for `run`, or MicroRacer's candidatePairs files).
    Pairs(PairsArgs),
    /// Replay candidate pairs against the live system in every order, restoring databases in between.
    Run(RunArgs),
    /// Parse and check rule files (types, safety, stratification) without evaluating them.
    Check(CheckArgs),
    /// Evaluate rules over traces or facts folders: print each .output relation, then every
    /// invariant violation. Exit 0 clean, 1 violations, 2 input or rule errors.
    ///
    /// An input folder holding .facts files and no trace file is a facts folder (as
    /// `rulecheck facts -o DIR` writes it): its base-relation files replace traces and its
    /// other .facts files feed .input relations, like --facts.
    Eval(EvalArgs),
    /// Explain a derived tuple: its proof tree down to the trace spans of the base facts
    /// (`rulecheck explain TRACES... 'rel("a", _)'`), or with --why-not how far each rule gets.
    /// Exit 0 explained, 1 not derived, 2 malformed query or input errors.
    Explain(ExplainArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Indented tree.
    Text,
    /// Stable schema, see docs/explain.md.
    Json,
    /// Graphviz digraph.
    Dot,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Trace files or folders (or facts folders), then the query `relation("a", 1, _)`
    /// (the query goes with --why-not instead when that is given).
    #[arg(required = true, value_name = "TRACES... QUERY")]
    pub args: Vec<String>,
    /// Rule file or folder (repeatable); default: the standard library.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Folder of input facts (<relation>.facts TSV).
    #[arg(long = "facts", value_name = "DIR")]
    pub facts_dir: Option<PathBuf>,
    /// Why is this tuple not derived: for each rule, the longest body prefix that holds and the
    /// first literal that fails.
    #[arg(long = "why-not", value_name = "QUERY")]
    pub why_not: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
    /// Most tuples explained when the query has `_`.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Rule file, or folder of .rules files (repeatable). Default: the standard library
    /// (flows.rules, conflicts.rules) compiled into the binary.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Output format [default: table on a terminal, tsv otherwise].
    #[arg(long, value_enum)]
    pub format: Option<eval_output::Format>,
    /// Also write DIR/<relation>.csv (tab-separated, Soufflé layout) for every .output relation.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Write a JUnit XML report: one test case per invariant, failed with its violations.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Stop (exit 2) once the rules have derived more than N tuples in all.
    #[arg(long, value_name = "N")]
    pub max_tuples: Option<u64>,
    /// Stop (exit 2) when evaluation takes longer than SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<f64>,
    /// Record provenance while evaluating and print each invariant violation's proof tree
    /// under it (in --format json, each violation's "proofs"; in csv, a proof column).
    #[arg(long)]
    pub explain: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Rule files, or folders searched recursively for .rules files.
    #[arg(required = true, value_name = "RULES")]
    pub rules: Vec<PathBuf>,
}

/// Options shared by every command that reads traces.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Trace files or folders (searched recursively for .json, .jsonl and their .gz forms).
    #[arg(required = true, value_name = "TRACES")]
    pub inputs: Vec<PathBuf>,
    /// Folder of input facts (<relation>.facts TSV), e.g. key_column.facts, same_database.facts.
    #[arg(long = "facts", value_name = "DIR")]
    pub facts_dir: Option<PathBuf>,
    /// Treat every warning as an error (exit 2).
    #[arg(long)]
    pub strict: bool,
    /// Print timings and counts of each stage to stderr.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Args, Debug)]
pub struct FactsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder; created if missing.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PairFormat {
    /// One JSON file of pairs, as `rulecheck run` reads it.
    Native,
    /// MicroRacer's candidatePairs_<id>.json files, one per conflicting id, in the -o folder.
    Microracer,
}

#[derive(Args, Debug)]
pub struct PairsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Rule file or folder (repeatable); default: the standard library.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Relation(s) of request span ids (A, B) to export [default: candidate_pair and reported_pair].
    #[arg(long = "relation", value_name = "NAME")]
    pub relations: Vec<String>,
    /// Output file (native) or folder (microracer).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "native")]
    pub format: PairFormat,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Pair file written by `rulecheck pairs` (not needed with --recover).
    #[arg(value_name = "PAIRS", required_unless_present = "recover")]
    pub pairs: Option<PathBuf>,
    /// Where requests go: NAME=URL, NAME a service name or a recorded host[:port]; unmapped requests use the recorded URL.
    #[arg(long = "target", value_name = "NAME=URL")]
    pub targets: Vec<String>,
    /// Database instance as lowered (peer/dbname) = mysql://USER[:PASSWORD]@HOST:PORT/DB (password also from MYSQL_PWD).
    #[arg(long = "db", value_name = "NAME=URL", required = true)]
    pub dbs: Vec<String>,
    /// Concurrent runs (A||B) per pair.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Seed of the random offsets of concurrent sends, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Largest random delay before a concurrent send, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub max_offset_ms: u64,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Volatile response fields to ignore, as JSON pointers (/data/timestamp).
    #[arg(long = "ignore", value_name = "JSONPOINTER")]
    pub ignore: Vec<String>,
    /// Volatile database columns to ignore, as TABLE.COLUMN.
    #[arg(long = "ignore-column", value_name = "TABLE.COLUMN")]
    pub ignore_columns: Vec<String>,
    /// Invariant rules over the database state after each schedule: they declare
    /// `.decl row(Db: symbol, Table: symbol, Key: symbol, Column: symbol, Value: symbol)` and `.input row`.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Requests sent once before any pair (a JSON list of {method, url, headers, body, save});
    /// `save` maps names to JSON pointers into the response, used as ${name} in later requests.
    #[arg(long, value_name = "FILE")]
    pub setup: Option<PathBuf>,
    /// Report folder: report.json and summary.txt.
    #[arg(long, value_name = "DIR", default_value = "rulecheck-run")]
    pub out: PathBuf,
    /// Restore and remove snapshots left behind by an interrupted run, then exit.
    #[arg(long)]
    pub recover: bool,
}

/// A duration in seconds: a finite number, not negative.
fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..1e12).contains(&x) => Ok(x),
        _ => Err(format!("`{s}` is not a number of seconds")),
    }
}

/// Parses the arguments and runs the command; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Facts(args) => facts_cmd::run(&args),
        Command::Schema => schema_cmd::run(),
        Command::Run(args) => run_cmd::run(&args),
        Command::Pairs(args) => pairs_cmd::run(&args),
        Command::Check(args) => check_cmd::run(&args),
        Command::Eval(args) => eval_cmd::run(&args),
        Command::Explain(args) => explain_cmd::run(&args),
    }
}
