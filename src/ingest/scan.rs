//! A small JSON scanner over borrowed text, for the readers' fast paths.
//!
//! serde_json's generic visitors cost ~15k instructions per SkyWalking span;
//! a reader that knows its fields can read them straight off the bytes. The
//! scanner accepts only JSON that serde_json accepts, and gives up (`None`)
//! at anything else or anything unusual (a surrogate escape, deep nesting):
//! the caller then reads the document again with serde_json, which decides
//! and words the error. So giving up is always safe; accepting must never be
//! more lenient than serde_json.

use std::borrow::Cow;

/// Nesting below this gives up (serde_json has its own limits; never
/// reaching them keeps the two in agreement).
const MAX_DEPTH: usize = 64;

/// Sixteen bytes at a time where SSE2 is part of the architecture: the
/// eight-byte word tests were the scanner's hottest loop.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_storeu_si128,
    };

    /// The bytes of `v` that end a run of plain string bytes (`"`, `\` or
    /// a control character), one bit each.
    ///
    /// # Safety
    /// SSE2 only, which every x86_64 CPU has.
    #[inline(always)]
    unsafe fn ends(v: __m128i) -> u32 {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let ctl = _mm_set1_epi8(0x1f);
        let ends = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            // Bytes <= 0x1f, unsigned: max(v, 0x1f) == 0x1f.
            _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl),
        );
        _mm_movemask_epi8(ends) as u32
    }

    /// The index of the first `"`, `\` or control character at or after
    /// `i`, or the start of the last, partial, 16 bytes, where none is
    /// before them.
    #[inline]
    pub fn skip_plain(b: &[u8], mut i: usize) -> usize {
        // SAFETY: SSE2 is part of x86_64, so every CPU this code is built
        // for has these instructions; each load reads `b[i..i + 16]`,
        // inside `b` (`i + 16 <= b.len()`), unaligned.
        unsafe {
            while i + 16 <= b.len() {
                let mask = ends(_mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>()));
                if mask != 0 {
                    return i + mask.trailing_zeros() as usize;
                }
                i += 16;
            }
        }
        i
    }

    /// [`skip_plain`] copying what it skips to `out`: each 16 bytes are
    /// stored whole and `out`'s length then set to the run's end, so a
    /// run costs no length-dependent copy.
    #[inline]
    pub fn copy_plain(b: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
        while i + 16 <= b.len() {
            out.reserve(16);
            let len = out.len();
            // SAFETY: SSE2 is part of x86_64; the load reads `b[i..i + 16]`
            // (inside `b`), the store writes `out`'s spare capacity (at
            // least 16 bytes, reserved above), and the length then covers
            // only bytes just written.
            let run = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>());
                _mm_storeu_si128(out.as_mut_ptr().add(len).cast::<__m128i>(), v);
                // 16 when no byte ends the run.
                let run = (ends(v) | 1 << 16).trailing_zeros() as usize;
                out.set_len(len + run);
                run
            };
            i += run;
            if run < 16 {
                break;
            }
        }
        i
    }

    /// Whether the first `len` of the 16 bytes `text` equal `pattern`'s.
    #[inline]
    pub fn starts_with(text: &[u8], pattern: &[u8; 16], len: usize) -> bool {
        assert!(text.len() >= 16 && len <= 16);
        // SAFETY: SSE2 is part of x86_64; both loads read 16 bytes inside
        // their slices (asserted above), unaligned.
        let equal = unsafe {
            let t = _mm_loadu_si128(text.as_ptr().cast::<__m128i>());
            let p = _mm_loadu_si128(pattern.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(t, p)) as u32
        };
        let wanted = ((1u32 << len) - 1) & 0xffff;
        equal & wanted == wanted
    }
}

/// A key of an object read with [`Scan::object_with`].
pub enum Field<'a> {
    /// The index of the key among the reader's keys.
    Known(usize),
    Other(Cow<'a, str>),
}

/// The keys of an object a reader knows ([`Scan::object_with`]), each
/// also spelled `key":` in 16 bytes (zero-padded), to be compared with the
/// text in one vector compare instead of a call to `memcmp`.
pub struct Keys<const N: usize> {
    names: [&'static str; N],
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    spelled: [[u8; 16]; N],
}

impl<const N: usize> Keys<N> {
    pub const fn new(names: [&'static str; N]) -> Self {
        let mut spelled = [[0u8; 16]; N];
        let mut i = 0;
        while i < N {
            let key = names[i].as_bytes();
            // Longer keys are compared with `memcmp`.
            if key.len() + 2 <= 16 {
                let mut j = 0;
                while j < key.len() {
                    spelled[i][j] = key[j];
                    j += 1;
                }
                spelled[i][j] = b'"';
                spelled[i][j + 1] = b':';
            }
            i += 1;
        }
        Keys { names, spelled }
    }
}

pub struct Scan<'a> {
    text: &'a str,
    pos: usize,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `v` that is zero; the lowest one is exact.
#[inline]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// High bit set in each byte of `v` that ends a run of plain string bytes
/// (`"`, `\` or a control character); the lowest one is exact. Testing for
/// control characters here costs less than a pass over each document to
/// rule them out (which also brought the text into cache a second time).
#[inline]
fn string_ends(v: u64) -> u64 {
    zero_bytes(v ^ (ONES * b'"' as u64))
        | zero_bytes(v ^ (ONES * b'\\' as u64))
        | (v.wrapping_sub(ONES * 0x20) & !v & HIGHS)
}

impl<'a> Scan<'a> {
    pub fn new(text: &'a str) -> Self {
        Scan { text, pos: 0 }
    }

    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace (JSON's four), not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        let b = self.bytes();
        while let Some(&c) = b.get(self.pos) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                return Some(c);
            }
        }
        None
    }

    /// Consumes `c` (after whitespace) if it is next.
    #[inline]
    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// True when only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Consumes a literal such as `null` if it is next.
    fn word(&mut self, w: &[u8]) -> bool {
        if self.peek().is_some() && self.bytes()[self.pos..].starts_with(w) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    /// Consumes `null` if it is next.
    #[inline]
    pub fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.word(b"null")
    }

    pub fn bool(&mut self) -> Option<bool> {
        if self.word(b"true") {
            Some(true)
        } else if self.word(b"false") {
            Some(false)
        } else {
            None
        }
    }

    /// Index of the first `"`, `\` or control character at or after `i`.
    #[inline]
    fn special(&self, mut i: usize) -> usize {
        let b = self.bytes();
        #[cfg(target_arch = "x86_64")]
        {
            i = sse2::skip_plain(b, i);
            // Stopped before the last 16 bytes: at the byte sought.
            if i + 16 <= b.len() {
                return i;
            }
        }
        while i + 8 <= b.len() {
            let v = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            let hits = string_ends(v);
            if hits != 0 {
                return i + (hits.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
            i += 1;
        }
        i
    }

    /// A string (after whitespace), borrowed when it has no escapes.
    pub fn string(&mut self) -> Option<Cow<'a, str>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        let end = self.special(start);
        match self.bytes().get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                Some(Cow::Borrowed(&self.text[start..end]))
            }
            Some(b'\\') => {
                self.pos = end;
                // Escaped strings are mostly quoted JSON bodies, rarely
                // short: room for a typical one at once.
                let mut out = Vec::with_capacity((end - start + 64).max(1024));
                out.extend_from_slice(&self.bytes()[start..end]);
                self.escaped(&mut out)?;
                // Escapes wrote whole characters and the copied runs end
                // at ASCII bytes, so this only fails on a scanner bug.
                String::from_utf8(out).ok().map(Cow::Owned)
            }
            _ => None,
        }
    }

    /// The rest of a string from an escape on, unescaped into `out`.
    /// Strings with escapes are mostly JSON bodies quoted inside JSON
    /// (`http.response`): an escape every few bytes, so runs are copied
    /// a block at a time, not found and then copied (sixteen bytes at a
    /// time halved the instructions of eight).
    fn escaped(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let b = self.bytes();
        let mut i = self.pos;
        loop {
            // Stopped before the last 16 bytes: at the byte that ends the run.
            #[cfg(target_arch = "x86_64")]
            let at_end = {
                i = sse2::copy_plain(b, i, out);
                i + 16 <= b.len()
            };
            #[cfg(not(target_arch = "x86_64"))]
            let at_end = false;
            // Eight bytes at a time where fewer than sixteen are left (or
            // without SSE2).
            while let Some(chunk) = b.get(i..i + 8).filter(|_| !at_end) {
                let chunk: [u8; 8] = chunk.try_into().expect("8 bytes");
                let v = u64::from_le_bytes(chunk);
                let hits = string_ends(v);
                let run = (hits.trailing_zeros() / 8) as usize;
                // A fixed-size copy is two stores; a run's length, a call.
                let len = out.len();
                out.extend_from_slice(&chunk);
                out.truncate(len + run);
                i += run;
                if run < 8 {
                    break;
                }
            }
            match *b.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some(());
                }
                b'\\' => {
                    let c = *b.get(i + 1)?;
                    i += 2;
                    let ch = match c {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.pos = i;
                            // Surrogates (pairs or lone) are left to serde_json.
                            let ch = char::from_u32(self.hex4()?)?;
                            i = self.pos;
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    out.push(ch);
                }
                0..=0x1f => return None,
                c => {
                    // Fewer than eight bytes are left.
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes().get(self.pos..self.pos + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + (d as char).to_digit(16)?;
        }
        self.pos += 4;
        Some(n)
    }

    /// An integer that fits `i64`, written as serde_json reads one into an
    /// `i64` (no fraction, no exponent, no leading zero).
    pub fn int(&mut self) -> Option<i64> {
        let negative = self.eat(b'-');
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        let mut n: u64 = 0;
        while let Some(&d) = b.get(i) {
            let d = d.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            // Cannot overflow: 20 digits or more give up below.
            n = n.wrapping_mul(10).wrapping_add(d as u64);
            i += 1;
        }
        let digits = i - start;
        // 19 digits fit a `u64`; more never fit an `i64`.
        if digits == 0 || digits > 19 || (digits > 1 && b[start] == b'0') {
            return None;
        }
        if matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.pos = i;
        if negative {
            // serde_json reads `-0` as the float -0.0, which no `i64` takes.
            if n != 0 && n <= i64::MAX as u64 + 1 {
                Some((n as i64).wrapping_neg())
            } else {
                None
            }
        } else {
            i64::try_from(n).ok()
        }
    }

    /// Any number, checked against JSON's grammar.
    fn number(&mut self) -> Option<()> {
        let b = self.bytes();
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - s
        };
        let start = i;
        match digits(&mut i) {
            0 => return None,
            n if n > 1 && b[start] == b'0' => return None,
            _ => {}
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return None;
            }
        }
        self.pos = i;
        Some(())
    }

    /// Skips one value of any kind, checking its syntax.
    pub fn skip(&mut self) -> Option<()> {
        self.skip_at(0)
    }

    fn skip_at(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.object(|s, _| s.skip_at(depth + 1))
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.array(|s| s.skip_at(depth + 1))
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' | b'f' => self.bool().map(drop),
            b'n' => self.null().then_some(()),
            _ => None,
        }
    }

    /// An object: `each` is called with every key, positioned at its value,
    /// and must consume the value.
    #[inline]
    pub fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        // With no key known, every key comes as `Field::Other`.
        self.object_with(&Keys::new([]), |s, field| match field {
            Field::Other(key) => each(s, key),
            Field::Known(_) => None,
        })
    }

    /// An object whose keys a reader knows, usually written in the order
    /// of `keys`: each key is first tested for being the one expected next
    /// (`"key":` compared in place), and only otherwise read as a string
    /// and looked up. `each` gets `Field::Known(i)` for `keys[i]`, however
    /// it was found, and `Field::Other` for any other key. Reading every
    /// key as a string and matching it was a sixth of reading a span.
    #[inline]
    pub fn object_with<const N: usize>(
        &mut self,
        keys: &Keys<N>,
        mut each: impl FnMut(&mut Self, Field<'a>) -> Option<()>,
    ) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        let mut next = 0;
        loop {
            let field = match next < N && self.expected_key(keys, next) {
                true => Field::Known(next),
                false => {
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    match keys.names.iter().position(|k| *k == key) {
                        Some(i) => Field::Known(i),
                        None => Field::Other(key),
                    }
                }
            };
            if let Field::Known(i) = field {
                next = i + 1;
            }
            each(self, field)?;
            if self.eat(b',') {
                continue;
            }
            return self.eat(b'}').then_some(());
        }
    }

    /// Consumes `"key":` for `keys[i]` if it is next, written plainly.
    #[inline(always)]
    fn expected_key<const N: usize>(&mut self, keys: &Keys<N>, i: usize) -> bool {
        if self.peek() != Some(b'"') {
            return false;
        }
        let b = self.bytes();
        let at = self.pos + 1;
        let len = keys.names[i].len() + 2;
        #[cfg(target_arch = "x86_64")]
        if len <= 16 && at + 16 <= b.len() {
            if sse2::starts_with(&b[at..at + 16], &keys.spelled[i], len) {
                self.pos = at + len;
                return true;
            }
            return false;
        }
        let key = keys.names[i].as_bytes();
        let rest = &b[at..];
        if rest.len() >= len
            && rest.starts_with(key)
            && rest[key.len()] == b'"'
            && rest[key.len() + 1] == b':'
        {
            self.pos = at + len;
            true
        } else {
            false
        }
    }

    /// An array: `each` is called at every element and must consume it.
    #[inline]
    pub fn array(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(());
        }
        loop {
            each(self)?;
            if self.eat(b',') {
                continue;
            }
            return self.eat(b']').then_some(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// The scanner accepts a value only if serde_json does, and reads
    /// strings as serde_json does.
    fn agrees(json: &str) {
        let serde_ok = serde_json::from_str::<IgnoredAny>(json).is_ok();
        let mut s = Scan::new(json);
        let scan_ok = s.skip().is_some() && s.at_end();
        assert!(
            !scan_ok || serde_ok,
            "scanner accepts what serde_json does not: {json:?}"
        );
        if let Ok(expected) = serde_json::from_str::<String>(json) {
            if let Some(got) = Scan::new(json).string() {
                assert_eq!(got, expected, "{json:?}");
            }
        }
    }

    #[test]
    fn accepts_no_more_than_serde_json() {
        for json in [
            r#""plain""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u20AC""#,
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            "\"tab\there\"",
            "\"ctl\u{1}\"",
            r#""\x""#,
            r#""\u12""#,
            r#""unterminated"#,
            r#""long string with no escapes at all, longer than eight bytes""#,
            r#""long string with an escape \n after eight bytes""#,
            "0",
            "-0",
            "01",
            "-",
            "1.",
            "1.5e",
            "1.5e+7",
            "-12.25E-3",
            "1e400",
            "true",
            "tru",
            "nul",
            "null",
            "[]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{}",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{1:1}"#,
            r#"{"a":[{"b":null},"c",-1.5e3,true]}"#,
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            "  [ 1 , { \"a\" : \"b\" } ]  ",
            "[1] x",
            "",
        ] {
            agrees(json);
        }
    }

    #[test]
    fn integers_as_serde_json_reads_i64() {
        for json in [
            "0",
            "-0",
            "7",
            "-7",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "18446744073709551615",
            "9999999999999999999",
            "-9999999999999999999",
            "99999999999999999999",
            "1234567890123456789",
            "-1234567890123456789",
            "1716946829770",
            "1.0",
            "1e3",
            "01",
            "--1",
        ] {
            let expected = serde_json::from_str::<i64>(json).ok();
            let mut s = Scan::new(json);
            let got = s.int().filter(|_| s.at_end());
            assert!(
                got.is_none() || got == expected,
                "{json}: {got:?} vs {expected:?}"
            );
            if expected.is_some() && !json.contains(['.', 'e']) {
                assert_eq!(got, expected, "{json}");
            }
        }
    }

    #[test]
    fn escaped_strings_read_as_serde_json_reads_them() {
        // Escapes before, across and after the sixteen- and eight-byte
        // runs, in the short tail, \u escapes, multibyte text, a raw
        // control character; each string alone and with text after it
        // (so that it ends in the sixteen-byte loop, not the tail).
        let pieces = [
            "\\\"",
            "\\\\",
            "\\n",
            "\\u00e9",
            "\\ud83d\\ude00",
            "é",
            "\u{1}",
            "\\/",
            "\\t",
        ];
        let plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for len in 0..40 {
            for piece in pieces {
                for at in 0..=len {
                    let body = format!("{}{}{}", &plain[..at], piece, &plain[at..len]);
                    let json = format!("\"{body}{piece}\"");
                    agrees(&json);
                    // Truncated: no closing quote.
                    agrees(&json[..json.len() - 1]);
                    let strict = serde_json::from_str::<String>(&json).ok();
                    for after in ["", "                    "] {
                        let text = format!("{json}{after}");
                        let got = Scan::new(&text).string().map(|c| c.into_owned());
                        // Giving up (surrogates, raw controls) is allowed.
                        assert!(got.is_none() || got == strict, "{text:?}");
                    }
                }
            }
        }
        let mut s = Scan::new(r#""x\"y" 1"#);
        assert_eq!(s.string().as_deref(), Some("x\"y"));
        assert_eq!(s.int(), Some(1));
    }

    /// What `object_with` reports for each key of `json`, by key text;
    /// the same with the text long enough for keys to be compared 16
    /// bytes at a time, and short enough for them to be compared byte by
    /// byte (the test inputs), or `"differs"`.
    fn fields(json: &str) -> Option<Vec<String>> {
        let short = fields_of(json);
        let long = fields_of(&format!("{json}{}", " ".repeat(32)));
        match short == long {
            true => short,
            false => Some(vec!["differs".to_string()]),
        }
    }

    fn fields_of(json: &str) -> Option<Vec<String>> {
        let mut got = Vec::new();
        let mut s = Scan::new(json);
        s.object_with(&Keys::new(["a", "bb", "c"]), |s, f| {
            got.push(match f {
                Field::Known(i) => format!("#{i}"),
                Field::Other(k) => format!("?{k}"),
            });
            s.skip()
        })?;
        s.at_end().then_some(got)
    }

    #[test]
    fn known_keys_are_found_in_any_order_and_spelling() {
        let known = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            fields(r#"{"a":1,"bb":2,"c":3}"#),
            known(&["#0", "#1", "#2"])
        );
        assert_eq!(
            fields(r#"{"c":1,"a":2,"x":3,"bb":4}"#),
            known(&["#2", "#0", "?x", "#1"])
        );
        // Escaped, spaced, prefixes and extensions of known keys.
        assert_eq!(
            fields(r#"{ "a" : 1 , "bb":2,"bbb":3,"b":4,"a" :5}"#),
            known(&["#0", "#1", "?bbb", "?b", "#0"])
        );
        assert_eq!(fields(r#"{}"#), known(&[]));
        for bad in [
            r#"{"a"1}"#,
            r#"{"a":1,}"#,
            r#"{"a":1"#,
            r#"{"a""#,
            r#"{"a"#,
            r#"{a:1}"#,
        ] {
            assert_eq!(fields(bad), None, "{bad}");
            assert!(serde_json::from_str::<IgnoredAny>(bad).is_err());
        }
    }

    #[test]
    fn string_ends_are_found_at_every_offset() {
        // The 16-byte, 8-byte and byte-wise searches each see an end at
        // every position; multibyte text (bytes >= 0x80) is never one.
        for len in 0..70 {
            for at in 0..=len {
                for end in ['"', '\\', '\n', '\u{1f}', 'é'] {
                    let mut text: Vec<char> = vec!['a'; len];
                    if at < len {
                        text[at] = end;
                    }
                    let text: String = text.into_iter().collect();
                    let scan = Scan::new(&text);
                    for from in [0, 1, 3] {
                        let from = from.min(text.len());
                        let naive = text.as_bytes()[from..]
                            .iter()
                            .position(|&b| matches!(b, b'"' | b'\\' | 0..=0x1f))
                            .map_or(text.len(), |k| from + k);
                        assert_eq!(scan.special(from), naive, "{text:?} from {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let mut s = Scan::new(r#" "abc" , "a\nb" "#);
        assert!(matches!(s.string(), Some(Cow::Borrowed("abc"))));
        assert!(s.eat(b','));
        assert_eq!(s.string().as_deref(), Some("a\nb"));
        assert!(s.at_end());
    }
}
