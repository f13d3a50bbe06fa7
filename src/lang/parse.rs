//! Recursive-descent parser from tokens to [`ast::Module`]. On a syntax
//! error it records the error, skips to the end of the clause (the next `.`)
//! or directive (the next line), and goes on.

use super::ast::*;
use super::error::{ErrorKind, LangError};
use super::lex::{lex, Tok, Token};
use super::source::{FileId, Loc, SourceMap};

/// Parses one file; the errors of every bad clause are collected.
pub fn parse(sources: &SourceMap, file: FileId) -> (Module, Vec<LangError>) {
    let mut errors = Vec::new();
    let tokens = lex(sources, file, &mut errors);
    let mut p = Parser {
        sources,
        tokens,
        pos: 0,
        depth: 0,
    };
    let mut items = Vec::new();
    while p.peek() != &Tok::Eof {
        let start = p.pos;
        let directive = matches!(p.peek(), Tok::Directive(_));
        p.depth = 0;
        match p.item() {
            Ok(item) => items.extend(item),
            Err(e) => {
                p.recover(start, directive);
                let end = p.pos.min(p.tokens.len() - 1);
                if !p.tokens[start..=end].iter().any(|t| t.tok == Tok::Error) {
                    errors.push(e);
                }
            }
        }
    }
    (Module { file, items }, errors)
}

type PResult<T> = Result<T, LangError>;

struct Parser<'a> {
    sources: &'a SourceMap,
    tokens: Vec<Token>,
    pos: usize,
    /// Nesting of expressions and bodies, bounded so that a pathological
    /// file is an error rather than a stack overflow.
    depth: u32,
}

/// Deeper nesting than any real rule needs.
const MAX_DEPTH: u32 = 100;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.tokens.len() - 1);
        &self.tokens[i].tok
    }

    fn loc(&self) -> Loc {
        self.tokens[self.pos].loc
    }

    /// End of the previous token.
    fn prev_loc(&self) -> Loc {
        self.tokens[self.pos.saturating_sub(1)].loc
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .error(self.loc(), "expression nested too deeply", "too deep")
                .with_help(format!(
                    "split it up; at most {MAX_DEPTH} levels of nesting are allowed"
                )));
        }
        Ok(())
    }

    fn error(&self, loc: Loc, message: impl Into<String>, label: impl Into<String>) -> LangError {
        LangError::at(self.sources, ErrorKind::Syntax, loc, message, label)
    }

    /// "expected X, found Y" at the current token.
    fn expected(&self, what: &str) -> LangError {
        let found = self.peek().describe();
        // What is missing at the end of a line is reported there, as rustc
        // does, not at the start of the next one.
        let loc = if self.tokens[self.pos].line_start && self.pos > 0 {
            let prev = self.prev_loc();
            Loc {
                start: prev.end,
                ..prev
            }
        } else {
            self.loc()
        };
        let mut e = self.error(
            loc,
            format!("expected {what}, found {found}"),
            format!("expected {what}"),
        );
        let help = if what.contains("`.`") {
            "every rule and fact ends with `.`"
        } else if matches!(self.peek(), Tok::Directive(_)) {
            "the clause before this directive is not finished; a rule ends with `.`"
        } else if what == "`(`" {
            "an atom is written `relation(arg, …)`"
        } else if what.contains("`)`") {
            "arguments are separated by `,` and the list is closed with `)`"
        } else if what.contains("expression") {
            "an expression is a variable, `_`, a constant, a functor call, arithmetic or an aggregate"
        } else {
            "a rule is written `head(X) :- body(X, Y), !other(Y), X != \"a\".`; a fact `head(\"a\").`"
        };
        e = e.with_help(help);
        e
    }

    fn expect(&mut self, tok: Tok, what: &str) -> PResult<Token> {
        if self.peek() == &tok {
            Ok(self.bump())
        } else {
            Err(self.expected(what))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let loc = self.bump().loc;
                Ok(Ident { name, loc })
            }
            _ => Err(self.expected(what)),
        }
    }

    /// Skips what is left of a bad item: a directive to the end of its
    /// line, a clause past its final dot.
    fn recover(&mut self, start: usize, directive: bool) {
        if self.pos == start {
            self.bump();
        }
        loop {
            let t = &self.tokens[self.pos];
            match t.tok {
                Tok::Eof => return,
                Tok::Directive(_) if t.line_start => return,
                Tok::Dot if !directive => {
                    self.bump();
                    return;
                }
                _ if directive && t.line_start => return,
                _ => {
                    self.bump();
                }
            }
        }
    }

    fn item(&mut self) -> PResult<Vec<Item>> {
        let start = self.loc();
        let name = match self.peek().clone() {
            Tok::Directive(name) => name,
            Tok::Ident(_) => return Ok(vec![Item::Rule(self.rule()?)]),
            _ => return Err(self.expected("a rule or a directive such as `.decl`")),
        };
        self.bump();
        match name.as_str() {
            "decl" => self.decl(start),
            "type" => self.type_alias(start).map(|t| vec![Item::TypeAlias(t)]),
            "input" => self.io(start).map(|d| vec![Item::Input(d)]),
            "output" => self.io(start).map(|d| vec![Item::Output(d)]),
            // Every file is included once anyway.
            "once" => Ok(Vec::new()),
            "include" => {
                let (path, loc) = self.string("a file name in quotes")?;
                Ok(vec![Item::Include(Include {
                    path,
                    loc: start.to(loc),
                })])
            }
            "invariant" => {
                let relation = self.ident("a relation name")?;
                let (message, loc) = self.string("the invariant's message in quotes")?;
                Ok(vec![Item::Invariant(Invariant {
                    relation,
                    message,
                    loc: start.to(loc),
                })])
            }
            other => {
                let help = match other {
                    "printsize" => "use `.output` to print a relation",
                    "functor" => "user-defined functors are not supported; use the built-in functors (cat, substr, strlen, lower, to_number, to_string)",
                    "comp" | "init" | "override" => "components are not supported; write the relations out",
                    _ => "remove the directive; rulecheck supports .decl, .type, .input, .output, .include and .invariant",
                };
                Err(LangError::at(
                    self.sources,
                    ErrorKind::Unsupported,
                    start,
                    format!("the `.{other}` directive is not supported"),
                    "not supported",
                )
                .with_help(help))
            }
        }
    }

    fn string(&mut self, what: &str) -> PResult<(String, Loc)> {
        match self.peek().clone() {
            Tok::Str(s) => Ok((s, self.bump().loc)),
            _ => Err(self.expected(what)),
        }
    }

    /// `.decl name(a: type, …) [qualifiers]`
    fn decl(&mut self, start: Loc) -> PResult<Vec<Item>> {
        // Soufflé allows several relations with one signature: `.decl a, b(x: number)`.
        let mut names = vec![self.ident("a relation name")?];
        while self.eat(&Tok::Comma) {
            names.push(self.ident("a relation name")?);
        }
        self.expect(Tok::LParen, "`(`")?;
        let mut params = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                let pname = self.ident("an attribute name")?;
                if self.peek() != &Tok::Colon {
                    return Err(self.expected("`:` and a type").with_help(
                        "attributes are declared `name: type`, e.g. `.decl r(a: symbol, b: number)`",
                    ));
                }
                self.bump();
                let ty = self.ident("a type (symbol, number, unsigned, float)")?;
                params.push(Param { name: pname, ty });
                if self.eat(&Tok::RParen) {
                    break;
                }
                self.expect(Tok::Comma, "`,` or `)`")?;
            }
        }
        let mut end = self.prev_loc();
        // Qualifiers: on the declaration's line, so that a rule on the
        // next line whose relation happens to be named `input` stays a rule.
        let (mut input, mut output) = (false, false);
        while let Tok::Ident(q) = self.peek().clone() {
            if self.tokens[self.pos].line_start {
                break;
            }
            match q.as_str() {
                "btree" | "brie" | "inline" | "no_inline" | "magic" | "no_magic"
                | "overridable" | "btree_delete" => {}
                // Soufflé's deprecated forms of `.input r` / `.output r`.
                "input" => input = true,
                "output" | "printsize" => output = true,
                "eqrel" => {
                    return Err(LangError::at(
                        self.sources,
                        ErrorKind::Unsupported,
                        self.loc(),
                        "equivalence relations (`eqrel`) are not supported",
                        "not supported",
                    )
                    .with_help(
                        "declare an ordinary relation and write the reflexive, symmetric and transitive rules",
                    ))
                }
                _ => break,
            }
            end = self.bump().loc;
        }
        let loc = start.to(end);
        let mut items = Vec::new();
        for name in names {
            let directive = Directive {
                relations: vec![name.clone()],
                loc,
            };
            if input {
                items.push(Item::Input(directive.clone()));
            }
            if output {
                items.push(Item::Output(directive));
            }
            items.push(Item::Decl(Decl {
                name,
                params: params.clone(),
                loc,
            }));
        }
        Ok(items)
    }

    /// `.type Name <: base` or `.type Name = base`
    fn type_alias(&mut self, start: Loc) -> PResult<TypeAlias> {
        let name = self.ident("a type name")?;
        if !self.eat(&Tok::Subtype) && !self.eat(&Tok::Eq) {
            return Err(self.expected("`<:` or `=`"));
        }
        let base = match self.peek() {
            Tok::Ident(_) => self.ident("a type")?,
            Tok::Other('[') => {
                return Err(LangError::at(
                    self.sources,
                    ErrorKind::Unsupported,
                    self.loc(),
                    "record types are not supported",
                    "record type",
                )
                .with_help("use one attribute per field"))
            }
            _ => return Err(self.expected("a type")),
        };
        if let Tok::Other('|') = self.peek() {
            return Err(LangError::at(
                self.sources,
                ErrorKind::Unsupported,
                self.loc(),
                "union types are not supported",
                "union",
            )
            .with_help("give the attribute its base type (symbol, number, unsigned or float)"));
        }
        Ok(TypeAlias {
            loc: start.to(base.loc),
            name,
            base,
        })
    }

    /// `.input a, b(IO=file, filename="x")`: Soufflé IO parameters skipped.
    fn io(&mut self, start: Loc) -> PResult<Directive> {
        let mut relations = Vec::new();
        let mut end = start;
        loop {
            let name = self.ident("a relation name")?;
            end = end.to(name.loc);
            relations.push(name);
            if self.peek() == &Tok::LParen {
                let open = self.loc();
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        Tok::LParen => depth += 1,
                        Tok::RParen => depth -= 1,
                        Tok::Eof => {
                            return Err(self
                                .error(open, "unclosed `(`", "opened here")
                                .with_help("close the IO parameters with `)`"));
                        }
                        _ => {}
                    }
                    end = self.bump().loc;
                    if depth == 0 {
                        break;
                    }
                }
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        Ok(Directive {
            relations,
            loc: start.to(end),
        })
    }

    /// `h(…), h2(…) :- body.` or `h(…).`
    fn rule(&mut self) -> PResult<Rule> {
        let start = self.loc();
        let mut heads = vec![self.atom()?];
        while self.eat(&Tok::Comma) {
            heads.push(self.atom()?);
        }
        let body = if self.eat(&Tok::If) {
            Some(self.disjunction()?)
        } else {
            None
        };
        if self.peek() != &Tok::Dot {
            let what = if body.is_some() {
                "`,`, `;` or `.`"
            } else {
                "`:-`, `,` or `.`"
            };
            return Err(self.expected(what));
        }
        let end = self.bump().loc;
        Ok(Rule {
            heads,
            body,
            loc: start.to(end),
        })
    }

    fn atom(&mut self) -> PResult<Atom> {
        let relation = self.ident("a relation name")?;
        self.expect(Tok::LParen, "`(`")?;
        let args = self.args()?;
        Ok(Atom {
            loc: relation.loc.to(self.prev_loc()),
            relation,
            args,
        })
    }

    /// Comma-separated expressions up to and including `)`.
    fn args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(&Tok::RParen) {
                return Ok(args);
            }
            self.expect(Tok::Comma, "`,` or `)`")?;
        }
    }

    fn disjunction(&mut self) -> PResult<Body> {
        self.enter()?;
        let mut alts = vec![self.conjunction()?];
        while self.eat(&Tok::Semi) {
            alts.push(self.conjunction()?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 {
            alts.pop().expect("one alternative")
        } else {
            Body::Or(alts)
        })
    }

    fn conjunction(&mut self) -> PResult<Body> {
        let mut parts = vec![self.unit()?];
        while self.eat(&Tok::Comma) {
            parts.push(self.unit()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Body::And(parts)
        })
    }

    /// A literal or a parenthesised disjunction. `(` may also open an
    /// expression (`(X + 1) < Y`): the comparison is tried first.
    fn unit(&mut self) -> PResult<Body> {
        if self.peek() != &Tok::LParen {
            return self.literal().map(Body::Literal);
        }
        let save = (self.pos, self.depth);
        match self.comparison() {
            Ok(c) => Ok(Body::Literal(Literal::Compare(c))),
            Err(as_expr) => {
                let expr_pos = self.pos;
                (self.pos, self.depth) = save;
                self.bump();
                match self.disjunction() {
                    Ok(body) => {
                        self.expect(Tok::RParen, "`)`")?;
                        Ok(body)
                    }
                    Err(as_body) => {
                        // Report whichever reading got further.
                        if expr_pos > self.pos {
                            Err(as_expr)
                        } else {
                            Err(as_body)
                        }
                    }
                }
            }
        }
    }

    fn literal(&mut self) -> PResult<Literal> {
        let start = self.loc();
        match self.peek().clone() {
            Tok::Bang => {
                self.bump();
                if !matches!(self.peek(), Tok::Ident(_)) || self.peek_at(1) != &Tok::LParen {
                    return Err(self.expected("an atom after `!`").with_help(
                        "only atoms can be negated; write `X != Y` for a negated comparison",
                    ));
                }
                let atom = self.atom()?;
                Ok(Literal::Negated {
                    loc: start.to(atom.loc),
                    atom,
                })
            }
            Tok::Ident(name) if self.peek_at(1) == &Tok::LParen => {
                let constraint = match name.as_str() {
                    "contains" => Some(Constraint::Contains),
                    "match" => Some(Constraint::Match),
                    _ => None,
                };
                if let Some(functor) = constraint {
                    let name = self.ident("a name")?;
                    self.bump();
                    let args = self.args()?;
                    return Ok(Literal::Constraint {
                        functor,
                        loc: name.loc.to(self.prev_loc()),
                        name,
                        args,
                    });
                }
                if Functor::by_name(&name).is_some() {
                    return self.comparison().map(Literal::Compare);
                }
                self.atom().map(Literal::Atom)
            }
            Tok::Ident(name)
                if (name == "true" || name == "false")
                    && !is_cmp(self.peek_at(1))
                    && !is_arith(self.peek_at(1)) =>
            {
                let loc = self.bump().loc;
                Ok(Literal::Bool {
                    value: name == "true",
                    loc,
                })
            }
            _ => self.comparison().map(Literal::Compare),
        }
    }

    fn comparison(&mut self) -> PResult<Compare> {
        let lhs = self.expr()?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            _ => {
                let mut e = self.expected("a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)");
                if let ExprKind::Var(name) = &lhs.kind {
                    if self.peek() != &Tok::LParen {
                        e = e.with_help(format!(
                            "`{name}` is read as a variable; an atom needs its arguments: `{name}(…)`"
                        ));
                    }
                }
                return Err(e);
            }
        };
        self.bump();
        let rhs = self.expr()?;
        Ok(Compare {
            op,
            loc: lhs.loc.to(rhs.loc),
            lhs,
            rhs,
        })
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let mut lhs = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => {
                    self.depth -= 1;
                    return Ok(lhs);
                }
            };
            self.bump();
            let rhs = self.term()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn term(&mut self) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Rem,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        if self.peek() != &Tok::Minus {
            return self.primary();
        }
        let start = self.bump().loc;
        // A negative literal is a constant, so that `-9223372036854775808`
        // and facts like `r(-1).` need no arithmetic.
        if let Tok::Int(v) = *self.peek() {
            let loc = start.to(self.bump().loc);
            return if v <= i64::MAX as u64 + 1 {
                Ok(Expr {
                    kind: ExprKind::Int((v as i64).wrapping_neg()),
                    loc,
                })
            } else {
                Err(self
                    .error(loc, "number out of range for a 64-bit integer", "too small")
                    .with_help("numbers are 64-bit signed integers"))
            };
        }
        self.enter()?;
        let arg = self.unary()?;
        self.depth -= 1;
        Ok(Expr {
            loc: start.to(arg.loc),
            kind: ExprKind::Neg(Box::new(arg)),
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        let loc = self.loc();
        let kind = match self.peek().clone() {
            Tok::Int(v) => {
                self.bump();
                if v > i64::MAX as u64 {
                    return Err(self
                        .error(loc, "number out of range for a 64-bit integer", "too large")
                        .with_help("write it as unsigned with a `u` suffix"));
                }
                ExprKind::Int(v as i64)
            }
            Tok::Unsigned(v) => {
                self.bump();
                ExprKind::Unsigned(v)
            }
            Tok::Float(v) => {
                self.bump();
                ExprKind::Float(v)
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(s)
            }
            Tok::LParen => {
                self.bump();
                let mut inner = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                inner.loc = loc.to(self.prev_loc());
                return Ok(inner);
            }
            Tok::Ident(name) => return self.named(name),
            Tok::Other(c @ ('@' | '$' | '[')) => {
                let what = match c {
                    '@' => "user-defined functors are not supported",
                    '$' => "algebraic data types are not supported",
                    _ => "records are not supported",
                };
                return Err(LangError::at(
                    self.sources,
                    ErrorKind::Unsupported,
                    loc,
                    what,
                    "not supported",
                )
                .with_help("use the built-in functors: cat, substr, strlen, lower, to_number, to_string, ord"));
            }
            _ => return Err(self.expected("an expression")),
        };
        Ok(Expr { kind, loc })
    }

    /// An identifier in expression position: variable, wildcard, functor
    /// call or aggregate.
    fn named(&mut self, name: String) -> PResult<Expr> {
        let agg = match name.as_str() {
            "count" if self.peek_at(1) == &Tok::Colon => Some(AggOp::Count),
            "sum" | "min" | "max" | "mean"
                if matches!(
                    self.peek_at(1),
                    Tok::Ident(_) | Tok::Int(_) | Tok::Float(_) | Tok::Unsigned(_) | Tok::LParen
                ) =>
            {
                Some(match name.as_str() {
                    "sum" => AggOp::Sum,
                    "min" => AggOp::Min,
                    "max" => AggOp::Max,
                    _ => AggOp::Mean,
                })
            }
            _ => None,
        };
        if let Some(op) = agg {
            return self.aggregate(op);
        }
        let id = self.ident("a name")?;
        if self.peek() == &Tok::LParen {
            let Some(functor) = Functor::by_name(&id.name) else {
                let help = match id.name.as_str() {
                    "contains" | "match" => format!(
                        "`{}` is a constraint: write it as a literal of its own, e.g. `{}(A, B)`",
                        id.name, id.name
                    ),
                    _ => "the built-in functors are cat, substr, strlen, lower, to_number, to_string and ord; an atom cannot be an argument".into(),
                };
                return Err(LangError::at(
                    self.sources,
                    ErrorKind::Syntax,
                    id.loc,
                    format!("unknown functor `{}`", id.name),
                    "not a functor",
                )
                .with_help(help));
            };
            self.bump();
            let args = self.args()?;
            return Ok(Expr {
                loc: id.loc.to(self.prev_loc()),
                kind: ExprKind::Call {
                    functor,
                    name: id,
                    args,
                },
            });
        }
        let kind = if id.name == "_" {
            ExprKind::Wildcard
        } else {
            ExprKind::Var(id.name)
        };
        Ok(Expr { kind, loc: id.loc })
    }

    /// `count : { body }`, `sum X : { body }`, `min X : atom(…)`.
    fn aggregate(&mut self, op: AggOp) -> PResult<Expr> {
        let start = self.bump().loc;
        let target = if op == AggOp::Count {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect(Tok::Colon, "`:`")?;
        let body = if self.eat(&Tok::LBrace) {
            let body = self.disjunction()?;
            self.expect(Tok::RBrace, "`}`")?;
            body
        } else if matches!(self.peek(), Tok::Ident(_)) {
            Body::Literal(Literal::Atom(self.atom()?))
        } else {
            return Err(self.expected("`{` or an atom"));
        };
        Ok(Expr {
            loc: start.to(self.prev_loc()),
            kind: ExprKind::Aggregate(Box::new(Aggregate { op, target, body })),
        })
    }
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr {
        loc: lhs.loc.to(rhs.loc),
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
    }
}

fn is_cmp(t: &Tok) -> bool {
    matches!(t, Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge)
}

fn is_arith(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash | Tok::Percent
    )
}
