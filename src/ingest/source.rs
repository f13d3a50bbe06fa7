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

/// A trace file's bytes, not yet checked to be UTF-8: mapped from the file
/// where it is plain text, decompressed into memory where it is gzip.
///
/// Mapping saves copying the file out of the page cache into a fresh
/// buffer (the kernel copy and the zeroed pages were ~8% of ingest time
/// on a million spans). As with ripgrep's mmap searching, a file that
/// another process truncates while it is being read can stop the process
/// (SIGBUS); trace exports are written before they are read.
pub struct Bytes(Inner);

enum Inner {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Inner::Owned(b) => b,
            Inner::Mapped(m) => m,
        }
    }
}

/// A trace file's text: its [`Bytes`], checked to be UTF-8.
pub struct Text(Bytes);

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: `read_text` makes a `Text` only of bytes `utf8` accepted.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

/// Files smaller than this are read: a mapping costs more to set up and
/// tear down than copying a few pages.
const MAP_AT: u64 = 1 << 20;

/// The file's bytes, gunzipped when they start with gzip's magic bytes.
pub fn read_bytes(path: &Path) -> Result<Bytes, Problem> {
    let cannot = |e: std::io::Error| Problem::error(path, None, format!("cannot read: {e}"));
    let file = fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    if len >= MAP_AT {
        // SAFETY: the mapping is read-only and private; see `Bytes`.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(map) = map {
            if !map.starts_with(&[0x1f, 0x8b]) {
                return Ok(Bytes(Inner::Mapped(map)));
            }
        }
    }
    let mut bytes = Vec::with_capacity(len as usize);
    (&file).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| Problem::error(path, None, format!("invalid gzip: {e}")))?;
        bytes = out;
    }
    Ok(Bytes(Inner::Owned(bytes)))
}

/// The file's text, gunzipped when it is gzip; an error where it is not
/// UTF-8.
pub fn read_text(path: &Path) -> Result<Text, Problem> {
    let bytes = read_bytes(path)?;
    utf8(path, &bytes, 0)?;
    Ok(Text(bytes))
}

/// `bytes` as text, or the error naming the file and the first byte that
/// is not UTF-8 (`at` is where `bytes` start in the file): the check every
/// byte of input goes through. simdutf8's (AVX2 or SSE4.2 where the CPU
/// has them) reads ASCII text several times faster than the standard
/// library's; bytes that fail are checked again by the standard library,
/// which says where.
pub fn utf8<'a>(path: &Path, bytes: &'a [u8], at: usize) -> Result<&'a str, Problem> {
    simdutf8::basic::from_utf8(bytes).map_err(|_| {
        let e = std::str::from_utf8(bytes).expect_err("not UTF-8");
        Problem::error(
            path,
            None,
            format!("not UTF-8 text (byte {})", at + e.valid_up_to()),
        )
    })
}
