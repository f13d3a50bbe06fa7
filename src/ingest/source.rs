//! Finding trace files and reading their text (gzip by magic number).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::Problem;

fn is_trace_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.ends_with(".json") || name.ends_with(".jsonl")
}

pub fn find_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Err(e) => problems.push(Problem::error(path, None, format!("cannot read: {e}"))),
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                walk(path, &mut files, &mut problems);
                files[before..].sort();
                if files.len() == before {
                    problems.push(Problem::error(
                        path,
                        None,
                        "no trace file (.json, .jsonl, .json.gz, .jsonl.gz) in this folder",
                    ));
                }
            }
            Ok(_) => files.push(path.clone()),
        }
    }
    (files, problems)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem::error(
                dir,
                None,
                format!("cannot read folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, files, problems),
            Ok(_) if is_trace_name(&path) => files.push(path),
            _ => {}
        }
    }
}

/// The file's text, gunzipped when it starts with gzip's magic bytes.
pub fn read_text(path: &Path) -> Result<String, Problem> {
    let bytes =
        fs::read(path).map_err(|e| Problem::error(path, None, format!("cannot read: {e}")))?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| Problem::error(path, None, format!("invalid gzip: {e}")))?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| {
        Problem::error(
            path,
            None,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}
