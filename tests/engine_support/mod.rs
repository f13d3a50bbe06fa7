//! Builds checked programs by hand for engine tests, independent of the
//! parser: relations, rules and strata as the checker would produce them.
#![allow(dead_code)]

use std::sync::Arc;

use rulecheck::facts::{Type, BASE};
use rulecheck::lang::program::*;
use rulecheck::lang::{FileId, Loc, SourceMap};

pub fn loc() -> Loc {
    Loc::new(FileId(0), 0, 0)
}

pub struct P {
    pub program: Program,
    /// Relations in stratum order, as given to `stratum`.
    strata: Vec<Vec<RelId>>,
}

impl Default for P {
    fn default() -> Self {
        Self::new()
    }
}

impl P {
    pub fn new() -> Self {
        let mut sources = SourceMap::default();
        sources.add("test.rules".into(), None, Arc::from(""));
        let relations = BASE
            .iter()
            .enumerate()
            .map(|(i, r)| Relation {
                name: r.name.to_string(),
                columns: r
                    .columns
                    .iter()
                    .map(|c| ColumnDecl {
                        name: c.name.to_string(),
                        ty: c.ty,
                    })
                    .collect(),
                base: Some(rulecheck::facts::Base::ALL[i]),
                input: false,
                output: false,
                decl: None,
            })
            .collect();
        P {
            program: Program {
                relations,
                rules: Vec::new(),
                strata: Vec::new(),
                invariants: Vec::new(),
                sources,
            },
            strata: Vec::new(),
        }
    }

    pub fn decl(&mut self, name: &str, types: &[Type]) -> RelId {
        self.program.relations.push(Relation {
            name: name.to_string(),
            columns: types
                .iter()
                .enumerate()
                .map(|(i, &ty)| ColumnDecl {
                    name: format!("c{i}"),
                    ty,
                })
                .collect(),
            base: None,
            input: false,
            output: true,
            decl: Some(loc()),
        });
        RelId(self.program.relations.len() as u32 - 1)
    }

    pub fn input(&mut self, name: &str, types: &[Type]) -> RelId {
        let r = self.decl(name, types);
        self.program.relations[r.0 as usize].input = true;
        r
    }

    pub fn rule(&mut self, head: RelId, args: Vec<Expr>, body: Vec<Literal>, vars: &[Type]) {
        self.program.rules.push(Rule {
            head: Head {
                relation: head,
                args,
                loc: loc(),
            },
            body,
            vars: vars
                .iter()
                .enumerate()
                .map(|(i, &ty)| Var {
                    name: format!("V{i}"),
                    ty,
                })
                .collect(),
            loc: loc(),
        });
    }

    /// A fact `rel(values)`.
    pub fn fact(&mut self, rel: RelId, values: Vec<Value>) {
        let args = values.into_iter().map(c).collect();
        self.rule(rel, args, Vec::new(), &[]);
    }

    /// Declares the next stratum: these relations, evaluated together.
    pub fn stratum(&mut self, rels: &[RelId]) {
        self.strata.push(rels.to_vec());
    }

    pub fn finish(mut self) -> Program {
        for rels in &self.strata {
            let rules: Vec<RuleId> = (0..self.program.rules.len() as u32)
                .map(RuleId)
                .filter(|&r| rels.contains(&self.program.rule(r).head.relation))
                .collect();
            let recursive = rules.iter().any(|&r| {
                reads(&self.program.rule(r).body)
                    .iter()
                    .any(|x| rels.contains(x))
            });
            self.program.strata.push(Stratum {
                relations: rels.clone(),
                rules,
                recursive,
            });
        }
        self.program
    }
}

fn reads(body: &[Literal]) -> Vec<RelId> {
    let mut out = Vec::new();
    for l in body {
        match l {
            Literal::Positive(a) => out.push(a.relation),
            Literal::Aggregate(g) => out.extend(reads(&g.body)),
            _ => {}
        }
    }
    out
}

pub fn var(i: u32) -> Term {
    Term::Var(VarId(i))
}

pub fn k(v: Value) -> Term {
    Term::Const(v)
}

pub fn atom(rel: RelId, args: Vec<Term>) -> Atom {
    Atom {
        relation: rel,
        args,
        loc: loc(),
    }
}

pub fn pos(rel: RelId, args: Vec<Term>) -> Literal {
    Literal::Positive(atom(rel, args))
}

pub fn neg(rel: RelId, args: Vec<Term>) -> Literal {
    Literal::Negative(atom(rel, args))
}

pub fn v(i: u32, ty: Type) -> Expr {
    Expr {
        kind: ExprKind::Var(VarId(i)),
        ty,
    }
}

pub fn c(val: Value) -> Expr {
    Expr {
        ty: val.ty(),
        kind: ExprKind::Const(val),
    }
}

pub fn num(n: i64) -> Expr {
    c(Value::Number(n))
}

pub fn sym(s: &str) -> Expr {
    c(Value::Symbol(s.to_string()))
}

pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr {
        ty: a.ty,
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(a),
            rhs: Box::new(b),
        },
    }
}

pub fn call(f: Functor, args: Vec<Expr>, ty: Type) -> Expr {
    Expr {
        kind: ExprKind::Call { functor: f, args },
        ty,
    }
}

pub fn cmp(op: CmpOp, a: Expr, b: Expr) -> Literal {
    Literal::Filter(Condition::Compare {
        op,
        ty: a.ty,
        lhs: a,
        rhs: b,
        loc: loc(),
    })
}

pub fn bind(var: u32, e: Expr) -> Literal {
    Literal::Bind {
        var: VarId(var),
        expr: e,
        loc: loc(),
    }
}

pub fn agg(
    var: u32,
    op: AggOp,
    target: Option<Expr>,
    body: Vec<Literal>,
    outer: &[u32],
) -> Literal {
    Literal::Aggregate(Aggregate {
        var: VarId(var),
        op,
        target,
        body,
        outer: outer.iter().map(|&i| VarId(i)).collect(),
        loc: loc(),
    })
}
