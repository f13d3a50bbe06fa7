//! Proof trees read from the provenance the engine recorded
//! (`Limits::provenance`): each derived tuple names its rule and the rows
//! its positive body atoms matched, so a proof is a walk down those rows,
//! with no search. The variables the rows fix are checked against the
//! rule once more here — head, constants, repeated variables, and every
//! other literal (filters, bindings, negations, aggregates) re-evaluated
//! over the final relations — which also yields what the leaves show
//! (a negated atom's pattern, an aggregate's value).

use crate::engine::Provenance;
use crate::lang::program::{Literal, RelId, Term, VarId};

use super::prove::Node;
use super::solve::{literal_loc, Ctx, State};

/// The recorded proof of `tuple` of `rel`; `None` when the tuple is not in
/// the database or a recorded step does not re-check (an engine bug).
pub fn proof(ctx: &mut Ctx<'_>, prov: &Provenance, rel: RelId, tuple: &[u64]) -> Option<Node> {
    let row = ctx.row_number(rel, tuple)?;
    node(ctx, prov, rel, row)
}

fn node(ctx: &mut Ctx<'_>, prov: &Provenance, rel: RelId, row: usize) -> Option<Node> {
    let db = ctx.db;
    let tuple = db.row(rel, row).to_vec();
    let Some(d) = prov.derivation(rel, row) else {
        return Some(Node::Fact {
            relation: rel,
            tuple,
        });
    };
    let program = ctx.program;
    let rule = program.rules.get(d.rule.0 as usize)?;
    if rule.head.relation != rel {
        return None;
    }
    let wanted: Vec<Option<u64>> = tuple.iter().copied().map(Some).collect();
    let mut st = ctx.bind_head(rule, &wanted)?;
    // The recorded rows fix every variable of the positive atoms…
    let mut rows = d.rows.iter();
    let mut atom_rows = Vec::new();
    for (i, lit) in rule.body.iter().enumerate() {
        if let Literal::Positive(a) = lit {
            let r = *rows.next()? as usize;
            if r >= db.len(a.relation) {
                return None;
            }
            let cells = db.row(a.relation, r);
            let mut next = std::mem::replace(&mut st, State::new(rule));
            let fits = a.args.iter().zip(cells).all(|(t, &c)| match t {
                Term::Var(v) => next.bind(*v, c),
                Term::Const(k) => ctx.const_cell(k) == c,
                Term::Wildcard => true,
            });
            if !fits {
                return None;
            }
            next.matched[i] = Some(cells.to_vec());
            st = next;
            atom_rows.push((a.relation, r));
        }
    }
    // …then the other literals must hold under them, in body order.
    let mut agg_values = vec![None; rule.body.len()];
    for (i, lit) in rule.body.iter().enumerate() {
        if matches!(lit, Literal::Positive(_)) {
            continue;
        }
        let mut scratch = st.clone();
        let mut solved: Option<State> = None;
        ctx.solve(
            std::slice::from_ref(lit),
            0,
            &mut scratch,
            false,
            &mut |_, s| {
                solved = Some(s.clone());
                true
            },
        );
        let s = solved?;
        if let Literal::Aggregate(a) = lit {
            agg_values[i] = s.get(a.var);
        }
        st.regs = s.regs;
        st.bound = s.bound;
    }
    if !ctx.head_matches(rule, &st, &wanted) {
        return None;
    }
    let mut atom_rows = atom_rows.into_iter();
    let mut children = Vec::with_capacity(rule.body.len());
    for (i, lit) in rule.body.iter().enumerate() {
        children.push(match lit {
            Literal::Positive(_) => {
                let (r, row) = atom_rows.next()?;
                node(ctx, prov, r, row)?
            }
            Literal::Negative(a) => Node::absent(a, |v| st.get(v), |k| ctx.const_cell(k)),
            Literal::Aggregate(a) => Node::Aggregate {
                loc: a.loc,
                ty: rule.var(a.var).ty,
                value: agg_values[i]?,
            },
            Literal::Bind { loc, .. } => Node::Condition { loc: *loc },
            Literal::Filter(_) => Node::Condition {
                loc: literal_loc(lit),
            },
        });
    }
    Some(Node::Derived {
        relation: rel,
        tuple,
        rule: d.rule,
        bindings: (0..rule.vars.len())
            .map(|v| st.get(VarId(v as u32)))
            .collect(),
        children,
    })
}
