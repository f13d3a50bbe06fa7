//! Types of a clause: atoms fix the types of their variables, the rest is
//! inferred from comparisons, functors and aggregates, then every
//! expression is checked against what its place needs.

use super::{Cx, IExpr, IKind, ILit};
use crate::facts::Type;
use crate::lang::ast::{AggOp, Constraint, Functor};
use crate::lang::error::ErrorKind;
use crate::lang::program::VarId;
use crate::lang::source::Loc;

/// Parameter types and result type of a functor.
pub(super) fn signature(f: Functor) -> (&'static [Option<Type>], Type) {
    use Type::*;
    const S: Option<Type> = Some(Symbol);
    const N: Option<Type> = Some(Number);
    match f {
        Functor::Cat => (&[S, S], Symbol),
        Functor::Substr => (&[S, N, N], Symbol),
        Functor::Strlen => (&[S], Number),
        Functor::Lower => (&[S], Symbol),
        Functor::ToNumber => (&[S], Number),
        // Any numeric type: `None` means "number, unsigned or float".
        Functor::ToString => (&[None], Symbol),
        Functor::Ord => (&[S], Number),
    }
}

impl Cx<'_, '_> {
    pub(super) fn atom_types(&mut self, lits: &[ILit]) {
        for lit in lits {
            match lit {
                ILit::Atom { rel, args, .. } => {
                    let rel = self.env.relation(*rel);
                    for (arg, col) in args.iter().zip(&rel.columns) {
                        if let IKind::Var(v) = arg.kind {
                            let why = format!("column `{}` of `{}`", col.name, rel.name);
                            self.unify(v, col.ty, arg.loc, why);
                        }
                    }
                }
                ILit::Agg { body, .. } => self.atom_types(body),
                _ => {}
            }
        }
    }

    pub(super) fn unify(&mut self, v: VarId, ty: Type, loc: Loc, why: String) {
        let info = &mut self.vars[v.0 as usize];
        match info.ty {
            None => {
                info.ty = Some(ty);
                info.ty_loc = Some(loc);
                info.ty_why = why;
            }
            Some(t) if t == ty => {}
            Some(t) => {
                let name = info.name.clone();
                let first = info.ty_loc.unwrap_or(loc);
                let first_why = info.ty_why.clone();
                let e = self
                    .at(
                        ErrorKind::Type,
                        loc,
                        format!(
                            "type mismatch: `{name}` is used as {} and as {}",
                            t.as_str(),
                            ty.as_str()
                        ),
                        format!("{} here ({why})", ty.as_str()),
                    )
                    .with_note(
                        self.env.sources,
                        first,
                        format!("{} here ({first_why})", t.as_str()),
                    )
                    .with_help(
                        "a variable has one type; use two variables, or convert with to_number / to_string",
                    );
                self.err(e);
            }
        }
    }

    pub(super) fn synth(&self, e: &IExpr) -> Option<Type> {
        match &e.kind {
            IKind::Var(v) => self.vars[v.0 as usize].ty,
            IKind::Wild | IKind::Int(_) => None,
            IKind::Str(_) => Some(Type::Symbol),
            IKind::Unsigned(_) => Some(Type::Unsigned),
            IKind::Float(_) => Some(Type::Float),
            IKind::Neg(inner) => self.synth(inner),
            IKind::Bin(_, l, r) => self.synth(l).or_else(|| self.synth(r)),
            IKind::Call(f, _) => Some(signature(*f).1),
        }
    }

    /// Gives untyped variables in `e` the type `ty` implies; true if any
    /// variable got a type.
    pub(super) fn assign(&mut self, e: &IExpr, ty: Type) -> bool {
        match &e.kind {
            IKind::Var(v) => {
                let info = &mut self.vars[v.0 as usize];
                if info.ty.is_none() {
                    info.ty = Some(ty);
                    info.ty_loc = Some(e.loc);
                    info.ty_why = "inferred from its use here".into();
                    return true;
                }
                false
            }
            IKind::Neg(inner) if ty != Type::Symbol => self.assign(inner, ty),
            IKind::Bin(_, l, r) if ty != Type::Symbol => self.assign(l, ty) | self.assign(r, ty),
            IKind::Call(f, args) => {
                let (params, _) = signature(*f);
                let mut changed = false;
                for (i, a) in args.iter().enumerate() {
                    let p = params.get(i).or(params.last()).copied().flatten();
                    if let Some(p) = p {
                        changed |= self.assign(a, p);
                    }
                }
                changed
            }
            _ => false,
        }
    }

    pub(super) fn infer(&mut self, lits: &[ILit]) -> bool {
        let mut changed = false;
        for lit in lits {
            match lit {
                ILit::Cmp { lhs, rhs, .. } => {
                    if let Some(t) = self.synth(lhs).or_else(|| self.synth(rhs)) {
                        changed |= self.assign(lhs, t) | self.assign(rhs, t);
                    }
                }
                ILit::Builtin { args, .. } => {
                    for a in args {
                        changed |= self.assign(a, Type::Symbol);
                    }
                }
                ILit::Agg {
                    var,
                    op,
                    target,
                    body,
                    loc,
                    ..
                } => {
                    changed |= self.infer(body);
                    let result = match op {
                        AggOp::Count => Some(Type::Number),
                        AggOp::Mean => Some(Type::Float),
                        _ => target.as_ref().and_then(|t| self.synth(t)),
                    };
                    let var_expr = IExpr {
                        kind: IKind::Var(*var),
                        loc: *loc,
                    };
                    match result {
                        Some(t) => changed |= self.assign(&var_expr, t),
                        None => {
                            if let (Some(t), Some(target)) = (self.synth(&var_expr), target) {
                                changed |= self.assign(target, t);
                            }
                        }
                    }
                }
                ILit::Atom { .. } | ILit::False(_) => {}
            }
        }
        changed
    }

    pub(super) fn infer_head(&mut self, args: &[IExpr], columns: &[Type]) -> bool {
        let mut changed = false;
        for (a, &t) in args.iter().zip(columns) {
            changed |= self.assign(a, t);
        }
        changed
    }

    pub(super) fn mismatch(&mut self, e: &IExpr, expected: Type, found: Type) {
        let mut err = self.at(
            ErrorKind::Type,
            e.loc,
            format!(
                "type mismatch: expected {}, found {}",
                expected.as_str(),
                found.as_str()
            ),
            format!("this is a {}", found.as_str()),
        );
        if let IKind::Var(v) = e.kind {
            let info = &self.vars[v.0 as usize];
            if let Some(at) = info.ty_loc.filter(|&l| l != e.loc) {
                let label = format!(
                    "`{}` is a {} here ({})",
                    info.name,
                    found.as_str(),
                    info.ty_why
                );
                err = err.with_note(self.env.sources, at, label);
            }
        }
        let help = match (expected, found) {
            (Type::Symbol, _) => "convert a number to a symbol with to_string(…), or quote a constant",
            (_, Type::Symbol) => "convert a symbol to a number with to_number(…)",
            _ => "both sides of a comparison, and an attribute and its value, must have the same type",
        };
        self.err(err.with_help(help));
    }

    /// Checks that `e` has type `ty`, reporting every mismatch inside.
    pub(super) fn check(&mut self, e: &IExpr, ty: Type) {
        match &e.kind {
            IKind::Var(v) => {
                if let Some(t) = self.vars[v.0 as usize].ty {
                    if t != ty {
                        self.mismatch(e, ty, t);
                    }
                }
            }
            IKind::Wild => {
                let err = self
                    .at(ErrorKind::Invalid, e.loc, "`_` cannot be used here", "wildcard")
                    .with_help("`_` stands for any value only as an argument of a body atom; name a variable instead");
                self.err(err);
            }
            IKind::Str(_) if ty != Type::Symbol => self.mismatch(e, ty, Type::Symbol),
            IKind::Int(i) => {
                if ty == Type::Symbol {
                    let err = self
                        .at(
                            ErrorKind::Type,
                            e.loc,
                            "type mismatch: expected symbol, found number",
                            "this is a number",
                        )
                        .with_help(format!("quote it to make it a symbol: \"{i}\""));
                    self.err(err);
                } else if ty == Type::Unsigned && *i < 0 {
                    let err = self
                        .at(
                            ErrorKind::Type,
                            e.loc,
                            "type mismatch: a negative number where an unsigned is expected",
                            "negative",
                        )
                        .with_help("unsigned values are 0 or more; declare the attribute `number` for negative values");
                    self.err(err);
                }
            }
            IKind::Unsigned(_) if ty != Type::Unsigned => self.mismatch(e, ty, Type::Unsigned),
            IKind::Float(_) if ty != Type::Float => self.mismatch(e, ty, Type::Float),
            IKind::Neg(_) | IKind::Bin(..) if ty == Type::Symbol => {
                let op = match &e.kind {
                    IKind::Bin(op, ..) => op.as_str(),
                    _ => "-",
                };
                let err = self
                    .at(
                        ErrorKind::Type,
                        e.loc,
                        format!("type mismatch: arithmetic `{op}` where a symbol is expected"),
                        "arithmetic gives a number",
                    )
                    .with_help("arithmetic works on numbers; join symbols with cat(A, B)");
                self.err(err);
            }
            IKind::Neg(inner) => self.check(inner, ty),
            IKind::Bin(_, l, r) => {
                self.check(l, ty);
                self.check(r, ty);
            }
            IKind::Call(f, args) => {
                let (params, result) = signature(*f);
                for (i, a) in args.iter().enumerate() {
                    match params.get(i).or(params.last()).copied().flatten() {
                        Some(p) => self.check(a, p),
                        None => {
                            if self.synth(a) == Some(Type::Symbol) {
                                self.mismatch(a, Type::Number, Type::Symbol);
                            } else {
                                let t = self.synth(a).unwrap_or(Type::Number);
                                self.check(a, t);
                            }
                        }
                    }
                }
                if result != ty {
                    let err = self
                        .at(
                            ErrorKind::Type,
                            e.loc,
                            format!(
                                "type mismatch: expected {}, found {}",
                                ty.as_str(),
                                result.as_str()
                            ),
                            format!("`{}` gives a {}", f.name(), result.as_str()),
                        )
                        .with_help(functor_help(*f));
                    self.err(err);
                }
            }
            _ => {}
        }
    }

    pub(super) fn check_lits(&mut self, lits: &[ILit]) {
        for lit in lits {
            match lit {
                ILit::Atom { rel, args, .. } => {
                    let types: Vec<Type> = self.env.relation(*rel).types().collect();
                    for (a, t) in args.iter().zip(types) {
                        if !matches!(a.kind, IKind::Var(_) | IKind::Wild) {
                            self.check(a, t);
                        }
                    }
                }
                ILit::Cmp { lhs, rhs, .. } => {
                    let t = self
                        .synth(lhs)
                        .or_else(|| self.synth(rhs))
                        .unwrap_or(Type::Number);
                    self.check(lhs, t);
                    self.check(rhs, t);
                }
                ILit::Builtin { c, args, .. } => {
                    for a in args {
                        self.check(a, Type::Symbol);
                    }
                    if let (Constraint::Match, IKind::Str(re)) = (c, &args[0].kind) {
                        if let Err(err) = regex::Regex::new(&format!("^(?:{re})$")) {
                            let detail = err.to_string();
                            let last = detail.lines().last().unwrap_or("").trim().to_string();
                            let e = self
                                .at(
                                    ErrorKind::Regex,
                                    args[0].loc,
                                    format!("invalid regular expression: {last}"),
                                    "does not compile",
                                )
                                .with_help("match(Regex, S) uses Rust regex syntax and must match the whole of S");
                            self.err(e);
                        }
                    }
                }
                ILit::Agg {
                    op, target, body, ..
                } => {
                    self.check_lits(body);
                    if let Some(t) = target {
                        let tt = self.synth(t).unwrap_or(Type::Number);
                        if tt == Type::Symbol {
                            let e = self
                                .at(
                                    ErrorKind::Type,
                                    t.loc,
                                    format!("type mismatch: `{}` needs a numeric value, found symbol", op.name()),
                                    "a symbol",
                                )
                                .with_help("aggregate over a number, unsigned or float; convert with to_number(…)");
                            self.err(e);
                        } else {
                            self.check(t, tt);
                        }
                    }
                }
                ILit::False(_) => {}
            }
        }
    }
}

pub(super) fn functor_help(f: Functor) -> &'static str {
    match f {
        Functor::Cat => "cat(A, B, …) joins two or more symbols",
        Functor::Substr => {
            "substr(S, Start, Len) takes a symbol and two numbers and gives a symbol"
        }
        Functor::Strlen => "strlen(S) takes a symbol and gives a number",
        Functor::Lower => "lower(S) takes a symbol and gives a symbol",
        Functor::ToNumber => "to_number(S) takes a symbol and gives a number",
        Functor::ToString => "to_string(N) takes a number and gives a symbol",
        Functor::Ord => "ord(S) takes a symbol and gives a number",
    }
}
