//! Aggregate accumulators: `count`, `sum`, `min`, `max`, `mean` over the
//! solutions of an aggregate body, one solution at a time. As in Soufflé,
//! `count` and `sum` of no solution are 0, while `min`, `max` and `mean` of
//! no solution have no value and the rule does not fire for that group.

use crate::facts::{Symbols, Type};
use crate::lang::program::AggOp;

use super::value::compare_cells;

#[derive(Debug)]
pub struct Acc {
    op: AggOp,
    ty: Type,
    count: u64,
    /// Running sum in the target's type (wrapping for integers).
    sum: u64,
    /// `mean` sums as f64 whatever the target type.
    fsum: f64,
    best: Option<u64>,
}

impl Acc {
    pub fn new(op: AggOp, ty: Type) -> Self {
        Acc {
            op,
            ty,
            count: 0,
            sum: if ty == Type::Float { 0f64.to_bits() } else { 0 },
            fsum: 0.0,
            best: None,
        }
    }

    /// Adds one solution; `v` is the target's value (ignored by `count`).
    pub fn add(&mut self, v: u64, symbols: &Symbols) {
        self.count += 1;
        match self.op {
            AggOp::Count => {}
            AggOp::Sum => {
                self.sum = match self.ty {
                    Type::Number => (self.sum as i64).wrapping_add(v as i64) as u64,
                    Type::Float => (f64::from_bits(self.sum) + f64::from_bits(v)).to_bits(),
                    _ => self.sum.wrapping_add(v),
                }
            }
            AggOp::Mean => {
                self.fsum += match self.ty {
                    Type::Number => v as i64 as f64,
                    Type::Float => f64::from_bits(v),
                    _ => v as f64,
                }
            }
            AggOp::Min | AggOp::Max => {
                let better = match self.best {
                    None => true,
                    Some(b) => match compare_cells(self.ty, v, b, symbols) {
                        Some(ord) => {
                            (ord == std::cmp::Ordering::Less) == (self.op == AggOp::Min)
                                && ord != std::cmp::Ordering::Equal
                        }
                        None => false,
                    },
                };
                if better {
                    self.best = Some(v);
                }
            }
        }
    }

    /// The aggregate's value, or `None` for min/max/mean of nothing.
    pub fn finish(&self) -> Option<u64> {
        match self.op {
            AggOp::Count => Some(self.count),
            AggOp::Sum => Some(self.sum),
            AggOp::Min | AggOp::Max => self.best,
            AggOp::Mean => (self.count > 0).then(|| (self.fsum / self.count as f64).to_bits()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_groups_follow_souffle() {
        let s = Symbols::default();
        assert_eq!(Acc::new(AggOp::Count, Type::Number).finish(), Some(0));
        assert_eq!(Acc::new(AggOp::Sum, Type::Number).finish(), Some(0));
        assert_eq!(Acc::new(AggOp::Min, Type::Number).finish(), None);
        assert_eq!(Acc::new(AggOp::Mean, Type::Number).finish(), None);
        let mut a = Acc::new(AggOp::Max, Type::Number);
        for v in [3i64, -7, 5, 5] {
            a.add(v as u64, &s);
        }
        assert_eq!(a.finish(), Some(5));
        let mut m = Acc::new(AggOp::Mean, Type::Number);
        for v in [1i64, 2] {
            m.add(v as u64, &s);
        }
        assert_eq!(m.finish().map(f64::from_bits), Some(1.5));
    }
}
