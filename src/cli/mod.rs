//! The command line: argument definitions (every flag in one place, with
//! its help) and dispatch. Output formatting lives here; the work is done
//! by the library modules, which know nothing of the terminal.

mod check_cmd;
mod eval_cmd;
mod eval_output;
mod facts_cmd;
mod inputs;
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
    /// Parse and check rule files (types, safety, stratification) without evaluating them.
    Check(CheckArgs),
    /// Evaluate rules over traces or facts folders: print each .output relation, then every
    /// invariant violation. Exit 0 clean, 1 violations, 2 input or rule errors.
    ///
    /// An input folder holding .facts files and no trace file is a facts folder (as
    /// `rulecheck facts -o DIR` writes it): its base-relation files replace traces and its
    /// other .facts files feed .input relations, like --facts.
    Eval(EvalArgs),
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
}

#[derive(Args, Debug)]
pub struct FactsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder; created if missing.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub out: PathBuf,
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
        Command::Check(args) => check_cmd::run(&args),
        Command::Eval(args) => eval_cmd::run(&args),
    }
}
