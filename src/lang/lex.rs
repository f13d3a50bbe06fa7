//! Tokens of the rule language. The lexer never stops at a bad character:
//! it reports it and goes on, so one typo does not hide the next error.

use super::error::{ErrorKind, LangError};
use super::source::{FileId, Loc, SourceMap};

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    /// `.decl`, `.input`, …: a dot directly followed by a directive name.
    Directive(String),
    Str(String),
    /// An integer literal as written (hex or decimal), before its sign.
    Int(u64),
    /// `3u`
    Unsigned(u64),
    Float(f64),
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Colon,
    Semi,
    /// `:-`
    If,
    /// `<:`
    Subtype,
    Bang,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// Text the lexer already reported; the parser stays quiet about the
    /// clause that contains it.
    Error,
    /// `|`, `@`, `$`, `[`, `]`: Soufflé syntax rulecheck does not support,
    /// kept as tokens so the parser can say so where they are used.
    Other(char),
    Eof,
}

impl Tok {
    /// How a token is named in "expected …, found …".
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Directive(s) => format!("`.{s}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Int(_) | Tok::Unsigned(_) | Tok::Float(_) => "a number".into(),
            Tok::Eof => "end of file".into(),
            Tok::Error => "invalid text".into(),
            other => format!("`{}`", other.punct()),
        }
    }

    fn punct(&self) -> String {
        match self {
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBrace => "{".into(),
            Tok::RBrace => "}".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::Colon => ":".into(),
            Tok::Semi => ";".into(),
            Tok::If => ":-".into(),
            Tok::Subtype => "<:".into(),
            Tok::Bang => "!".into(),
            Tok::Eq => "=".into(),
            Tok::Ne => "!=".into(),
            Tok::Lt => "<".into(),
            Tok::Le => "<=".into(),
            Tok::Gt => ">".into(),
            Tok::Ge => ">=".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Star => "*".into(),
            Tok::Slash => "/".into(),
            Tok::Percent => "%".into(),
            Tok::Other(c) => c.to_string(),
            _ => String::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub loc: Loc,
    /// The token is the first on its line: directives end at a line end,
    /// which is where the parser resynchronises after an error in one.
    pub line_start: bool,
}

/// Directive names the lexer recognises after a dot; anything else after a
/// dot is a rule's final dot followed by an identifier.
const DIRECTIVES: &[&str] = &[
    "decl",
    "type",
    "input",
    "output",
    "include",
    "invariant",
    "printsize",
    "pragma",
    "functor",
    "comp",
    "init",
    "plan",
    "override",
    "limitsize",
    "number_type",
    "once",
];

pub fn lex(sources: &SourceMap, file: FileId, errors: &mut Vec<LangError>) -> Vec<Token> {
    let text = sources.file(file).text.clone();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    let loc = |a: usize, b: usize| Loc::new(file, a, b);
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            match text[i + 2..].find("*/") {
                Some(end) => {
                    if text[i..i + 2 + end].contains('\n') {
                        line_start = true;
                    }
                    i += end + 4;
                }
                None => {
                    errors.push(
                        LangError::at(
                            sources,
                            ErrorKind::Syntax,
                            loc(i, i + 2),
                            "unterminated comment",
                            "this `/*` is never closed",
                        )
                        .with_help("close the comment with `*/`"),
                    );
                    i = bytes.len();
                }
            }
            continue;
        }
        if c == b'#' && line_start {
            let end = text[i..].find('\n').map(|n| i + n).unwrap_or(bytes.len());
            errors.push(
                LangError::at(
                    sources,
                    ErrorKind::Unsupported,
                    loc(i, end),
                    "preprocessor lines are not supported",
                    "`#` directive",
                )
                .with_help(
                    "rulecheck does not run the C preprocessor; use `.include \"file.rules\"` \
                     to include a file (each file is included once)",
                ),
            );
            i = end;
            continue;
        }
        let was_line_start = line_start;
        line_start = false;
        let tok = if c.is_ascii_alphabetic() || c == b'_' || c == b'?' {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'?')
            {
                i += 1;
            }
            Tok::Ident(text[start..i].to_string())
        } else if c.is_ascii_digit() {
            match number(&text, &mut i) {
                Ok(t) => t,
                Err(msg) => {
                    errors.push(
                        LangError::at(sources, ErrorKind::Syntax, loc(start, i), msg, "this number")
                            .with_help(
                                "numbers are decimal (`42`, `-1`), hexadecimal (`0x2a`), unsigned (`42u`) or float (`1.5`, `2e3`)",
                            ),
                    );
                    Tok::Error
                }
            }
        } else if c == b'"' {
            match string(&text, &mut i) {
                Ok(s) => Tok::Str(s),
                Err((msg, at, help, closed)) => {
                    errors.push(
                        LangError::at(sources, ErrorKind::Syntax, loc(at.0, at.1), msg, "here")
                            .with_help(help),
                    );
                    // A string with a bad escape still ends where it should.
                    if closed {
                        Tok::Str(String::new())
                    } else {
                        Tok::Error
                    }
                }
            }
        } else if c == b'.' {
            i += 1;
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            if DIRECTIVES.contains(&&text[i..j]) {
                let name = text[i..j].to_string();
                i = j;
                Tok::Directive(name)
            } else {
                Tok::Dot
            }
        } else {
            let next = bytes.get(i + 1).copied();
            let (tok, len) = match (c, next) {
                (b':', Some(b'-')) => (Tok::If, 2),
                (b'<', Some(b':')) => (Tok::Subtype, 2),
                (b'!', Some(b'=')) => (Tok::Ne, 2),
                (b'<', Some(b'=')) => (Tok::Le, 2),
                (b'>', Some(b'=')) => (Tok::Ge, 2),
                (b'(', _) => (Tok::LParen, 1),
                (b')', _) => (Tok::RParen, 1),
                (b'{', _) => (Tok::LBrace, 1),
                (b'}', _) => (Tok::RBrace, 1),
                (b',', _) => (Tok::Comma, 1),
                (b':', _) => (Tok::Colon, 1),
                (b';', _) => (Tok::Semi, 1),
                (b'!', _) => (Tok::Bang, 1),
                (b'=', _) => (Tok::Eq, 1),
                (b'<', _) => (Tok::Lt, 1),
                (b'>', _) => (Tok::Gt, 1),
                (b'+', _) => (Tok::Plus, 1),
                (b'-', _) => (Tok::Minus, 1),
                (b'*', _) => (Tok::Star, 1),
                (b'/', _) => (Tok::Slash, 1),
                (b'%', _) => (Tok::Percent, 1),
                (b'|' | b'@' | b'$' | b'[' | b']' | b'&' | b'^' | b'~', _) => {
                    (Tok::Other(c as char), 1)
                }
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    let len = ch.len_utf8();
                    errors.push(
                        LangError::at(
                            sources,
                            ErrorKind::Syntax,
                            loc(i, i + len),
                            format!("unexpected character `{}`", ch.escape_debug()),
                            "not part of the rule language",
                        )
                        .with_help("outside strings and comments, only ASCII names, numbers and operators are allowed"),
                    );
                    i += len;
                    continue;
                }
            };
            i += len;
            tok
        };
        out.push(Token {
            tok,
            loc: loc(start, i),
            line_start: was_line_start,
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        loc: loc(bytes.len(), bytes.len()),
        line_start: true,
    });
    out
}

/// Decimal, `0x` hex or `0b` binary integers (a `u` suffix makes them
/// unsigned), `1.5` / `2e3` floats.
fn number(text: &str, i: &mut usize) -> Result<Tok, String> {
    let bytes = text.as_bytes();
    let start = *i;
    let ident_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let radix = match bytes.get(start + 1) {
        Some(b'x' | b'X') if bytes[start] == b'0' => 16,
        Some(b'b' | b'B') if bytes[start] == b'0' => 2,
        _ => 10,
    };
    if radix != 10 {
        *i += 2;
        while *i < bytes.len() && ident_char(bytes[*i]) {
            *i += 1;
        }
        let mut digits = &text[start + 2..*i];
        let unsigned = digits.ends_with('u') && digits.len() > 1;
        if unsigned {
            digits = &digits[..digits.len() - 1];
        }
        let what = if radix == 16 { "hexadecimal" } else { "binary" };
        let value = u64::from_str_radix(digits, radix)
            .map_err(|_| format!("`{}` is not a {what} number", &text[start..*i]))?;
        return Ok(if unsigned {
            Tok::Unsigned(value)
        } else {
            Tok::Int(value)
        });
    }
    while *i < bytes.len() && bytes[*i].is_ascii_digit() {
        *i += 1;
    }
    let mut float = false;
    if *i + 1 < bytes.len() && bytes[*i] == b'.' && bytes[*i + 1].is_ascii_digit() {
        float = true;
        *i += 1;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
    }
    if *i < bytes.len() && (bytes[*i] == b'e' || bytes[*i] == b'E') {
        let mut j = *i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            float = true;
            *i = j;
            while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                *i += 1;
            }
        }
    }
    let body = &text[start..*i];
    if float {
        if *i < bytes.len() && ident_char(bytes[*i]) {
            while *i < bytes.len() && ident_char(bytes[*i]) {
                *i += 1;
            }
            return Err(format!("`{}` is not a number", &text[start..*i]));
        }
        return body
            .parse::<f64>()
            .map(Tok::Float)
            .map_err(|_| format!("`{body}` is not a number"));
    }
    let unsigned =
        *i < bytes.len() && bytes[*i] == b'u' && !bytes.get(*i + 1).is_some_and(|&b| ident_char(b));
    if unsigned {
        *i += 1;
    } else if *i < bytes.len() && ident_char(bytes[*i]) {
        while *i < bytes.len() && ident_char(bytes[*i]) {
            *i += 1;
        }
        return Err(format!("`{}` is not a number", &text[start..*i]));
    }
    let value = body
        .parse::<u64>()
        .map_err(|_| format!("`{body}` does not fit in 64 bits"))?;
    Ok(if unsigned {
        Tok::Unsigned(value)
    } else {
        Tok::Int(value)
    })
}

/// Message, byte range, hint, and whether the string was closed.
type StrError = (String, (usize, usize), &'static str, bool);

/// A `"…"` string with `\"`, `\\`, `\n`, `\t`, `\r` escapes, on one line.
fn string(text: &str, i: &mut usize) -> Result<String, StrError> {
    let start = *i;
    *i += 1;
    let mut out = String::new();
    let mut chars = text[*i..].char_indices();
    while let Some((off, ch)) = chars.next() {
        let at = *i + off;
        match ch {
            '"' => {
                *i = at + 1;
                return Ok(out);
            }
            '\n' => {
                *i = at;
                return Err((
                    "unterminated string".into(),
                    (start, at),
                    "strings end on the line they start; close it with `\"`",
                    false,
                ));
            }
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '\'')) => out.push('\''),
                Some((_, 'a')) => out.push('\u{7}'),
                Some((_, 'b')) => out.push('\u{8}'),
                Some((_, 'f')) => out.push('\u{c}'),
                Some((_, 'v')) => out.push('\u{b}'),
                Some((off2, other)) => {
                    // Skip to the closing quote so lexing resumes after it.
                    let bad_end = *i + off2 + other.len_utf8();
                    *i = text[bad_end..]
                        .find(['"', '\n'])
                        .map(|n| bad_end + n + usize::from(text.as_bytes()[bad_end + n] == b'"'))
                        .unwrap_or(text.len());
                    return Err((
                        format!("unknown escape `\\{}`", other.escape_debug()),
                        (at, bad_end),
                        "known escapes: \\\" \\' \\\\ \\n \\t \\r \\a \\b \\f \\v",
                        true,
                    ));
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    *i = text.len();
    Err((
        "unterminated string".into(),
        (start, text.len()),
        "close the string with `\"`",
        false,
    ))
}
