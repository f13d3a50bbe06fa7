//! The tuple pattern a user asks about: `rel("a", 1, _)`. A tiny parser of
//! its own rather than the rule lexer, because the pattern is one atom of
//! constants and wildcards and its errors must speak of the query, not of a
//! rule file.

use crate::facts::Type;
use crate::lang::program::{Program, RelId, Value};

/// A checked pattern: the relation and, per column, a constant or `None`
/// for `_`.
#[derive(Clone, Debug)]
pub struct Query {
    pub relation: RelId,
    pub args: Vec<Option<Value>>,
}

impl Query {
    pub fn has_wildcards(&self) -> bool {
        self.args.iter().any(Option::is_none)
    }
}

/// A literal as written, before the relation's column types are known.
#[derive(Debug)]
enum Arg {
    Wildcard,
    Text(String),
    Int(i128),
    Float(f64),
}

/// Parses `text` and checks it against the program's relations; the error
/// says what is wrong and where.
pub fn parse(text: &str, program: &Program) -> Result<Query, String> {
    let (name, args) = parse_atom(text)?;
    let relation = program.relation_by_name(&name).ok_or_else(|| {
        format!("query `{text}`: no relation `{name}` in the rules or the base facts")
    })?;
    let rel = program.relation(relation);
    if args.len() != rel.arity() {
        return Err(format!(
            "query `{text}`: `{name}` has {} column{} ({}), the query gives {}",
            rel.arity(),
            if rel.arity() == 1 { "" } else { "s" },
            rel.columns
                .iter()
                .map(|c| format!("{}: {}", c.name, c.ty.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            args.len()
        ));
    }
    let mut values = Vec::with_capacity(args.len());
    for (i, (arg, col)) in args.into_iter().zip(&rel.columns).enumerate() {
        let wrong = |what: &str| {
            format!(
                "query `{text}`: argument {} of `{name}` (column {}) is a {}, given {what}",
                i + 1,
                col.name,
                col.ty.as_str()
            )
        };
        values.push(match (arg, col.ty) {
            (Arg::Wildcard, _) => None,
            (Arg::Text(s), Type::Symbol) => Some(Value::Symbol(s)),
            (Arg::Int(n), Type::Number) => Some(Value::Number(
                i64::try_from(n).map_err(|_| wrong("a number out of range"))?,
            )),
            (Arg::Int(n), Type::Unsigned) => Some(Value::Unsigned(
                u64::try_from(n).map_err(|_| wrong("a number out of range"))?,
            )),
            (Arg::Int(n), Type::Float) => Some(Value::Float(n as f64)),
            (Arg::Float(f), Type::Float) => Some(Value::Float(f)),
            (Arg::Text(s), _) => return Err(wrong(&format!("the text \"{s}\""))),
            (Arg::Int(n), _) => return Err(wrong(&format!("the number {n} (quote it)"))),
            (Arg::Float(f), _) => return Err(wrong(&format!("the float {f}"))),
        });
    }
    Ok(Query {
        relation,
        args: values,
    })
}

fn parse_atom(text: &str) -> Result<(String, Vec<Arg>), String> {
    let err = |pos: usize, what: &str| format!("query `{text}`: at character {}: {what}", pos + 1);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1
        }
    };
    skip_ws(&mut i);
    let start = i;
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
        i += 1;
    }
    if start == i || chars[start].is_ascii_digit() {
        return Err(err(
            start,
            "expected a relation name, as in relation(\"a\", _)",
        ));
    }
    let name: String = chars[start..i].iter().collect();
    skip_ws(&mut i);
    if chars.get(i) != Some(&'(') {
        return Err(err(i, "expected `(` after the relation name"));
    }
    i += 1;
    let mut args = Vec::new();
    skip_ws(&mut i);
    if chars.get(i) == Some(&')') {
        i += 1;
    } else {
        loop {
            skip_ws(&mut i);
            let c = *chars
                .get(i)
                .ok_or_else(|| err(i, "unexpected end, expected an argument"))?;
            if c == '_' {
                args.push(Arg::Wildcard);
                i += 1;
            } else if c == '"' {
                i += 1;
                let mut s = String::new();
                loop {
                    match chars.get(i) {
                        None => return Err(err(i, "unterminated string")),
                        Some('"') => break,
                        Some('\\') => {
                            i += 1;
                            s.push(match chars.get(i) {
                                Some('n') => '\n',
                                Some('t') => '\t',
                                Some('r') => '\r',
                                Some(&c @ ('"' | '\\')) => c,
                                _ => return Err(err(i, "unknown escape in string")),
                            });
                        }
                        Some(&c) => s.push(c),
                    }
                    i += 1;
                }
                i += 1;
                args.push(Arg::Text(s));
            } else if c == '-' || c.is_ascii_digit() {
                let s0 = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '+' | '-'))
                {
                    i += 1;
                }
                let lit: String = chars[s0..i].iter().collect();
                if let Ok(n) = lit.parse::<i128>() {
                    args.push(Arg::Int(n));
                } else if let Ok(f) = lit.parse::<f64>() {
                    args.push(Arg::Float(f));
                } else {
                    return Err(err(s0, &format!("`{lit}` is not a number")));
                }
            } else {
                return Err(err(
                    i,
                    "expected `_`, a \"quoted string\" or a number (symbols must be quoted)",
                ));
            }
            skip_ws(&mut i);
            match chars.get(i) {
                Some(',') => i += 1,
                Some(')') => {
                    i += 1;
                    break;
                }
                _ => return Err(err(i, "expected `,` or `)`")),
            }
        }
    }
    skip_ws(&mut i);
    if chars.get(i) == Some(&'.') {
        i += 1;
        skip_ws(&mut i);
    }
    if i < chars.len() {
        return Err(err(i, "unexpected text after the closing `)`"));
    }
    Ok((name, args))
}
