//! The checked program: what the engine evaluates. Everything here has
//! been resolved and checked: relations are indices with typed columns,
//! every variable has a type and is bound, disjunctions and multi-head
//! rules are split into plain rules, and the rules are grouped into strata
//! in evaluation order. The engine needs no further checks and can index
//! everything by position.
//!
//! Architecture invariant: nothing here refers to traces or fact files; a
//! base relation is only marked as such, and the engine fills it.

use crate::facts::{Base, Type};

pub use super::ast::{AggOp, BinOp, CmpOp, Constraint, Functor};
use super::source::{Loc, SourceMap};

/// Index into [`Program::relations`]. The first `BASE.len()` ids are the
/// base relations in the order of [`crate::facts::BASE`], so
/// `RelId(b as u32)` is base relation `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelId(pub u32);

/// Index into [`Program::rules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// Index into [`Rule::vars`]: variables are numbered per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

#[derive(Clone, Debug)]
pub struct Program {
    pub relations: Vec<Relation>,
    pub rules: Vec<Rule>,
    /// In evaluation order: every relation a stratum reads is complete
    /// (computed by an earlier stratum, or a base/input relation) except
    /// those of the stratum itself, which only positive atoms read.
    pub strata: Vec<Stratum>,
    /// `.invariant` declarations in source order.
    pub invariants: Vec<InvariantDecl>,
    /// Every file read, for `explain` and error messages.
    pub sources: SourceMap,
}

impl Program {
    pub fn relation(&self, id: RelId) -> &Relation {
        &self.relations[id.0 as usize]
    }

    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id.0 as usize]
    }

    pub fn relation_by_name(&self, name: &str) -> Option<RelId> {
        self.relations
            .iter()
            .position(|r| r.name == name)
            .map(|i| RelId(i as u32))
    }

    /// `.output` relations in declaration order.
    pub fn outputs(&self) -> impl Iterator<Item = RelId> + '_ {
        (0..self.relations.len() as u32)
            .map(RelId)
            .filter(|&id| self.relation(id).output)
    }

    /// The rule's source text (for a rule split from a disjunction or a
    /// multi-head rule: the whole clause it came from).
    pub fn rule_text(&self, id: RuleId) -> &str {
        self.sources.text(self.rule(id).loc)
    }
}

#[derive(Clone, Debug)]
pub struct Relation {
    pub name: String,
    pub columns: Vec<ColumnDecl>,
    /// Filled by the engine from traces; never the head of a rule.
    pub base: Option<Base>,
    /// `.input`: read from `<name>.facts` in the facts folder (may also have
    /// rules and facts in the program, as in Soufflé). Never set for a base
    /// relation, even one the program declares `.input` for Soufflé's sake.
    pub input: bool,
    /// `.output`
    pub output: bool,
    /// Where it was declared; `None` for a base relation nobody redeclared.
    pub decl: Option<Loc>,
}

impl Relation {
    pub fn arity(&self) -> usize {
        self.columns.len()
    }

    /// The types of its columns, in order.
    pub fn types(&self) -> impl Iterator<Item = Type> + '_ {
        self.columns.iter().map(|c| c.ty)
    }
}

#[derive(Clone, Debug)]
pub struct ColumnDecl {
    pub name: String,
    /// The base type (`.type` aliases are resolved).
    pub ty: Type,
}

/// `.invariant r "message"`: every tuple of `relation` is a violation.
#[derive(Clone, Debug)]
pub struct InvariantDecl {
    pub relation: RelId,
    pub message: String,
    pub loc: Loc,
}

/// A group of relations evaluated together to a fixpoint.
#[derive(Clone, Debug)]
pub struct Stratum {
    /// The relations this stratum derives (one strongly connected
    /// component of the dependency graph).
    pub relations: Vec<RelId>,
    /// The rules whose head is one of `relations`, in source order.
    pub rules: Vec<RuleId>,
    /// Some rule reads a relation of this same stratum (directly or through
    /// others): needs semi-naive iteration; otherwise one pass suffices.
    pub recursive: bool,
}

impl Stratum {
    pub fn contains(&self, rel: RelId) -> bool {
        self.relations.contains(&rel)
    }
}

/// One clause with a single head and a conjunctive body. A fact is a rule
/// with an empty body whose head arguments are constant expressions; a body
/// without positive atoms (`r(X) :- X = 1 + 2.`) starts from one empty
/// binding.
#[derive(Clone, Debug)]
pub struct Rule {
    pub head: Head,
    /// In an order the engine may evaluate left to right: first every
    /// positive atom (in source order), then the other literals such that
    /// every variable a literal reads is bound by an atom or by an earlier
    /// [`Literal::Bind`] / [`Literal::Aggregate`].
    pub body: Vec<Literal>,
    pub vars: Vec<Var>,
    /// The clause as written (shared by the rules split from it).
    pub loc: Loc,
}

impl Rule {
    pub fn var(&self, id: VarId) -> &Var {
        &self.vars[id.0 as usize]
    }

    /// The positive atoms of the body.
    pub fn positive_atoms(&self) -> impl Iterator<Item = &Atom> {
        self.body.iter().filter_map(|l| match l {
            Literal::Positive(a) => Some(a),
            _ => None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Var {
    /// As written; variables the checker introduces start with `$`.
    pub name: String,
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub struct Head {
    pub relation: RelId,
    /// One per column; may compute (`h(X + 1) :- …`). Never a wildcard.
    pub args: Vec<Expr>,
    pub loc: Loc,
}

/// A body atom. Expressions written in body-atom arguments (`a(X + 1)`) are
/// moved out by the checker into a fresh variable and a filter, so an
/// atom's arguments are only variables, constants and wildcards.
#[derive(Clone, Debug)]
pub struct Atom {
    pub relation: RelId,
    pub args: Vec<Term>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Var(VarId),
    Const(Value),
    Wildcard,
}

/// A constant of one of the four column types.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Symbol(String),
    Number(i64),
    Unsigned(u64),
    Float(f64),
}

impl Value {
    pub fn ty(&self) -> Type {
        match self {
            Value::Symbol(_) => Type::Symbol,
            Value::Number(_) => Type::Number,
            Value::Unsigned(_) => Type::Unsigned,
            Value::Float(_) => Type::Float,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Literal {
    /// `r(X, _)`: binds its variables.
    Positive(Atom),
    /// `!r(X, _)`: every variable is bound before it; `r` is in an earlier
    /// stratum.
    Negative(Atom),
    /// `X = expr` where `X` is not yet bound: binds `X` (once; a
    /// comparison of bound values is a [`Literal::Filter`]).
    Bind { var: VarId, expr: Expr, loc: Loc },
    /// A test on bound values.
    Filter(Condition),
    /// `var = op target : { body }`: binds `var`. Every relation in the
    /// body is in an earlier stratum.
    Aggregate(Aggregate),
}

#[derive(Clone, Debug)]
pub enum Condition {
    /// Both sides have type `ty`; symbols compare by byte order, floats
    /// numerically.
    Compare {
        op: CmpOp,
        ty: Type,
        lhs: Expr,
        rhs: Expr,
        loc: Loc,
    },
    /// `contains(sub, s)` / `match(regex, s)`: two symbol arguments. A
    /// constant regex is known to compile; a computed one that does not
    /// compile makes the constraint false.
    Builtin {
        constraint: Constraint,
        args: [Expr; 2],
        loc: Loc,
    },
    /// `false` (a `true` literal is dropped).
    False { loc: Loc },
}

#[derive(Clone, Debug)]
pub struct Aggregate {
    pub var: VarId,
    pub op: AggOp,
    /// `None` for `count`. For `sum`/`min`/`max` the result has the
    /// target's type; `count` gives number, `mean` float.
    pub target: Option<Expr>,
    /// Conjunctive, ordered like [`Rule::body`]; its variables are in the
    /// rule's [`Rule::vars`]. Variables bound outside the aggregate (listed
    /// in `outer`) are fixed per evaluation; the others are local to it.
    pub body: Vec<Literal>,
    /// Variables of the body that are bound before the aggregate in the
    /// enclosing rule (the group the aggregate is computed for).
    pub outer: Vec<VarId>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    /// The value's type.
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Var(VarId),
    Const(Value),
    /// Unary minus, in the expression's type.
    Neg(Box<Expr>),
    /// Both operands have the expression's type (number, unsigned or
    /// float; never symbol). Integer overflow wraps; division by zero makes
    /// the tuple disappear.
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        functor: Functor,
        args: Vec<Expr>,
    },
}
