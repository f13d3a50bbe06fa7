//! Facts from folders, Soufflé style: `<relation>.facts`, one tab-separated
//! row per line. `.input` relations are read from the `--facts` folders;
//! a facts folder given as an input (as `rulecheck facts -o DIR` writes
//! it) also provides the base relations, in place of traces.

use std::path::{Path, PathBuf};

use crate::diag::Problem;
use crate::facts::{tsv, Base, FactDb};
use crate::lang::program::{Program, RelId};

use super::value::parse_cell;

/// Rows of `.input` relations as text, typed by the engine when it loads
/// them (so that their symbols go into the run's one symbol table).
#[derive(Clone, Debug, Default)]
pub struct InputFacts {
    pub files: Vec<InputFile>,
}

/// Rows of a `.facts` file: (1-based line number, unescaped fields).
pub type TextRows = Vec<(usize, Vec<String>)>;

#[derive(Clone, Debug)]
pub struct InputFile {
    pub relation: RelId,
    pub path: PathBuf,
    pub rows: TextRows,
}

/// Reads `<dir>/<name>.facts` as rows of text; `Ok(None)` when missing.
pub fn read_facts_file(path: &Path) -> Result<Option<TextRows>, Problem> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Problem::error(path, None, format!("cannot read: {e}"))),
    };
    Ok(Some(
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(n, l)| (n + 1, tsv::split_line(l.strip_suffix('\r').unwrap_or(l))))
            .collect(),
    ))
}

/// Reads every `.input` relation of `program` from the folders `dirs`
/// (all files found, in folder order). A relation with no file anywhere is
/// empty, with a warning; a file that cannot be read is an error.
pub fn read_inputs(program: &Program, dirs: &[PathBuf]) -> (InputFacts, Vec<Problem>) {
    let mut facts = InputFacts::default();
    let mut problems = Vec::new();
    for (i, rel) in program.relations.iter().enumerate() {
        if !rel.input || rel.base.is_some() {
            continue;
        }
        let file_name = format!("{}.facts", rel.name);
        let mut found = false;
        for dir in dirs {
            let path = dir.join(&file_name);
            match read_facts_file(&path) {
                Ok(Some(rows)) => {
                    found = true;
                    facts.files.push(InputFile {
                        relation: RelId(i as u32),
                        path,
                        rows,
                    });
                }
                Ok(None) => {}
                Err(p) => {
                    found = true;
                    problems.push(p);
                }
            }
        }
        if !found {
            let (place, message) = match dirs {
                [] => (
                    PathBuf::from(&file_name),
                    format!(
                        "`.input {}` needs this file, and no facts folder was given \
                         (--facts DIR); the relation is empty",
                        rel.name
                    ),
                ),
                [dir] => (
                    dir.join(&file_name),
                    format!("`.input {}`: no such file; the relation is empty", rel.name),
                ),
                more => (
                    PathBuf::from(&file_name),
                    format!(
                        "`.input {}`: no such file in {}; the relation is empty",
                        rel.name,
                        more.iter()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            };
            problems.push(Problem::warning(&place, None, message));
        }
    }
    (facts, problems)
}

/// Whether `dir` is a facts folder: it holds `.facts` files.
pub fn is_facts_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "facts") && e.path().is_file())
        })
        .unwrap_or(false)
}

/// Adds the base relations `wanted` found in facts folder `dir` to `db`.
/// Missing files are empty relations; a bad row is an error naming file
/// and line. Rows are parsed straight from the file's text into cells: a
/// million-span folder holds tens of millions of fields.
pub fn read_base_facts(dir: &Path, db: &mut FactDb, wanted: &dyn Fn(Base) -> bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    for base in Base::ALL {
        if !wanted(base) {
            continue;
        }
        let schema = base.schema();
        let path = dir.join(format!("{}.facts", schema.name));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(Problem::error(&path, None, format!("cannot read: {e}")));
                continue;
            }
        };
        let arity = schema.columns.len();
        let mut row = Vec::with_capacity(arity);
        for (n, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            row.clear();
            let mut fields = 0;
            let mut bad = None;
            for field in line.split('\t') {
                fields += 1;
                let Some(col) = schema.columns.get(fields - 1) else {
                    continue;
                };
                if bad.is_none() {
                    match parse_cell(col.ty, &tsv::unescape(field), &mut db.symbols) {
                        Ok(c) => row.push(c),
                        Err(m) => bad = Some(format!("column `{}`: {m}", col.name)),
                    }
                }
            }
            let message = if fields != arity {
                format!("expected {arity} tab-separated columns, found {fields}")
            } else if let Some(m) = bad {
                m
            } else {
                db.push(base, &row);
                continue;
            };
            problems.push(Problem::error(
                &path,
                Some(format!("line {}", n + 1)),
                message,
            ));
        }
    }
    problems
}
