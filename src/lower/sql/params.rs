//! Parameter lists as traces record them → values.
//!
//! SkyWalking's Java agent writes `[v1,v2,…]` with nothing quoted, so a value
//! that holds a comma cannot be told from two values: the pieces are split on
//! `,` (nothing trimmed) and fitted to the statement's placeholders by the
//! caller. OpenTelemetry's Python DB-API instrumentation writes `str()` of
//! the parameters: a Python literal, parsed here properly so that `'a, b'`
//! stays one value.

use std::borrow::Cow;

/// How a value is written back as an SQL literal in the bound statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Single-quoted, `'` doubled.
    Str,
    /// Bare: numbers, and booleans as `1`/`0`.
    Num,
    /// Bare `NULL`.
    Null,
}

/// One bound value: its text as written, unquoted and unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value<'a> {
    pub text: Cow<'a, str>,
    pub kind: Kind,
}

impl<'a> Value<'a> {
    /// A value that carries no type (SkyWalking's pieces, literals of
    /// unknown type): `NULL` is null, what reads as a number is a number.
    pub fn untyped(text: Cow<'a, str>) -> Self {
        let kind = if text == "NULL" {
            Kind::Null
        } else if is_number(&text) {
            Kind::Num
        } else {
            Kind::Str
        };
        Value { text, kind }
    }

    /// Appends the value as an SQL literal.
    pub fn write_sql(&self, out: &mut String) {
        match self.kind {
            Kind::Num | Kind::Null => out.push_str(&self.text),
            Kind::Str => {
                out.push('\'');
                for (k, piece) in self.text.split('\'').enumerate() {
                    if k > 0 {
                        out.push_str("''");
                    }
                    out.push_str(piece);
                }
                out.push('\'');
            }
        }
    }
}

/// `-?digits(.digits)?(e[+-]digits)?`
pub fn is_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// The pieces of a SkyWalking `[v1,v2,…]` list. An empty list `[]` is one
/// empty piece (the agent writes a single empty string the same way).
pub fn skywalking(text: &str) -> Vec<&str> {
    let inner = text.strip_prefix('[').unwrap_or(text);
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    inner.split(',').collect()
}

/// A parsed Python literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Py {
    Scalar(Value<'static>),
    /// Tuple or list.
    Seq(Vec<Py>),
    Dict(Vec<(String, Py)>),
}

impl Py {
    /// The value this literal binds to one placeholder; a nested container
    /// binds as its Python text.
    pub fn to_value(&self) -> Value<'static> {
        match self {
            Py::Scalar(v) => v.clone(),
            _ => {
                let mut text = String::new();
                self.write_text(&mut text);
                Value {
                    text: Cow::Owned(text),
                    kind: Kind::Str,
                }
            }
        }
    }

    fn write_text(&self, out: &mut String) {
        match self {
            Py::Scalar(v) if v.kind == Kind::Str => {
                out.push('\'');
                out.push_str(&v.text);
                out.push('\'');
            }
            Py::Scalar(v) => out.push_str(&v.text),
            Py::Seq(items) => {
                out.push('(');
                for (k, i) in items.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    i.write_text(out);
                }
                out.push(')');
            }
            Py::Dict(items) => {
                out.push('{');
                for (k, (name, i)) in items.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    out.push('\'');
                    out.push_str(name);
                    out.push_str("': ");
                    i.write_text(out);
                }
                out.push('}');
            }
        }
    }
}

/// Maximum nesting of Python containers; deeper input is rejected rather
/// than risking the stack.
const MAX_DEPTH: usize = 32;

/// Parses `str()` of a DB-API parameter object.
pub fn python(text: &str) -> Result<Py, String> {
    let mut p = PyParser {
        s: text,
        i: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != text.len() {
        return Err(format!(
            "unexpected {:?} at offset {} of the Python parameter literal",
            &text[p.i..].chars().next().unwrap_or(' '),
            p.i
        ));
    }
    Ok(v)
}

struct PyParser<'a> {
    s: &'a str,
    i: usize,
    depth: usize,
}

impl PyParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> String {
        format!(
            "{what} at offset {} of the Python parameter literal",
            self.i
        )
    }

    fn value(&mut self) -> Result<Py, String> {
        self.ws();
        match self.peek() {
            None => Err(self.err("missing value")),
            Some(b'(') | Some(b'[') => self.seq(),
            Some(b'{') => self.dict(),
            Some(b'\'') | Some(b'"') => Ok(Py::Scalar(Value {
                text: Cow::Owned(self.string()?),
                kind: Kind::Str,
            })),
            Some(b'b') | Some(b'u') | Some(b'r')
                if matches!(self.s.as_bytes().get(self.i + 1), Some(b'\'' | b'"')) =>
            {
                let raw = self.peek() == Some(b'r');
                self.i += 1;
                let text = if raw {
                    self.raw_string()?
                } else {
                    self.string()?
                };
                Ok(Py::Scalar(Value {
                    text: Cow::Owned(text),
                    kind: Kind::Str,
                }))
            }
            Some(b) if b == b'-' || b == b'+' || b == b'.' || b.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while self.peek().is_some_and(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-')
                }) {
                    self.i += 1;
                }
                let text = self.s[start..self.i].replace('_', "");
                Ok(Py::Scalar(Value {
                    text: Cow::Owned(text),
                    kind: Kind::Num,
                }))
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.name_or_call(),
            Some(_) => self.opaque(),
        }
    }

    fn seq(&mut self) -> Result<Py, String> {
        let close = if self.peek() == Some(b'(') {
            b')'
        } else {
            b']'
        };
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(close) {
                self.i += 1;
                break;
            }
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.err(&format!("expected ',' or '{}'", close as char))),
            }
        }
        self.depth -= 1;
        Ok(Py::Seq(items))
    }

    fn dict(&mut self) -> Result<Py, String> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(b'}') {
                self.i += 1;
                break;
            }
            let key = match self.value()? {
                Py::Scalar(v) => v.text.into_owned(),
                _ => return Err(self.err("a dict key must be a plain value")),
            };
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.i += 1;
            let v = self.value()?;
            items.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
        self.depth -= 1;
        Ok(Py::Dict(items))
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("containers nested too deeply"));
        }
        Ok(())
    }

    /// A quoted Python string at `self.i`, escapes undone.
    fn string(&mut self) -> Result<String, String> {
        let q = self.peek().unwrap_or(b'\'');
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut chars = self.s[self.i..].char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                c if c == q as char => {
                    self.i += k + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        'a' => out.push('\u{7}'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'v' => out.push('\u{b}'),
                        'x' | 'u' | 'U' => {
                            let len = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let mut code = 0u32;
                            for _ in 0..len {
                                let d = chars.next().and_then(|(_, d)| d.to_digit(16));
                                let Some(d) = d else {
                                    return Err(format!(
                                        "bad \\{e} escape in the string at offset {start} of the Python parameter literal"
                                    ));
                                };
                                code = code * 16 + d;
                            }
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        self.i = start;
        Err(self.err("unterminated string"))
    }

    fn raw_string(&mut self) -> Result<String, String> {
        let q = self.peek().unwrap_or(b'\'') as char;
        let rest = &self.s[self.i + 1..];
        match rest.find(q) {
            Some(k) => {
                let text = rest[..k].to_string();
                self.i += 1 + k + 1;
                Ok(text)
            }
            None => Err(self.err("unterminated string")),
        }
    }

    /// `None`, `True`, `False`, or a call such as `Decimal('98.00')`,
    /// `datetime.datetime(2024, 1, 2, 3, 4, 5)`; any other name as text.
    fn name_or_call(&mut self) -> Result<Py, String> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            self.i += 1;
        }
        let name = &self.s[start..self.i];
        let scalar = |text: String, kind| {
            Ok(Py::Scalar(Value {
                text: Cow::Owned(text),
                kind,
            }))
        };
        if self.peek() != Some(b'(') {
            return match name {
                "None" => scalar("NULL".into(), Kind::Null),
                "True" => scalar("1".into(), Kind::Num),
                "False" => scalar("0".into(), Kind::Num),
                _ => scalar(name.to_string(), Kind::Str),
            };
        }
        // A call: parse its arguments as values, keeping the call's text.
        self.enter()?;
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(b')') {
                self.i += 1;
                break;
            }
            // Keyword arguments (`tzinfo=…`) are skipped over by name.
            let save = self.i;
            while self
                .peek()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.i += 1;
            }
            if self.peek() == Some(b'=') {
                self.i += 1;
            } else {
                self.i = save;
            }
            args.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or ')'")),
            }
        }
        self.depth -= 1;
        let text = &self.s[start..self.i];
        let nums: Vec<&str> = args
            .iter()
            .map(|a| match a {
                Py::Scalar(v) => v.text.as_ref(),
                _ => "",
            })
            .collect();
        let int = |k: usize| nums.get(k).and_then(|t| t.parse::<u32>().ok());
        let short = name.rsplit('.').next().unwrap_or(name);
        match short {
            "Decimal" if nums.len() == 1 => scalar(nums[0].to_string(), Kind::Num),
            "datetime" if nums.len() >= 3 => {
                let (y, mo, d) = (int(0), int(1), int(2));
                let (h, mi, s) = (
                    int(3).unwrap_or(0),
                    int(4).unwrap_or(0),
                    int(5).unwrap_or(0),
                );
                match (y, mo, d) {
                    (Some(y), Some(mo), Some(d)) => {
                        let mut t = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
                        if let Some(us) = int(6).filter(|&us| us > 0) {
                            t.push_str(&format!(".{us:06}"));
                        }
                        scalar(t, Kind::Str)
                    }
                    _ => scalar(text.to_string(), Kind::Str),
                }
            }
            "date" if nums.len() == 3 => match (int(0), int(1), int(2)) {
                (Some(y), Some(mo), Some(d)) => scalar(format!("{y:04}-{mo:02}-{d:02}"), Kind::Str),
                _ => scalar(text.to_string(), Kind::Str),
            },
            "time" if !nums.is_empty() => {
                let (h, mi, s) = (
                    int(0).unwrap_or(0),
                    int(1).unwrap_or(0),
                    int(2).unwrap_or(0),
                );
                scalar(format!("{h:02}:{mi:02}:{s:02}"), Kind::Str)
            }
            "UUID" if nums.len() == 1 => scalar(nums[0].to_string(), Kind::Str),
            _ => scalar(text.to_string(), Kind::Str),
        }
    }

    /// A value Python printed in no literal syntax (`<object at 0x…>`):
    /// its text up to the next top-level `,` or closing bracket.
    fn opaque(&mut self) -> Result<Py, String> {
        let start = self.i;
        let b = self.s.as_bytes();
        let mut depth = 0i32;
        while self.i < b.len() {
            match b[self.i] {
                b'(' | b'[' | b'{' | b'<' => depth += 1,
                b')' | b']' | b'}' | b'>' if depth > 0 => depth -= 1,
                b',' | b')' | b']' | b'}' if depth == 0 => break,
                _ => {}
            }
            self.i += 1;
        }
        let text = self.s[start..self.i].trim_end();
        if text.is_empty() {
            return Err(self.err("missing value"));
        }
        Ok(Py::Scalar(Value {
            text: Cow::Owned(text.to_string()),
            kind: Kind::Str,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalars(text: &str) -> Vec<(String, Kind)> {
        match python(text).unwrap() {
            Py::Seq(items) => items
                .into_iter()
                .map(|p| match p {
                    Py::Scalar(v) => (v.text.into_owned(), v.kind),
                    other => panic!("nested {other:?}"),
                })
                .collect(),
            other => panic!("not a sequence: {other:?}"),
        }
    }

    #[test]
    fn python_tuple_keeps_commas_inside_strings() {
        assert_eq!(
            scalars(r#"('a, b', "it's", None, 3, -1.5, True, False, b'x\x41')"#),
            [
                ("a, b".into(), Kind::Str),
                ("it's".into(), Kind::Str),
                ("NULL".into(), Kind::Null),
                ("3".into(), Kind::Num),
                ("-1.5".into(), Kind::Num),
                ("1".into(), Kind::Num),
                ("0".into(), Kind::Num),
                ("xA".into(), Kind::Str),
            ]
        );
    }

    #[test]
    fn python_calls_become_their_sql_text() {
        assert_eq!(
            scalars("(Decimal('98.00'), datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5, 120, tzinfo=datetime.timezone.utc), Foo(1))"),
            [
                ("98.00".into(), Kind::Num),
                ("2024-01-02 03:04:05".into(), Kind::Str),
                ("2024-01-02".into(), Kind::Str),
                ("2024-01-02 03:04:05.000120".into(), Kind::Str),
                ("Foo(1)".into(), Kind::Str),
            ]
        );
    }

    #[test]
    fn python_single_element_tuple_and_escapes() {
        assert_eq!(scalars("(1,)"), [("1".into(), Kind::Num)]);
        assert_eq!(scalars(r"['a\'b\\c\n']"), [("a'b\\c\n".into(), Kind::Str)]);
        assert_eq!(scalars("(<object at 0x7f>, 2)")[0].0, "<object at 0x7f>");
    }

    #[test]
    fn python_dict_and_nested() {
        let v = python("{'name': 'x', 'n': 2}").unwrap();
        assert!(matches!(v, Py::Dict(ref d) if d.len() == 2 && d[0].0 == "name"));
        let v = python("[(1, 'a'), (2, 'b')]").unwrap();
        assert!(matches!(v, Py::Seq(ref s) if s.len() == 2 && matches!(s[0], Py::Seq(_))));
        let Py::Seq(s) = v else { unreachable!() };
        assert_eq!(s[0].to_value().text, "(1, 'a')");
    }

    #[test]
    fn malformed_python_literal_is_an_error_not_a_panic() {
        for bad in [
            "('a",
            "(1, 2",
            "(1 2)",
            "{'a' 1}",
            "",
            "((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))",
        ] {
            assert!(python(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn skywalking_pieces_are_not_trimmed() {
        assert_eq!(skywalking("[a, b,c]"), ["a", " b", "c"]);
        assert_eq!(skywalking("[]"), [""]);
    }

    #[test]
    fn sql_literal_doubles_quotes() {
        let mut out = String::new();
        Value::untyped("it's".into()).write_sql(&mut out);
        Value::untyped("98.00".into()).write_sql(&mut out);
        Value::untyped("NULL".into()).write_sql(&mut out);
        assert_eq!(out, "'it''s'98.00NULL");
    }
}
