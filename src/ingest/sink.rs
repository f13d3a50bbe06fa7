//! Where a reader puts what it read: spans in file order and the warnings
//! met on the way, each naming the file and the span.

use std::path::Path;

use crate::diag::Problem;
use crate::model::Span;

pub struct Sink<'p> {
    pub path: &'p Path,
    pub spans: Vec<Span>,
    pub problems: Vec<Problem>,
}

impl<'p> Sink<'p> {
    pub fn new(path: &'p Path) -> Self {
        Sink {
            path,
            spans: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn warn(&mut self, span: &str, message: impl Into<String>) {
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
