//! Rule source texts and positions in them. Diagnostics, `explain` and the
//! engine's error messages all point back into these texts, so every file a
//! program was read from (on disk, or compiled into the binary) is kept.

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file. Named `Loc` rather than `Span` because
/// a span in this project is a trace span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Loc {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Loc {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest range covering both (same file assumed).
    pub fn to(self, other: Loc) -> Loc {
        Loc {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

/// One rule file's text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name diagnostics show: the path as given (or as resolved from an
    /// `.include`), or the built-in name such as `flows.rules`.
    pub name: String,
    /// Where it was read from; `None` for sources compiled into the binary.
    pub path: Option<PathBuf>,
    pub text: Arc<str>,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset, as editors
    /// and rustc count them.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

/// Every file a program was read from, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: String, path: Option<PathBuf>, text: Arc<str>) -> FileId {
        self.files.push(SourceFile { name, path, text });
        FileId((self.files.len() - 1) as u32)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The source text a location covers, e.g. a rule for `explain`.
    pub fn text(&self, loc: Loc) -> &str {
        let text = &self.file(loc.file).text;
        text.get(loc.start as usize..loc.end as usize).unwrap_or("")
    }

    /// `file:line:col` of the start of a location.
    pub fn describe(&self, loc: Loc) -> String {
        let file = self.file(loc.file);
        let (line, col) = file.line_col(loc.start);
        format!("{}:{line}:{col}", file.name)
    }
}
