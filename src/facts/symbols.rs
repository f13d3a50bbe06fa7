//! String interning: every symbol in the facts is stored once and referred
//! to by a dense `u32`, which is what joins compare.
//!
//! A million spans intern close to two million distinct strings, so each is
//! stored exactly once, in one text arena; the hash table holds only ids
//! (hashing through the arena), not a second copy or a per-string box.

use std::cmp::Ordering;
use std::hash::{BuildHasher, BuildHasherDefault};

use rustc_hash::FxHasher;

use super::symbol_index::{Index, AHEAD};

pub type Sym = u32;

type Hasher = BuildHasherDefault<FxHasher>;

#[derive(Clone, Default)]
pub struct Symbols {
    /// Every symbol's text, back to back.
    text: String,
    /// End offset in `text` of symbol `i`; it starts where `i - 1` ends.
    ends: Vec<u32>,
    /// Each symbol's id with 32 bits of its hash: growing the table and
    /// most failed comparisons then never read the arena (at two million
    /// symbols, rehashing through it was a fifth of interning).
    ids: Index,
    hasher: Hasher,
    /// The first 8 bytes of each symbol, big-endian and zero-padded: most
    /// comparisons in byte order (`A < B` over span ids) end here without
    /// reading the arena.
    prefixes: Vec<u64>,
    /// A small cache of symbols interned lately, indexed by a mix of a
    /// string's length and its first and last eight bytes: lowering meets
    /// the same service, layer, tag key or table name again and again,
    /// and finding it here costs a compare, not hashing the string and
    /// probing the table. Always checked against the text; emptied when
    /// symbols are forgotten.
    recent: Vec<Sym>,
}

const RECENT_BITS: u32 = 12;
const NO_SYM: Sym = Sym::MAX;

/// The `recent` slot of strings of 8 bytes or more.
#[inline]
fn recent_slot(s: &[u8]) -> usize {
    let first = u64::from_le_bytes(s[..8].try_into().expect("8 bytes"));
    let last = u64::from_le_bytes(s[s.len() - 8..].try_into().expect("8 bytes"));
    let mixed = (first ^ last.rotate_left(29) ^ s.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - RECENT_BITS)) as usize
}

/// The `recent` slot of a string under 8 bytes, from its
/// [`short_prefix`] and length.
#[inline]
fn recent_short_slot(prefix: u64, len: usize) -> usize {
    let mixed = (prefix ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - RECENT_BITS)) as usize
}

/// Equality of two byte strings, the second at least 8 bytes long: up to
/// 16 bytes (most cached names: tag keys, services, components) as two
/// overlapping words, without calling `memcmp`.
#[inline]
fn same_long(a: &[u8], b: &[u8]) -> bool {
    let n = b.len();
    if a.len() != n {
        return false;
    }
    if n > 16 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
}

/// [`prefix`] of a string under 8 bytes, without a variable-length copy.
#[inline]
fn short_prefix(s: &[u8]) -> u64 {
    debug_assert!(s.len() < 8);
    let mut v = 0u64;
    for &b in s {
        v = v << 8 | b as u64;
    }
    // The empty string shifts by 64 bits, past a u64: its prefix is 0.
    v.checked_shl(8 * (8 - s.len() as u32)).unwrap_or(0)
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("len", &self.len()).finish()
    }
}

impl Symbols {
    pub fn intern(&mut self, s: &str) -> Sym {
        if self.recent.is_empty() {
            self.recent = vec![NO_SYM; 1 << RECENT_BITS];
        }
        let slot = if s.len() < 8 {
            // A string this short is its zero-padded prefix and its length:
            // checking a cached symbol compares two words, not the text.
            let p = short_prefix(s.as_bytes());
            let slot = recent_short_slot(p, s.len());
            let seen = self.recent[slot];
            if seen != NO_SYM
                && self.prefixes[seen as usize] == p
                && bytes(&self.text, &self.ends, seen).len() == s.len()
            {
                return seen;
            }
            slot
        } else {
            let slot = recent_slot(s.as_bytes());
            let seen = self.recent[slot];
            if seen != NO_SYM && same_long(bytes(&self.text, &self.ends, seen), s.as_bytes()) {
                return seen;
            }
            slot
        };
        let short = self.hash(s);
        let id = self.intern_hashed(s, short);
        self.recent[slot] = id;
        id
    }

    /// Each symbol's hash bits, by id, for [`Symbols::intern_hashed`] into
    /// another table.
    pub fn hashes(&self) -> Vec<u32> {
        let mut out = vec![0; self.len()];
        for (id, short) in self.ids.iter() {
            out[id as usize] = short;
        }
        out
    }

    /// [`Symbols::intern`] with the hash bits already known (from
    /// [`Symbols::hashes`]): merging a worker's symbols does not hash their
    /// text again on the thread that merges.
    pub fn intern_hashed(&mut self, s: &str, short: u32) -> Sym {
        debug_assert_eq!(short, self.hash(s));
        // `lookup` spelled out: calling it here cost 0.5% of ingest's
        // instructions (the inlining around `intern` changed).
        let (text, ends) = (&self.text, &self.ends);
        if let Some(id) = self
            .ids
            .find(short, |id| bytes(text, ends, id) == s.as_bytes())
        {
            return id;
        }
        let id = Sym::try_from(self.ends.len()).expect("more than 2^32 distinct symbols");
        self.text.push_str(s);
        let end = u32::try_from(self.text.len()).expect("more than 4 GiB of symbol text");
        self.ends.push(end);
        self.prefixes.push(prefix(s));
        self.ids.insert(short, id);
        id
    }

    /// Interns every symbol of `other` (whose hash bits are `hashes`, from
    /// [`Symbols::hashes`]) in its order: what each of its ids is here.
    /// The slots of the symbols a little ahead are fetched while one is
    /// looked up, which is what makes merging a file's symbols into a
    /// large table fast.
    pub fn intern_all(&mut self, other: &Symbols, hashes: &[u32]) -> Vec<Sym> {
        let n = other.len();
        debug_assert_eq!(hashes.len(), n);
        self.ids.reserve(n);
        for &short in hashes.iter().take(AHEAD) {
            self.ids.prefetch(short);
        }
        (0..n)
            .map(|i| {
                if let Some(&short) = hashes.get(i + AHEAD) {
                    self.ids.prefetch(short);
                }
                // Not `resolve`: its char-boundary checks cost 0.2% of
                // ingest's instructions here, on text of whole strs.
                let s = bytes(&other.text, &other.ends, i as Sym);
                // SAFETY: a whole symbol of `other`'s text, which is a str.
                let s = unsafe { std::str::from_utf8_unchecked(s) };
                self.intern_hashed(s, hashes[i])
            })
            .collect()
    }

    /// Every symbol's text back to back, and where each ends: what
    /// [`Symbols::from_parts`] takes back (a facts image stores these).
    pub fn parts(&self) -> (&str, &[u32]) {
        (&self.text, &self.ends)
    }

    /// The table of symbols `i` = `text[ends[i - 1]..ends[i]]`, which must
    /// be distinct; an error names what is wrong with the parts.
    pub fn from_parts(text: String, ends: Vec<u32>) -> Result<Symbols, String> {
        let mut start = 0;
        for &end in &ends {
            let end = end as usize;
            if end < start || end > text.len() || !text.is_char_boundary(end) {
                return Err(format!(
                    "symbol end {end} out of order or inside a character"
                ));
            }
            start = end;
        }
        if start != text.len() {
            return Err("symbol text longer than its symbols".to_string());
        }
        let count = ends.len();
        let mut symbols = Symbols {
            text,
            ends,
            prefixes: Vec::with_capacity(count),
            ..Symbols::default()
        };
        symbols.ids.reserve(count);
        for id in 0..count as Sym {
            let s = name(&symbols.text, &symbols.ends, id);
            symbols.prefixes.push(prefix(s));
            let short = symbols.hash(s);
            if symbols.lookup(s, short).is_some() {
                return Err(format!("symbol `{s}` stored twice"));
            }
            symbols.ids.insert(short, id);
        }
        Ok(symbols)
    }

    /// Room for `symbols` more symbols of `bytes` bytes in all.
    pub fn reserve(&mut self, symbols: usize, bytes: usize) {
        self.ids.reserve(symbols);
        self.ends.reserve(symbols);
        self.prefixes.reserve(symbols);
        self.text.reserve(bytes);
    }

    /// Forgets the symbols from id `len` on: undoes interning since the
    /// table held `len` symbols.
    pub fn truncate(&mut self, len: usize) {
        self.ids.retain(|id| (id as usize) < len);
        self.recent.clear();
        let end = len.checked_sub(1).map_or(0, |i| self.ends[i] as usize);
        self.text.truncate(end);
        self.ends.truncate(len);
        self.prefixes.truncate(len);
    }

    /// Forgets every symbol, keeping the memory for reuse.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.ids.clear();
        self.prefixes.clear();
        self.recent.fill(NO_SYM);
    }

    /// The id of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.lookup(s, self.hash(s))
    }

    /// The id of the symbol `s`, whose hash bits are `short`, if interned.
    fn lookup(&self, s: &str, short: u32) -> Option<Sym> {
        let (text, ends) = (&self.text, &self.ends);
        self.ids
            .find(short, |id| bytes(text, ends, id) == s.as_bytes())
    }

    fn hash(&self, s: &str) -> u32 {
        let h = self.hasher.hash_one(s);
        (h ^ (h >> 32)) as u32
    }

    pub fn resolve(&self, id: Sym) -> &str {
        name(&self.text, &self.ends, id)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The first 8 bytes of a symbol, big-endian and zero-padded: prefixes
    /// that differ order their symbols as [`Symbols::cmp`] does.
    pub fn prefix(&self, id: Sym) -> u64 {
        self.prefixes[id as usize]
    }

    /// Orders two symbols by the bytes of their texts.
    pub fn cmp(&self, a: Sym, b: Sym) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        match self.prefixes[a as usize].cmp(&self.prefixes[b as usize]) {
            Ordering::Equal => self.resolve(a).as_bytes().cmp(self.resolve(b).as_bytes()),
            other => other,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Where the prefixes differ, their order is the texts' order: padding
/// sorts a string before any longer string it starts.
fn prefix(s: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = s.len().min(8);
    bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// A symbol's bytes, without `name`'s char-boundary checks (which read
/// both ends of the text: two cache misses on a cold symbol).
fn bytes<'t>(text: &'t str, ends: &[u32], id: Sym) -> &'t [u8] {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text.as_bytes()[start..ends[i] as usize]
}

fn name<'t>(text: &'t str, ends: &[u32], id: Sym) -> &'t str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_resolves() {
        let mut s = Symbols::default();
        let words = ["", "a", "ab", "", "b", "ab", "ünï", "a"];
        let ids: Vec<Sym> = words.iter().map(|w| s.intern(w)).collect();
        assert_eq!(ids, [0, 1, 2, 0, 3, 2, 4, 1]);
        assert_eq!(s.len(), 5);
        for (w, id) in words.iter().zip(&ids) {
            assert_eq!(s.resolve(*id), *w);
            assert_eq!(s.get(w), Some(*id));
        }
        assert_eq!(s.get("abc"), None);
    }

    #[test]
    fn compares_in_byte_order() {
        let words = [
            "",
            "a",
            "a\0",
            "a\0b",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
            "b",
            "ü",
        ];
        let mut s = Symbols::default();
        let ids: Vec<Sym> = words.iter().map(|w| s.intern(w)).collect();
        for (i, &a) in ids.iter().enumerate() {
            for (j, &b) in ids.iter().enumerate() {
                assert_eq!(
                    s.cmp(a, b),
                    words[i].as_bytes().cmp(words[j].as_bytes()),
                    "{:?} {:?}",
                    words[i],
                    words[j]
                );
            }
        }
    }

    #[test]
    fn truncating_forgets_the_newest_symbols() {
        let mut s = Symbols::default();
        for w in ["a", "bb", "ccc"] {
            s.intern(w);
        }
        s.truncate(1);
        assert_eq!(s.len(), 1);
        assert_eq!(s.get("bb"), None);
        assert_eq!(s.get("a"), Some(0));
        assert_eq!(s.intern("ccc"), 1);
        assert_eq!(s.resolve(1), "ccc");
        assert_eq!(s.cmp(0, 1), "a".cmp("ccc"));
    }

    /// The cache of recent symbols never answers for a string it does not
    /// hold: strings alike at both ends and in length share its slot.
    #[test]
    fn recent_symbols_are_checked_and_forgotten() {
        let mut s = Symbols::default();
        let a = "trace-id.1.00000001";
        let b = "trace-id.2.00000001";
        assert_eq!(recent_slot(a.as_bytes()), recent_slot(b.as_bytes()));
        let (ia, ib) = (s.intern(a), s.intern(b));
        assert_ne!(ia, ib);
        assert_eq!((s.intern(a), s.intern(b), s.intern(a)), (ia, ib, ia));
        s.truncate(1);
        assert_eq!(s.intern(b), 1);
        assert_eq!(s.resolve(1), b);
        s.clear();
        assert_eq!(s.intern(b), 0);
        assert_eq!(s.intern(a), 1);
        assert_eq!(s.get(a), Some(1));
    }

    /// Short strings are cached by prefix and length: strings that differ
    /// only by trailing NULs or in length stay apart.
    #[test]
    fn short_strings_are_cached_apart() {
        let mut s = Symbols::default();
        let words = [
            "",
            "a",
            "a\0",
            "a\0\0",
            "ab",
            "abcdefg",
            "abcdef",
            "abcdefg\0",
            "ü",
        ];
        for w in words.iter().filter(|w| w.len() < 8) {
            assert_eq!(short_prefix(w.as_bytes()), prefix(w), "{w:?}");
        }
        let ids: Vec<Sym> = words.iter().map(|w| s.intern(w)).collect();
        for _ in 0..2 {
            for (w, id) in words.iter().zip(&ids) {
                assert_eq!(s.intern(w), *id, "{w:?}");
                assert_eq!(s.resolve(*id), *w);
            }
        }
        assert_eq!(s.len(), words.len());
    }

    #[test]
    fn same_long_is_byte_equality() {
        for n in 8..40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(same_long(&a, &a));
            assert!(!same_long(&a[..n - 1], &a));
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 1;
                assert!(!same_long(&a, &b), "{n} {at}");
            }
        }
    }

    #[test]
    fn many_symbols_survive_growth() {
        let mut s = Symbols::default();
        let ids: Vec<Sym> = (0..10_000).map(|i| s.intern(&format!("k{i}"))).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(s.resolve(*id), format!("k{i}"));
            assert_eq!(s.intern(&format!("k{i}")), *id);
        }
    }
}
