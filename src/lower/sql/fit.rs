//! Parameter values → the slots of one statement, and the bound statement.
//!
//! `?` and `%s` take the next value in order; `$n` and `:n` the n-th;
//! `%(name)s` and `:name` the value of that name (from a dict), or, when the
//! values are a plain sequence, the next value at the name's first use.
//! The placeholder count is the number of values the statement takes.

use std::borrow::Cow;

use super::params::{Kind, Value};
use super::template::{ParamRef, Slot, SlotKind};

/// The parameters of one execution.
pub enum Values<'a> {
    None,
    /// SkyWalking's unquoted pieces: extras are joined into the last value.
    Pieces(Vec<&'a str>),
    /// Typed values in order (a Python tuple or list).
    Seq(Vec<Value<'a>>),
    /// Typed values by name (a Python dict).
    Named(Vec<(&'a str, Value<'a>)>),
}

/// The value index of each slot (`None` for literals) and the number of
/// values the statement takes.
pub fn indexes(statement: &str, slots: &[Slot]) -> (Vec<Option<usize>>, usize) {
    let mut next = 0usize;
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut index: Vec<Option<usize>> = Vec::with_capacity(slots.len());
    for s in slots {
        index.push(match s.kind {
            SlotKind::Param(ParamRef::Next) => {
                next += 1;
                Some(next - 1)
            }
            // Beyond the protocol's limit of 65535 parameters, `$n` binds nothing.
            SlotKind::Param(ParamRef::Index(n)) if n <= 65535 => (n as usize).checked_sub(1),
            SlotKind::Param(ParamRef::Name(..)) => {
                let name = s.name(statement).unwrap_or("");
                Some(match names.iter().find(|(n, _)| *n == name) {
                    Some(&(_, k)) => k,
                    None => {
                        names.push((name, next));
                        next += 1;
                        next - 1
                    }
                })
            }
            _ => None,
        });
    }
    let count = index.iter().flatten().map(|k| k + 1).max().unwrap_or(0);
    (index, count)
}

/// The value of every slot (literals as written, placeholders as bound,
/// `None` where no value is known); warnings for values that do not fit.
pub fn fit<'a>(
    statement: &'a str,
    slots: &[Slot],
    values: &Values<'a>,
    warnings: &mut Vec<String>,
) -> Vec<Option<Value<'a>>> {
    let (index, count) = indexes(statement, slots);

    // The value at each index.
    let mut by_index: Vec<Option<Value<'a>>> = vec![None; count];
    match values {
        Values::None => {}
        Values::Pieces(pieces) => {
            let n = pieces.len();
            let empty = n == 1 && pieces[0].is_empty();
            if count == 0 {
                if !empty {
                    warnings.push(format!(
                        "{n} values for 0 placeholders; the values are ignored"
                    ));
                }
            } else {
                for (k, p) in pieces.iter().take(count).enumerate() {
                    by_index[k] = Some(Value::untyped(Cow::Borrowed(p)));
                }
                if n > count {
                    let joined = pieces[count - 1..].join(",");
                    warnings.push(format!(
                        "{n} values for {count} placeholders; the last placeholder takes `{joined}`"
                    ));
                    by_index[count - 1] = Some(Value::untyped(Cow::Owned(joined)));
                } else if n < count {
                    warnings.push(format!(
                        "{n} values for {count} placeholders; the last {} stay unbound",
                        count - n
                    ));
                }
            }
        }
        Values::Seq(vals) => {
            let n = vals.len();
            for (k, v) in vals.iter().take(count).enumerate() {
                by_index[k] = Some(v.clone());
            }
            if n != count {
                warnings.push(format!(
                    "{n} values for {count} placeholders; {}",
                    if n > count {
                        "the extra values are ignored"
                    } else {
                        "the missing ones stay unbound"
                    }
                ));
            }
        }
        Values::Named(pairs) => {
            for (s, k) in slots.iter().zip(&index) {
                let Some(k) = *k else { continue };
                match s.name(statement) {
                    Some(name) => match pairs.iter().find(|(n, _)| *n == name) {
                        Some((_, v)) => by_index[k] = Some(v.clone()),
                        None => warnings.push(format!("no value for parameter `{name}`")),
                    },
                    None => warnings
                        .push("a positional placeholder with named values stays unbound".into()),
                }
            }
            warnings.dedup();
        }
    }

    slots
        .iter()
        .zip(&index)
        .map(|(s, k)| match (s.literal(statement), k) {
            (Some(text), _) => Some(Value {
                text,
                kind: if s.kind == SlotKind::Number {
                    Kind::Num
                } else {
                    Kind::Str
                },
            }),
            (None, Some(k)) => by_index.get(*k).cloned().flatten(),
            (None, None) => None,
        })
        .collect()
}

/// The statement with each bound placeholder replaced by its value as an
/// SQL literal; literals and unbound placeholders stay as written.
pub fn bound_statement(statement: &str, slots: &[Slot], values: &[Option<Value<'_>>]) -> String {
    let values_len: usize = values.iter().flatten().map(|v| v.text.len() + 2).sum();
    let mut out = String::with_capacity(statement.len() + values_len);
    let mut at = 0;
    for (s, v) in slots.iter().zip(values) {
        if let (true, Some(v)) = (s.is_param(), v) {
            out.push_str(&statement[at..s.start as usize]);
            v.write_sql(&mut out);
            at = s.end as usize;
        }
    }
    out.push_str(&statement[at..]);
    out
}
