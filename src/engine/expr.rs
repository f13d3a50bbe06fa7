//! Expressions and conditions compiled for evaluation: constants interned,
//! variables turned into register numbers. Evaluation works on raw cells
//! (`u64`) and the expression's type says how to read them. A value that
//! cannot be computed (division by zero, `to_number` of text that is no
//! number, a substring out of range) is `None`: the tuple disappears, as the
//! design says, rather than the run aborting.

use std::cmp::Ordering;

use regex::Regex;
use rustc_hash::FxHashMap;

use crate::facts::{Symbols, Type};
use crate::lang::program::{BinOp, CmpOp, Condition, Constraint, Expr, ExprKind, Functor};

use super::value::{compare_cells, const_cell};

#[derive(Clone, Debug)]
pub enum CExpr {
    Var(usize),
    Const(u64),
    Neg(Type, Box<CExpr>),
    Binary(BinOp, Type, Box<CExpr>, Box<CExpr>),
    /// The functor, its argument types and arguments.
    Call(Functor, Vec<(Type, CExpr)>),
}

#[derive(Clone, Debug)]
pub enum CCond {
    Compare(CmpOp, Type, CExpr, CExpr),
    Builtin(Constraint, CExpr, CExpr),
    False,
}

impl CExpr {
    pub fn compile(e: &Expr, symbols: &mut Symbols) -> CExpr {
        match &e.kind {
            ExprKind::Var(v) => CExpr::Var(v.0 as usize),
            ExprKind::Const(c) => CExpr::Const(const_cell(c, symbols)),
            ExprKind::Neg(x) => CExpr::Neg(e.ty, Box::new(CExpr::compile(x, symbols))),
            ExprKind::Binary { op, lhs, rhs } => CExpr::Binary(
                *op,
                e.ty,
                Box::new(CExpr::compile(lhs, symbols)),
                Box::new(CExpr::compile(rhs, symbols)),
            ),
            ExprKind::Call { functor, args } => CExpr::Call(
                *functor,
                args.iter()
                    .map(|a| (a.ty, CExpr::compile(a, symbols)))
                    .collect(),
            ),
        }
    }

    /// Registers read by this expression.
    pub fn vars(&self, out: &mut Vec<usize>) {
        match self {
            CExpr::Var(v) => out.push(*v),
            CExpr::Const(_) => {}
            CExpr::Neg(_, x) => x.vars(out),
            CExpr::Binary(_, _, a, b) => {
                a.vars(out);
                b.vars(out);
            }
            CExpr::Call(_, args) => args.iter().for_each(|(_, a)| a.vars(out)),
        }
    }
}

impl CCond {
    pub fn compile(c: &Condition, symbols: &mut Symbols) -> CCond {
        match c {
            Condition::Compare {
                op, ty, lhs, rhs, ..
            } => CCond::Compare(
                *op,
                *ty,
                CExpr::compile(lhs, symbols),
                CExpr::compile(rhs, symbols),
            ),
            Condition::Builtin {
                constraint, args, ..
            } => CCond::Builtin(
                *constraint,
                CExpr::compile(&args[0], symbols),
                CExpr::compile(&args[1], symbols),
            ),
            Condition::False { .. } => CCond::False,
        }
    }
}

/// What evaluation needs besides the registers: the symbol table (functors
/// make new strings) and compiled regexes, each compiled once per pattern.
#[derive(Debug)]
pub struct Env<'a> {
    pub symbols: &'a mut Symbols,
    pub regexes: &'a mut Regexes,
}

/// Compiled `match` patterns by pattern symbol; `None` for a pattern that
/// does not compile (the constraint is then false).
#[derive(Debug, Default)]
pub struct Regexes(FxHashMap<u64, Option<Regex>>);

impl Env<'_> {
    pub fn eval(&mut self, e: &CExpr, regs: &[u64]) -> Option<u64> {
        Some(match e {
            CExpr::Var(v) => regs[*v],
            CExpr::Const(c) => *c,
            CExpr::Neg(ty, x) => {
                let x = self.eval(x, regs)?;
                match ty {
                    Type::Number => (x as i64).wrapping_neg() as u64,
                    Type::Unsigned => x.wrapping_neg(),
                    Type::Float => (-f64::from_bits(x)).to_bits(),
                    Type::Symbol => return None,
                }
            }
            CExpr::Binary(op, ty, a, b) => {
                let a = self.eval(a, regs)?;
                let b = self.eval(b, regs)?;
                arith(*op, *ty, a, b)?
            }
            CExpr::Call(f, args) => self.call(*f, args, regs)?,
        })
    }

    fn call(&mut self, f: Functor, args: &[(Type, CExpr)], regs: &[u64]) -> Option<u64> {
        let mut vals = Vec::with_capacity(args.len());
        for (_, a) in args {
            vals.push(self.eval(a, regs)?);
        }
        let text = |symbols: &Symbols, i: usize| symbols.resolve(vals[i] as u32).to_string();
        Some(match f {
            Functor::Cat => {
                let mut s = String::new();
                for &v in &vals {
                    s.push_str(self.symbols.resolve(v as u32));
                }
                self.symbols.intern(&s) as u64
            }
            Functor::Substr => {
                let s = text(self.symbols, 0);
                let start = usize::try_from(vals[1] as i64).ok()?;
                let len = usize::try_from(vals[2] as i64).ok()?;
                if start > s.chars().count() {
                    return None;
                }
                let sub: String = s.chars().skip(start).take(len).collect();
                self.symbols.intern(&sub) as u64
            }
            Functor::Strlen => self.symbols.resolve(vals[0] as u32).chars().count() as u64,
            Functor::Lower => {
                let s = self.symbols.resolve(vals[0] as u32).to_lowercase();
                self.symbols.intern(&s) as u64
            }
            Functor::ToNumber => self
                .symbols
                .resolve(vals[0] as u32)
                .trim()
                .parse::<i64>()
                .ok()? as u64,
            Functor::ToString => {
                let s = match args[0].0 {
                    Type::Number => (vals[0] as i64).to_string(),
                    Type::Unsigned => vals[0].to_string(),
                    Type::Float => f64::from_bits(vals[0]).to_string(),
                    Type::Symbol => self.symbols.resolve(vals[0] as u32).to_string(),
                };
                self.symbols.intern(&s) as u64
            }
            Functor::Ord => vals[0],
        })
    }

    pub fn test(&mut self, c: &CCond, regs: &[u64]) -> bool {
        match c {
            CCond::False => false,
            CCond::Compare(op, ty, a, b) => {
                let (Some(a), Some(b)) = (self.eval(a, regs), self.eval(b, regs)) else {
                    return false;
                };
                // Interned ids are equal exactly when the texts are.
                if *ty == Type::Symbol && matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    return (a == b) == (*op == CmpOp::Eq);
                }
                match compare_cells(*ty, a, b, self.symbols) {
                    Some(ord) => cmp_holds(*op, ord),
                    // NaN: only `!=` holds, as IEEE comparisons say.
                    None => *op == CmpOp::Ne,
                }
            }
            CCond::Builtin(k, a, b) => {
                let (Some(a), Some(b)) = (self.eval(a, regs), self.eval(b, regs)) else {
                    return false;
                };
                match k {
                    Constraint::Contains => {
                        let s = self.symbols.resolve(b as u32);
                        s.contains(self.symbols.resolve(a as u32))
                    }
                    Constraint::Match => {
                        let symbols = &*self.symbols;
                        let re = self.regexes.0.entry(a).or_insert_with(|| {
                            // Soufflé matches the whole text.
                            Regex::new(&format!("^(?:{})$", symbols.resolve(a as u32))).ok()
                        });
                        match re {
                            Some(re) => re.is_match(self.symbols.resolve(b as u32)),
                            None => false,
                        }
                    }
                }
            }
        }
    }
}

fn cmp_holds(op: CmpOp, ord: Ordering) -> bool {
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

/// Integer arithmetic wraps; division or remainder by zero has no value.
fn arith(op: BinOp, ty: Type, a: u64, b: u64) -> Option<u64> {
    Some(match ty {
        Type::Number => {
            let (a, b) = (a as i64, b as i64);
            (match op {
                BinOp::Add => a.wrapping_add(b),
                BinOp::Sub => a.wrapping_sub(b),
                BinOp::Mul => a.wrapping_mul(b),
                BinOp::Div => {
                    if b == 0 {
                        return None;
                    }
                    a.wrapping_div(b)
                }
                BinOp::Rem => {
                    if b == 0 {
                        return None;
                    }
                    a.wrapping_rem(b)
                }
            }) as u64
        }
        Type::Unsigned => match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::Div => a.checked_div(b)?,
            BinOp::Rem => a.checked_rem(b)?,
        },
        Type::Float => {
            let (a, b) = (f64::from_bits(a), f64::from_bits(b));
            (match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => {
                    if b == 0.0 {
                        return None;
                    }
                    a / b
                }
                BinOp::Rem => {
                    if b == 0.0 {
                        return None;
                    }
                    a % b
                }
            })
            .to_bits()
        }
        Type::Symbol => return None,
    })
}
