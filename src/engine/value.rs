//! Cells and their meaning. A cell is a `u64` whose reading depends on the
//! column type, as in [`crate::facts::FactDb`]: an interned symbol id, an
//! `i64`'s bits, a `u64`, or an `f64`'s bits. Ids are equal exactly when
//! texts are, but their order is the order of first sight, so every
//! ordering of symbols goes through their text (byte order, as the design
//! promises for `A < B`).

use std::cmp::Ordering;

use crate::facts::{Symbols, Type};
use crate::lang::program::Value;

/// The cell of a constant, interning a symbol if needed.
pub fn const_cell(v: &Value, symbols: &mut Symbols) -> u64 {
    match v {
        Value::Symbol(s) => symbols.intern(s) as u64,
        Value::Number(n) => *n as u64,
        Value::Unsigned(u) => *u,
        Value::Float(f) => f.to_bits(),
    }
}

/// The value a cell stands for.
pub fn cell_value(ty: Type, cell: u64, symbols: &Symbols) -> Value {
    match ty {
        Type::Symbol => Value::Symbol(symbols.resolve(cell as u32).to_string()),
        Type::Number => Value::Number(cell as i64),
        Type::Unsigned => Value::Unsigned(cell),
        Type::Float => Value::Float(f64::from_bits(cell)),
    }
}

/// Orders two cells of type `ty`; `None` only for a NaN float.
pub fn compare_cells(ty: Type, a: u64, b: u64, symbols: &Symbols) -> Option<Ordering> {
    match ty {
        Type::Symbol => Some(symbols.cmp(a as u32, b as u32)),
        Type::Number => Some((a as i64).cmp(&(b as i64))),
        Type::Unsigned => Some(a.cmp(&b)),
        Type::Float => f64::from_bits(a).partial_cmp(&f64::from_bits(b)),
    }
}

/// A total order for sorting output rows: like [`compare_cells`], with
/// floats in IEEE total order so NaN has a place.
pub fn sort_cells(ty: Type, a: u64, b: u64, symbols: &Symbols) -> Ordering {
    match ty {
        Type::Float => f64::from_bits(a).total_cmp(&f64::from_bits(b)),
        _ => compare_cells(ty, a, b, symbols).unwrap_or(Ordering::Equal),
    }
}

/// A cell's first 64 bits of [`sort_cells`] order: where two prefixes
/// differ they order their cells; where they are equal the cells may still
/// differ (symbols sharing their first 8 bytes).
pub fn sort_prefix(ty: Type, cell: u64, symbols: &Symbols) -> u64 {
    match ty {
        Type::Symbol => symbols.prefix(cell as u32),
        Type::Number => cell ^ (1 << 63),
        Type::Unsigned => cell,
        // IEEE total order as unsigned integers (what `total_cmp` does).
        Type::Float if cell >> 63 == 1 => !cell,
        Type::Float => cell | (1 << 63),
    }
}

/// Renders a cell as Soufflé prints it.
pub fn render(ty: Type, cell: u64, symbols: &Symbols) -> String {
    match ty {
        Type::Symbol => symbols.resolve(cell as u32).to_string(),
        Type::Number => (cell as i64).to_string(),
        Type::Unsigned => cell.to_string(),
        Type::Float => f64::from_bits(cell).to_string(),
    }
}

/// Reads a `.facts` field as a cell of type `ty`.
pub fn parse_cell(ty: Type, text: &str, symbols: &mut Symbols) -> Result<u64, String> {
    match ty {
        Type::Symbol => Ok(symbols.intern(text) as u64),
        Type::Number => text
            .trim()
            .parse::<i64>()
            .map(|n| n as u64)
            .map_err(|_| format!("`{text}` is not a number")),
        Type::Unsigned => text
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("`{text}` is not an unsigned number")),
        Type::Float => text
            .trim()
            .parse::<f64>()
            .map(f64::to_bits)
            .map_err(|_| format!("`{text}` is not a float")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where prefixes differ, they must order the cells as the sort does.
    #[test]
    fn sort_prefixes_agree_with_the_sort() {
        let mut symbols = Symbols::default();
        let words = [
            "",
            "a",
            "abcdefgh",
            "abcdefghi",
            "abcdefgi",
            "b",
            "ü",
            "a\0",
        ];
        let syms: Vec<u64> = words.iter().map(|w| symbols.intern(w) as u64).collect();
        let numbers: Vec<u64> = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX]
            .iter()
            .map(|&n| n as u64)
            .collect();
        let unsigned = vec![0, 1, 1 << 40, u64::MAX];
        let floats: Vec<u64> = [f64::NEG_INFINITY, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::NAN]
            .iter()
            .map(|f| f.to_bits())
            .collect();
        for (ty, cells) in [
            (Type::Symbol, syms),
            (Type::Number, numbers),
            (Type::Unsigned, unsigned),
            (Type::Float, floats),
        ] {
            for &a in &cells {
                for &b in &cells {
                    let (pa, pb) = (sort_prefix(ty, a, &symbols), sort_prefix(ty, b, &symbols));
                    if pa != pb {
                        assert_eq!(
                            pa.cmp(&pb),
                            sort_cells(ty, a, b, &symbols),
                            "{ty:?} {a} {b}"
                        );
                    }
                }
            }
        }
    }
}
