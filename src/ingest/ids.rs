//! Id normalisation shared by the readers (hex, base64).
//!
//! Jaeger, Zipkin and OTLP ids become lowercase hex so that one span has one
//! id whichever tool exported it; OTLP written through protobuf's JSON
//! mapping carries ids as base64 of their bytes, the OTLP/JSON spec as hex.

/// `true` for a non-empty string of hex digits.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A hex id lowercased, and whether it was hex at all (a non-hex id is kept
/// as given, lowercased, and the caller warns).
pub fn hex_id(raw: &str) -> (String, bool) {
    (raw.to_ascii_lowercase(), is_hex(raw))
}

/// An OTLP id of `bytes` bytes: hex of that length, or base64 decoding to
/// that many bytes. The lengths cannot be confused (16 bytes: 32 hex digits
/// or 24 base64 characters; 8 bytes: 16 or 12), so the test is exact.
pub fn otlp_id(raw: &str, bytes: usize) -> (String, bool) {
    if raw.len() == 2 * bytes && is_hex(raw) {
        return (raw.to_ascii_lowercase(), true);
    }
    match decode_base64(raw) {
        Some(decoded) if decoded.len() == bytes => (to_hex(&decoded), true),
        _ => hex_id(raw),
    }
}

pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// `<prefix><sep><number>`, built with itoa: `format!` was a tenth of the
/// SkyWalking reader's time, and every span needs an id like this.
pub fn with_number(prefix: &str, sep: char, number: i64) -> String {
    with_number_in(prefix, sep, number, String::with_capacity)
}

/// [`with_number`] into a string that `new` makes with room for it (an
/// arena's, say).
pub fn with_number_in<S: std::fmt::Write>(
    prefix: &str,
    sep: char,
    number: i64,
    new: impl FnOnce(usize) -> S,
) -> S {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(number);
    let mut out = new(prefix.len() + sep.len_utf8() + digits.len());
    // Writing to a string does not fail.
    let _ = out.write_str(prefix);
    let _ = out.write_char(sep);
    let _ = out.write_str(digits);
    out
}

fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Standard or URL-safe base64, padding optional; `None` when it is not
/// base64 (so the caller falls back to reading the id as given).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero in a canonical encoding.
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_ids_in_hex_and_base64_agree() {
        let hex = "5b8efff798038103d269b633813fc60c";
        assert_eq!(otlp_id(hex, 16), (hex.to_string(), true));
        assert_eq!(
            otlp_id("W47/95gDgQPSabYzgT/GDA==", 16),
            (hex.to_string(), true)
        );
        assert_eq!(
            otlp_id("W47_95gDgQPSabYzgT_GDA", 16),
            (hex.to_string(), true)
        );
        assert_eq!(
            otlp_id("7xfVvHiW0Vw=", 8),
            ("ef17d5bc7896d15c".to_string(), true)
        );
        assert_eq!(
            otlp_id("EF17D5BC7896D15C", 8),
            ("ef17d5bc7896d15c".to_string(), true)
        );
    }

    #[test]
    fn non_hex_ids_are_kept_and_flagged() {
        assert_eq!(hex_id("Span-X"), ("span-x".to_string(), false));
        assert_eq!(otlp_id("not an id!", 8), ("not an id!".to_string(), false));
        assert_eq!(hex_id(""), (String::new(), false));
        assert!(decode_base64("a").is_none());
    }
}
