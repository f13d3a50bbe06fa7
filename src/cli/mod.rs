//! The command line: argument definitions (every flag in one place, with
//! its help) and dispatch. Output formatting lives here; the work is done
//! by the library modules, which know nothing of the terminal.

mod check_cmd;
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
    }
}
