//! `rulecheck schema`: the fact schema, documented.

use std::io::{self, Write};

use crate::facts::schema::{RelSchema, BASE, USER_INPUTS};

use super::{EXIT_ERROR, EXIT_OK};

fn print_relation(out: &mut impl Write, r: &RelSchema) -> io::Result<()> {
    let cols: Vec<String> = r
        .columns
        .iter()
        .map(|c| format!("{}: {}", c.name, c.ty.as_str()))
        .collect();
    writeln!(out, "{}({})", r.name, cols.join(", "))?;
    writeln!(out, "    {}", r.doc)?;
    for c in r.columns {
        writeln!(out, "    {:<10} {}", c.name, c.doc)?;
    }
    writeln!(out)
}

fn print_schema(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# Base facts (lowered from traces; `rulecheck facts` writes one <relation>.facts per relation)\n")?;
    for r in &BASE {
        print_relation(out, r)?;
    }
    writeln!(out, "# Input facts (optional, from --facts DIR)\n")?;
    for r in &USER_INPUTS {
        print_relation(out, r)?;
    }
    writeln!(out, "# Notes")?;
    writeln!(
        out,
        "Ids are symbols; times are microseconds since the epoch (SkyWalking milliseconds x 1000)."
    )?;
    writeln!(out, "Key columns: key_column facts for a table when given, else `id` and columns ending in `_id`.")?;
    writeln!(
        out,
        "In .facts files tab, newline, carriage return and backslash inside a value are written \\t, \\n, \\r, \\\\."
    )
}

pub fn run() -> i32 {
    match print_schema(&mut io::stdout().lock()) {
        Ok(()) => EXIT_OK,
        // A closed pipe (`rulecheck schema | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            EXIT_ERROR
        }
    }
}
