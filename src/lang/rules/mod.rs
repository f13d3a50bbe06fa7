//! One clause to program rules: split disjunctions and multiple heads and
//! scope variables (aggregate bodies have their own) here; infer and check
//! types in [`types`]; check range restriction and order each body for
//! evaluation in [`order`].

mod order;
mod types;

use rustc_hash::{FxHashMap, FxHashSet};

use super::ast::{self, AggOp, BinOp, CmpOp, Constraint, Functor};
use super::check::Env;
use super::error::{ErrorKind, LangError};
use super::lint;
use super::program::{Head, RelId, Rule, Var, VarId};
use super::source::Loc;
use crate::facts::Type;
use order::first_unbound;
use types::{functor_help, signature};

/// Lowers one clause into `out`, one rule per head and disjunct. Errors
/// shared by the copies are reported once.
pub(super) fn lower(
    env: &Env,
    rule: &ast::Rule,
    out: &mut Vec<Rule>,
    errors: &mut Vec<LangError>,
    warnings: &mut Vec<LangError>,
) {
    if let Some(body) = &rule.body {
        let n = dnf_size(body);
        if n > MAX_DISJUNCTS {
            errors.push(
                LangError::at(
                    env.sources,
                    ErrorKind::Unsupported,
                    rule.loc,
                    format!(
                        "this rule's disjunctions expand to {n} rules, more than {MAX_DISJUNCTS}"
                    ),
                    "too many alternatives",
                )
                .with_help(
                    "move alternatives into relations of their own, derived by several rules",
                ),
            );
            return;
        }
    }
    let conjuncts = match &rule.body {
        None => vec![Vec::new()],
        Some(body) => dnf(body),
    };
    let mut local = Vec::new();
    for head in &rule.heads {
        for conj in &conjuncts {
            let mut cx = Cx {
                env,
                errors: Vec::new(),
                vars: Vec::new(),
                scopes: Vec::new(),
            };
            if let Some(r) = cx.rule(head, conj, rule.loc) {
                out.push(r);
                for w in lint::single_use(env.sources, head, conj) {
                    if !warnings.iter().any(|o: &LangError| o.loc == w.loc) {
                        warnings.push(w);
                    }
                }
            }
            for e in cx.errors {
                if !local
                    .iter()
                    .any(|o: &LangError| o.loc == e.loc && o.message == e.message)
                {
                    local.push(e);
                }
            }
        }
    }
    errors.extend(local);
}

/// More alternatives than a hand-written rule has; guards against a body
/// whose normal form would exhaust memory.
const MAX_DISJUNCTS: u64 = 1024;

/// How many conjunctions [`dnf`] gives, saturating.
fn dnf_size(body: &ast::Body) -> u64 {
    match body {
        ast::Body::Literal(_) => 1,
        ast::Body::Or(alts) => alts.iter().map(dnf_size).fold(0, u64::saturating_add),
        ast::Body::And(parts) => parts.iter().map(dnf_size).fold(1, u64::saturating_mul),
    }
}

/// Disjunctive normal form: each inner list is one conjunction.
fn dnf(body: &ast::Body) -> Vec<Vec<&ast::Literal>> {
    match body {
        ast::Body::Literal(l) => vec![vec![l]],
        ast::Body::Or(alts) => alts.iter().flat_map(dnf).collect(),
        ast::Body::And(parts) => {
            let mut acc: Vec<Vec<&ast::Literal>> = vec![Vec::new()];
            for part in parts {
                let alts = dnf(part);
                let mut next = Vec::with_capacity(acc.len() * alts.len());
                for prefix in &acc {
                    for alt in &alts {
                        let mut c = prefix.clone();
                        c.extend(alt.iter().copied());
                        next.push(c);
                    }
                }
                acc = next;
            }
            acc
        }
    }
}

struct VarInfo {
    name: String,
    ty: Option<Type>,
    /// Where the type came from, for "conflicting uses" errors.
    ty_loc: Option<Loc>,
    ty_why: String,
    /// Aggregate nesting depth of the scope that owns the variable.
    depth: u32,
}

#[derive(Clone, Debug)]
struct IExpr {
    kind: IKind,
    loc: Loc,
}

#[derive(Clone, Debug)]
enum IKind {
    Var(VarId),
    Wild,
    Str(String),
    Int(i64),
    Unsigned(u64),
    Float(f64),
    Neg(Box<IExpr>),
    Bin(BinOp, Box<IExpr>, Box<IExpr>),
    Call(Functor, Vec<IExpr>),
}

/// A body literal with variables resolved, before typing and ordering.
#[derive(Debug)]
enum ILit {
    Atom {
        rel: RelId,
        args: Vec<IExpr>,
        neg: bool,
        loc: Loc,
    },
    Cmp {
        op: CmpOp,
        lhs: IExpr,
        rhs: IExpr,
        loc: Loc,
    },
    Builtin {
        c: Constraint,
        args: Vec<IExpr>,
        loc: Loc,
    },
    False(Loc),
    Agg {
        var: VarId,
        op: AggOp,
        target: Option<IExpr>,
        body: Vec<ILit>,
        /// Depth of the scope the aggregate appears in; its own variables
        /// are deeper.
        depth: u32,
        loc: Loc,
    },
}

struct Cx<'a, 'e> {
    env: &'a Env<'e>,
    errors: Vec<LangError>,
    vars: Vec<VarInfo>,
    scopes: Vec<FxHashMap<String, VarId>>,
}

impl Cx<'_, '_> {
    fn err(&mut self, e: LangError) {
        self.errors.push(e);
    }

    fn at(
        &self,
        kind: ErrorKind,
        loc: Loc,
        msg: impl Into<String>,
        label: impl Into<String>,
    ) -> LangError {
        LangError::at(self.env.sources, kind, loc, msg, label)
    }

    fn new_var(&mut self, name: String, depth: u32) -> VarId {
        self.vars.push(VarInfo {
            name,
            ty: None,
            ty_loc: None,
            ty_why: String::new(),
            depth,
        });
        VarId((self.vars.len() - 1) as u32)
    }

    fn fresh(&mut self, depth: u32) -> VarId {
        let n = self.vars.len();
        self.new_var(format!("${n}"), depth)
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn rule(&mut self, head: &ast::Atom, conj: &[&ast::Literal], loc: Loc) -> Option<Rule> {
        // Variables outside aggregates belong to the rule; the others to
        // the aggregate they appear in (see `aggregate`).
        let mut names = Vec::new();
        for a in &head.args {
            names_in_expr(a, &mut names);
        }
        for l in conj {
            names_in_lit(l, &mut names);
        }
        let mut scope = FxHashMap::default();
        for n in names {
            if let std::collections::hash_map::Entry::Vacant(slot) = scope.entry(n) {
                let name = slot.key().clone();
                slot.insert(self.new_var(name, 0));
            }
        }
        self.scopes.push(scope);

        let mut body = Vec::new();
        let head_rel = self.head_relation(head);
        let head_args: Vec<IExpr> = head
            .args
            .iter()
            .map(|a| self.expr(a, &mut body, 0))
            .collect();
        for l in conj {
            self.literal(l, &mut body, 0);
        }
        let head_rel = head_rel?;
        if !self.errors.is_empty() {
            return None;
        }

        // Types: atoms fix their variables' types, then the rest is
        // inferred, then everything is checked.
        self.atom_types(&body);
        let columns: Vec<Type> = self.env.relation(head_rel).types().collect();
        // Declared head types first: they are the user's intent.
        while self.infer_head(&head_args, &columns) | self.infer(&body) {}
        for (arg, &ty) in head_args.iter().zip(&columns) {
            self.check(arg, ty);
        }
        self.check_lits(&body);
        if !self.errors.is_empty() {
            return None;
        }

        let mut bound = FxHashSet::default();
        let body = self.order(body, &mut bound);
        let mut args = Vec::new();
        for (arg, &ty) in head_args.iter().zip(&columns) {
            if let Some((v, at)) = first_unbound(arg, &bound) {
                let name = self.vars[v.0 as usize].name.clone();
                let e = if conj.is_empty() {
                    self.at(
                        ErrorKind::Unbound,
                        at,
                        format!("variable `{name}` in a fact"),
                        "a fact has no body to bind it",
                    )
                    .with_help(
                        "facts hold constants only; write a rule with a body to derive values",
                    )
                } else {
                    self.at(
                        ErrorKind::Unbound,
                        at,
                        format!("head variable `{name}` is not bound by the body"),
                        "not bound",
                    )
                    .with_help(format!(
                        "every head variable must appear in a positive body atom or be bound by `{name} = …`"
                    ))
                };
                self.err(e);
                continue;
            }
            args.push(self.build(arg, ty));
        }
        if !self.errors.is_empty() {
            return None;
        }
        Some(Rule {
            head: Head {
                relation: head_rel,
                args,
                loc: head.loc,
            },
            body,
            vars: self
                .vars
                .iter()
                .map(|v| Var {
                    name: v.name.clone(),
                    ty: v.ty.unwrap_or(Type::Number),
                })
                .collect(),
            loc,
        })
    }

    fn head_relation(&mut self, head: &ast::Atom) -> Option<RelId> {
        let id = match self.env.resolve(&head.relation, "relation") {
            Ok(id) => id,
            Err(e) => {
                self.err(e);
                return None;
            }
        };
        let rel = self.env.relation(id);
        if rel.base.is_some() {
            let e = self
                .at(
                    ErrorKind::Invalid,
                    head.relation.loc,
                    format!(
                        "`{}` is a base relation and cannot be derived by rules",
                        rel.name
                    ),
                    "base relation in a rule head",
                )
                .with_help(
                    "base relations are filled from traces; derive a relation of your own instead",
                );
            self.err(e);
            return None;
        }
        self.arity(id, head)?;
        Some(id)
    }

    fn arity(&mut self, id: RelId, atom: &ast::Atom) -> Option<()> {
        let rel = self.env.relation(id);
        if rel.arity() == atom.args.len() {
            return Some(());
        }
        let mut e = self
            .at(
                ErrorKind::Arity,
                atom.loc,
                format!(
                    "`{}` has {} column{} but is given {} argument{}",
                    rel.name,
                    rel.arity(),
                    plural(rel.arity()),
                    atom.args.len(),
                    plural(atom.args.len())
                ),
                format!("{} argument{}", atom.args.len(), plural(atom.args.len())),
            )
            .with_help(format!("declared as `.decl {}`", self.env.signature(id)));
        if let Some(decl) = rel.decl {
            e = e.with_note(self.env.sources, decl, "declared here");
        }
        self.err(e);
        None
    }

    fn literal(&mut self, lit: &ast::Literal, out: &mut Vec<ILit>, depth: u32) {
        match lit {
            ast::Literal::Atom(a) => self.atom(a, false, a.loc, out, depth),
            ast::Literal::Negated { atom, loc } => self.atom(atom, true, *loc, out, depth),
            ast::Literal::Compare(c) => {
                let lhs = self.expr(&c.lhs, out, depth);
                let rhs = self.expr(&c.rhs, out, depth);
                out.push(ILit::Cmp {
                    op: c.op,
                    lhs,
                    rhs,
                    loc: c.loc,
                });
            }
            ast::Literal::Constraint {
                functor,
                name,
                args,
                loc,
            } => {
                if args.len() != 2 {
                    let e = self
                        .at(
                            ErrorKind::Arity,
                            *loc,
                            format!("`{}` takes 2 arguments, {} given", name.name, args.len()),
                            "wrong number of arguments",
                        )
                        .with_help(match functor {
                            Constraint::Contains => "contains(Sub, S): Sub occurs in S",
                            Constraint::Match => {
                                "match(Regex, S): S matches the regular expression"
                            }
                        });
                    self.err(e);
                    return;
                }
                let args = args.iter().map(|a| self.expr(a, out, depth)).collect();
                out.push(ILit::Builtin {
                    c: *functor,
                    args,
                    loc: *loc,
                });
            }
            ast::Literal::Bool { value: true, .. } => {}
            ast::Literal::Bool { value: false, loc } => out.push(ILit::False(*loc)),
        }
    }

    /// Body atoms keep only variables, constants and `_` as arguments; a
    /// computed argument becomes a fresh variable equal to it.
    fn atom(&mut self, a: &ast::Atom, neg: bool, loc: Loc, out: &mut Vec<ILit>, depth: u32) {
        let rel = match self.env.resolve(&a.relation, "relation") {
            Ok(id) => id,
            Err(e) => {
                self.err(e);
                return;
            }
        };
        if self.arity(rel, a).is_none() {
            return;
        }
        let mut args = Vec::new();
        let mut moved = Vec::new();
        for arg in &a.args {
            let e = self.expr(arg, out, depth);
            if matches!(
                e.kind,
                IKind::Var(_)
                    | IKind::Wild
                    | IKind::Str(_)
                    | IKind::Int(_)
                    | IKind::Unsigned(_)
                    | IKind::Float(_)
            ) {
                args.push(e);
            } else {
                let v = self.fresh(depth);
                let var = IExpr {
                    kind: IKind::Var(v),
                    loc: e.loc,
                };
                moved.push(ILit::Cmp {
                    op: CmpOp::Eq,
                    loc: e.loc,
                    lhs: var.clone(),
                    rhs: e,
                });
                args.push(var);
            }
        }
        out.push(ILit::Atom {
            rel,
            args,
            neg,
            loc,
        });
        out.extend(moved);
    }

    fn expr(&mut self, e: &ast::Expr, out: &mut Vec<ILit>, depth: u32) -> IExpr {
        let kind = match &e.kind {
            ast::ExprKind::Var(name) => match self.lookup(name) {
                Some(v) => IKind::Var(v),
                None => {
                    // Unreachable by construction; keep going rather than panic.
                    let v = self.new_var(name.clone(), depth);
                    IKind::Var(v)
                }
            },
            ast::ExprKind::Wildcard => IKind::Wild,
            ast::ExprKind::Str(s) => IKind::Str(s.clone()),
            ast::ExprKind::Int(i) => IKind::Int(*i),
            ast::ExprKind::Unsigned(u) => IKind::Unsigned(*u),
            ast::ExprKind::Float(f) => IKind::Float(*f),
            ast::ExprKind::Neg(inner) => IKind::Neg(Box::new(self.expr(inner, out, depth))),
            ast::ExprKind::Binary { op, lhs, rhs } => IKind::Bin(
                *op,
                Box::new(self.expr(lhs, out, depth)),
                Box::new(self.expr(rhs, out, depth)),
            ),
            ast::ExprKind::Call {
                functor,
                name,
                args,
            } => {
                let (params, _) = signature(*functor);
                let ok = if *functor == Functor::Cat {
                    args.len() >= 2
                } else {
                    args.len() == params.len()
                };
                if !ok {
                    let want = if *functor == Functor::Cat {
                        "at least 2".to_string()
                    } else {
                        params.len().to_string()
                    };
                    let err = self
                        .at(
                            ErrorKind::Arity,
                            e.loc,
                            format!(
                                "`{}` takes {want} argument{}, {} given",
                                name.name,
                                if want == "1" { "" } else { "s" },
                                args.len()
                            ),
                            "wrong number of arguments",
                        )
                        .with_help(functor_help(*functor));
                    self.err(err);
                }
                IKind::Call(
                    *functor,
                    args.iter().map(|a| self.expr(a, out, depth)).collect(),
                )
            }
            ast::ExprKind::Aggregate(agg) => {
                let v = self.aggregate(agg, e.loc, out, depth);
                IKind::Var(v)
            }
        };
        IExpr { kind, loc: e.loc }
    }

    /// An aggregate becomes a fresh variable bound by an [`ILit::Agg`].
    /// Its body's variables are its own unless the enclosing scopes have
    /// them (that is, they appear outside it).
    fn aggregate(
        &mut self,
        agg: &ast::Aggregate,
        loc: Loc,
        out: &mut Vec<ILit>,
        depth: u32,
    ) -> VarId {
        let conj = if dnf_size(&agg.body) > 1 {
            let e = self
                .at(
                    ErrorKind::Unsupported,
                    loc,
                    "disjunction inside an aggregate is not supported",
                    "`;` in an aggregate body",
                )
                .with_help("aggregate over a relation derived by several rules instead");
            self.err(e);
            Vec::new()
        } else {
            dnf(&agg.body).pop().unwrap_or_default()
        };
        let mut names = Vec::new();
        for l in &conj {
            names_in_lit(l, &mut names);
        }
        if let Some(t) = &agg.target {
            names_in_expr(t, &mut names);
        }
        let inner = depth + 1;
        let mut scope = FxHashMap::default();
        for n in names {
            if self.lookup(&n).is_none() && !scope.contains_key(&n) {
                let id = self.new_var(n.clone(), inner);
                scope.insert(n, id);
            }
        }
        self.scopes.push(scope);
        let mut body = Vec::new();
        for l in &conj {
            self.literal(l, &mut body, inner);
        }
        let target = agg.target.as_ref().map(|t| self.expr(t, &mut body, inner));
        self.scopes.pop();
        let var = self.fresh(depth);
        out.push(ILit::Agg {
            var,
            op: agg.op,
            target,
            body,
            depth,
            loc,
        });
        var
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Names of variables in a literal, outside aggregates.
fn names_in_lit(l: &ast::Literal, out: &mut Vec<String>) {
    match l {
        ast::Literal::Atom(a) | ast::Literal::Negated { atom: a, .. } => {
            a.args.iter().for_each(|e| names_in_expr(e, out))
        }
        ast::Literal::Compare(c) => {
            names_in_expr(&c.lhs, out);
            names_in_expr(&c.rhs, out);
        }
        ast::Literal::Constraint { args, .. } => args.iter().for_each(|e| names_in_expr(e, out)),
        ast::Literal::Bool { .. } => {}
    }
}

fn names_in_expr(e: &ast::Expr, out: &mut Vec<String>) {
    match &e.kind {
        ast::ExprKind::Var(n) => out.push(n.clone()),
        ast::ExprKind::Neg(inner) => names_in_expr(inner, out),
        ast::ExprKind::Binary { lhs, rhs, .. } => {
            names_in_expr(lhs, out);
            names_in_expr(rhs, out);
        }
        ast::ExprKind::Call { args, .. } => args.iter().for_each(|a| names_in_expr(a, out)),
        _ => {}
    }
}
