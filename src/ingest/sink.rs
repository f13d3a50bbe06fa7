//! Where a reader puts what it read: spans in file order and the warnings
//! met on the way, each naming the file and the span.

use std::path::Path;

use crate::diag::Problem;
use crate::model::Span;

pub struct Sink<'p, 'a> {
    pub path: &'p Path,
    pub spans: Vec<Span<'a>>,
    pub problems: Vec<Problem>,
    /// Re-reading a failed document only to find where it fails keeps nothing.
    discard: bool,
}

impl<'p, 'a> Sink<'p, 'a> {
    pub fn new(path: &'p Path) -> Self {
        Sink {
            path,
            spans: Vec::new(),
            problems: Vec::new(),
            discard: false,
        }
    }

    /// A sink that keeps nothing.
    pub fn discarding(path: &'p Path) -> Self {
        Sink {
            discard: true,
            ..Sink::new(path)
        }
    }

    /// How much the sink holds, for [`Sink::truncate`].
    pub fn mark(&self) -> (usize, usize) {
        (self.spans.len(), self.problems.len())
    }

    /// Forgets what was added since `mark` (a fast path that gave up).
    pub fn truncate(&mut self, (spans, problems): (usize, usize)) {
        self.spans.truncate(spans);
        self.problems.truncate(problems);
    }

    pub fn push(&mut self, span: Span<'a>) {
        if !self.discard {
            self.spans.push(span);
        }
    }

    pub fn warn(&mut self, span: &str, message: impl Into<String>) {
        if self.discard {
            return;
        }
        self.problems.push(Problem::warning(
            self.path,
            Some(format!("span {span}")),
            message,
        ));
    }

    /// Warns that an id of span `span` is not hex (kept as given, lowercased).
    pub fn non_hex(&mut self, span: &str, what: &str, raw: &str) {
        self.warn(
            span,
            format!("{what} `{raw}` is not hex; kept as given (lowercased)"),
        );
    }
}
