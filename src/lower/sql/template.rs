//! Statement text → template: one pass of a small tokenizer that turns every
//! placeholder and every literal into `?` and records each as a [`Slot`].
//!
//! The template is the cache key of the parse, so everything that varies
//! between executions of one statement must leave it: literal values (a
//! statement that binds its values inline shares the template of its prepared
//! form), placeholder spellings (`?`, `%s`, `%(name)s`, `$1`, `:name`),
//! comments (sqlcommenter tags differ per request) and runs of whitespace.
//! `NULL`, `TRUE` and `FALSE` are words, not literals: they stay.

use std::borrow::Cow;

/// How a placeholder names the value it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRef {
    /// `?` or `%s`: the next value in order.
    Next,
    /// `$1`, `:1`: the value at this 1-based position.
    Index(u32),
    /// `%(name)s`, `:name`: the byte range of the name in the statement.
    Name(u32, u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    Param(ParamRef),
    /// A quoted string; `content` is the byte range between the quotes and
    /// `escaped` says whether it holds `''` or `\` escapes to undo.
    Str {
        content: (u32, u32),
        escaped: bool,
    },
    /// A number as written (the range is the whole slot).
    Number,
}

/// One `?` of the template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub kind: SlotKind,
    /// Byte range of the placeholder or literal in the statement.
    pub start: u32,
    pub end: u32,
}

impl Slot {
    pub fn is_param(&self) -> bool {
        matches!(self.kind, SlotKind::Param(_))
    }

    /// The literal's value as written, unquoted and unescaped; `None` for a
    /// placeholder.
    pub fn literal<'s>(&self, statement: &'s str) -> Option<Cow<'s, str>> {
        match self.kind {
            SlotKind::Param(_) => None,
            SlotKind::Number => Some(Cow::Borrowed(
                &statement[self.start as usize..self.end as usize],
            )),
            SlotKind::Str { content, escaped } => {
                let raw = &statement[content.0 as usize..content.1 as usize];
                Some(if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                })
            }
        }
    }

    pub fn name<'s>(&self, statement: &'s str) -> Option<&'s str> {
        match self.kind {
            SlotKind::Param(ParamRef::Name(a, b)) => Some(&statement[a as usize..b as usize]),
            _ => None,
        }
    }
}

/// Undoes SQL string escapes: `''` and MySQL's backslash escapes
/// (`\%` and `\_` keep their backslash, as MySQL does).
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push('\'');
                // The second quote of a doubled pair.
                let mut ahead = chars.clone();
                if ahead.next() == Some('\'') {
                    chars = ahead;
                }
            }
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('b') => out.push('\u{8}'),
                Some('Z') => out.push('\u{1a}'),
                Some(c @ ('%' | '_')) => {
                    out.push('\\');
                    out.push(c);
                }
                Some(c) => out.push(c),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Which parts of the statement become `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Placeholders and literals: the normal template.
    All,
    /// Placeholders only; literals stay in the text. Used when the normal
    /// template does not parse because a literal stands where sqlparser
    /// takes no placeholder (`VARCHAR(255)` in DDL).
    ParamsOnly,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Normalises `statement` into `template` (cleared first) and `slots`
/// (cleared first). Text that cannot be tokenized (an unterminated string)
/// is copied unchanged so that the parser reports it.
pub fn normalise(statement: &str, mode: Mode, template: &mut String, slots: &mut Vec<Slot>) {
    template.clear();
    slots.clear();
    let s = statement.as_bytes();
    let n = s.len();
    let mut i = 0;
    // Byte ranges of `statement` are copied in runs, not byte by byte.
    let mut pending_space = false;
    let push = |template: &mut String, text: &str, pending_space: &mut bool| {
        if *pending_space {
            if !template.is_empty() {
                template.push(' ');
            }
            *pending_space = false;
        }
        template.push_str(text);
    };
    let mut prev_word = false;
    while i < n {
        let b = s[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                pending_space = true;
                prev_word = false;
                i += 1;
            }
            b'\'' => {
                i = string_literal(statement, i, i, mode, template, slots, &mut pending_space);
                prev_word = false;
            }
            b'"' | b'`' => {
                let end = quoted_end(s, i, b).unwrap_or(n);
                push(template, &statement[i..end], &mut pending_space);
                prev_word = false;
                i = end;
            }
            b'-' if s.get(i + 1) == Some(&b'-') => {
                i = line_end(s, i);
                pending_space = true;
                prev_word = false;
            }
            b'#' => {
                i = line_end(s, i);
                pending_space = true;
                prev_word = false;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                i = match statement[i + 2..].find("*/") {
                    Some(k) => i + 2 + k + 2,
                    None => n,
                };
                pending_space = true;
                prev_word = false;
            }
            b'?' => {
                param(
                    ParamRef::Next,
                    i,
                    i + 1,
                    template,
                    slots,
                    &mut pending_space,
                );
                prev_word = false;
                i += 1;
            }
            b'%' if s.get(i + 1) == Some(&b's')
                && !s.get(i + 2).is_some_and(|&c| is_word_byte(c)) =>
            {
                param(
                    ParamRef::Next,
                    i,
                    i + 2,
                    template,
                    slots,
                    &mut pending_space,
                );
                prev_word = false;
                i += 2;
            }
            b'%' if s.get(i + 1) == Some(&b'(') => {
                match statement[i + 2..].find(")s") {
                    Some(k) if !statement[i + 2..i + 2 + k].contains([')', '\'', ' ']) => {
                        let (a, z) = (i + 2, i + 2 + k);
                        param(
                            ParamRef::Name(a as u32, z as u32),
                            i,
                            z + 2,
                            template,
                            slots,
                            &mut pending_space,
                        );
                        i = z + 2;
                    }
                    _ => {
                        push(template, "%", &mut pending_space);
                        i += 1;
                    }
                }
                prev_word = false;
            }
            b'%' if s.get(i + 1) == Some(&b'%') => {
                // DB-API's escaped percent sign.
                push(template, "%", &mut pending_space);
                prev_word = false;
                i += 2;
            }
            b'$' if !prev_word && s.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let end = digits_end(s, i + 1);
                let pos = statement[i + 1..end].parse().unwrap_or(u32::MAX);
                param(
                    ParamRef::Index(pos),
                    i,
                    end,
                    template,
                    slots,
                    &mut pending_space,
                );
                prev_word = false;
                i = end;
            }
            b':' if starts_named_param(s, i)
                && s.get(i + 1)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_') =>
            {
                let end = word_end(s, i + 1);
                let name = &statement[i + 1..end];
                let r = if name.bytes().all(|c| c.is_ascii_digit()) {
                    ParamRef::Index(name.parse().unwrap_or(u32::MAX))
                } else {
                    ParamRef::Name((i + 1) as u32, end as u32)
                };
                param(r, i, end, template, slots, &mut pending_space);
                prev_word = false;
                i = end;
            }
            b'0'..=b'9' | b'.'
                if !prev_word && (b != b'.' || s.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let end = number_end(s, i);
                if s.get(end).is_some_and(|&c| is_word_byte(c)) {
                    // MySQL identifiers may start with digits: `1st_table`.
                    let end = word_end(s, i);
                    push(template, &statement[i..end], &mut pending_space);
                    prev_word = true;
                    i = end;
                } else {
                    if mode == Mode::All {
                        push(template, "?", &mut pending_space);
                        slots.push(Slot {
                            kind: SlotKind::Number,
                            start: i as u32,
                            end: end as u32,
                        });
                    } else {
                        push(template, &statement[i..end], &mut pending_space);
                    }
                    prev_word = false;
                    i = end;
                }
            }
            _ if is_word_byte(b) => {
                let end = word_end(s, i);
                // Prefixed strings (`N'…'`, `_utf8mb4'…'`, `X'…'`) are one literal.
                let word = &statement[i..end];
                if s.get(end) == Some(&b'\'')
                    && (word.len() == 1 && matches!(b | 0x20, b'n' | b'x' | b'b' | b'e')
                        || word.starts_with('_'))
                {
                    i = string_literal(
                        statement,
                        i,
                        end,
                        mode,
                        template,
                        slots,
                        &mut pending_space,
                    );
                    prev_word = false;
                } else {
                    push(template, word, &mut pending_space);
                    prev_word = true;
                    i = end;
                }
            }
            _ => {
                // Any other character (operators, punctuation, `@`): copied,
                // extending to the next character boundary.
                let mut end = i + 1;
                while end < n && !statement.is_char_boundary(end) {
                    end += 1;
                }
                push(template, &statement[i..end], &mut pending_space);
                prev_word = false;
                i = end;
            }
        }
    }
}

fn param(
    r: ParamRef,
    start: usize,
    end: usize,
    template: &mut String,
    slots: &mut Vec<Slot>,
    pending_space: &mut bool,
) {
    if *pending_space && !template.is_empty() {
        template.push(' ');
    }
    *pending_space = false;
    template.push('?');
    slots.push(Slot {
        kind: SlotKind::Param(r),
        start: start as u32,
        end: end as u32,
    });
}

/// A string literal starting at `start` (a prefix such as `N` included)
/// whose opening quote is at `quote`; returns the index after it.
fn string_literal(
    statement: &str,
    start: usize,
    quote: usize,
    mode: Mode,
    template: &mut String,
    slots: &mut Vec<Slot>,
    pending_space: &mut bool,
) -> usize {
    let s = statement.as_bytes();
    let mut j = quote + 1;
    let mut escaped = false;
    let close = loop {
        match s.get(j) {
            None => break None,
            Some(b'\\') => {
                escaped = true;
                j += 2;
            }
            Some(b'\'') if s.get(j + 1) == Some(&b'\'') => {
                escaped = true;
                j += 2;
            }
            Some(b'\'') => break Some(j),
            Some(_) => j += 1,
        }
    };
    if *pending_space && !template.is_empty() {
        template.push(' ');
    }
    *pending_space = false;
    match close {
        Some(close) if mode == Mode::All => {
            template.push('?');
            slots.push(Slot {
                kind: SlotKind::Str {
                    content: ((quote + 1) as u32, close as u32),
                    escaped,
                },
                start: start as u32,
                end: (close + 1) as u32,
            });
            close + 1
        }
        Some(close) => {
            template.push_str(&statement[start..close + 1]);
            close + 1
        }
        None => {
            // Unterminated: left for the parser to report.
            template.push_str(&statement[start..]);
            s.len()
        }
    }
}

/// End (exclusive) of a quoted identifier opened at `i`, `""` or ``` `` ```
/// doubling the quote.
fn quoted_end(s: &[u8], i: usize, q: u8) -> Option<usize> {
    let mut j = i + 1;
    while j < s.len() {
        if s[j] == q {
            if s.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

fn line_end(s: &[u8], i: usize) -> usize {
    s[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(s.len(), |k| i + k)
}

fn digits_end(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    i
}

fn word_end(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_word_byte(s[i]) {
        i += 1;
    }
    i
}

/// A `:name` placeholder follows an operator, a bracket, a comma or a
/// space; `::` is a cast and `a[1:2]` a slice, not parameters.
fn starts_named_param(s: &[u8], i: usize) -> bool {
    let before = s[..i].iter().rev().find(|b| !b.is_ascii_whitespace());
    let after_space = i == 0 || s[i - 1].is_ascii_whitespace();
    let prev_ok = match before {
        None => true,
        Some(b) => matches!(b, b'(' | b',' | b'=' | b'<' | b'>') || (after_space && *b != b':'),
    };
    prev_ok
        && s.get(i + 1)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// End of a number at `i`: `12`, `1.5`, `.5`, `1e-3`, `0x1F`.
fn number_end(s: &[u8], i: usize) -> usize {
    if s[i] == b'0' && matches!(s.get(i + 1), Some(b'x' | b'X')) {
        let mut j = i + 2;
        while j < s.len() && s[j].is_ascii_hexdigit() {
            j += 1;
        }
        return j;
    }
    let mut j = digits_end(s, i);
    if s.get(j) == Some(&b'.') {
        j = digits_end(s, j + 1);
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if s.get(k).is_some_and(u8::is_ascii_digit) {
            j = digits_end(s, k);
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(sql: &str) -> (String, Vec<String>) {
        let (mut t, mut slots) = (String::new(), Vec::new());
        normalise(sql, Mode::All, &mut t, &mut slots);
        let texts = slots
            .iter()
            .map(|s| match s.kind {
                SlotKind::Param(ParamRef::Next) => "?".to_string(),
                SlotKind::Param(ParamRef::Index(i)) => format!("${i}"),
                SlotKind::Param(ParamRef::Name(..)) => format!(":{}", s.name(sql).unwrap()),
                _ => format!("L{}", s.literal(sql).unwrap()),
            })
            .collect();
        (t, texts)
    }

    #[test]
    fn placeholders_of_every_spelling_become_question_marks() {
        let (t, s) =
            norm("select * from t where a = %s and b = %(name)s and c = $2 and d = :x and e = ?");
        assert_eq!(
            t,
            "select * from t where a = ? and b = ? and c = ? and d = ? and e = ?"
        );
        assert_eq!(s, ["?", ":name", "$2", ":x", "?"]);
    }

    #[test]
    fn literals_are_slots_with_unescaped_text() {
        let (t, s) = norm(
            "SELECT 'it''s', 'a\\'b', 98.00, -5, 1e3, N'x' FROM t1 WHERE c IS NULL AND d = TRUE",
        );
        assert_eq!(
            t,
            "SELECT ?, ?, ?, -?, ?, ? FROM t1 WHERE c IS NULL AND d = TRUE"
        );
        assert_eq!(s, ["Lit's", "La'b", "L98.00", "L5", "L1e3", "Lx"]);
    }

    #[test]
    fn identifiers_comments_and_casts_are_not_slots() {
        let (t, s) = norm(
            "select order0_.id1_0_, \"a'b\", `x?` /* c 'q' ? */ from t -- 'tail' ?\n where x::int = 1 # ?",
        );
        assert_eq!(
            t,
            "select order0_.id1_0_, \"a'b\", `x?` from t where x::int = ?"
        );
        assert_eq!(s, ["L1"]);
    }

    #[test]
    fn whitespace_runs_collapse_so_templates_match() {
        let (a, _) = norm("select *\n\tfrom  t where id = 7");
        let (b, _) = norm("  select * from t where id = ?  ");
        assert_eq!(a, b);
    }

    #[test]
    fn casts_and_slices_are_not_named_parameters() {
        let (t, s) = norm("select a::int, b[1:2], c from t where d = :d and e in (:e1,:e2)");
        assert_eq!(
            t,
            "select a::int, b[?:?], c from t where d = ? and e in (?,?)"
        );
        assert_eq!(s, ["L1", "L2", ":d", ":e1", ":e2"]);
    }

    #[test]
    fn unterminated_string_is_left_for_the_parser() {
        let (t, s) = norm("select 'abc from t");
        assert_eq!(t, "select 'abc from t");
        assert!(s.is_empty());
    }

    #[test]
    fn params_only_keeps_literals() {
        let (mut t, mut slots) = (String::new(), Vec::new());
        normalise(
            "create table t (a varchar(255)) -- ?",
            Mode::ParamsOnly,
            &mut t,
            &mut slots,
        );
        assert_eq!(t, "create table t (a varchar(255))");
        assert!(slots.is_empty());
    }
}
