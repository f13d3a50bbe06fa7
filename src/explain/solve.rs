//! Re-evaluating one rule body over the final relations, with some
//! variables already fixed (by the tuple being explained). The engine keeps
//! no provenance, so proofs and why-not answers are rebuilt here: a
//! depth-first walk of the body in the checked order, through hash indexes
//! built lazily per (relation, bound columns), since an explanation touches
//! only a few of them.

use rustc_hash::FxHashMap;

use crate::engine::aggregate::Acc;
use crate::engine::expr::{CCond, CExpr, Env, Regexes};
use crate::engine::value::const_cell;
use crate::engine::Database;
use crate::facts::Symbols;
use crate::lang::program::{
    Atom, Expr, ExprKind, Literal, Program, RelId, Rule, RuleId, Term, VarId,
};

/// The variables of one rule while its body is walked.
#[derive(Clone, Debug)]
pub struct State {
    pub regs: Vec<u64>,
    pub bound: Vec<bool>,
    /// Per body literal: the row a positive atom matched, or the value an
    /// aggregate computed.
    pub matched: Vec<Option<Vec<u64>>>,
}

impl State {
    pub fn new(rule: &Rule) -> Self {
        State {
            regs: vec![0; rule.vars.len()],
            bound: vec![false; rule.vars.len()],
            matched: vec![None; rule.body.len()],
        }
    }

    pub fn get(&self, v: VarId) -> Option<u64> {
        self.bound[v.0 as usize].then(|| self.regs[v.0 as usize])
    }

    /// Binds `v` to `cell`, or checks it already has that value.
    pub fn bind(&mut self, v: VarId, cell: u64) -> bool {
        let i = v.0 as usize;
        if self.bound[i] {
            self.regs[i] == cell
        } else {
            self.regs[i] = cell;
            self.bound[i] = true;
            true
        }
    }
}

/// The furthest a failed walk got: literals `0..literal` held with these
/// bindings, literal `literal` did not.
#[derive(Clone, Debug)]
pub struct Deepest {
    pub literal: usize,
    pub state: State,
}

type Index = FxHashMap<Vec<u64>, Vec<u32>>;

/// Everything explanation needs about the evaluated program.
pub struct Ctx<'a> {
    pub program: &'a Program,
    pub db: &'a Database,
    /// A copy: functors may intern new strings, the database stays as it is.
    pub symbols: Symbols,
    regexes: Regexes,
    indexes: FxHashMap<(RelId, Vec<usize>), Index>,
    /// Set while a why-not walk runs.
    pub deepest: Option<Deepest>,
    rules_by_relation: FxHashMap<RelId, Vec<RuleId>>,
}

impl<'a> Ctx<'a> {
    pub fn new(program: &'a Program, db: &'a Database) -> Self {
        Ctx {
            program,
            db,
            symbols: db.symbols.clone(),
            regexes: Regexes::default(),
            indexes: FxHashMap::default(),
            deepest: None,
            rules_by_relation: (0..program.rules.len() as u32).map(RuleId).fold(
                FxHashMap::default(),
                |mut m, r| {
                    m.entry(program.rule(r).head.relation)
                        .or_insert_with(Vec::new)
                        .push(r);
                    m
                },
            ),
        }
    }

    /// The rules deriving `rel`, in source order.
    pub fn rules_of(&self, rel: RelId) -> Vec<RuleId> {
        self.rules_by_relation
            .get(&rel)
            .cloned()
            .unwrap_or_default()
    }

    /// Rows of `rel` whose columns `cols` hold `key`.
    pub fn lookup(&mut self, rel: RelId, cols: &[usize], key: &[u64]) -> Vec<&'a [u64]> {
        let db = self.db;
        self.row_ids(rel, cols, key)
            .into_iter()
            .map(|i| db.row(rel, i as usize))
            .collect()
    }

    /// Row numbers (as stored, which provenance uses) of the rows of `rel`
    /// whose columns `cols` hold `key`.
    pub fn row_ids(&mut self, rel: RelId, cols: &[usize], key: &[u64]) -> Vec<u32> {
        let db = self.db;
        if cols.is_empty() {
            return (0..db.len(rel) as u32).collect();
        }
        let index = self.indexes.entry((rel, cols.to_vec())).or_insert_with(|| {
            let mut index = Index::default();
            for (i, row) in db.rows(rel).enumerate() {
                let k = cols.iter().map(|&c| row[c]).collect();
                index.entry(k).or_default().push(i as u32);
            }
            index
        });
        index.get(key).cloned().unwrap_or_default()
    }

    /// The row number of `tuple` in `rel`, if it is there.
    pub fn row_number(&mut self, rel: RelId, tuple: &[u64]) -> Option<usize> {
        let cols: Vec<usize> = (0..tuple.len()).collect();
        let ids = self.row_ids(rel, &cols, tuple);
        match tuple.len() {
            // A nullary relation holds at most its one empty row.
            0 => (!self.db.is_empty(rel)).then_some(0),
            _ => ids.first().map(|&i| i as usize),
        }
    }

    /// A constant as a cell (interning a new symbol in the copy).
    pub fn const_cell(&mut self, v: &crate::lang::program::Value) -> u64 {
        const_cell(v, &mut self.symbols)
    }

    /// Whether the tuple is in the final relation.
    pub fn exists(&mut self, rel: RelId, tuple: &[u64]) -> bool {
        let cols: Vec<usize> = (0..tuple.len()).collect();
        !self.lookup(rel, &cols, tuple).is_empty()
    }

    /// Fixes the head variables of `rule` from `tuple` (`None`: any value);
    /// `None` when a variable would need two values.
    pub fn bind_head(&self, rule: &Rule, tuple: &[Option<u64>]) -> Option<State> {
        let mut st = State::new(rule);
        for (arg, cell) in rule.head.args.iter().zip(tuple) {
            if let (ExprKind::Var(v), Some(c)) = (&arg.kind, cell) {
                if !st.bind(*v, *c) {
                    return None;
                }
            }
        }
        Some(st)
    }

    /// Whether the head of `rule` evaluates to `tuple` under `st`.
    pub fn head_matches(&mut self, rule: &Rule, st: &State, tuple: &[Option<u64>]) -> bool {
        rule.head
            .args
            .iter()
            .zip(tuple)
            .all(|(arg, cell)| match cell {
                None => true,
                Some(c) => self.eval(arg, st) == Some(*c),
            })
    }

    pub fn eval(&mut self, e: &Expr, st: &State) -> Option<u64> {
        let c = CExpr::compile(e, &mut self.symbols);
        Env {
            symbols: &mut self.symbols,
            regexes: &mut self.regexes,
        }
        .eval(&c, &st.regs)
    }

    /// Walks `body` from literal `i`; calls `found` on every solution until
    /// it returns true (stop), and returns whether it stopped. `track`
    /// records the deepest failure in [`Ctx::deepest`].
    pub fn solve(
        &mut self,
        body: &'a [Literal],
        i: usize,
        st: &mut State,
        track: bool,
        found: &mut dyn FnMut(&mut Ctx<'a>, &State) -> bool,
    ) -> bool {
        if track && self.deepest.as_ref().is_none_or(|d| i > d.literal) {
            self.deepest = Some(Deepest {
                literal: i,
                state: st.clone(),
            });
        }
        let Some(lit) = body.get(i) else {
            return found(self, st);
        };
        match lit {
            Literal::Positive(atom) => {
                let (cols, key) = self.atom_key(atom, st);
                for row in self.lookup(atom.relation, &cols, &key) {
                    let mut next = st.clone();
                    let fits = atom.args.iter().zip(row).all(|(t, &c)| match t {
                        Term::Var(v) => next.bind(*v, c),
                        _ => true,
                    });
                    if fits {
                        next.matched[i] = Some(row.to_vec());
                        if self.solve(body, i + 1, &mut next, track, found) {
                            return true;
                        }
                    }
                }
                false
            }
            Literal::Negative(atom) => {
                let (cols, key) = self.atom_key(atom, st);
                if self.lookup(atom.relation, &cols, &key).is_empty() {
                    self.solve(body, i + 1, st, track, found)
                } else {
                    false
                }
            }
            Literal::Bind { var, expr, .. } => {
                let Some(v) = self.eval(expr, st) else {
                    return false;
                };
                let mut next = st.clone();
                next.bind(*var, v) && self.solve(body, i + 1, &mut next, track, found)
            }
            Literal::Filter(cond) => {
                let c = CCond::compile(cond, &mut self.symbols);
                let holds = Env {
                    symbols: &mut self.symbols,
                    regexes: &mut self.regexes,
                }
                .test(&c, &st.regs);
                holds && self.solve(body, i + 1, st, track, found)
            }
            Literal::Aggregate(agg) => {
                let ty = agg
                    .target
                    .as_ref()
                    .map_or(crate::facts::Type::Number, |t| t.ty);
                let mut acc = Acc::new(agg.op, ty);
                let mut inner = st.clone();
                let target = agg.target.clone();
                self.solve(&agg.body, 0, &mut inner, false, &mut |ctx, s| {
                    let v = match &target {
                        Some(t) => ctx.eval(t, s),
                        None => Some(0),
                    };
                    if let Some(v) = v {
                        acc.add(v, &ctx.symbols);
                    }
                    false
                });
                let Some(v) = acc.finish() else {
                    return false;
                };
                let mut next = st.clone();
                next.matched[i] = Some(vec![v]);
                next.bind(agg.var, v) && self.solve(body, i + 1, &mut next, track, found)
            }
        }
    }

    /// The columns of `atom` fixed by constants and bound variables, and
    /// their values.
    pub fn atom_key(&mut self, atom: &Atom, st: &State) -> (Vec<usize>, Vec<u64>) {
        let mut cols = Vec::new();
        let mut key = Vec::new();
        for (c, t) in atom.args.iter().enumerate() {
            let cell = match t {
                Term::Const(v) => Some(const_cell(v, &mut self.symbols)),
                Term::Var(v) => st.get(*v),
                Term::Wildcard => None,
            };
            if let Some(cell) = cell {
                cols.push(c);
                key.push(cell);
            }
        }
        (cols, key)
    }
}

/// The variables a literal reads or binds, in order of first appearance.
pub fn literal_vars(lit: &Literal) -> Vec<VarId> {
    fn expr(e: &Expr, out: &mut Vec<VarId>) {
        match &e.kind {
            ExprKind::Var(v) => out.push(*v),
            ExprKind::Const(_) => {}
            ExprKind::Neg(x) => expr(x, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                expr(lhs, out);
                expr(rhs, out);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| expr(a, out)),
        }
    }
    let mut out = Vec::new();
    match lit {
        Literal::Positive(a) | Literal::Negative(a) => {
            for t in &a.args {
                if let Term::Var(v) = t {
                    out.push(*v);
                }
            }
        }
        Literal::Bind { var, expr: e, .. } => {
            out.push(*var);
            expr(e, &mut out);
        }
        Literal::Filter(c) => match c {
            crate::lang::program::Condition::Compare { lhs, rhs, .. } => {
                expr(lhs, &mut out);
                expr(rhs, &mut out);
            }
            crate::lang::program::Condition::Builtin { args, .. } => {
                args.iter().for_each(|a| expr(a, &mut out))
            }
            crate::lang::program::Condition::False { .. } => {}
        },
        Literal::Aggregate(a) => {
            out.push(a.var);
            out.extend(a.outer.iter().copied());
        }
    }
    let mut seen = Vec::new();
    out.retain(|v| {
        let new = !seen.contains(v);
        seen.push(*v);
        new
    });
    out
}

/// Where a literal is written.
pub fn literal_loc(lit: &Literal) -> crate::lang::Loc {
    use crate::lang::program::Condition;
    match lit {
        Literal::Positive(a) | Literal::Negative(a) => a.loc,
        Literal::Bind { loc, .. } => *loc,
        Literal::Filter(Condition::Compare { loc, .. })
        | Literal::Filter(Condition::Builtin { loc, .. })
        | Literal::Filter(Condition::False { loc }) => *loc,
        Literal::Aggregate(a) => a.loc,
    }
}
