//! Soufflé-style `.facts` files: one row per line, columns separated by
//! tabs. Inside a value, backslash, tab, newline and carriage return are
//! written as `\\`, `\t`, `\n` and `\r`, so every row stays on one line;
//! reading undoes exactly that.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{Sym, Symbols, Type};

/// Writes `value` with the four escapes above (as [`push_escaped`]).
pub fn write_escaped(out: &mut impl Write, value: &str) -> io::Result<()> {
    let mut buf = Vec::with_capacity(value.len());
    push_escaped(&mut buf, value);
    out.write_all(&buf)
}

/// Appends `value` to `buf` with the four escapes above. Most values need
/// no escape and are copied whole.
pub fn push_escaped(buf: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    // A fold over fixed chunks compiles to vector code (a byte-wise `any`
    // was a third of `rulecheck facts`); control characters other than
    // the escaped three send the value to the exact loop below.
    let plain = !bytes.chunks(32).any(|c| {
        c.iter()
            .fold(false, |acc, &b| acc | (b < 0x20) | (b == b'\\'))
    });
    if plain {
        buf.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// Appends one row of cells of `types` as a `.facts` line: symbols by
/// text, escaped; numbers as Soufflé prints them; tab-separated, ending in
/// a newline. `rulecheck facts` and `eval`'s TSV output both write rows so.
pub fn push_row(
    buf: &mut Vec<u8>,
    row: &[u64],
    types: impl IntoIterator<Item = Type>,
    symbols: &Symbols,
) -> io::Result<()> {
    for (i, (&cell, ty)) in row.iter().zip(types).enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        push_cell(buf, ty, cell, || symbols.resolve(cell as Sym))?;
    }
    buf.push(b'\n');
    Ok(())
}

/// One cell as [`push_row`] writes it; `text` gives a symbol's text.
fn push_cell<'s>(
    buf: &mut Vec<u8>,
    ty: Type,
    cell: u64,
    text: impl FnOnce() -> &'s str,
) -> io::Result<()> {
    match ty {
        Type::Symbol => push_escaped(buf, text()),
        Type::Number => buf.extend_from_slice(itoa::Buffer::new().format(cell as i64).as_bytes()),
        Type::Unsigned => buf.extend_from_slice(itoa::Buffer::new().format(cell).as_bytes()),
        Type::Float => write!(buf, "{}", f64::from_bits(cell))?,
    }
    Ok(())
}

/// Appends rows as [`push_row`] does, a batch at a time: the symbols of
/// a batch are all looked up before any is copied, so that their cache
/// misses overlap rather than wait behind each copy (a large output's rows
/// read symbols from all over the table).
pub fn push_rows(
    buf: &mut Vec<u8>,
    rows: &[&[u64]],
    types: &[Type],
    symbols: &Symbols,
) -> io::Result<()> {
    const BATCH: usize = 64;
    let mut texts: Vec<&str> = Vec::with_capacity(BATCH * types.len());
    for batch in rows.chunks(BATCH) {
        texts.clear();
        for row in batch {
            for (&cell, &ty) in row.iter().zip(types) {
                if ty == Type::Symbol {
                    texts.push(symbols.resolve(cell as Sym));
                }
            }
        }
        let mut text = texts.iter();
        for row in batch {
            for (i, (&cell, &ty)) in row.iter().zip(types).enumerate() {
                if i > 0 {
                    buf.push(b'\t');
                }
                push_cell(buf, ty, cell, || text.next().expect("one text per symbol"))?;
            }
            buf.push(b'\n');
        }
    }
    Ok(())
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
        let mut pushed = Vec::new();
        push_escaped(&mut pushed, nasty);
        assert_eq!(pushed, line.as_bytes());
        pushed.clear();
        push_escaped(&mut pushed, "plain text");
        assert_eq!(pushed, b"plain text");
    }

    #[test]
    fn escaping_finds_specials_anywhere_in_long_values() {
        // The plain-value test looks at 32-byte chunks: a special byte in
        // each position of the first, second and last chunk.
        for len in [1, 31, 32, 33, 70] {
            for at in 0..len {
                for special in ['\\', '\t', '\n', '\r', '\u{1}'] {
                    let mut value: Vec<char> = vec!['x'; len];
                    value[at] = special;
                    let value: String = value.into_iter().collect();
                    let mut pushed = Vec::new();
                    push_escaped(&mut pushed, &value);
                    let mut written = Vec::new();
                    write_escaped(&mut written, &value).unwrap();
                    assert_eq!(pushed, written, "{value:?}");
                    assert_eq!(unescape(std::str::from_utf8(&pushed).unwrap()), value);
                }
            }
        }
    }

    #[test]
    fn rows_in_batches_are_the_rows_one_by_one() {
        let mut symbols = Symbols::default();
        let types = [
            Type::Symbol,
            Type::Number,
            Type::Symbol,
            Type::Unsigned,
            Type::Float,
        ];
        let cells: Vec<[u64; 5]> = (0..150u64)
            .map(|i| {
                let a = symbols.intern(&format!("s{i}\t{}", i % 7)) as u64;
                let b = symbols.intern(["x", "y\\z", ""][i as usize % 3]) as u64;
                [
                    a,
                    (-(i as i64)) as u64,
                    b,
                    i << 33,
                    (i as f64 / 3.0).to_bits(),
                ]
            })
            .collect();
        let rows: Vec<&[u64]> = cells.iter().map(|r| &r[..]).collect();
        let (mut batched, mut single) = (Vec::new(), Vec::new());
        push_rows(&mut batched, &rows, &types, &symbols).unwrap();
        for row in &rows {
            push_row(&mut single, row, types, &symbols).unwrap();
        }
        assert_eq!(
            String::from_utf8(batched).unwrap(),
            String::from_utf8(single).unwrap()
        );
    }
}
