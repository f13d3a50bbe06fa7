//! Deserialisation helpers shared by the readers. Documents are read into
//! borrowed structs: strings point into the file text unless they need
//! unescaping, and values whose type varies (Jaeger's typed tags, Zipkin's
//! tags) are kept as raw JSON and turned into text only once.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Unexpected, Visitor};
use serde_json::value::RawValue;

/// A string borrowed from the input when it has no escapes. (`Cow<str>`
/// borrows only as a direct `#[serde(borrow)]` field, never inside an
/// `Option` or a `Vec`; this borrows everywhere.)
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'a> Str<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }

    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The text of an optional string, empty when absent or null, borrowed
/// from the input where it can be.
pub fn cow(s: Option<Str<'_>>) -> Cow<'_, str> {
    s.map(Str::into_cow).unwrap_or_default()
}

/// Any JSON value as text: strings unquoted, numbers and booleans as
/// written (`1.50` stays `1.50`), null empty, arrays and objects as compact
/// JSON.
pub fn text(raw: &RawValue) -> Cow<'_, str> {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'"') if !s.contains('\\') => Cow::Borrowed(&s[1..s.len() - 1]),
        Some(b'"') => Cow::Owned(serde_json::from_str::<String>(s).unwrap_or_else(|_| s.into())),
        Some(b'n') => Cow::Borrowed(""),
        Some(b'[' | b'{') if s.bytes().any(|b| b.is_ascii_whitespace()) => {
            match serde_json::from_str::<serde_json::Value>(s) {
                Ok(v) => Cow::Owned(v.to_string()),
                Err(_) => Cow::Borrowed(s),
            }
        }
        _ => Cow::Borrowed(s),
    }
}

/// Any JSON value as text, read in one pass (unlike [`text`], which scans a
/// raw value and then unescapes it): strings as they are, integers and
/// booleans as written, floats in Rust's shortest round-trip form (`1.50`
/// becomes `1.5`), null empty, arrays and objects as compact JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'a> Text<'a> {
    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON object read as its entries in file order (Zipkin tags), so that
/// the span model keeps the order the trace wrote.
#[derive(Debug, Default)]
pub struct Entries<'a>(pub Vec<(Str<'a>, Text<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<Str<'a>, Text<'a>>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// An integer written as a JSON number or as a string of digits, as
/// protobuf's JSON mapping writes 64-bit integers (OTLP times, `intValue`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a string of digits")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.trim()
                    .parse::<i64>()
                    .map(Int)
                    .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// An enum written as its number or its name (protobuf's JSON mapping
/// accepts both: `2` or `"SPAN_KIND_SERVER"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumOrName<'a> {
    Num(i64),
    Name(Str<'a>),
}

impl<'de: 'a, 'a> Deserialize<'de> for NumOrName<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = NumOrName<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an enum number or name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(NumOrName::Num(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(NumOrName::Num(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(NumOrName::Name(Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(NumOrName::Name(Str(Cow::Owned(v.to_string()))))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> String {
        let v: &RawValue = serde_json::from_str(s).unwrap();
        text(v).into_owned()
    }

    #[test]
    fn values_become_text_as_written() {
        assert_eq!(raw(r#""a\"b""#), "a\"b");
        assert_eq!(raw(r#""plain""#), "plain");
        assert_eq!(raw("1.50"), "1.50");
        assert_eq!(raw("-7"), "-7");
        assert_eq!(raw("true"), "true");
        assert_eq!(raw("null"), "");
        assert_eq!(raw("[1, \"a\" ]"), "[1,\"a\"]");
    }

    #[test]
    fn text_values_in_one_pass() {
        let v: Vec<Text> =
            serde_json::from_str(r#"["a\"b", "plain", 1.50, -7, true, null, [1, "a"], {"k": 2}]"#)
                .unwrap();
        let got: Vec<&str> = v.iter().map(|t| t.0.as_ref()).collect();
        assert_eq!(
            got,
            [
                "a\"b",
                "plain",
                "1.5",
                "-7",
                "true",
                "",
                "[1,\"a\"]",
                "{\"k\":2}"
            ]
        );
        assert!(matches!(v[1].0, Cow::Borrowed(_)));
    }

    #[test]
    fn integers_from_numbers_and_strings() {
        let v: Vec<Int> = serde_json::from_str(r#"[12, "1716946829770000000"]"#).unwrap();
        assert_eq!(v, vec![Int(12), Int(1716946829770000000)]);
        let e = serde_json::from_str::<Int>(r#""abc""#).unwrap_err();
        assert!(e.to_string().contains("expected an integer"), "{e}");
    }

    #[test]
    fn entries_keep_file_order() {
        let e: Entries = serde_json::from_str(r#"{"z":"1","a":2,"m":"x"}"#).unwrap();
        let keys: Vec<&str> = e.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert!(matches!(e.0[0].0 .0, Cow::Borrowed(_)));
    }
}
