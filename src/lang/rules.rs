//! One clause to program rules: split disjunctions and multiple heads,
//! scope variables (aggregate bodies have their own), infer and check
//! types, check range restriction, and order each body for evaluation.

use rustc_hash::{FxHashMap, FxHashSet};

use super::ast::{self, AggOp, BinOp, CmpOp, Constraint, Functor};
use super::check::Env;
use super::error::{ErrorKind, LangError};
use super::lint;
use super::program::{
    Aggregate, Atom, Condition, Expr, ExprKind, Head, Literal, RelId, Rule, Term, Value, Var, VarId,
};
use super::source::Loc;
use crate::facts::Type;

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

fn signature(f: Functor) -> (&'static [Option<Type>], Type) {
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

    // ---- types ----

    fn atom_types(&mut self, lits: &[ILit]) {
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

    fn unify(&mut self, v: VarId, ty: Type, loc: Loc, why: String) {
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

    fn synth(&self, e: &IExpr) -> Option<Type> {
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
    fn assign(&mut self, e: &IExpr, ty: Type) -> bool {
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

    fn infer(&mut self, lits: &[ILit]) -> bool {
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

    fn infer_head(&mut self, args: &[IExpr], columns: &[Type]) -> bool {
        let mut changed = false;
        for (a, &t) in args.iter().zip(columns) {
            changed |= self.assign(a, t);
        }
        changed
    }

    fn mismatch(&mut self, e: &IExpr, expected: Type, found: Type) {
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
    fn check(&mut self, e: &IExpr, ty: Type) {
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

    fn check_lits(&mut self, lits: &[ILit]) {
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

    // ---- binding and order ----

    /// Orders a conjunction for evaluation (positive atoms first, then each
    /// literal once what it reads is bound) and builds program literals.
    /// Literals that can never be placed have an unbound variable.
    fn order(&mut self, lits: Vec<ILit>, bound: &mut FxHashSet<VarId>) -> Vec<Literal> {
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

    fn ready(&self, lit: &ILit, bound: &FxHashSet<VarId>) -> bool {
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
    fn agg_outer(&self, lit: &ILit) -> Vec<VarId> {
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

    fn place(&mut self, lit: ILit, bound: &mut FxHashSet<VarId>) -> Literal {
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

    fn unbound(&mut self, lit: &ILit, bound: &FxHashSet<VarId>) {
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

    fn build_atom(&self, rel: RelId, args: &[IExpr], loc: Loc) -> Atom {
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

    fn build(&self, e: &IExpr, ty: Type) -> Expr {
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

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn functor_help(f: Functor) -> &'static str {
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

fn is_var(e: &IExpr) -> bool {
    matches!(e.kind, IKind::Var(_))
}

/// The first variable in `e` (with where it is) that is not bound.
fn first_unbound(e: &IExpr, bound: &FxHashSet<VarId>) -> Option<(VarId, Loc)> {
    match &e.kind {
        IKind::Var(v) if !bound.contains(v) => Some((*v, e.loc)),
        IKind::Neg(inner) => first_unbound(inner, bound),
        IKind::Bin(_, l, r) => first_unbound(l, bound).or_else(|| first_unbound(r, bound)),
        IKind::Call(_, args) => args.iter().find_map(|a| first_unbound(a, bound)),
        _ => None,
    }
}

fn vars_in_expr(e: &IExpr, out: &mut Vec<VarId>) {
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

fn vars_in_lit(l: &ILit, out: &mut Vec<VarId>) {
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

fn find_in_expr(e: &IExpr, v: VarId) -> Option<Loc> {
    match &e.kind {
        IKind::Var(x) if *x == v => Some(e.loc),
        IKind::Neg(inner) => find_in_expr(inner, v),
        IKind::Bin(_, l, r) => find_in_expr(l, v).or_else(|| find_in_expr(r, v)),
        IKind::Call(_, args) => args.iter().find_map(|a| find_in_expr(a, v)),
        _ => None,
    }
}

fn find_var_loc(l: &ILit, v: VarId) -> Option<Loc> {
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
