//! Join plans: how one rule is evaluated. The positive atoms are put in an
//! order where each next atom shares as many already-bound variables as
//! possible (never a cross product while a join is possible), each atom is
//! looked up through a hash index on exactly its bound columns, and every
//! other literal (filter, bind, negation, aggregate) runs as soon as the
//! variables it reads are bound. So a rule costs roughly what its output
//! and its intermediate matches cost, not the product of its inputs.
//!
//! A plan keeps its [`RuleId`] so that provenance (`explain`) can later
//! record which rule derived a tuple.

use std::cmp::Reverse;

use rustc_hash::FxHashMap;

use crate::facts::{Symbols, Type};
use crate::lang::program::{AggOp, Atom, Literal, Program, RelId, Rule, RuleId, Term};

use super::expr::{CCond, CExpr};
use super::provenance;
use super::store::Store;
use super::value::const_cell;

/// A value a lookup key or a check compares against.
#[derive(Clone, Copy, Debug)]
pub enum Operand {
    Const(u64),
    Reg(usize),
}

/// `r(X, "a", Y)`: find rows of `rel` whose key columns equal the bound
/// values, then bind the new variables.
#[derive(Clone, Debug)]
pub struct AtomStep {
    pub rel: RelId,
    /// Reads only the tuples new in this semi-naive round (the driver of a
    /// recursive rule's variant); otherwise all tuples, through an index.
    pub delta: bool,
    pub key_cols: Vec<usize>,
    pub key: Vec<Operand>,
    /// (column, register) for variables first bound by this atom.
    pub binds: Vec<(usize, usize)>,
    /// (column, earlier column): a variable written twice in the atom.
    pub checks: Vec<(usize, usize)>,
    /// The atom's place among the positive atoms of its body, in body
    /// order: where provenance notes the row it matched.
    pub slot: usize,
    /// Read by filtering every row: a rule's first atom whose key is all
    /// constants is looked up once, so an index would be built for one
    /// lookup (a million spans' `span` by kind, for `is_server`).
    pub scan: bool,
}

/// `!r(X, _)`: holds when no row of `rel` has `key` in `cols`.
#[derive(Clone, Debug)]
pub struct NegStep {
    pub rel: RelId,
    pub cols: Vec<usize>,
    pub key: Vec<Operand>,
}

/// `V = op target : { body }`, computed once per distinct value of the
/// outer variables and remembered in memo `memo`.
#[derive(Clone, Debug)]
pub struct AggStep {
    pub op: AggOp,
    pub target: Option<CExpr>,
    /// The target's type (number for `count`).
    pub target_ty: Type,
    pub body: Vec<Step>,
    pub outer: Vec<usize>,
    pub result: usize,
    pub memo: usize,
}

#[derive(Clone, Debug)]
pub enum Step {
    Atom(AtomStep),
    Neg(NegStep),
    Filter(CCond),
    Bind(usize, CExpr),
    Agg(Box<AggStep>),
}

/// One rule (or, for a recursive rule, one semi-naive variant of it).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Which rule a derived tuple came from, for provenance.
    pub rule: RuleId,
    pub head: RelId,
    pub head_args: Vec<CExpr>,
    pub steps: Vec<Step>,
    /// Registers needed: one per rule variable.
    pub regs: usize,
    /// The relation whose new tuples drive this variant, if any.
    pub delta: Option<RelId>,
}

impl Plan {
    /// Every (relation, columns) index the plan looks up.
    pub fn indexes(&self) -> Vec<(RelId, Vec<usize>)> {
        let mut out = Vec::new();
        collect_indexes(&self.steps, &mut out);
        out
    }
}

fn collect_indexes(steps: &[Step], out: &mut Vec<(RelId, Vec<usize>)>) {
    for s in steps {
        match s {
            Step::Atom(a) if !a.delta && !a.scan && !a.key_cols.is_empty() => {
                out.push((a.rel, a.key_cols.clone()))
            }
            Step::Neg(n) if !n.cols.is_empty() => out.push((n.rel, n.cols.clone())),
            Step::Agg(g) => collect_indexes(&g.body, out),
            _ => {}
        }
    }
}

/// Builds plans; `sizes` gives each relation's current size for ordering.
pub struct Planner<'a> {
    pub program: &'a Program,
    pub sizes: Vec<usize>,
    pub symbols: &'a mut Symbols,
    /// Aggregate memos handed out so far (ids are global to a run).
    pub memos: usize,
    /// The relations' rows, where known: a rule then starts from the atom
    /// that yields fewest rows, counting those its constants select.
    pub stores: Option<&'a [Store]>,
    /// Rows of a relation whose columns hold given constants, counted once.
    pub selected: FxHashMap<(RelId, Vec<(usize, u64)>), usize>,
}

impl Planner<'_> {
    /// The plan of `rule_id`; with `driver`, the body literal at that index
    /// (a positive atom) reads only the new tuples of its relation.
    pub fn plan(&mut self, rule_id: RuleId, driver: Option<usize>) -> Result<Plan, String> {
        let rule = self.program.rule(rule_id);
        let mut bound = vec![false; rule.vars.len()];
        let mut steps = self.plan_body(rule, &rule.body, &mut bound, driver)?;
        // Only at the top of a rule: an aggregate's body runs per group.
        if let Some(Step::Atom(a)) = steps.first_mut() {
            a.scan = !a.delta && a.key.iter().all(|o| matches!(o, Operand::Const(_)));
        }
        let head_args = rule
            .head
            .args
            .iter()
            .map(|e| CExpr::compile(e, self.symbols))
            .collect::<Vec<_>>();
        for e in &head_args {
            let mut vars = Vec::new();
            e.vars(&mut vars);
            if let Some(v) = vars.iter().find(|&&v| !bound[v]) {
                return Err(format!(
                    "head variable `{}` is never bound",
                    rule.vars[*v].name
                ));
            }
        }
        Ok(Plan {
            rule: rule_id,
            head: rule.head.relation,
            head_args,
            steps,
            regs: rule.vars.len(),
            delta: driver.and_then(|i| match &rule.body[i] {
                Literal::Positive(a) => Some(a.relation),
                _ => None,
            }),
        })
    }

    fn plan_body(
        &mut self,
        rule: &Rule,
        body: &[Literal],
        bound: &mut [bool],
        driver: Option<usize>,
    ) -> Result<Vec<Step>, String> {
        let mut atoms: Vec<usize> = (0..body.len())
            .filter(|&i| matches!(body[i], Literal::Positive(_)))
            .collect();
        let mut others: Vec<usize> = (0..body.len())
            .filter(|&i| !matches!(body[i], Literal::Positive(_)))
            .collect();
        let mut steps = Vec::new();
        self.place_ready(rule, body, &mut others, bound, &mut steps)?;
        let mut first = true;
        while !atoms.is_empty() {
            let pick = match driver {
                Some(d) if first => atoms.iter().position(|&i| i == d).ok_or("bad driver")?,
                _ => self.best_atom(body, &atoms, bound),
            };
            first = false;
            let i = atoms.remove(pick);
            let Literal::Positive(atom) = &body[i] else {
                unreachable!("atoms holds positive literals only")
            };
            let slot = provenance::positive_atoms(&body[..i]);
            steps.push(Step::Atom(self.atom_step(
                atom,
                bound,
                driver == Some(i),
                slot,
            )));
            self.place_ready(rule, body, &mut others, bound, &mut steps)?;
        }
        if let Some(&i) = others.first() {
            return Err(format!(
                "literal {} of rule `{}` reads a variable nothing binds",
                i + 1,
                self.program.relation(rule.head.relation).name
            ));
        }
        Ok(steps)
    }

    /// The next atom: one sharing bound variables if any does, the most
    /// constrained (most bound columns), then the smallest relation. Where
    /// no atom shares a bound variable (the start of a rule), the one that
    /// yields fewest rows: over a million spans, `request` started from
    /// the 480k client spans its constant selects rather than the 157k
    /// `calls`, three lookups each.
    fn best_atom(&mut self, body: &[Literal], atoms: &[usize], bound: &[bool]) -> usize {
        let atom = |i: usize| match &body[i] {
            Literal::Positive(a) => a,
            _ => unreachable!("atoms holds positive literals only"),
        };
        let joined = |a: &Atom| {
            a.args
                .iter()
                .any(|t| matches!(t, Term::Var(v) if bound[v.0 as usize]))
        };
        if !atoms.iter().any(|&i| joined(atom(i))) {
            let yields: Vec<usize> = atoms.iter().map(|&i| self.yield_of(atom(i))).collect();
            return (0..atoms.len())
                .min_by_key(|&k| (yields[k], k))
                .unwrap_or(0);
        }
        let score = |i: usize| {
            let a = atom(i);
            let nbound = a
                .args
                .iter()
                .filter(|t| match t {
                    Term::Const(_) => true,
                    Term::Var(v) => bound[v.0 as usize],
                    Term::Wildcard => false,
                })
                .count();
            let size = self.sizes[a.relation.0 as usize];
            (nbound > 0, nbound, Reverse(size))
        };
        (0..atoms.len())
            .max_by_key(|&k| (score(atoms[k]), Reverse(k)))
            .unwrap_or(0)
    }

    /// How many rows an atom with nothing bound yields: its relation's size,
    /// or for constants, the rows holding them (counted when the rows are
    /// known and complete; a relation of the stratum being planned is not).
    fn yield_of(&mut self, a: &Atom) -> usize {
        let size = self.sizes[a.relation.0 as usize];
        let consts: Vec<(usize, u64)> = a
            .args
            .iter()
            .enumerate()
            .filter_map(|(c, t)| match t {
                Term::Const(v) => Some((c, const_cell(v, self.symbols))),
                _ => None,
            })
            .collect();
        let Some(stores) = self.stores else {
            // Without rows, a constant is assumed to select a tenth.
            return if consts.is_empty() { size } else { size / 10 };
        };
        if consts.is_empty() || size >= usize::MAX / 4 {
            return size;
        }
        *self
            .selected
            .entry((a.relation, consts))
            .or_insert_with_key(|(rel, consts)| {
                stores[rel.0 as usize]
                    .rows()
                    .filter(|row| consts.iter().all(|&(c, v)| row[c] == v))
                    .count()
            })
    }

    fn atom_step(&mut self, atom: &Atom, bound: &mut [bool], delta: bool, slot: usize) -> AtomStep {
        let mut step = AtomStep {
            rel: atom.relation,
            delta,
            slot,
            key_cols: Vec::new(),
            key: Vec::new(),
            binds: Vec::new(),
            checks: Vec::new(),
            scan: false,
        };
        for (col, term) in atom.args.iter().enumerate() {
            match term {
                Term::Const(v) => {
                    step.key_cols.push(col);
                    step.key.push(Operand::Const(const_cell(v, self.symbols)));
                }
                Term::Var(v) => {
                    let reg = v.0 as usize;
                    if bound[reg] {
                        step.key_cols.push(col);
                        step.key.push(Operand::Reg(reg));
                    } else if let Some(&(c0, _)) = step.binds.iter().find(|(_, r)| *r == reg) {
                        step.checks.push((col, c0));
                    } else {
                        step.binds.push((col, reg));
                    }
                }
                Term::Wildcard => {}
            }
        }
        for (_, reg) in &step.binds {
            bound[*reg] = true;
        }
        step
    }

    /// Appends every pending literal whose variables are all bound, in body
    /// order, repeating until none is left that can run.
    fn place_ready(
        &mut self,
        rule: &Rule,
        body: &[Literal],
        others: &mut Vec<usize>,
        bound: &mut [bool],
        steps: &mut Vec<Step>,
    ) -> Result<(), String> {
        loop {
            let ready = others
                .iter()
                .position(|&i| self.reads(&body[i]).iter().all(|&v| bound[v]));
            let Some(k) = ready else { return Ok(()) };
            let i = others.remove(k);
            let step = self.literal_step(rule, &body[i], bound)?;
            steps.push(step);
        }
    }

    /// Variables a non-atom literal needs bound before it runs.
    fn reads(&self, lit: &Literal) -> Vec<usize> {
        let mut out = Vec::new();
        match lit {
            Literal::Positive(_) => {}
            Literal::Negative(a) => {
                out.extend(a.args.iter().filter_map(|t| match t {
                    Term::Var(v) => Some(v.0 as usize),
                    _ => None,
                }));
            }
            Literal::Bind { expr, .. } => {
                collect_expr_vars(expr, &mut out);
            }
            Literal::Filter(c) => match c {
                crate::lang::program::Condition::Compare { lhs, rhs, .. } => {
                    collect_expr_vars(lhs, &mut out);
                    collect_expr_vars(rhs, &mut out);
                }
                crate::lang::program::Condition::Builtin { args, .. } => {
                    args.iter().for_each(|a| collect_expr_vars(a, &mut out))
                }
                crate::lang::program::Condition::False { .. } => {}
            },
            Literal::Aggregate(a) => out.extend(a.outer.iter().map(|v| v.0 as usize)),
        }
        out
    }

    fn literal_step(
        &mut self,
        rule: &Rule,
        lit: &Literal,
        bound: &mut [bool],
    ) -> Result<Step, String> {
        Ok(match lit {
            Literal::Positive(_) => unreachable!("atoms are placed by plan_body"),
            Literal::Negative(a) => {
                let mut cols = Vec::new();
                let mut key = Vec::new();
                for (col, t) in a.args.iter().enumerate() {
                    match t {
                        Term::Const(v) => {
                            cols.push(col);
                            key.push(Operand::Const(const_cell(v, self.symbols)));
                        }
                        Term::Var(v) => {
                            cols.push(col);
                            key.push(Operand::Reg(v.0 as usize));
                        }
                        Term::Wildcard => {}
                    }
                }
                Step::Neg(NegStep {
                    rel: a.relation,
                    cols,
                    key,
                })
            }
            Literal::Bind { var, expr, .. } => {
                bound[var.0 as usize] = true;
                Step::Bind(var.0 as usize, CExpr::compile(expr, self.symbols))
            }
            Literal::Filter(c) => Step::Filter(CCond::compile(c, self.symbols)),
            Literal::Aggregate(a) => {
                // Only the outer variables are fixed inside: the result is
                // remembered per outer values, so nothing else may leak in.
                let mut inner = vec![false; bound.len()];
                for v in &a.outer {
                    inner[v.0 as usize] = true;
                }
                let body = self.plan_body(rule, &a.body, &mut inner, None)?;
                if let Some(t) = &a.target {
                    let mut vars = Vec::new();
                    collect_expr_vars(t, &mut vars);
                    if vars.iter().any(|&v| !inner[v]) {
                        return Err("aggregate target reads an unbound variable".into());
                    }
                }
                bound[a.var.0 as usize] = true;
                let memo = self.memos;
                self.memos += 1;
                Step::Agg(Box::new(AggStep {
                    op: a.op,
                    target: a.target.as_ref().map(|t| CExpr::compile(t, self.symbols)),
                    target_ty: a.target.as_ref().map(|t| t.ty).unwrap_or(Type::Number),
                    body,
                    outer: a.outer.iter().map(|v| v.0 as usize).collect(),
                    result: a.var.0 as usize,
                    memo,
                }))
            }
        })
    }
}

fn collect_expr_vars(e: &crate::lang::program::Expr, out: &mut Vec<usize>) {
    use crate::lang::program::ExprKind;
    match &e.kind {
        ExprKind::Var(v) => out.push(v.0 as usize),
        ExprKind::Const(_) => {}
        ExprKind::Neg(x) => collect_expr_vars(x, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_expr_vars(lhs, out);
            collect_expr_vars(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_expr_vars(a, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::compile_sources;

    /// The plan of the last rule of `text`, with relation sizes by name.
    fn plan_of(text: &str, sizes: &[(&str, usize)]) -> (Program, Plan) {
        let program = compile_sources(&[("t.rules", text)]).expect("valid rules");
        let mut symbols = Symbols::default();
        let mut planner = Planner {
            program: &program,
            sizes: program
                .relations
                .iter()
                .map(|r| sizes.iter().find(|(n, _)| *n == r.name).map_or(0, |s| s.1))
                .collect(),
            symbols: &mut symbols,
            memos: 0,
            stores: None,
            selected: FxHashMap::default(),
        };
        let last = RuleId(program.rules.len() as u32 - 1);
        let plan = planner.plan(last, None).unwrap();
        (program, plan)
    }

    fn atom_order(program: &Program, plan: &Plan) -> Vec<(String, Vec<usize>)> {
        plan.steps
            .iter()
            .filter_map(|s| match s {
                Step::Atom(a) => Some((program.relation(a.rel).name.clone(), a.key_cols.clone())),
                _ => None,
            })
            .collect()
    }

    const DECLS: &str = ".decl a(x: number, y: number)\n.decl b(x: number, y: number)\n\
                         .decl c(x: number)\n.decl r(x: number, y: number)\n";

    #[test]
    fn starts_small_and_follows_shared_variables() {
        let text = format!("{DECLS}r(X, Z) :- a(X, Y), b(Y, Z), c(Z).");
        let (program, plan) = plan_of(&text, &[("a", 1000), ("b", 1000), ("c", 1)]);
        assert_eq!(
            atom_order(&program, &plan),
            vec![
                ("c".to_string(), vec![]),
                ("b".to_string(), vec![1]),
                ("a".to_string(), vec![1]),
            ]
        );
    }

    #[test]
    fn constants_are_lookups_and_a_join_beats_a_smaller_cross_product() {
        let text = format!("{DECLS}r(X, Z) :- a(X, 7), c(Z), b(X, Z).");
        let (program, plan) = plan_of(&text, &[("a", 1000), ("b", 1000), ("c", 500)]);
        // a's constant selects (a tenth, without rows to count), so it
        // starts; b then shares X, although c is smaller; c last shares Z.
        assert_eq!(
            atom_order(&program, &plan),
            vec![
                ("a".to_string(), vec![1]),
                ("b".to_string(), vec![0]),
                ("c".to_string(), vec![0]),
            ]
        );
    }

    #[test]
    fn starts_from_the_fewest_rows_its_constants_select() {
        let text = format!("{DECLS}r(X, Z) :- a(X, 7), b(X, Z).");
        let program = compile_sources(&[("t.rules", &text)]).expect("valid rules");
        let rel = |name: &str| program.relation_by_name(name).unwrap().0 as usize;
        let mut stores: Vec<Store> = program
            .relations
            .iter()
            .map(|r| Store::new(r.arity()))
            .collect();
        // 900 of a's 1000 rows hold the constant; b has 300 rows.
        for i in 0..1000u64 {
            stores[rel("a")].push(&[i, if i < 900 { 7 } else { 8 }]);
        }
        for i in 0..300u64 {
            stores[rel("b")].push(&[i, i]);
        }
        let mut symbols = Symbols::default();
        let mut planner = Planner {
            program: &program,
            sizes: stores.iter().map(Store::len).collect(),
            symbols: &mut symbols,
            memos: 0,
            stores: Some(&stores),
            selected: FxHashMap::default(),
        };
        let plan = planner.plan(RuleId(0), None).unwrap();
        assert_eq!(
            planner.selected.values().copied().collect::<Vec<_>>(),
            [900]
        );
        assert_eq!(
            atom_order(&program, &plan),
            vec![("b".to_string(), vec![]), ("a".to_string(), vec![0, 1])]
        );
    }

    #[test]
    fn filters_run_as_soon_as_their_variables_are_bound() {
        let text = format!("{DECLS}r(X, Z) :- a(X, Y), b(Y, Z), X < 3, !c(Y).");
        let (_, plan) = plan_of(&text, &[("a", 10), ("b", 1000)]);
        let kinds: Vec<&str> = plan
            .steps
            .iter()
            .map(|s| match s {
                Step::Atom(_) => "atom",
                Step::Neg(_) => "neg",
                Step::Filter(_) => "filter",
                Step::Bind(..) => "bind",
                Step::Agg(_) => "agg",
            })
            .collect();
        assert_eq!(kinds, vec!["atom", "filter", "neg", "atom"]);
    }
}
