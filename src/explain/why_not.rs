//! Why a tuple is not derived: for each rule of its relation, with the head
//! bound to the wanted values, the longest prefix of the body (in the
//! checked evaluation order) that some assignment satisfies, and the first
//! literal no extension of that assignment satisfies.

use crate::lang::program::{RelId, RuleId, VarId};

use super::solve::{literal_vars, Ctx};

/// The verdict for one rule.
#[derive(Clone, Debug)]
pub enum RuleOutcome {
    /// The head cannot take the wanted values (a constant or a variable
    /// used twice disagrees).
    HeadMismatch,
    /// Literals `0..satisfied` hold with `bindings`; literal `satisfied`
    /// fails with them.
    Fails {
        satisfied: usize,
        failing: usize,
        bindings: Vec<(VarId, u64)>,
    },
    /// The body holds but the head computes other values.
    HeadDiffers { bindings: Vec<(VarId, u64)> },
    /// The rule derives the tuple.
    Derives,
}

#[derive(Clone, Debug)]
pub struct RuleReport {
    pub rule: RuleId,
    pub outcome: RuleOutcome,
}

/// Every rule of `relation` tried with `wanted` (`None`: any value).
pub fn why_not(ctx: &mut Ctx<'_>, relation: RelId, wanted: &[Option<u64>]) -> Vec<RuleReport> {
    let program = ctx.program;
    let mut out = Vec::new();
    for rule_id in ctx.rules_of(relation) {
        let rule = program.rule(rule_id);
        let Some(mut st) = ctx.bind_head(rule, wanted) else {
            out.push(RuleReport {
                rule: rule_id,
                outcome: RuleOutcome::HeadMismatch,
            });
            continue;
        };
        ctx.deepest = None;
        let mut body_held = None;
        let derived = ctx.solve(&rule.body, 0, &mut st, true, &mut |ctx, s| {
            if ctx.head_matches(rule, s, wanted) {
                return true;
            }
            body_held.get_or_insert_with(|| s.clone());
            false
        });
        let bound = |s: &super::solve::State, vars: &[VarId]| {
            vars.iter()
                .filter_map(|&v| s.get(v).map(|c| (v, c)))
                .collect::<Vec<_>>()
        };
        let outcome = if derived {
            RuleOutcome::Derives
        } else if let Some(s) = body_held {
            let all: Vec<VarId> = (0..rule.vars.len() as u32).map(VarId).collect();
            RuleOutcome::HeadDiffers {
                bindings: bound(&s, &all),
            }
        } else {
            let deepest = ctx.deepest.take().expect("the walk starts at literal 0");
            let failing = deepest.literal.min(rule.body.len().saturating_sub(1));
            RuleOutcome::Fails {
                satisfied: deepest.literal,
                failing,
                bindings: bound(&deepest.state, &literal_vars(&rule.body[failing])),
            }
        };
        out.push(RuleReport {
            rule: rule_id,
            outcome,
        });
    }
    out
}
