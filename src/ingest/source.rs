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

/// A trace file's text: mapped from the file where it is plain text,
/// decompressed into memory where it is gzip.
///
/// Mapping saves copying the file out of the page cache into a fresh
/// buffer (the kernel copy and the zeroed pages were ~8% of ingest time
/// on a million spans). As with ripgrep's mmap searching, a file that
/// another process truncates while it is being read can stop the process
/// (SIGBUS); trace exports are written before they are read.
pub struct Text(Inner);

enum Inner {
    Owned(String),
    /// Only ever made from a mapping checked to be UTF-8.
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match &self.0 {
            Inner::Owned(s) => s,
            // SAFETY: `read_text` checked the bytes (see `Inner::Mapped`).
            Inner::Mapped(m) => unsafe { std::str::from_utf8_unchecked(m) },
        }
    }
}

/// Files smaller than this are read: a mapping costs more to set up and
/// tear down than copying a few pages.
const MAP_AT: u64 = 1 << 20;

/// The file's text, gunzipped when it starts with gzip's magic bytes.
pub fn read_text(path: &Path) -> Result<Text, Problem> {
    let cannot = |e: std::io::Error| Problem::error(path, None, format!("cannot read: {e}"));
    let file = fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    if len >= MAP_AT {
        // SAFETY: the mapping is read-only and private; see `Text`.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(map) = map {
            if !map.starts_with(&[0x1f, 0x8b]) {
                if !is_utf8(&map) {
                    let e = std::str::from_utf8(&map).expect_err("not UTF-8");
                    return Err(not_utf8(path, e));
                }
                return Ok(Text(Inner::Mapped(map)));
            }
        }
    }
    let mut bytes = Vec::with_capacity(len as usize);
    (&file).read_to_end(&mut bytes).map_err(cannot)?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| Problem::error(path, None, format!("invalid gzip: {e}")))?;
        out
    } else {
        bytes
    };
    if is_utf8(&bytes) {
        // SAFETY: just checked.
        return Ok(Text(Inner::Owned(unsafe {
            String::from_utf8_unchecked(bytes)
        })));
    }
    Err(not_utf8(
        path,
        std::str::from_utf8(&bytes).expect_err("not UTF-8"),
    ))
}

/// The check every byte of input goes through: simdutf8's (AVX2 or SSE4.2
/// where the CPU has them) reads ASCII text several times faster than the
/// standard library's; a file that fails is checked again by the standard
/// library, which says where.
fn is_utf8(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

fn not_utf8(path: &Path, e: std::str::Utf8Error) -> Problem {
    Problem::error(
        path,
        None,
        format!("not UTF-8 text (byte {})", e.valid_up_to()),
    )
}
