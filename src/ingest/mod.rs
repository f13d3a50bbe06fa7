//! Ingest: trace files in, [`Span`]s out. One reader per format, chosen by
//! looking at the file's content (never its name); folders are walked,
//! `.gz` files decompressed, `.jsonl` files read one document per line.
//!
//! Architecture invariant: ingest knows nothing of facts or rules. It
//! reports per-file problems; problems that need every file (duplicate ids,
//! missing parents, cycles) are found by `lower::graph`.

use std::path::{Path, PathBuf};

use crate::diag::Problem;
use crate::model::Span;

pub mod detect;
pub mod ids;
pub mod jaeger;
mod json;
pub mod otlp;
mod scan;
pub mod sink;
pub mod skywalking;
pub mod source;
pub mod zipkin;

// A file's bytes not yet checked to be UTF-8, and the reading that checks
// them a line at a time (what `lower::load` uses).
pub use detect::parse_each_bytes;
pub use source::read_bytes;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    SkyWalking,
    Jaeger,
    Zipkin,
    Otlp,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::SkyWalking => "SkyWalking",
            Format::Jaeger => "Jaeger",
            Format::Zipkin => "Zipkin",
            Format::Otlp => "OTLP",
        }
    }
}

/// The spans of one file, in file order, with the warnings met reading it.
/// The spans borrow the file's text (see [`parse`]).
#[derive(Debug)]
pub struct FileSpans<'a> {
    pub path: PathBuf,
    pub format: Format,
    pub spans: Vec<Span<'a>>,
    pub problems: Vec<Problem>,
}

/// Expands paths into trace files: folders recursively, keeping `.json`,
/// `.jsonl` and their `.gz` forms, sorted for a stable order. A path given
/// explicitly is kept whatever its name.
pub fn find_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    source::find_files(paths)
}

/// Reads one trace file into spans that own their strings. A file that
/// cannot be read as a whole (I/O error, invalid JSON, unknown format, wrong
/// field types) is an `Err` naming the file and the reason.
pub fn read_file(path: &Path) -> Result<FileSpans<'static>, Problem> {
    let text = read_text(path)?;
    let file = parse(path, &text)?;
    Ok(FileSpans {
        path: file.path,
        format: file.format,
        spans: file.spans.into_iter().map(Span::into_owned).collect(),
        problems: file.problems,
    })
}

/// A trace file's text, gunzipped when it is gzip; the first half of
/// [`read_file`], for callers that keep the text while they use its spans.
pub fn read_text(path: &Path) -> Result<source::Text, Problem> {
    source::read_text(path)
}

/// The spans of a trace file's `text`, borrowing from it where the JSON
/// holds a string verbatim; the second half of [`read_file`].
pub fn parse<'a>(path: &Path, text: &'a str) -> Result<FileSpans<'a>, Problem> {
    detect::parse(path, text)
}

/// [`parse`] a document at a time: see [`detect::parse_each`].
pub fn parse_each<'a>(
    path: &Path,
    text: &'a str,
    arena: Option<&'a bumpalo::Bump>,
    each: impl FnMut(&mut Vec<Span<'a>>),
) -> Result<(Format, Vec<Problem>), Problem> {
    detect::parse_each(path, text, arena, each)
}
