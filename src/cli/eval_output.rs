//! How `eval` shows its results: every `.output` relation, then every
//! invariant violation with its message, as an aligned table, TSV, CSV or
//! JSON; one `<relation>.csv` per output in Soufflé's layout; a JUnit
//! report with one test case per invariant. Rows come sorted (symbols by
//! text) so that two runs print the same. With `--explain`, each violation
//! carries its proof tree (text under the violation line, the proof JSON
//! of docs/explain.md in `--format json`, a `proof` column in CSV).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use clap::ValueEnum;
use rayon::iter::ParallelIterator;
use rayon::slice::ParallelSlice;
use serde_json::{json, Map, Value as Json};

use crate::engine::{value, Database};
use crate::explain::{self, render, Ctx};
use crate::facts::{tsv, Type};
use crate::lang::program::{Program, RelId, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns under a header per relation (the default on a terminal).
    Table,
    /// `# relation` line, then one tab-separated row per tuple (the default in pipes).
    Tsv,
    /// `# relation` line, a header row, then comma-separated rows (RFC 4180 quoting).
    Csv,
    /// One object: {"outputs": {rel: {"columns", "rows"}}, "violations": [...]}.
    Json,
}

/// An output relation or an invariant: its rows, sorted, still as cells.
/// Cells become text only as they are written: a million-row output held
/// as strings took gigabytes.
struct Section<'a> {
    name: String,
    columns: Vec<String>,
    types: Vec<Type>,
    rows: Vec<&'a [u64]>,
    db: &'a Database,
}

impl Section<'_> {
    fn values(&self, row: &[u64]) -> Vec<Value> {
        row.iter()
            .zip(&self.types)
            .map(|(&c, &ty)| value::cell_value(ty, c, &self.db.symbols))
            .collect()
    }

    /// One row as tab-separated, escaped text, through `buf`.
    /// Rendering a row reads its symbols' text from all over the symbol
    /// table (a quarter of a million-span `eval`): chunks of rows are
    /// rendered on the worker threads and written in order.
    fn write_tsv_rows(&self, out: &mut impl Write) -> io::Result<()> {
        const CHUNK: usize = 1 << 14;
        let batch = CHUNK * 2 * rayon::current_num_threads();
        for rows in self.rows.chunks(batch) {
            let rendered: Vec<io::Result<Vec<u8>>> = rows
                .par_chunks(CHUNK)
                .map(|rows| {
                    let mut buf = Vec::with_capacity(rows.len() * 64);
                    tsv::push_rows(&mut buf, rows, &self.types, &self.db.symbols)?;
                    Ok(buf)
                })
                .collect();
            for buf in rendered {
                out.write_all(&buf?)?;
            }
        }
        Ok(())
    }
}

struct Violations<'a> {
    message: String,
    section: Section<'a>,
    /// With `--explain`: one per row, in row order.
    proofs: Vec<Proof>,
}

/// A violation's proof, rendered both ways (violations are few).
struct Proof {
    text: String,
    json: Json,
}

pub struct Report<'a> {
    outputs: Vec<Section<'a>>,
    invariants: Vec<Violations<'a>>,
}

impl<'a> Report<'a> {
    pub fn new(program: &Program, db: &'a Database) -> Report<'a> {
        let section = |rel: RelId| {
            let r = program.relation(rel);
            Section {
                name: r.name.clone(),
                columns: r.columns.iter().map(|c| c.name.clone()).collect(),
                types: r.types().collect(),
                rows: db.sorted_rows(program, rel),
                db,
            }
        };
        Report {
            outputs: program.outputs().map(section).collect(),
            invariants: program
                .invariants
                .iter()
                .map(|inv| Violations {
                    message: inv.message.clone(),
                    section: section(inv.relation),
                    proofs: Vec::new(),
                })
                .collect(),
        }
    }

    /// Adds each violation's proof, from the provenance `db` recorded
    /// (re-derived when it has none).
    pub fn add_proofs(&mut self, program: &Program, db: &Database) {
        let mut ctx = Ctx::new(program, db);
        for (inv, v) in program.invariants.iter().zip(&mut self.invariants) {
            v.proofs = v
                .section
                .rows
                .iter()
                .map(|row| match explain::proof(&mut ctx, inv.relation, row) {
                    Some(node) => {
                        let mut text = String::new();
                        render::text(&mut ctx, &node, 1, &mut text);
                        Proof {
                            text,
                            json: render::json(&mut ctx, &node),
                        }
                    }
                    None => Proof {
                        text: "  (no proof re-checks against the rules: a bug, please report it)\n"
                            .into(),
                        json: Json::Null,
                    },
                })
                .collect();
        }
    }

    pub fn violation_count(&self) -> usize {
        self.invariants.iter().map(|i| i.section.rows.len()).sum()
    }

    pub fn write(&self, format: Format, out: &mut impl Write) -> io::Result<()> {
        match format {
            Format::Json => {
                serde_json::to_writer(&mut *out, &self.json())?;
                writeln!(out)
            }
            Format::Table => {
                for s in &self.outputs {
                    write_table(s, out)?;
                }
                self.write_violations(out)
            }
            Format::Tsv => {
                for s in &self.outputs {
                    writeln!(out, "# {}", s.name)?;
                    s.write_tsv_rows(out)?;
                }
                self.write_violations(out)
            }
            Format::Csv => {
                for s in &self.outputs {
                    write!(out, "# {}\r\n", s.name)?;
                    write_csv_row(out, s.columns.iter().map(String::as_str))?;
                    for row in &s.rows {
                        let cells: Vec<String> = s.values(row).iter().map(text).collect();
                        write_csv_row(out, cells.iter().map(String::as_str))?;
                    }
                }
                if self.violation_count() > 0 {
                    let explained = self.invariants.iter().any(|i| !i.proofs.is_empty());
                    write!(out, "# violations\r\n")?;
                    let header = ["invariant", "message", "tuple", "proof"];
                    write_csv_row(out, header[..3 + explained as usize].iter().copied())?;
                    for inv in &self.invariants {
                        for (i, row) in inv.section.rows.iter().enumerate() {
                            let tuple = tuple_text(&inv.section.name, &inv.section.values(row));
                            let proof = inv.proofs.get(i).map(|p| p.text.as_str());
                            write_csv_row(
                                out,
                                [inv.section.name.as_str(), &inv.message, &tuple]
                                    .into_iter()
                                    .chain(proof),
                            )?;
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// One line per violating tuple: `violation: <message>: rel("a", 1)`.
    fn write_violations(&self, out: &mut impl Write) -> io::Result<()> {
        for inv in &self.invariants {
            for (i, row) in inv.section.rows.iter().enumerate() {
                writeln!(
                    out,
                    "violation: {}: {}",
                    inv.message,
                    tuple_text(&inv.section.name, &inv.section.values(row))
                )?;
                if let Some(p) = inv.proofs.get(i) {
                    out.write_all(p.text.as_bytes())?;
                }
            }
        }
        Ok(())
    }

    fn json(&self) -> Json {
        let section = |s: &Section| {
            json!({
                "columns": s.columns,
                "rows": s.rows.iter().map(|r| s.values(r).iter().map(json_value).collect::<Vec<_>>()).collect::<Vec<_>>(),
            })
        };
        let mut outputs = Map::new();
        for s in &self.outputs {
            outputs.insert(s.name.clone(), section(s));
        }
        let violations: Vec<Json> = self
            .invariants
            .iter()
            .map(|inv| {
                let mut v = json!({
                    "invariant": inv.section.name,
                    "message": inv.message,
                    "columns": inv.section.columns,
                    "tuples": inv.section.rows.iter().map(|r| inv.section.values(r).iter().map(json_value).collect::<Vec<_>>()).collect::<Vec<_>>(),
                });
                if !inv.proofs.is_empty() {
                    v["proofs"] = inv.proofs.iter().map(|p| p.json.clone()).collect();
                }
                v
            })
            .collect();
        json!({ "outputs": outputs, "violations": violations })
    }

    /// `DIR/<relation>.csv` for every output relation, empty ones too,
    /// tab-separated and escaped as Soufflé writes them.
    pub fn write_dir(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        for s in &self.outputs {
            let mut out =
                io::BufWriter::new(fs::File::create(dir.join(format!("{}.csv", s.name)))?);
            s.write_tsv_rows(&mut out)?;
            out.flush()?;
        }
        Ok(())
    }

    /// A JUnit report: one test case per invariant, failed with its violations.
    pub fn junit(&self) -> String {
        let failures = self
            .invariants
            .iter()
            .filter(|i| !i.section.rows.is_empty())
            .count();
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"rulecheck invariants\" tests=\"{}\" failures=\"{failures}\">\n",
            self.invariants.len()
        );
        for inv in &self.invariants {
            x.push_str(&format!(
                "  <testcase classname=\"rulecheck.invariant\" name=\"{}\">\n",
                xml(&inv.section.name)
            ));
            if !inv.section.rows.is_empty() {
                let body: Vec<String> = inv
                    .section
                    .rows
                    .iter()
                    .map(|r| tuple_text(&inv.section.name, &inv.section.values(r)))
                    .collect();
                x.push_str(&format!(
                    "    <failure message=\"{} ({} violation{})\">{}</failure>\n",
                    xml(&inv.message),
                    body.len(),
                    if body.len() == 1 { "" } else { "s" },
                    xml(&body.join("\n"))
                ));
            }
            x.push_str("  </testcase>\n");
        }
        x.push_str("</testsuite>\n");
        x
    }
}

fn write_table(s: &Section, out: &mut impl Write) -> io::Result<()> {
    let cells: Vec<Vec<String>> = s
        .rows
        .iter()
        .map(|r| s.values(r).iter().map(text).collect())
        .collect();
    let mut widths: Vec<usize> = s.columns.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let n = s.rows.len();
    writeln!(
        out,
        "{} ({n} tuple{})",
        s.name,
        if n == 1 { "" } else { "s" }
    )?;
    let line = |out: &mut dyn Write, row: &[String]| -> io::Result<()> {
        let mut l = String::from(" ");
        for (c, w) in row.iter().zip(&widths) {
            l.push(' ');
            l.push_str(c);
            l.push_str(&" ".repeat(w - c.chars().count() + 1));
        }
        writeln!(out, "{}", l.trim_end())
    };
    line(out, &s.columns)?;
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    line(out, &rule)?;
    for row in &cells {
        // Control characters would break the alignment (and the terminal).
        let shown: Vec<String> = row.iter().map(|c| c.escape_debug().to_string()).collect();
        line(out, &shown)?;
    }
    writeln!(out)
}

fn write_csv_row<'a>(out: &mut impl Write, cells: impl Iterator<Item = &'a str>) -> io::Result<()> {
    let mut first = true;
    for c in cells {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        if c.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", c.replace('"', "\"\""))?;
        } else {
            out.write_all(c.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

fn text(v: &Value) -> String {
    match v {
        Value::Symbol(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Unsigned(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
    }
}

/// `rel("a", 1)`, as the tuple would be written in a rule.
fn tuple_text(rel: &str, row: &[Value]) -> String {
    let args: Vec<String> = row
        .iter()
        .map(|v| match v {
            Value::Symbol(s) => format!("{s:?}"),
            other => text(other),
        })
        .collect();
    format!("{rel}({})", args.join(", "))
}

fn json_value(v: &Value) -> Json {
    match v {
        Value::Symbol(s) => Json::String(s.clone()),
        Value::Number(n) => json!(n),
        Value::Unsigned(u) => json!(u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(f.to_string())),
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
