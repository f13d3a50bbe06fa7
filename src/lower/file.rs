//! One file lowered on its own, on a worker thread: its facts with symbols
//! of its own, numbered in the order they are met, which
//! `Lowerer::merge` renumbers into the input's. Interning into a small
//! table per file is also cheaper than into the input's large one; the
//! merge then interns each distinct string of a file once.

use std::path::{Path, PathBuf};

use super::graph::content_hash;
use super::sql::SqlLowerer;
use super::Out;
use crate::diag::Problem;
use crate::facts::FactDb;

/// What became of one file.
pub enum Lowered {
    /// Boxed: a file's facts are some 300 bytes of vector handles, which
    /// the other outcomes need not carry.
    Facts(Box<FileFacts>),
    /// The file cannot be lowered alone (it has SQL that does not parse,
    /// see [`SqlLowerer::in_isolation`]): it is lowered again, in order.
    InOrder(PathBuf),
    /// It could not be read: the problem names the file and the reason.
    Failed(Problem),
}

/// A span of the file, lowered or not.
pub struct SpanEntry {
    /// The span's id as a symbol of the file.
    pub id: u32,
    pub hash: u64,
    /// False for a repeated id within the file: only its first span is
    /// lowered.
    pub lowered: bool,
}

pub struct FileFacts {
    pub path: PathBuf,
    /// Bytes of trace text the facts came from.
    pub bytes: usize,
    /// Facts whose symbols are the file's own.
    pub db: FactDb,
    pub edges: Vec<(u32, u32)>,
    /// The reader's warnings, then lowering's, in order.
    pub problems: Vec<Problem>,
    /// Every span in file order.
    pub spans: Vec<SpanEntry>,
    /// The hash bits of each of `db`'s symbols (`Symbols::hashes`).
    pub hashes: Vec<u32>,
}

/// Reads, parses and lowers one file, exactly as `Lowerer::add_file` would
/// if no earlier file had taken one of its span ids (which the merge checks).
/// The facts go into `db` (emptied), whose memory an earlier file may have
/// left: a fresh table for each file had its pages faulted in each time.
pub fn lower(path: &Path, sql: &mut SqlLowerer, mut db: FactDb) -> Lowered {
    // Not yet checked to be UTF-8: JSON lines are checked a line at a time
    // as they are parsed (`parse_each_bytes`).
    let bytes = match crate::ingest::read_bytes(path) {
        Ok(bytes) => bytes,
        Err(problem) => return Lowered::Failed(problem),
    };
    db.clear();
    // Sized from the file (TrainTicket: ~780 bytes of JSON per span, about
    // two distinct strings per span, a third of the text): growing from
    // nothing copied each file's rows several times over, and pages never
    // written cost nothing.
    let spans_guess = bytes.len() / 512;
    db.symbols.reserve(2 * spans_guess, bytes.len() / 3);
    for table in &mut db.tables {
        let cells = spans_guess * table.arity;
        // An emptied vector too small is replaced, not grown: growing
        // copies its whole old allocation.
        if table.cells.capacity() < cells {
            table.cells = Vec::with_capacity(cells);
        }
    }
    let mut edges = Vec::with_capacity(spans_guess);
    let mut problems = Vec::new();
    let file_sym = db.sym(&path.to_string_lossy());
    // Indexed by symbol: the span ids already taken in this file.
    let mut taken: Vec<bool> = Vec::new();
    let mut spans = Vec::with_capacity(spans_guess);
    let mut deferred = false;
    sql.take_deferred();
    let mut out = Out {
        fixed: Default::default(),
        db: &mut db,
        sql,
        edges: &mut edges,
        problems: &mut problems,
    };
    // The file's composed span ids live as long as its bytes.
    let arena = bumpalo::Bump::new();
    let read = crate::ingest::parse_each_bytes(path, &bytes, Some(&arena), |read| {
        if deferred {
            return;
        }
        // Read, not taken: the reader reuses their vectors.
        for span in read.iter() {
            let index = spans.len();
            let id = out.db.sym(&span.id);
            let hash = content_hash(span);
            taken.resize(out.db.symbols.len(), false);
            let lowered = !std::mem::replace(&mut taken[id as usize], true);
            if lowered {
                out.lower_span(id, span, file_sym, index as i64, path);
                if out.sql.take_deferred() {
                    // The file is lowered again in order: nothing more here.
                    deferred = true;
                    return;
                }
            }
            spans.push(SpanEntry {
                id: id as u32,
                hash,
                lowered,
            });
        }
    });
    let reader_problems = match read {
        Ok((_, problems)) => problems,
        Err(problem) => return Lowered::Failed(problem),
    };
    if deferred {
        return Lowered::InOrder(path.to_path_buf());
    }
    // The reader's warnings come first, as when the file is read whole.
    problems.splice(0..0, reader_problems);
    Lowered::Facts(Box::new(FileFacts {
        path: path.to_path_buf(),
        bytes: bytes.len(),
        hashes: db.symbols.hashes(),
        db,
        edges,
        problems,
        spans,
    }))
}
