//! The syntax tree of one rule file, as written: nothing resolved, nothing
//! checked. Every node carries the [`Loc`] of its text so that the checker
//! can point at the exact columns. The checker turns a set of these into a
//! [`crate::lang::program::Program`].

use super::source::{FileId, Loc};

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub loc: Loc,
}

/// One parsed file.
#[derive(Clone, Debug)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Decl(Decl),
    TypeAlias(TypeAlias),
    /// `.input r` (Soufflé IO parameters are accepted and ignored).
    Input(Directive),
    /// `.output r`
    Output(Directive),
    Include(Include),
    Invariant(Invariant),
    Rule(Rule),
}

/// `.decl r(a: symbol, b: number)`
#[derive(Clone, Debug)]
pub struct Decl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub loc: Loc,
}

/// `a: symbol`; the type is a name because it may be a `.type` alias.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: Ident,
}

/// `.type Id <: symbol` or `.type Count = number`: Soufflé's subtypes and
/// equivalence types, both resolved to their base type.
#[derive(Clone, Debug)]
pub struct TypeAlias {
    pub name: Ident,
    pub base: Ident,
    pub loc: Loc,
}

/// `.input a, b(IO=file)` / `.output a`: the relations named.
#[derive(Clone, Debug)]
pub struct Directive {
    pub relations: Vec<Ident>,
    pub loc: Loc,
}

/// `.include "other.rules"`; `path` unescaped, relative to the including file.
#[derive(Clone, Debug)]
pub struct Include {
    pub path: String,
    pub loc: Loc,
}

/// `.invariant r "what must never happen"`
#[derive(Clone, Debug)]
pub struct Invariant {
    pub relation: Ident,
    pub message: String,
    pub loc: Loc,
}

/// `h1(..), h2(..) :- body.` or a fact `h(..).` (`body` is `None`).
#[derive(Clone, Debug)]
pub struct Rule {
    pub heads: Vec<Atom>,
    pub body: Option<Body>,
    /// The whole clause, head to final dot.
    pub loc: Loc,
}

/// A rule body before normalisation: `;` binds looser than `,`, and
/// parentheses group, as in Soufflé.
#[derive(Clone, Debug)]
pub enum Body {
    Literal(Literal),
    /// `a, b, c`
    And(Vec<Body>),
    /// `a ; b`
    Or(Vec<Body>),
}

#[derive(Clone, Debug)]
pub enum Literal {
    /// `r(X, "a", _)`
    Atom(Atom),
    /// `!r(X, _)`; `loc` covers the `!` too.
    Negated { atom: Atom, loc: Loc },
    /// `X < Y`, `N = Z + 1`
    Compare(Compare),
    /// `contains(sub, s)`, `match(regex, s)`: Soufflé's built-in constraints.
    Constraint {
        functor: Constraint,
        name: Ident,
        args: Vec<Expr>,
        loc: Loc,
    },
    /// `true` / `false`
    Bool { value: bool, loc: Loc },
}

impl Literal {
    pub fn loc(&self) -> Loc {
        match self {
            Literal::Atom(a) => a.loc,
            Literal::Negated { loc, .. } => *loc,
            Literal::Compare(c) => c.loc,
            Literal::Constraint { loc, .. } => *loc,
            Literal::Bool { loc, .. } => *loc,
        }
    }
}

/// `rel(args)`
#[derive(Clone, Debug)]
pub struct Atom {
    pub relation: Ident,
    pub args: Vec<Expr>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Compare {
    pub op: CmpOp,
    pub lhs: Expr,
    pub rhs: Expr,
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// The built-in constraints (literals that hold or not; not values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// `contains(sub, s)`: `sub` occurs in `s`.
    Contains,
    /// `match(regex, s)`: the whole of `s` matches `regex` (Soufflé anchors it).
    Match,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// Any identifier in argument position (Soufflé does not require
    /// variables to be capitalised).
    Var(String),
    /// `_`
    Wildcard,
    /// `"text"`, escapes resolved.
    Str(String),
    /// `42`, `-1`, `0x1f`: a number literal without suffix, whose type
    /// (number, unsigned or float) the context decides, as in Soufflé.
    Int(i64),
    /// `3u`
    Unsigned(u64),
    /// `1.5`
    Float(f64),
    /// `-X`
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `cat(A, B)`, `strlen(S)`, …; `name` is kept for diagnostics.
    Call {
        functor: Functor,
        name: Ident,
        args: Vec<Expr>,
    },
    /// `count : { … }`, `sum X : { … }`, `min X : atom(…)`
    Aggregate(Box<Aggregate>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

/// Value-producing built-in functions. Arity and argument types are fixed
/// and checked by the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Functor {
    /// `cat(a, b, …)`: concatenation of two or more symbols.
    Cat,
    /// `substr(s, start, len)`: by characters, from 0.
    Substr,
    /// `strlen(s)`: length in characters.
    Strlen,
    /// `lower(s)`: ASCII and Unicode lowercase.
    Lower,
    /// `to_number(s)`: parses an integer; a tuple whose text is no number
    /// is dropped (Soufflé aborts instead).
    ToNumber,
    /// `to_string(n)`
    ToString,
    /// `ord(s)`: the symbol's ordinal, as Soufflé has it (here: the
    /// interned id, stable within one run only).
    Ord,
}

impl Functor {
    pub fn by_name(name: &str) -> Option<Functor> {
        Some(match name {
            "cat" => Functor::Cat,
            "substr" => Functor::Substr,
            "strlen" => Functor::Strlen,
            "lower" => Functor::Lower,
            "to_number" => Functor::ToNumber,
            "to_string" => Functor::ToString,
            "ord" => Functor::Ord,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Functor::Cat => "cat",
            Functor::Substr => "substr",
            Functor::Strlen => "strlen",
            Functor::Lower => "lower",
            Functor::ToNumber => "to_number",
            Functor::ToString => "to_string",
            Functor::Ord => "ord",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggOp {
    Count,
    Sum,
    Min,
    Max,
    Mean,
}

impl AggOp {
    pub fn name(self) -> &'static str {
        match self {
            AggOp::Count => "count",
            AggOp::Sum => "sum",
            AggOp::Min => "min",
            AggOp::Max => "max",
            AggOp::Mean => "mean",
        }
    }
}

/// `op target : { body }`; `target` is `None` for `count`. Soufflé's short
/// form `count : r(X)` is parsed into a one-literal body.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub op: AggOp,
    pub target: Option<Expr>,
    pub body: Body,
}
