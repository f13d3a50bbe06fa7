//! Base relations from a facts folder (`rulecheck facts -o DIR`), read
//! straight into cells. Reading is most of a large `eval`'s time, and most
//! of that is interning, so only what the program can observe is interned
//! (see [`Demand`]): an unobserved symbol column holds the empty symbol,
//! and rows no atom can match are skipped. Files are streamed through one
//! buffer rather than read whole: a 200 MB file read at once costs as much
//! in fresh pages as in parsing.

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::diag::Problem;
use crate::facts::{image, tsv, Base, FactDb, Type};
use crate::lang::program::Value;
use crate::lang::Demand;

use super::value::parse_cell;

/// Reads `<dir>/<base>.facts` for every base relation `demand` names
/// (`None`: not read). Bad lines are reported and skipped.
pub fn read_base_facts(
    dir: &Path,
    db: &mut FactDb,
    demand: &dyn Fn(Base) -> Option<Demand>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for base in Base::ALL {
        let Some(demand) = demand(base) else {
            continue;
        };
        let path = dir.join(format!("{}.facts", base.schema().name));
        match std::fs::File::open(&path) {
            Ok(file) => read_file(&path, file, base, &demand, db, &mut problems),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(Problem::error(&path, None, format!("cannot read: {e}"))),
        }
    }
    problems
}

/// The base relations `demand` names from the folder's
/// [`image`](crate::facts::image), without the rows no atom can match;
/// `Ok(None)` when there is no image or it is out of date. A damaged image
/// is a warning: the `.facts` files are read instead.
pub fn read_image(
    dir: &Path,
    demand: &dyn Fn(Base) -> Option<Demand>,
) -> Result<Option<FactDb>, Problem> {
    let path = dir.join(image::FILE_NAME);
    let mut db = match image::read(dir, &|b| demand(b).is_some()) {
        Ok(Some(db)) => db,
        Ok(None) => return Ok(None),
        Err(m) => {
            let m = format!("{m}; reading the .facts files instead");
            return Err(Problem::warning(&path, None, m));
        }
    };
    for base in Base::ALL {
        let Some(patterns) = demand(base).and_then(|d| d.patterns) else {
            continue;
        };
        let columns = &base.schema().columns;
        // A constant never interned matches no row.
        let patterns: Vec<Vec<(usize, Option<u64>)>> = patterns
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(c, v)| (*c, constant_cell(columns[*c].ty, v, &db.symbols)))
                    .collect()
            })
            .collect();
        db.table_mut(base).retain(|row| {
            patterns
                .iter()
                .any(|p| p.iter().all(|&(c, v)| v == Some(row[c])))
        });
    }
    Ok(Some(db))
}

/// A constant's cell, if it can occur in a column of type `ty` (the
/// checker types every constant by its column).
fn constant_cell(ty: Type, v: &Value, symbols: &crate::facts::Symbols) -> Option<u64> {
    match (ty, v) {
        (Type::Symbol, Value::Symbol(s)) => symbols.get(s).map(u64::from),
        (Type::Number, Value::Number(n)) => Some(*n as u64),
        (Type::Unsigned, Value::Unsigned(n)) => Some(*n),
        (Type::Float, Value::Float(f)) => Some(f.to_bits()),
        _ => None,
    }
}

fn read_file(
    path: &Path,
    file: std::fs::File,
    base: Base,
    demand: &Demand,
    db: &mut FactDb,
    problems: &mut Vec<Problem>,
) {
    let columns = &base.schema().columns;
    let arity = columns.len();
    let placeholder = db.sym("");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    // Field bounds in the current line, reused from line to line.
    let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(arity);
    let mut row: Vec<u64> = Vec::with_capacity(arity);
    // Per column: the last symbol interned and its text.
    const NONE: u64 = u64::MAX;
    let mut last: Vec<(String, u64)> = vec![(String::new(), NONE); arity];
    let mut line_no = 0;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                problems.push(Problem::error(path, None, format!("cannot read: {e}")));
                break;
            }
        }
        line_no += 1;
        let bad = |m: String| Problem::error(path, Some(format!("line {line_no}")), m);
        let Ok(line) = std::str::from_utf8(&buf) else {
            problems.push(bad("not valid UTF-8".to_string()));
            continue;
        };
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        bounds.clear();
        let at = line.as_ptr() as usize;
        bounds.extend(line.split('\t').map(|f| {
            let start = f.as_ptr() as usize - at;
            (start, start + f.len())
        }));
        if bounds.len() != arity {
            problems.push(bad(format!(
                "expected {arity} tab-separated columns, found {}",
                bounds.len()
            )));
            continue;
        }
        let field = |i: usize| &line[bounds[i].0..bounds[i].1];
        if !demand.patterns.as_ref().is_none_or(|ps| {
            ps.iter().any(|p| {
                p.iter()
                    .all(|(c, v)| matches_constant(columns[*c].ty, field(*c), v))
            })
        }) {
            continue;
        }
        row.clear();
        let mut error = None;
        for (i, col) in columns.iter().enumerate() {
            let cell = if demand.columns[i] && col.ty == Type::Symbol {
                // Rows often repeat the previous row's symbol in a column
                // (siblings' parent, a call's database): no lookup then.
                let text = tsv::unescape(field(i));
                let (last_text, last_sym) = &mut last[i];
                if *last_sym == NONE || *last_text != *text {
                    *last_sym = u64::from(db.symbols.intern(&text));
                    last_text.clear();
                    last_text.push_str(&text);
                }
                Ok(*last_sym)
            } else if demand.columns[i] || col.ty != Type::Symbol {
                // Unobserved numbers are still checked: cheap, and a bad
                // number is bad input whoever reads it.
                parse_cell(col.ty, &tsv::unescape(field(i)), &mut db.symbols).map(|c| {
                    if demand.columns[i] {
                        c
                    } else {
                        0
                    }
                })
            } else {
                Ok(placeholder)
            };
            match cell {
                Ok(c) => row.push(c),
                Err(m) => {
                    error = Some(format!("column `{}`: {m}", col.name));
                    break;
                }
            }
        }
        match error {
            None => db.push(base, &row),
            Some(m) => problems.push(bad(m)),
        }
    }
}

/// Whether a field's text is the constant an atom tests its column for.
fn matches_constant(ty: Type, field: &str, v: &Value) -> bool {
    let text = tsv::unescape(field);
    match (ty, v) {
        (Type::Symbol, Value::Symbol(s)) => *text == **s,
        (Type::Number, Value::Number(n)) => text.trim().parse::<i64>() == Ok(*n),
        (Type::Unsigned, Value::Unsigned(n)) => text.trim().parse::<u64>() == Ok(*n),
        (Type::Float, Value::Float(f)) => text.trim().parse::<f64>() == Ok(*f),
        // The checker types every constant by its column.
        _ => false,
    }
}
