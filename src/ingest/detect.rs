//! Format detection by content, in the same pass that reads the document.
//!
//! The top-level object's keys decide the format as they are met (`data`
//! holding `trace.spans` or an array of traces, `trace`, `spans`,
//! `resourceSpans`; a top-level array is Zipkin), and the array under the
//! deciding key is read one element at a time into that reader's borrowed
//! structs and converted at once: one parse per document, no
//! `serde_json::Value`, no array of raw spans held. Only when a document
//! fails is it read again, slowly, to say where and why.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::json::Str;
use super::scan::Scan;
use super::sink::Sink;
use super::source;
use super::{jaeger, otlp, skywalking, zipkin, FileSpans, Format};
use crate::diag::Problem;
use crate::model::Span;

/// What a document turned out to be.
enum Found {
    Trace(Format),
    /// Not a trace: what was found instead, for the message.
    Unknown(String),
}

/// Above this size a failing document is not parsed into a `Value` to
/// explain the failure.
const VALUE_LIMIT: usize = 64 << 20;

const UNKNOWN: &str = "not a SkyWalking, Jaeger, Zipkin or OTLP trace";

pub fn parse<'a>(path: &Path, text: &'a str) -> Result<FileSpans<'a>, Problem> {
    let mut spans = Vec::new();
    let (format, problems) = parse_each(path, text, None, |read| spans.append(read))?;
    Ok(FileSpans {
        path: path.to_path_buf(),
        format,
        spans,
        problems,
    })
}

/// [`parse`] handing the spans to `each` a document at a time (a line of
/// JSON lines, or the whole file), in file order; `each` reads them or
/// takes them out of the vector, which is then reused, as are the vectors
/// of the spans left in it. Lowering spans while their text and
/// structs are still in cache, and reusing one vector, instead of holding
/// a file's spans and freeing them at the end, was a sixth of lowering's
/// time. Ids the readers compose are kept in `arena` where one is given.
/// Returns the format and the reader's warnings; on an error, the spans
/// handed out so far are to be dropped with the file.
pub fn parse_each<'a>(
    path: &Path,
    text: &'a str,
    arena: Option<&'a bumpalo::Bump>,
    mut each: impl FnMut(&mut Vec<Span<'a>>),
) -> Result<(Format, Vec<Problem>), Problem> {
    // Editors on Windows start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Problem::error(path, None, "empty file: not a trace"));
    }
    if let Some(lines) = json_lines(text) {
        return parse_lines(path, lines.map(Ok), arena, each);
    }
    let mut sink = sink(path, arena);
    // Spans take a few hundred bytes of JSON or more: room for them all,
    // instead of copying them as the vector grows.
    sink.spans.reserve(text.len() / 256);
    let format = parse_doc(text, &mut sink).map_err(|e| e.into_problem(path, None))?;
    each(&mut sink.spans);
    Ok((format, sink.problems))
}

fn sink<'p, 'a>(path: &'p Path, arena: Option<&'a bumpalo::Bump>) -> Sink<'p, 'a> {
    match arena {
        Some(arena) => Sink::with_arena(path, arena),
        None => Sink::new(path),
    }
}

/// A line of JSON lines and its number, or the error met reaching it.
type Line<'a> = Result<(usize, &'a str), Problem>;

/// [`parse_each`] of JSON lines.
fn parse_lines<'a>(
    path: &Path,
    lines: impl Iterator<Item = Line<'a>>,
    arena: Option<&'a bumpalo::Bump>,
    mut each: impl FnMut(&mut Vec<Span<'a>>),
) -> Result<(Format, Vec<Problem>), Problem> {
    let mut sink = sink(path, arena);
    let mut first = None;
    for line in lines {
        let (line_no, line) = line?;
        let format = parse_doc(line, &mut sink).map_err(|e| e.into_problem(path, Some(line_no)))?;
        first.get_or_insert(format);
        each(&mut sink.spans);
        sink.recycle();
    }
    Ok((first.unwrap_or(Format::Otlp), sink.problems))
}

/// [`parse_each`] over bytes not yet checked to be UTF-8 (what
/// [`source::read_bytes`] gives). JSON lines are checked a line at a time
/// just before the line is parsed, which then finds it in cache: checking
/// a file whole first fetched it from memory once more. Anything else is
/// checked whole and read as text. The outcome is `parse_each`'s of the
/// text, and bytes that are not UTF-8 are the error `read_text` gives for
/// them (the spans handed out before it are dropped with the file, as for
/// any error), except that of two errors in a file the first in file
/// order is the one reported.
pub fn parse_each_bytes<'a>(
    path: &Path,
    bytes: &'a [u8],
    arena: Option<&'a bumpalo::Bump>,
    each: impl FnMut(&mut Vec<Span<'a>>),
) -> Result<(Format, Vec<Problem>), Problem> {
    match byte_lines(path, bytes)? {
        Some(lines) => parse_lines(path, lines, arena, each),
        None => parse_each(path, source::utf8(path, bytes, 0)?, arena, each),
    }
}

/// [`json_lines`] of bytes, each line checked to be UTF-8 as it is reached
/// (an `Err` item names the first byte that is not). `None` unless the
/// answer is plainly the one `json_lines` gives for the text: the bytes
/// open with `{` (no BOM, no leading space), and the rest after the first
/// line ends in an ASCII character that is not white space (so it is not
/// blank). The caller then checks the text whole and reads it as text.
fn byte_lines<'a, 'p>(
    path: &'p Path,
    bytes: &'a [u8],
) -> Result<Option<impl Iterator<Item = Line<'a>> + use<'a, 'p>>, Problem> {
    if bytes.first() != Some(&b'{') {
        return Ok(None);
    }
    let Some(end) = memchr::memchr(b'\n', bytes) else {
        return Ok(None);
    };
    match bytes[end..]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
    {
        Some(b) if b.is_ascii() => {}
        _ => return Ok(None),
    }
    let first = source::utf8(path, &bytes[..end], 0)?;
    if serde_json::from_str::<IgnoredAny>(first).is_err() {
        return Ok(None);
    }
    Ok(Some(line_ranges(bytes).filter_map(move |(no, range)| {
        let at = range.start;
        match source::utf8(path, &bytes[range], at) {
            Ok(line) => (!line.trim().is_empty()).then_some(Ok((no, line))),
            Err(problem) => Some(Err(problem)),
        }
    })))
}

/// Every line of `bytes` as `str::lines` splits them (a `\r` before a
/// `\n` dropped), numbered from 1, with a vectorised newline search (the
/// std one looks at a word at a time).
fn line_ranges(bytes: &[u8]) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]);
    ends.enumerate().map(move |(i, end)| {
        let at = start;
        start = end + 1;
        let cr = end < bytes.len() && end > at && bytes[end - 1] == b'\r';
        (i + 1, at..end - cr as usize)
    })
}

/// The non-blank lines (numbered from 1) when the text is JSON lines: its
/// first non-blank line is a whole JSON value and more text follows. A
/// pretty-printed document fails the first test at once (`{` alone), a
/// one-line document the second, so neither is parsed twice. The lines are
/// found as they are read: a file's lines found all at once were fetched
/// from memory twice (a file is larger than the caches), once to find
/// them and once to parse them.
fn json_lines(text: &str) -> Option<impl Iterator<Item = (usize, &str)>> {
    let start = text.len() - text.trim_start().len();
    let end = start + text[start..].find('\n')?;
    if text[end..].trim().is_empty() {
        return None;
    }
    serde_json::from_str::<IgnoredAny>(&text[start..end]).ok()?;
    Some(line_ranges(text.as_bytes()).filter_map(|(no, range)| {
        let line = &text[range];
        (!line.trim().is_empty()).then_some((no, line))
    }))
}

fn parse_doc<'a>(text: &'a str, sink: &mut Sink<'_, 'a>) -> Result<Format, DocError> {
    let mark = sink.mark();
    if let Some(format) = scan_doc(text, sink) {
        return Ok(format);
    }
    sink.truncate(mark);
    serde_doc(text, sink)
}

/// [`parse_doc`] without the fast path.
fn serde_doc<'a>(text: &'a str, sink: &mut Sink<'_, 'a>) -> Result<Format, DocError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let found = DocSeed { sink }
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|()| found));
    match found {
        Ok(Found::Trace(format)) => Ok(format),
        Ok(Found::Unknown(found)) => Err(DocError {
            pos: None,
            span: None,
            message: format!("{UNKNOWN} ({found})"),
        }),
        Err(e) => Err(diagnose(text, e)),
    }
}

/// The fast path for SkyWalking's GraphQL result, `{"data": {"trace":
/// {"spans": [...]}}}`, read with [`Scan`] exactly as [`DocSeed`] would
/// read it: `None` (with spans possibly half pushed) for any other shape,
/// any error or anything the scanner does not handle; `parse_doc` then
/// takes the slow path.
fn scan_doc<'a>(text: &'a str, sink: &mut Sink<'_, 'a>) -> Option<Format> {
    let mut s = Scan::new(text);
    let mut found = false;
    s.object(|s, key| {
        if found {
            return s.skip();
        }
        match key.as_ref() {
            "data" => {
                // `Field` semantics: the first `trace`, then its first `spans`.
                let mut trace_seen = false;
                s.object(|s, key| {
                    if trace_seen || key != "trace" {
                        return s.skip();
                    }
                    trace_seen = true;
                    s.object(|s, key| {
                        if found || key != "spans" {
                            return s.skip();
                        }
                        found = true;
                        s.array(|s| {
                            skywalking::convert_one(
                                skywalking::scan_span(s, &mut sink.pool)?,
                                sink,
                            );
                            Some(())
                        })
                    })
                })?;
                // `data` without `trace.spans` leaves the format undecided.
                found.then_some(())
            }
            "trace" | "spans" | "resourceSpans" | "errors" => None,
            _ => s.skip(),
        }
    })?;
    (found && s.at_end()).then_some(Format::SkyWalking)
}

/// Reads a whole document, deciding its format from its first deciding key
/// and converting spans as they are read: no array of raw spans is held.
struct DocSeed<'s, 'p, 'a> {
    sink: &'s mut Sink<'p, 'a>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_, 'de> {
    type Value = Found;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_, 'de> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a trace document (an object or an array)")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Found, S::Error> {
        let mut parts = Vec::new();
        let each = |raw: zipkin::RawSpan<'de>, sink: &mut Sink<'_, 'de>| {
            parts.push(zipkin::part(raw, sink))
        };
        Each::new(&mut *self.sink, each).visit_seq(seq)?;
        zipkin::finish(parts, self.sink);
        Ok(Found::Trace(Format::Zipkin))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Found, M::Error> {
        let sink = self.sink;
        let mut found = None;
        let mut keys: Vec<String> = Vec::new();
        let mut errors = None;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            if found.is_some() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            match key.as_str() {
                "data" => found = map.next_value_seed(DataSeed { sink: &mut *sink })?,
                "trace" => {
                    let spans = Field::new("spans", Each::new(&mut *sink, skywalking::convert_one));
                    map.next_value_seed(spans)?
                        .ok_or_else(|| de::Error::missing_field("spans"))?;
                    found = Some(Format::SkyWalking);
                }
                "spans" => {
                    map.next_value_seed(Each::new(&mut *sink, skywalking::convert_one))?;
                    found = Some(Format::SkyWalking);
                }
                "resourceSpans" => {
                    map.next_value_seed(Each::new(&mut *sink, otlp::convert_one))?;
                    found = Some(Format::Otlp);
                }
                // A failed GraphQL query (SkyWalking) says why in `errors`.
                "errors" => errors = Some(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if found.is_none() {
                keys.push(key.into_string());
            }
        }
        Ok(match found {
            Some(format) => Found::Trace(format),
            None => Found::Unknown(format!(
                "{}{}",
                describe_keys(keys.iter().map(String::as_str)),
                graphql_errors(errors.as_ref())
            )),
        })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found, E> {
        Ok(Found::Unknown("a boolean".into()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Found, E> {
        Ok(Found::Unknown("a number".into()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Found, E> {
        Ok(Found::Unknown("a number".into()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Found, E> {
        Ok(Found::Unknown("a number".into()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Found, E> {
        Ok(Found::Unknown("a string".into()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::Unknown("null".into()))
    }
}

/// Reads an array element by element, handing each to `each` as soon as it
/// is read.
struct Each<'s, 'p, 'a, T, F> {
    sink: &'s mut Sink<'p, 'a>,
    each: F,
    item: PhantomData<fn() -> T>,
}

impl<'s, 'p, 'a, T, F> Each<'s, 'p, 'a, T, F> {
    fn new(sink: &'s mut Sink<'p, 'a>, each: F) -> Self {
        Each {
            sink,
            each,
            item: PhantomData,
        }
    }
}

impl<'de, T, F> DeserializeSeed<'de> for Each<'_, '_, 'de, T, F>
where
    T: Deserialize<'de>,
    F: for<'s, 'p> FnMut(T, &'s mut Sink<'p, 'de>),
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T, F> Visitor<'de> for Each<'_, '_, 'de, T, F>
where
    T: Deserialize<'de>,
    F: for<'s, 'p> FnMut(T, &'s mut Sink<'p, 'de>),
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.each)(item, self.sink);
        }
        Ok(())
    }
}

/// The value under one key of an object, read by `inner`; the other keys
/// are skipped. `None` when the key is absent.
struct Field<S> {
    key: &'static str,
    inner: S,
}

impl<S> Field<S> {
    fn new(key: &'static str, inner: S) -> Self {
        Field { key, inner }
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Field<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Field<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut inner = Some(self.inner);
        let mut value = None;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match inner.take() {
                Some(seed) if key.as_str() == self.key => value = Some(map.next_value_seed(seed)?),
                other => {
                    inner = other;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(value)
    }
}

fn describe_keys<'k>(keys: impl Iterator<Item = &'k str>) -> String {
    let keys: Vec<&str> = keys.collect();
    if keys.is_empty() {
        "top-level keys: none".into()
    } else {
        format!("top-level keys: {}", keys.join(", "))
    }
}

/// The top-level keys in file order (a `Value` sorts them).
fn top_keys(text: &str) -> Vec<String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Vec<String>, M::Error> {
            let mut keys = Vec::new();
            while let Some(key) = map.next_key::<Str<'de>>()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(key.into_string());
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Keys).unwrap_or_default()
}

/// `; GraphQL errors: …` with the messages of a GraphQL `errors` array,
/// empty when there are none.
fn graphql_errors(errors: Option<&Value>) -> String {
    let messages: Vec<&str> = errors
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .collect();
    if messages.is_empty() {
        String::new()
    } else {
        format!("; GraphQL errors: {}", messages.join("; "))
    }
}

/// `data`: SkyWalking's GraphQL result `{trace: {spans}}` or Jaeger's array
/// of traces; anything else leaves the format undecided.
struct DataSeed<'s, 'p, 'a> {
    sink: &'s mut Sink<'p, 'a>,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, '_, 'de> {
    type Value = Option<Format>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_, '_, 'de> {
    type Value = Option<Format>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("SkyWalking's data.trace or Jaeger's data[]")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
        Each::new(self.sink, jaeger::convert_one).visit_seq(seq)?;
        Ok(Some(Format::Jaeger))
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
        let spans = Field::new("spans", Each::new(self.sink, skywalking::convert_one));
        let found = Field::new("trace", spans).visit_map(map)?;
        Ok(matches!(found, Some(Some(()))).then_some(Format::SkyWalking))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Why a document did not read, with its position inside the document.
struct DocError {
    /// 1-based line and column within the document.
    pos: Option<(usize, usize)>,
    /// The span the error is in: `span #3 (id …)`.
    span: Option<String>,
    message: String,
}

impl DocError {
    /// `line`: the file line of a JSON-lines document (`None`: the whole file).
    fn into_problem(self, path: &Path, line: Option<usize>) -> Problem {
        let mut at: Vec<String> = Vec::new();
        if let Some(span) = self.span {
            at.push(span);
        }
        match (self.pos, line) {
            (Some((l, col)), first) => {
                at.push(format!("line {}, column {col}", first.unwrap_or(1) + l - 1))
            }
            (None, Some(l)) => at.push(format!("line {l}")),
            (None, None) => {}
        }
        let at = (!at.is_empty()).then(|| at.join(" at "));
        Problem::error(path, at, self.message)
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn bare_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) if e.line() > 0 => s[..i].to_string(),
        _ => s,
    }
}

/// "invalid type: string \"abc\", expected i64" → "expected an integer,
/// found string \"abc\"", with Rust type names in the user's words.
fn rephrase(msg: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = msg
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            let expected = match expected {
                "i64" | "u64" | "i32" | "u32" => "an integer",
                "a sequence" => "an array",
                "map" | "a map" => "an object",
                e if e.starts_with("struct ") => "an object",
                e => e,
            };
            let found = match found {
                "map" => "an object",
                "sequence" => "an array",
                f => f,
            };
            return format!("expected {expected}, found {found}");
        }
    }
    msg.to_string()
}

/// The slow path: says whether the document is a trace at all, and if so
/// which span and field failed, reading it again with the path tracked.
fn diagnose(text: &str, error: serde_json::Error) -> DocError {
    let pos = (error.line() > 0).then(|| (error.line(), error.column()));
    if error.is_syntax() || error.is_eof() {
        return DocError {
            pos,
            span: None,
            message: format!("invalid JSON: {}", bare_message(&error)),
        };
    }
    // The document as a `Value`, to tell "not a trace" from "a bad field"
    // and to name the failing span's id. A `Value` costs several times the
    // text, so a very large document goes without (its span keeps only its
    // index, its format is read off the error's path).
    let value = if text.len() <= VALUE_LIMIT {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => Some(value),
            // Too deeply nested for a `Value`: not one we can read either.
            Err(e) => {
                return DocError {
                    pos: (e.line() > 0).then(|| (e.line(), e.column())),
                    span: None,
                    message: format!("invalid JSON: {}", bare_message(&e)),
                }
            }
        }
    } else {
        None
    };
    let detected = value.as_ref().map(detect_value);
    if let (Some(value), Some(None)) = (&value, detected) {
        let found = match value {
            Value::Object(map) => format!(
                "{}{}",
                describe_keys(top_keys(text).iter().map(String::as_str)),
                graphql_errors(map.get("errors"))
            ),
            Value::Array(_) => "an array whose items are not Zipkin spans".into(),
            _ => "not an object".into(),
        };
        return DocError {
            pos: None,
            span: None,
            message: format!("{UNKNOWN} ({found})"),
        };
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let mut scratch = Sink::discarding(Path::new(""));
    let seed = DocSeed { sink: &mut scratch };
    let (segments, inner) =
        match seed.deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track)) {
            Err(e) => {
                let segments: Vec<Seg> = track.path().iter().map(Seg::from).collect();
                (segments, e)
            }
            Ok(_) => (Vec::new(), error),
        };
    let pos = (inner.line() > 0)
        .then(|| (inner.line(), inner.column()))
        .or(pos);
    let message = rephrase(&bare_message(&inner));
    let format = detected
        .flatten()
        .unwrap_or_else(|| format_from_path(&segments));
    match span_position(&segments, format) {
        Some((p, index)) => {
            let span = value
                .as_ref()
                .and_then(|v| walk(v, &segments[..=p]))
                .and_then(|v| span_id(v, format));
            let span = match span {
                Some(id) => format!("span #{index} (id {id})"),
                None => format!("span #{index}"),
            };
            let field = render(&segments[p + 1..]);
            DocError {
                pos,
                span: Some(span),
                message: if field.is_empty() {
                    message
                } else {
                    format!("field `{field}`: {message}")
                },
            }
        }
        None if segments.is_empty() => DocError {
            pos,
            span: None,
            message,
        },
        None => DocError {
            pos,
            span: None,
            message: format!("`{}`: {message}", render(&segments)),
        },
    }
}

enum Seg {
    Key(String),
    Index(usize),
    Other,
}

impl From<&serde_path_to_error::Segment> for Seg {
    fn from(s: &serde_path_to_error::Segment) -> Self {
        match s {
            serde_path_to_error::Segment::Seq { index } => Seg::Index(*index),
            serde_path_to_error::Segment::Map { key } => Seg::Key(key.clone()),
            _ => Seg::Other,
        }
    }
}

fn render(segments: &[Seg]) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Other => out.push_str(".?"),
        }
    }
    out
}

/// Where in the path the span is, and its index: the last index into a
/// `spans` array (into the top-level array for Zipkin).
fn span_position(segments: &[Seg], format: Format) -> Option<(usize, usize)> {
    (0..segments.len()).rev().find_map(|p| {
        let Seg::Index(index) = segments[p] else {
            return None;
        };
        let in_spans = match p.checked_sub(1).map(|q| &segments[q]) {
            Some(Seg::Key(k)) => k == "spans",
            None => format == Format::Zipkin,
            _ => false,
        };
        in_spans.then_some((p, index))
    })
}

fn walk<'v>(mut value: &'v Value, segments: &[Seg]) -> Option<&'v Value> {
    for s in segments {
        value = match s {
            Seg::Key(k) => value.get(k.as_str())?,
            Seg::Index(i) => value.get(*i)?,
            Seg::Other => return None,
        };
    }
    Some(value)
}

fn span_id(span: &Value, format: Format) -> Option<String> {
    let field = |k: &str| -> Option<String> {
        match span.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    match format {
        Format::SkyWalking => Some(format!("{}-{}", field("segmentId")?, field("spanId")?)),
        Format::Jaeger => field("spanID"),
        Format::Zipkin => field("id"),
        Format::Otlp => field("spanId"),
    }
}

/// The format a failing document was being read as, from the error's path
/// (for documents too large to look at as a `Value`).
fn format_from_path(segments: &[Seg]) -> Format {
    match segments {
        [Seg::Key(k), Seg::Index(_), ..] if k == "data" => Format::Jaeger,
        [Seg::Key(k), ..] if k == "resourceSpans" => Format::Otlp,
        [Seg::Index(_), ..] => Format::Zipkin,
        _ => Format::SkyWalking,
    }
}

/// The same decision as [`DocSeed`], on a parsed value: used only to
/// tell "not a trace" from "a trace with a bad field".
fn detect_value(value: &Value) -> Option<Format> {
    let has = |v: &Value, k: &str| v.get(k).is_some();
    match value {
        Value::Array(items) => (items.is_empty()
            || items.iter().any(|i| has(i, "traceId") && has(i, "id")))
        .then_some(Format::Zipkin),
        Value::Object(map) => {
            for (key, v) in map {
                let format = match key.as_str() {
                    "data" => match v {
                        Value::Object(_) => v
                            .get("trace")
                            .filter(|t| has(t, "spans"))
                            .map(|_| Format::SkyWalking),
                        Value::Array(traces) => (traces.is_empty()
                            || traces.iter().any(|t| has(t, "spans")))
                        .then_some(Format::Jaeger),
                        _ => None,
                    },
                    "trace" => has(v, "spans").then_some(Format::SkyWalking),
                    "spans" => match v {
                        Value::Array(spans) => (spans.is_empty()
                            || spans.iter().any(|s| has(s, "segmentId")))
                        .then_some(Format::SkyWalking),
                        _ => None,
                    },
                    "resourceSpans" => Some(Format::Otlp),
                    _ => None,
                };
                if format.is_some() {
                    return format;
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_numbered_as_str_lines_numbers_them() {
        for text in [
            "{}\n{}",
            "{}\r\n\n  \n{\"a\":1}\n",
            "{}\n\r\n{}\r\n\r\n",
            "\n\n{}\n\t\n{}\n\n",
            "{}\n{}\r",
        ] {
            let expected: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (i + 1, l))
                .collect();
            assert_eq!(
                json_lines(text).map(Iterator::collect::<Vec<_>>),
                Some(expected),
                "{text:?}"
            );
        }
    }

    /// What `parse_each` made of a file given as bytes, read as
    /// `read_text` then `parse_each` read it, or with `parse_each_bytes`:
    /// format, spans and warnings, or the error.
    fn read_file_as(bytes: &[u8], lazily: bool) -> Result<(Format, String, Vec<String>), String> {
        let path = Path::new("t.jsonl");
        let mut spans = String::new();
        let each = |read: &mut Vec<Span<'_>>| spans.push_str(&format!("{read:?};"));
        let read = match lazily {
            true => parse_each_bytes(path, bytes, None, each),
            false => {
                source::utf8(path, bytes, 0).and_then(|text| parse_each(path, text, None, each))
            }
        };
        let (format, problems) = read.map_err(|p| p.to_string())?;
        Ok((
            format,
            spans,
            problems.iter().map(|p| p.to_string()).collect(),
        ))
    }

    #[test]
    fn bytes_checked_line_by_line_read_as_text_checked_whole() {
        let line = doc(SPAN);
        let other = doc(&SPAN.replace("\"spanId\":1", "\"spanId\":5"));
        let lines = [
            format!("{line}\n{other}\n"),
            format!("{line}\r\n\r\n{other}"),
            format!("{line}\n  \n{other}\n\n"),
            format!("\u{feff}{line}\n{other}"),
            format!(" {line}\n{other}"),
            format!("{line}\n\u{a0}"),
            format!("{line}\n{other}\u{a0}"),
            format!("{line}\n{{\"not\": \"a trace\"}}"),
            format!("{line}\n{{"),
            line.clone(),
            format!("[1]\n{line}"),
            format!("{{\"a\"\n{line}"),
            "{}\n{}".to_string(),
            " \n ".to_string(),
        ];
        for text in &lines {
            let bytes = text.as_bytes();
            let whole = read_file_as(bytes, false);
            assert_eq!(read_file_as(bytes, true), whole, "{text:?}");
            // Not UTF-8 in the first line, a later one, or the last: the
            // same error, unless the text has an error of its own first.
            for at in [1, line.len() + 3, bytes.len().saturating_sub(2)] {
                if at >= bytes.len() || !text.is_char_boundary(at) {
                    continue;
                }
                let mut bad = bytes.to_vec();
                bad.insert(at, 0xff);
                let lazily = read_file_as(&bad, true);
                assert!(lazily.is_err(), "{text:?} at {at}");
                if whole.is_ok() {
                    assert_eq!(lazily, read_file_as(&bad, false), "{text:?} at {at}");
                }
            }
        }
    }

    /// What a reader made of a document: format (or error), spans, warnings.
    fn read(text: &str, fast: bool) -> Option<(Result<Format, String>, String, Vec<String>)> {
        let path = Path::new("t.json");
        let mut sink = Sink::new(path);
        let result = if fast {
            scan_doc(text, &mut sink).map(Ok)?
        } else {
            serde_doc(text, &mut sink).map_err(|e| e.message)
        };
        let problems = sink.problems.iter().map(|p| p.to_string()).collect();
        Some((result, format!("{:?}", sink.spans), problems))
    }

    /// The fast path reads a document only when serde_json reads it, and
    /// then reads the same spans and warnings.
    fn agrees(text: &str) {
        if let Some(fast) = read(text, true) {
            let slow = read(text, false).expect("the slow path always answers");
            assert_eq!(fast, slow, "{text}");
        }
    }

    const SPAN: &str = r#"{"traceId":"t.1","segmentId":"s.1","spanId":1,"parentSpanId":0,"refs":[{"traceId":"t.1","parentSegmentId":"s.0","parentSpanId":2,"type":"CROSS_PROCESS"}],"serviceCode":"svc","serviceInstanceName":"i@h","startTime":1716946829770,"endTime":1716946829771,"endpointName":"GET:/a/{id}","type":"Exit","peer":"db:3306","component":"mysql","isError":false,"layer":"Database","tags":[{"key":"db.statement","value":"select * from t where id=?"},{"key":"db.sql.parameters","value":"[7]"},{"key":"x","value":null}],"logs":[{"time":1716946829770,"data":[{"key":"event","value":"error"}]}]}"#;

    fn doc(span: &str) -> String {
        format!(r#"{{"data":{{"trace":{{"spans":[{span},{SPAN}]}}}}}}"#)
    }

    #[test]
    fn the_fast_path_reads_what_it_reads_as_serde_json_does() {
        let whole = doc(SPAN);
        assert!(
            read(&whole, true).is_some(),
            "the usual shape takes the fast path"
        );
        agrees(&whole);
        // Every truncation, and every single-byte change to a few characters
        // that matter to JSON.
        for i in 0..whole.len() {
            agrees(&whole[..i]);
            for c in [
                "", " ", "\"", "\\", ",", ":", "{", "}", "[", "]", "0", "-", "n", "\u{1}",
            ] {
                let mut t = whole.clone();
                if t.is_char_boundary(i) && t.is_char_boundary(i + 1) {
                    t.replace_range(i..i + 1, c);
                    agrees(&t);
                }
            }
        }
        // Fields missing, repeated, null, mistyped, escaped; other shapes.
        let variants = [
            SPAN.replace(r#""spanId":1,"#, ""),
            SPAN.replace(r#""spanId":1,"#, r#""spanId":1,"spanId":2,"#),
            SPAN.replace(r#""peer":"db:3306","#, r#""peer":null,"#),
            SPAN.replace(
                r#""tags":["#,
                r#""tags":null,"ignored":[{"deep":[[1,2.5e-3,true,null]]}],"x":["#,
            ),
            SPAN.replace(r#""spanId":1"#, r#""spanId":-0"#),
            SPAN.replace(r#""spanId":1"#, r#""spanId":1.0"#),
            SPAN.replace(r#""spanId":1"#, r#""spanId":"1""#),
            SPAN.replace(r#""spanId":1"#, r#""spanId":9223372036854775808"#),
            SPAN.replace(r#""isError":false"#, r#""isError":0"#),
            SPAN.replace("GET:/a/{id}", r"GET:\/a\u00e9\n\ud83d\ude00"),
            SPAN.replace("GET:/a/{id}", r"\ud83d"),
            SPAN.replace(r#""endpointName""#, r#""endpoint\u004eame""#),
            SPAN.replace(r#""type":"Exit""#, r#""type":"Other""#),
        ];
        for v in &variants {
            agrees(&doc(v));
        }
        for other in [
            format!(r#"{{"x":1,"data":{{"trace":{{"spans":[{SPAN}]}}}},"data":2}}"#),
            format!(r#"{{"data":{{"trace":{{"x":[],"spans":[{SPAN}],"spans":3}},"trace":1}}}}"#),
            format!(r#"{{"data":{{"trace":{{"x":[]}}}},"spans":[{SPAN}]}}"#),
            format!(r#"{{"errors":[],"data":{{"trace":{{"spans":[{SPAN}]}}}}}}"#),
            format!(r#" {{ "data" : {{ "trace" : {{ "spans" : [ {SPAN} ] }} }} }} "#),
            format!("{{\"data\":{{\"trace\":{{\"spans\":[{SPAN}]}}}}}}\n\t"),
            format!(r#"{{"data":{{"trace":{{"spans":[{SPAN}]}}}}}} x"#),
        ] {
            agrees(&other);
        }
    }
}
