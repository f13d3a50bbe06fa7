//! Range restriction and evaluation order: positive atoms first, then each
//! other literal once every variable it reads is bound; what can never be
//! placed has an unbound variable. Also builds the program's terms.

use rustc_hash::FxHashSet;

use super::types::signature;
use super::{Cx, IExpr, IKind, ILit};
use crate::facts::Type;
use crate::lang::ast::CmpOp;
use crate::lang::error::ErrorKind;
use crate::lang::program::{
    Aggregate, Atom, Condition, Expr, ExprKind, Literal, RelId, Term, Value, VarId,
};
use crate::lang::source::Loc;

impl Cx<'_, '_> {
    /// Orders a conjunction for evaluation (positive atoms first, then each
    /// literal once what it reads is bound) and builds program literals.
    /// Literals that can never be placed have an unbound variable.
    pub(super) fn order(&mut self, lits: Vec<ILit>, bound: &mut FxHashSet<VarId>) -> Vec<Literal> {
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for lit in lits {
            match lit {
                ILit::Atom {
                    rel,
                    args,
                    neg: false,
                    loc,
                } => {
                    for a in &args {
                        if let IKind::Var(v) = a.kind {
                            bound.insert(v);
                        }
                    }
                    let atom = self.build_atom(rel, &args, loc);
                    out.push(Literal::Positive(atom));
                }
                other => pending.push(other),
            }
        }
        while !pending.is_empty() {
            if let Some(i) = pending.iter().position(|l| self.ready(l, bound)) {
                let lit = pending.remove(i);
                let built = self.place(lit, bound);
                out.push(built);
                continue;
            }
            // Stuck: report one literal, preferring one that no binding
            // could fix, then treat its variables as bound so that what
            // depends on it is not reported as well.
            let i = pending
                .iter()
                .position(|l| !matches!(l, ILit::Cmp { op: CmpOp::Eq, lhs, rhs, .. } if is_var(lhs) || is_var(rhs)))
                .unwrap_or(0);
            let lit = pending.remove(i);
            self.unbound(&lit, bound);
            let mut vars = Vec::new();
            vars_in_lit(&lit, &mut vars);
            bound.extend(vars);
        }
        out
    }

    pub(super) fn ready(&self, lit: &ILit, bound: &FxHashSet<VarId>) -> bool {
        match lit {
            ILit::Atom { args, .. } | ILit::Builtin { args, .. } => {
                args.iter().all(|a| first_unbound(a, bound).is_none())
            }
            ILit::Cmp { op, lhs, rhs, .. } => {
                let l = first_unbound(lhs, bound).is_none();
                let r = first_unbound(rhs, bound).is_none();
                (l && r) || (*op == CmpOp::Eq && ((l && is_var(rhs)) || (r && is_var(lhs))))
            }
            ILit::False(_) => true,
            ILit::Agg { .. } => self.agg_outer(lit).iter().all(|v| bound.contains(v)),
        }
    }

    /// Variables of an aggregate that belong to enclosing scopes.
    pub(super) fn agg_outer(&self, lit: &ILit) -> Vec<VarId> {
        let ILit::Agg {
            depth,
            body,
            target,
            ..
        } = lit
        else {
            return Vec::new();
        };
        let mut vars = Vec::new();
        for l in body {
            vars_in_lit(l, &mut vars);
        }
        if let Some(t) = target {
            vars_in_expr(t, &mut vars);
        }
        vars.retain(|v| self.vars[v.0 as usize].depth <= *depth);
        vars.sort();
        vars.dedup();
        vars
    }

    pub(super) fn place(&mut self, lit: ILit, bound: &mut FxHashSet<VarId>) -> Literal {
        let outer = self.agg_outer(&lit);
        match lit {
            ILit::Atom { rel, args, loc, .. } => {
                Literal::Negative(self.build_atom(rel, &args, loc))
            }
            ILit::Cmp { op, lhs, rhs, loc } => {
                let l = first_unbound(&lhs, bound).is_none();
                let r = first_unbound(&rhs, bound).is_none();
                if l && r {
                    let ty = self
                        .synth(&lhs)
                        .or_else(|| self.synth(&rhs))
                        .unwrap_or(Type::Number);
                    return Literal::Filter(Condition::Compare {
                        op,
                        ty,
                        lhs: self.build(&lhs, ty),
                        rhs: self.build(&rhs, ty),
                        loc,
                    });
                }
                let (var, expr) = if l { (rhs, lhs) } else { (lhs, rhs) };
                let IKind::Var(v) = var.kind else {
                    unreachable!("ready() admits a binding only for a variable side")
                };
                bound.insert(v);
                let ty = self.vars[v.0 as usize].ty.unwrap_or(Type::Number);
                Literal::Bind {
                    var: v,
                    expr: self.build(&expr, ty),
                    loc,
                }
            }
            ILit::Builtin { c, args, loc } => {
                let a = self.build(&args[0], Type::Symbol);
                let b = self.build(&args[1], Type::Symbol);
                Literal::Filter(Condition::Builtin {
                    constraint: c,
                    args: [a, b],
                    loc,
                })
            }
            ILit::False(loc) => Literal::Filter(Condition::False { loc }),
            ILit::Agg {
                var,
                op,
                target,
                body,
                loc,
                ..
            } => {
                let mut inner = bound.clone();
                let body = self.order(body, &mut inner);
                let target = target.map(|t| {
                    if let Some((v, at)) = first_unbound(&t, &inner) {
                        let name = self.vars[v.0 as usize].name.clone();
                        let e = self
                            .at(
                                ErrorKind::Unbound,
                                at,
                                format!("variable `{name}` is not bound in the aggregate"),
                                "not bound",
                            )
                            .with_help("the aggregated value must come from a positive atom in the aggregate's body");
                        self.err(e);
                    }
                    let ty = self.synth(&t).unwrap_or(Type::Number);
                    self.build(&t, ty)
                });
                bound.insert(var);
                Literal::Aggregate(Aggregate {
                    var,
                    op,
                    target,
                    body,
                    outer,
                    loc,
                })
            }
        }
    }

    pub(super) fn unbound(&mut self, lit: &ILit, bound: &FxHashSet<VarId>) {
        let (found, help) = match lit {
            ILit::Atom { args, .. } => (
                args.iter().find_map(|a| first_unbound(a, bound)),
                "a variable in a negated atom must also appear in a positive atom of the body; write `_` if any value will do",
            ),
            ILit::Builtin { args, .. } => (
                args.iter().find_map(|a| first_unbound(a, bound)),
                "a variable in a constraint must appear in a positive atom of the body",
            ),
            ILit::Cmp { lhs, rhs, .. } => (
                first_unbound(lhs, bound).or_else(|| first_unbound(rhs, bound)),
                "a variable in a comparison or functor must appear in a positive atom of the body, or be bound first by `X = …`",
            ),
            ILit::Agg { loc, .. } => {
                let v = self
                    .agg_outer(lit)
                    .into_iter()
                    .find(|v| !bound.contains(v));
                (
                    v.map(|v| (v, find_var_loc(lit, v).unwrap_or(*loc))),
                    "a variable used both inside and outside an aggregate must be bound outside it by a positive atom",
                )
            }
            ILit::False(_) => (None, ""),
        };
        if let Some((v, at)) = found {
            let name = self.vars[v.0 as usize].name.clone();
            let e = self
                .at(
                    ErrorKind::Unbound,
                    at,
                    format!("variable `{name}` is not bound"),
                    "no positive atom binds it",
                )
                .with_help(help);
            self.err(e);
        }
    }

    // ---- building program terms ----

    pub(super) fn build_atom(&self, rel: RelId, args: &[IExpr], loc: Loc) -> Atom {
        let types: Vec<Type> = self.env.relation(rel).types().collect();
        Atom {
            relation: rel,
            args: args
                .iter()
                .zip(types)
                .map(|(a, ty)| match &a.kind {
                    IKind::Var(v) => Term::Var(*v),
                    IKind::Wild => Term::Wildcard,
                    _ => match self.build(a, ty).kind {
                        ExprKind::Const(c) => Term::Const(c),
                        _ => Term::Wildcard,
                    },
                })
                .collect(),
            loc,
        }
    }

    pub(super) fn build(&self, e: &IExpr, ty: Type) -> Expr {
        let kind = match &e.kind {
            IKind::Var(v) => {
                let vt = self.vars[v.0 as usize].ty.unwrap_or(Type::Number);
                return Expr {
                    kind: ExprKind::Var(*v),
                    ty: vt,
                };
            }
            IKind::Wild => ExprKind::Const(Value::Number(0)),
            IKind::Str(s) => ExprKind::Const(Value::Symbol(s.clone())),
            IKind::Int(i) => ExprKind::Const(match ty {
                Type::Unsigned => Value::Unsigned(*i as u64),
                Type::Float => Value::Float(*i as f64),
                _ => Value::Number(*i),
            }),
            IKind::Unsigned(u) => ExprKind::Const(Value::Unsigned(*u)),
            IKind::Float(f) => ExprKind::Const(Value::Float(*f)),
            IKind::Neg(inner) => ExprKind::Neg(Box::new(self.build(inner, ty))),
            IKind::Bin(op, l, r) => ExprKind::Binary {
                op: *op,
                lhs: Box::new(self.build(l, ty)),
                rhs: Box::new(self.build(r, ty)),
            },
            IKind::Call(f, args) => {
                let (params, result) = signature(*f);
                let args = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let p = params.get(i).or(params.last()).copied().flatten();
                        let t = p.or_else(|| self.synth(a)).unwrap_or(Type::Number);
                        self.build(a, t)
                    })
                    .collect();
                return Expr {
                    kind: ExprKind::Call { functor: *f, args },
                    ty: result,
                };
            }
        };
        let ty = match &kind {
            ExprKind::Const(c) => c.ty(),
            _ => ty,
        };
        Expr { kind, ty }
    }
}

pub(super) fn is_var(e: &IExpr) -> bool {
    matches!(e.kind, IKind::Var(_))
}

/// The first variable in `e` (with where it is) that is not bound.
pub(super) fn first_unbound(e: &IExpr, bound: &FxHashSet<VarId>) -> Option<(VarId, Loc)> {
    match &e.kind {
        IKind::Var(v) if !bound.contains(v) => Some((*v, e.loc)),
        IKind::Neg(inner) => first_unbound(inner, bound),
        IKind::Bin(_, l, r) => first_unbound(l, bound).or_else(|| first_unbound(r, bound)),
        IKind::Call(_, args) => args.iter().find_map(|a| first_unbound(a, bound)),
        _ => None,
    }
}

pub(super) fn vars_in_expr(e: &IExpr, out: &mut Vec<VarId>) {
    match &e.kind {
        IKind::Var(v) => out.push(*v),
        IKind::Neg(inner) => vars_in_expr(inner, out),
        IKind::Bin(_, l, r) => {
            vars_in_expr(l, out);
            vars_in_expr(r, out);
        }
        IKind::Call(_, args) => args.iter().for_each(|a| vars_in_expr(a, out)),
        _ => {}
    }
}

pub(super) fn vars_in_lit(l: &ILit, out: &mut Vec<VarId>) {
    match l {
        ILit::Atom { args, .. } | ILit::Builtin { args, .. } => {
            args.iter().for_each(|a| vars_in_expr(a, out))
        }
        ILit::Cmp { lhs, rhs, .. } => {
            vars_in_expr(lhs, out);
            vars_in_expr(rhs, out);
        }
        ILit::Agg {
            var, body, target, ..
        } => {
            out.push(*var);
            body.iter().for_each(|b| vars_in_lit(b, out));
            if let Some(t) = target {
                vars_in_expr(t, out);
            }
        }
        ILit::False(_) => {}
    }
}

pub(super) fn find_in_expr(e: &IExpr, v: VarId) -> Option<Loc> {
    match &e.kind {
        IKind::Var(x) if *x == v => Some(e.loc),
        IKind::Neg(inner) => find_in_expr(inner, v),
        IKind::Bin(_, l, r) => find_in_expr(l, v).or_else(|| find_in_expr(r, v)),
        IKind::Call(_, args) => args.iter().find_map(|a| find_in_expr(a, v)),
        _ => None,
    }
}

pub(super) fn find_var_loc(l: &ILit, v: VarId) -> Option<Loc> {
    match l {
        ILit::Atom { args, .. } | ILit::Builtin { args, .. } => {
            args.iter().find_map(|a| find_in_expr(a, v))
        }
        ILit::Cmp { lhs, rhs, .. } => find_in_expr(lhs, v).or_else(|| find_in_expr(rhs, v)),
        ILit::Agg { body, target, .. } => body
            .iter()
            .find_map(|b| find_var_loc(b, v))
            .or_else(|| target.as_ref().and_then(|t| find_in_expr(t, v))),
        ILit::False(_) => None,
    }
}
