//! Proof trees rebuilt from the final relations. A tuple of a derived
//! relation is proved by a rule whose body matches with the head bound to
//! it, and whose derived body tuples are proved in turn. Searching by
//! iterative deepening on the height of the tree gives a proof of minimal
//! height and cannot loop in recursive relations: a proof of height `d`
//! only uses proofs of height `d - 1` below it, and each (tuple, height)
//! that failed is remembered.

use rustc_hash::FxHashMap;

use crate::engine::value::const_cell;
use crate::facts::Type;
use crate::lang::program::{Atom, Literal, RelId, RuleId, Term, Value, VarId};
use crate::lang::Loc;

use super::solve::Ctx;

/// One node of a proof.
#[derive(Clone, Debug)]
pub enum Node {
    /// Derived by `rule` with these variable values (`None`: a variable
    /// bound only inside an aggregate); `children` follow the body order.
    Derived {
        relation: RelId,
        tuple: Vec<u64>,
        rule: RuleId,
        bindings: Vec<Option<u64>>,
        children: Vec<Node>,
    },
    /// A base fact (from traces or a facts folder) or a row of an `.input`
    /// relation that no rule derives.
    Fact { relation: RelId, tuple: Vec<u64> },
    /// A negated atom that holds: no tuple matches (`None`: a wildcard).
    Absent {
        relation: RelId,
        pattern: Vec<Option<u64>>,
        loc: Loc,
    },
    /// An aggregate literal and the value it computed.
    Aggregate { loc: Loc, value: u64, ty: Type },
    /// A filter or binding that held.
    Condition { loc: Loc },
}

impl Node {
    /// The leaf of a negated atom that held, its pattern filled in from
    /// the rule's variable values (`var`) and constants (`constant`).
    pub fn absent(
        atom: &Atom,
        var: impl Fn(VarId) -> Option<u64>,
        mut constant: impl FnMut(&Value) -> u64,
    ) -> Node {
        Node::Absent {
            relation: atom.relation,
            pattern: atom
                .args
                .iter()
                .map(|t| match t {
                    Term::Var(v) => var(*v),
                    Term::Const(c) => Some(constant(c)),
                    Term::Wildcard => None,
                })
                .collect(),
            loc: atom.loc,
        }
    }
}

/// How a tuple was first proved.
#[derive(Clone, Debug)]
struct Step {
    rule: RuleId,
    bindings: Vec<Option<u64>>,
    matched: Vec<Option<Vec<u64>>>,
}

#[derive(Default)]
struct Memo {
    proof: Option<Step>,
    /// No proof of height up to this exists.
    failed_up_to: Option<u32>,
}

pub struct Prover<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    memo: FxHashMap<(RelId, Vec<u64>), Memo>,
}

impl<'c, 'a> Prover<'c, 'a> {
    pub fn new(ctx: &'c mut Ctx<'a>) -> Self {
        Prover {
            ctx,
            memo: FxHashMap::default(),
        }
    }

    /// The proof of a tuple that is in the database; `None` when it is not
    /// (or, for a program the explainer cannot re-derive, no rule matches).
    pub fn prove(&mut self, relation: RelId, tuple: &[u64]) -> Option<Node> {
        if !self.ctx.exists(relation, tuple) {
            return None;
        }
        // Every derived tuple has a proof no taller than the number of
        // derived tuples, so the search ends.
        let total: usize = (0..self.ctx.program.relations.len() as u32)
            .map(|r| self.ctx.db.len(RelId(r)))
            .sum();
        let mut reached_before = usize::MAX;
        for depth in 0..=total as u32 + 1 {
            if self.search(relation, tuple, depth) {
                return Some(self.tree(relation, tuple));
            }
            // A minimal proof repeats no tuple along a branch, so once the
            // derived tuples reachable from this one stop growing, their
            // number bounds its height.
            let reached = self.memo.len();
            if reached == reached_before && depth as usize > reached + 1 {
                return None;
            }
            reached_before = reached;
        }
        None
    }

    fn is_leaf(&self, relation: RelId) -> bool {
        let rel = self.ctx.program.relation(relation);
        rel.base.is_some() || (rel.input && self.ctx.rules_of(relation).is_empty())
    }

    /// Whether `tuple` (which exists) has a proof of height at most `depth`.
    fn search(&mut self, relation: RelId, tuple: &[u64], depth: u32) -> bool {
        if self.is_leaf(relation) {
            return true;
        }
        let key = (relation, tuple.to_vec());
        if let Some(m) = self.memo.get(&key) {
            if m.proof.is_some() {
                return true;
            }
            if m.failed_up_to.is_some_and(|f| f >= depth) {
                return false;
            }
        }
        if depth == 0 {
            return self.input_fallback(key, depth);
        }
        let program = self.ctx.program;
        let wanted: Vec<Option<u64>> = tuple.iter().copied().map(Some).collect();
        for rule_id in self.ctx.rules_of(relation) {
            let rule = program.rule(rule_id);
            let Some(mut st) = self.ctx.bind_head(rule, &wanted) else {
                continue;
            };
            // Collect the matches first, then search their children: that
            // search needs the whole prover.
            let mut found: Vec<Step> = Vec::new();
            self.ctx
                .solve(&rule.body, 0, &mut st, false, &mut |ctx, s| {
                    if ctx.head_matches(rule, s, &wanted) {
                        found.push(Step {
                            rule: rule_id,
                            bindings: (0..rule.vars.len())
                                .map(|v| s.get(VarId(v as u32)))
                                .collect(),
                            matched: s.matched.clone(),
                        });
                    }
                    false
                });
            for cand in found {
                let ok = rule
                    .body
                    .iter()
                    .zip(&cand.matched)
                    .all(|(lit, row)| match (lit, row) {
                        (Literal::Positive(a), Some(row)) => {
                            self.search(a.relation, row, depth - 1)
                        }
                        _ => true,
                    });
                if ok {
                    self.memo.entry(key).or_default().proof = Some(cand);
                    return true;
                }
            }
        }
        self.input_fallback(key, depth)
    }

    /// A tuple of an `.input` relation that no rule proves came from its
    /// facts file; anything else has no proof of this height.
    fn input_fallback(&mut self, key: (RelId, Vec<u64>), depth: u32) -> bool {
        if self.ctx.program.relation(key.0).input {
            return true;
        }
        let m = self.memo.entry(key).or_default();
        m.failed_up_to = Some(m.failed_up_to.map_or(depth, |d| d.max(depth)));
        false
    }

    fn tree(&mut self, relation: RelId, tuple: &[u64]) -> Node {
        let Some(step) = self
            .memo
            .get(&(relation, tuple.to_vec()))
            .and_then(|m| m.proof.clone())
        else {
            return Node::Fact {
                relation,
                tuple: tuple.to_vec(),
            };
        };
        let program = self.ctx.program;
        let rule = program.rule(step.rule);
        let mut children = Vec::new();
        for (lit, row) in rule.body.iter().zip(&step.matched) {
            children.push(match lit {
                Literal::Positive(a) => self.tree(a.relation, row.as_ref().expect("matched")),
                Literal::Negative(a) => Node::absent(
                    a,
                    |v| step.bindings[v.0 as usize],
                    |c| const_cell(c, &mut self.ctx.symbols),
                ),
                Literal::Aggregate(a) => Node::Aggregate {
                    loc: a.loc,
                    ty: rule.var(a.var).ty,
                    value: row.as_ref().map_or(0, |r| r[0]),
                },
                Literal::Bind { loc, .. } => Node::Condition { loc: *loc },
                Literal::Filter(_) => Node::Condition {
                    loc: super::solve::literal_loc(lit),
                },
            });
        }
        Node::Derived {
            relation,
            tuple: tuple.to_vec(),
            rule: step.rule,
            bindings: step.bindings,
            children,
        }
    }
}
