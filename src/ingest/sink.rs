//! Where a reader puts what it read: spans in file order and the warnings
//! met on the way, each naming the file and the span.

use std::borrow::Cow;
use std::path::Path;

use super::ids;
use crate::diag::Problem;
use crate::model::{Span, SpanRef};

/// A span's tags as the model keeps them.
pub type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Emptied tag and reference vectors of spans already lowered, for the
/// next document's spans: a reader asks here instead of allocating two
/// vectors a span (allocation and free were a twentieth of reading).
#[derive(Default)]
pub struct Pool<'a> {
    tags: Vec<Pairs<'a>>,
    refs: Vec<Vec<SpanRef<'a>>>,
}

impl<'a> Pool<'a> {
    pub fn tags(&mut self) -> Pairs<'a> {
        self.tags.pop().unwrap_or_default()
    }

    pub fn refs(&mut self) -> Vec<SpanRef<'a>> {
        self.refs.pop().unwrap_or_default()
    }

    /// Keeps the vectors of a span no longer needed.
    fn recycle(&mut self, span: Span<'a>) {
        keep(&mut self.tags, span.tags);
        keep(&mut self.refs, span.refs);
    }
}

/// Keeps `v`, emptied, in `pool` if it holds any memory.
fn keep<T>(pool: &mut Vec<Vec<T>>, mut v: Vec<T>) {
    if v.capacity() > 0 {
        v.clear();
        pool.push(v);
    }
}

pub struct Sink<'p, 'a> {
    pub path: &'p Path,
    pub spans: Vec<Span<'a>>,
    pub problems: Vec<Problem>,
    pub pool: Pool<'a>,
    /// Re-reading a failed document only to find where it fails keeps nothing.
    discard: bool,
    /// Where ids a reader composes are kept while the file's spans live,
    /// instead of a `String` each (see [`Sink::compose`]).
    arena: Option<&'a bumpalo::Bump>,
}

impl<'p, 'a> Sink<'p, 'a> {
    pub fn new(path: &'p Path) -> Self {
        Sink {
            path,
            spans: Vec::new(),
            problems: Vec::new(),
            pool: Pool::default(),
            discard: false,
            arena: None,
        }
    }

    /// A sink whose composed ids live in `arena`.
    pub fn with_arena(path: &'p Path, arena: &'a bumpalo::Bump) -> Self {
        Sink {
            arena: Some(arena),
            ..Sink::new(path)
        }
    }

    /// `<prefix><sep><number>` (SkyWalking's span ids): in the arena when
    /// the sink has one (two ids a span, a `malloc` and a `free` each
    /// otherwise), else owned.
    pub fn compose(&self, prefix: &str, sep: char, number: i64) -> Cow<'a, str> {
        match self.arena {
            Some(arena) => Cow::Borrowed(
                ids::with_number_in(prefix, sep, number, |n| {
                    bumpalo::collections::String::with_capacity_in(n, arena)
                })
                .into_bump_str(),
            ),
            None => Cow::Owned(ids::with_number(prefix, sep, number)),
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

    /// Takes back the vectors of the spans handed out (and left in
    /// `spans`) for the next document's spans.
    pub fn recycle(&mut self) {
        for span in self.spans.drain(..) {
            self.pool.recycle(span);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_ids_spell_the_number_in_or_out_of_the_arena() {
        let arena = bumpalo::Bump::new();
        let path = Path::new("x.json");
        let (owned, kept) = (Sink::new(path), Sink::with_arena(path, &arena));
        for n in [0, 7, 10, 123456, -1, i64::MAX, i64::MIN] {
            let expected = format!("seg.1-{n}");
            assert!(matches!(owned.compose("seg.1", '-', n), Cow::Owned(s) if s == expected));
            assert!(matches!(kept.compose("seg.1", '-', n), Cow::Borrowed(s) if s == expected));
        }
    }
}
