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
pub mod sink;
pub mod skywalking;
pub mod source;
pub mod zipkin;

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
#[derive(Debug)]
pub struct FileSpans {
    pub path: PathBuf,
    pub format: Format,
    pub spans: Vec<Span>,
    pub problems: Vec<Problem>,
}

/// Expands paths into trace files: folders recursively, keeping `.json`,
/// `.jsonl` and their `.gz` forms, sorted for a stable order. A path given
/// explicitly is kept whatever its name.
pub fn find_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    source::find_files(paths)
}

/// Reads one trace file. A file that cannot be read as a whole (I/O error,
/// invalid JSON, unknown format, wrong field types) is an `Err` naming the
/// file and the reason.
pub fn read_file(path: &Path) -> Result<FileSpans, Problem> {
    let text = source::read_text(path)?;
    detect::parse(path, &text)
}
