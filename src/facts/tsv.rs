//! Soufflé-style `.facts` files: one row per line, columns separated by
//! tabs. Inside a value, backslash, tab, newline and carriage return are
//! written as `\\`, `\t`, `\n` and `\r`, so every row stays on one line;
//! reading undoes exactly that.

use std::borrow::Cow;
use std::io::{self, Write};

/// Writes `value` with the four escapes above.
pub fn write_escaped(out: &mut impl Write, value: &str) -> io::Result<()> {
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(esc)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// Undoes [`write_escaped`]; an unknown escape keeps its backslash.
/// Borrows the field when it holds no escape (nearly always).
pub fn unescape(field: &str) -> Cow<'_, str> {
    if !field.contains('\\') {
        return Cow::Borrowed(field);
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Splits one line of a `.facts` file into unescaped fields.
pub fn split_line(line: &str) -> Vec<String> {
    line.split('\t').map(|f| unescape(f).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let nasty = "a\tb\nc\\d\re\\t";
        let mut buf = Vec::new();
        write_escaped(&mut buf, nasty).unwrap();
        let line = String::from_utf8(buf).unwrap();
        assert_eq!(line, "a\\tb\\nc\\\\d\\re\\\\t");
        assert!(!line.contains('\t') && !line.contains('\n'));
        assert_eq!(unescape(&line), nasty);
    }
}
