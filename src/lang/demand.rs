//! What of each relation evaluation can observe. A million spans' facts
//! folder holds ~11M cells, but the standard rules look at two of `span`'s
//! seven columns and only at client and server spans: loading reads the
//! rest without interning it, which is most of the loading time.
//!
//! A column no literal binds or tests is never observed: rules see the
//! relation only through atoms, and an atom's `_` matches any value, so
//! storing one placeholder there changes no result (set semantics). A row
//! whose constant columns match no atom of the program is never observed
//! either. Both hold only where every observer is an atom: a relation that
//! is printed (`.output`), an invariant, or the body of an aggregate (which
//! counts solutions) is demanded whole.

use super::program::{Literal, Program, Term, Value};

/// The part of one relation evaluation can observe.
#[derive(Clone, Debug, PartialEq)]
pub struct Demand {
    /// Per column: whether some atom binds or tests it.
    pub columns: Vec<bool>,
    /// A row is observed only if it matches one of these lists of
    /// (column, constant); `None` when some atom has no constant at all.
    pub patterns: Option<Vec<Vec<(usize, Value)>>>,
}

impl Demand {
    /// Every column and every row.
    pub fn all(arity: usize) -> Self {
        Demand {
            columns: vec![true; arity],
            patterns: None,
        }
    }

    /// Whether the demand is the whole relation.
    #[cfg(test)]
    pub fn is_all(&self) -> bool {
        self.patterns.is_none() && self.columns.iter().all(|&c| c)
    }

    fn add(&mut self, args: &[Term]) {
        let mut constants = Vec::new();
        for (i, term) in args.iter().enumerate() {
            match term {
                Term::Wildcard => {}
                Term::Var(_) => self.columns[i] = true,
                Term::Const(v) => {
                    self.columns[i] = true;
                    constants.push((i, v.clone()));
                }
            }
        }
        match (&mut self.patterns, constants.is_empty()) {
            (Some(_), true) => self.patterns = None,
            (Some(list), false) => {
                if !list.contains(&constants) {
                    list.push(constants)
                }
            }
            (None, _) => {}
        }
    }
}

impl Program {
    /// Per relation (by [`super::program::RelId`] index): what evaluation
    /// can observe of it, `None` when nothing reads it. Loading skips the
    /// base relations nobody reads, and the columns and rows nobody sees.
    pub fn demand(&self) -> Vec<Option<Demand>> {
        let mut demand: Vec<Option<Demand>> = vec![None; self.relations.len()];
        let whole = |demand: &mut Vec<Option<Demand>>, rel: usize, arity: usize| {
            demand[rel] = Some(Demand::all(arity));
        };
        for (i, r) in self.relations.iter().enumerate() {
            if r.output {
                whole(&mut demand, i, r.columns.len());
            }
        }
        for inv in &self.invariants {
            let i = inv.relation.0 as usize;
            whole(&mut demand, i, self.relations[i].columns.len());
        }
        for rule in &self.rules {
            self.mark(&rule.body, false, &mut demand);
        }
        demand
    }

    fn mark(&self, body: &[Literal], in_aggregate: bool, demand: &mut [Option<Demand>]) {
        for lit in body {
            match lit {
                Literal::Positive(a) | Literal::Negative(a) => {
                    let i = a.relation.0 as usize;
                    let arity = a.args.len();
                    if in_aggregate {
                        demand[i] = Some(Demand::all(arity));
                        continue;
                    }
                    demand[i]
                        .get_or_insert_with(|| Demand {
                            columns: vec![false; arity],
                            patterns: Some(Vec::new()),
                        })
                        .add(&a.args);
                }
                Literal::Aggregate(agg) => self.mark(&agg.body, true, demand),
                Literal::Bind { .. } | Literal::Filter(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::compile_sources;

    fn demand_of(src: &str, rel: &str) -> Option<Demand> {
        let program = compile_sources(&[("t.rules", src)]).expect("compiles");
        let id = program.relation_by_name(rel).expect("declared");
        program.demand()[id.0 as usize].clone()
    }

    const DECLS: &str =
        ".decl e(a: symbol, b: symbol, c: number)\n.input e\n.decl out(a: symbol)\n.output out\n";

    #[test]
    fn unread_columns_and_rows_are_not_demanded() {
        let src = format!("{DECLS}out(A) :- e(A, \"x\", _).\nout(A) :- e(A, \"y\", _).\n");
        let d = demand_of(&src, "e").expect("read");
        assert_eq!(d.columns, [true, true, false]);
        let sym = |s: &str| Value::Symbol(s.into());
        assert_eq!(
            d.patterns,
            Some(vec![vec![(1, sym("x"))], vec![(1, sym("y"))]])
        );
    }

    #[test]
    fn an_atom_without_constants_demands_every_row() {
        let src =
            format!("{DECLS}out(A) :- e(A, \"x\", _).\nout(B) :- !e(\"z\", B, 1), e(_, B, _).\n");
        let d = demand_of(&src, "e").expect("read");
        assert_eq!(d.columns, [true, true, true]);
        assert_eq!(d.patterns, None);
    }

    #[test]
    fn aggregates_outputs_and_unread_relations() {
        let src = format!(
            "{DECLS}.decl n(c: number)\n.output n\nn(C) :- C = count : {{ e(_, \"x\", _) }}.\n"
        );
        assert!(demand_of(&src, "e").expect("read").is_all());
        assert!(demand_of(&src, "n").expect("printed").is_all());
        assert_eq!(demand_of(&src, "out"), Some(Demand::all(1)));
        let src = format!("{DECLS}out(\"a\").\n");
        assert_eq!(demand_of(&src, "e"), None);
    }
}
