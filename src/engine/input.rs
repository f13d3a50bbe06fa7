//! Facts from folders, Soufflé style: `<relation>.facts`, one tab-separated
//! row per line. `.input` relations are read from the `--facts` folders;
//! a facts folder given as an input (as `rulecheck facts -o DIR` writes
//! it) also provides the base relations, in place of traces.

use std::path::{Path, PathBuf};

use crate::diag::Problem;
use crate::facts::tsv;
use crate::lang::program::{Program, RelId};

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
