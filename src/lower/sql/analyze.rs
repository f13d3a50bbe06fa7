//! A parsed template → which tables it touches, how, and which columns its
//! `?` slots bind. Computed once per template; values come later (`bind`).
//!
//! Rules (the contract of `sql`, `column_value`, `reads` and `writes`):
//! - Tables are lowercase, unquoted, without schema; aliases resolve to their
//!   table. A qualified column resolves through the aliases of its own and
//!   the enclosing scopes; an unqualified one belongs to the first table of
//!   the innermost FROM.
//! - Every SELECT scope (joins, derived tables, subqueries, UNION arms)
//!   `select`s and reads its tables, pinned by its own WHERE/ON/HAVING.
//!   INSERT/REPLACE `insert` and write the target (pinned by the VALUES of
//!   every row); ON DUPLICATE KEY UPDATE adds `update`. UPDATE and DELETE
//!   `update`/`delete` their targets, which they both read and write; other
//!   tables in their FROM/USING/joins are only selected and read. Any other
//!   statement is `other`, with its table where it names one.
//! - A binding is `col = slot`, `slot = col`, `(a, b) = (slot, slot)` or
//!   `col IN (slot, …)` in a WHERE/ON/HAVING reached through AND/OR only
//!   (clause `where`); `col = slot` in SET or ON DUPLICATE KEY UPDATE
//!   (`set`); a slot in VALUES or INSERT … SET (`values`). `col IS NULL` and
//!   comparisons under NOT bind nothing.

use sqlparser::ast::{
    Assignment, AssignmentTarget, BinaryOperator, Delete, Expr, FromTable, FunctionArg,
    FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, InTarget, Insert, JoinConstraint,
    JoinOperator, ObjectName, ObjectNamePart, OnConflictAction, OnInsert, OrderByKind, Query,
    Select, SelectItem, SetExpr, Statement, TableFactor, TableObject, TableWithJoins,
    UnaryOperator, Update, UpdateTableFromKind, Value,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{Clause, Op};

/// What a binding's column is equal to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// The `ordinal`-th `?` of the parsed text; `negate` for `-?`.
    Slot { ordinal: u32, negate: bool },
    /// A literal left in the parsed text (only when the template had to be
    /// parsed with its literals inline).
    Const(String),
}

/// How a WHERE binding was written: MicroRacer's id heuristic (and the
/// `placeholder` relation) tells plain comparisons from IN lists and tuples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `col = slot`, an assignment, or a VALUES entry.
    Plain,
    /// `col IN (slot, …)`
    InList,
    /// `(a, b) = (slot, slot)`
    Tuple,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub table: String,
    pub column: String,
    pub operand: Operand,
    pub clause: Clause,
    pub form: Form,
    /// The scope whose table the column belongs to.
    pub scope: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Read,
    Write,
}

/// One `reads`/`writes` row per execution, keyed by the bindings of key
/// columns among `candidates` (or `*` when none is bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub table: String,
    pub kind: AccessKind,
    /// Indexes into `Analysis::bindings`: same scope, table and clause.
    pub candidates: Vec<u32>,
    scope: u32,
    clause: Clause,
}

/// The value-independent facts of one template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub tables: Vec<(Op, String)>,
    pub bindings: Vec<Binding>,
    pub accesses: Vec<Access>,
}

/// Parses `text` with MySQL's dialect, then the generic one; the error is
/// MySQL's (the dialect of the traces we read most).
fn parse(text: &str) -> Result<(Vec<Statement>, &'static dyn Dialect), String> {
    static MYSQL: MySqlDialect = MySqlDialect {};
    static GENERIC: GenericDialect = GenericDialect {};
    match Parser::parse_sql(&MYSQL, text) {
        Ok(s) => Ok((s, &MYSQL)),
        Err(e) => match Parser::parse_sql(&GENERIC, text) {
            Ok(s) => Ok((s, &GENERIC)),
            Err(_) => Err(e.to_string()),
        },
    }
}

/// Analyses a template. Each `?` of `text` is one slot, numbered in order.
pub fn analyze(text: &str) -> Result<Analysis, String> {
    let (statements, dialect) = parse(text)?;
    // Slots are identified by where the parser saw them: the tokenizer
    // gives the location of every placeholder, in order.
    let mut slots = Vec::new();
    if let Ok(tokens) = Tokenizer::new(dialect, text).tokenize_with_location() {
        for t in tokens {
            if matches!(t.token, Token::Placeholder(_)) {
                slots.push((t.span.start.line, t.span.start.column));
            }
        }
    }
    let mut a = Analyzer {
        slots,
        out: Analysis::default(),
        scopes: Vec::new(),
        next_scope: 0,
        ctes: Vec::new(),
    };
    for s in &statements {
        a.statement(s);
    }
    Ok(a.finish())
}

struct Entry {
    /// The alias, or the table name when there is none.
    name: String,
    /// `None` for derived tables and CTEs.
    table: Option<String>,
}

struct Scope {
    id: u32,
    entries: Vec<Entry>,
}

struct Analyzer {
    slots: Vec<(u64, u64)>,
    out: Analysis,
    scopes: Vec<Scope>,
    next_scope: u32,
    ctes: Vec<String>,
}

/// ASCII lowercase, as `KeyColumns` folds the names it is given.
fn lower(ident: &Ident) -> String {
    ident.value.to_ascii_lowercase()
}

/// The last part of a dotted name (`db.schema.table` → `table`), lowercased.
fn last_name(name: &ObjectName) -> Option<String> {
    match name.0.last()? {
        ObjectNamePart::Identifier(i) => Some(lower(i)),
        ObjectNamePart::Function(_) => None,
    }
}

/// `col` or `qualifier.col` (the part before the column names the table).
fn column(e: &Expr) -> Option<(Option<&Ident>, &Ident)> {
    match e {
        Expr::Identifier(i) => Some((None, i)),
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            Some((Some(&parts[parts.len() - 2]), &parts[parts.len() - 1]))
        }
        Expr::Nested(inner) => column(inner),
        _ => None,
    }
}

fn constraint(op: &JoinOperator) -> Option<&JoinConstraint> {
    use JoinOperator as J;
    match op {
        J::Join(c)
        | J::Inner(c)
        | J::Left(c)
        | J::LeftOuter(c)
        | J::Right(c)
        | J::RightOuter(c)
        | J::FullOuter(c)
        | J::CrossJoin(c)
        | J::Semi(c)
        | J::LeftSemi(c)
        | J::RightSemi(c)
        | J::Anti(c)
        | J::LeftAnti(c)
        | J::RightAnti(c)
        | J::StraightJoin(c) => Some(c),
        J::AsOf { constraint, .. } => Some(constraint),
        _ => None,
    }
}

impl Analyzer {
    fn finish(mut self) -> Analysis {
        let Analysis {
            bindings, accesses, ..
        } = &mut self.out;
        for acc in accesses.iter_mut() {
            acc.candidates = bindings
                .iter()
                .enumerate()
                .filter(|(_, b)| {
                    b.scope == acc.scope && b.table == acc.table && b.clause == acc.clause
                })
                .map(|(k, _)| k as u32)
                .collect();
        }
        self.out
    }

    fn push_scope(&mut self) -> u32 {
        let id = self.next_scope;
        self.next_scope += 1;
        self.scopes.push(Scope {
            id,
            entries: Vec::new(),
        });
        id
    }

    fn scope_id(&self) -> u32 {
        self.scopes.last().map_or(0, |s| s.id)
    }

    fn table_row(&mut self, op: Op, table: &str) {
        if !self.out.tables.iter().any(|(o, t)| *o == op && t == table) {
            self.out.tables.push((op, table.to_string()));
        }
    }

    fn access(&mut self, table: &str, kind: AccessKind, clause: Clause) {
        let scope = self.scope_id();
        let acc = Access {
            table: table.to_string(),
            kind,
            candidates: Vec::new(),
            scope,
            clause,
        };
        if !self.out.accesses.contains(&acc) {
            self.out.accesses.push(acc);
        }
    }

    /// `sql` row and accesses of a table in the current scope.
    fn touch(&mut self, op: Op, table: &str) {
        self.table_row(op, table);
        match op {
            Op::Select => self.access(table, AccessKind::Read, Clause::Where),
            Op::Update | Op::Delete => {
                self.access(table, AccessKind::Read, Clause::Where);
                self.access(table, AccessKind::Write, Clause::Where);
            }
            Op::Insert => self.access(table, AccessKind::Write, Clause::Values),
            Op::Other => {}
        }
    }

    fn other(&mut self, names: &[&ObjectName]) {
        let mut any = false;
        for n in names {
            if let Some(t) = last_name(n) {
                self.table_row(Op::Other, &t);
                any = true;
            }
        }
        if !any {
            self.table_row(Op::Other, "");
        }
    }

    fn statement(&mut self, s: &Statement) {
        match s {
            Statement::Query(q) => self.query(q),
            Statement::Insert(i) => self.insert(i),
            Statement::Update(u) => self.update(u),
            Statement::Delete(d) => self.delete(d),
            Statement::CreateTable(c) => {
                self.other(&[&c.name]);
                if let Some(q) = &c.query {
                    self.query(q);
                }
            }
            Statement::AlterTable(a) => self.other(&[&a.name]),
            Statement::CreateIndex(c) => self.other(&[&c.table_name]),
            Statement::Drop { names, .. } => self.other(&names.iter().collect::<Vec<_>>()),
            Statement::Truncate(t) => {
                self.other(&t.table_names.iter().map(|t| &t.name).collect::<Vec<_>>())
            }
            _ => self.other(&[]),
        }
    }

    // ---- queries -------------------------------------------------------

    fn query(&mut self, q: &Query) {
        let ctes = self.ctes.len();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                self.query(&cte.query);
                self.ctes.push(lower(&cte.alias.name));
            }
        }
        self.set_expr(&q.body);
        if let Some(order) = &q.order_by {
            if let OrderByKind::Expressions(list) = &order.kind {
                for o in list {
                    self.expr(&o.expr);
                }
            }
        }
        self.ctes.truncate(ctes);
    }

    fn set_expr(&mut self, s: &SetExpr) {
        // UNION chains nest to the left without bound: walk them in a loop.
        let mut rights = Vec::new();
        let mut cur = s;
        while let SetExpr::SetOperation { left, right, .. } = cur {
            rights.push(&**right);
            cur = left;
        }
        self.set_leaf(cur);
        for r in rights.into_iter().rev() {
            self.set_expr(r);
        }
    }

    fn set_leaf(&mut self, s: &SetExpr) {
        match s {
            SetExpr::Select(sel) => self.select(sel),
            SetExpr::Query(q) => self.query(q),
            SetExpr::Values(v) => {
                for row in &v.rows {
                    for e in &row.content {
                        self.expr(e);
                    }
                }
            }
            SetExpr::Insert(st)
            | SetExpr::Update(st)
            | SetExpr::Delete(st)
            | SetExpr::Merge(st) => self.statement(st),
            SetExpr::Table(t) => {
                if let Some(name) = &t.table_name {
                    self.push_scope();
                    self.touch(Op::Select, &lower(name));
                    self.scopes.pop();
                }
            }
            SetExpr::SetOperation { .. } => self.set_expr(s),
        }
    }

    fn select(&mut self, s: &Select) {
        self.push_scope();
        let mut ons = Vec::new();
        for twj in &s.from {
            self.register(twj, Some(Op::Select), &mut ons);
        }
        for on in ons {
            self.predicate(on, Clause::Where);
        }
        for item in &s.projection {
            match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    self.expr(e)
                }
                _ => {}
            }
        }
        if let Some(w) = &s.prewhere {
            self.predicate(w, Clause::Where);
        }
        if let Some(w) = &s.selection {
            self.predicate(w, Clause::Where);
        }
        if let GroupByExpr::Expressions(list, _) = &s.group_by {
            for e in list {
                self.expr(e);
            }
        }
        if let Some(h) = &s.having {
            self.predicate(h, Clause::Where);
        }
        self.scopes.pop();
    }

    /// Adds the tables of a FROM item to the current scope; `op` emits their
    /// rows now (`None`: the caller emits them once it knows the targets).
    /// Join conditions are collected for after registration, so that they
    /// see every table of the scope.
    fn register<'q>(&mut self, twj: &'q TableWithJoins, op: Option<Op>, ons: &mut Vec<&'q Expr>) {
        self.factor(&twj.relation, op, ons);
        for j in &twj.joins {
            self.factor(&j.relation, op, ons);
            if let Some(JoinConstraint::On(e)) = constraint(&j.join_operator) {
                ons.push(e);
            }
        }
    }

    fn factor<'q>(&mut self, f: &'q TableFactor, op: Option<Op>, ons: &mut Vec<&'q Expr>) {
        match f {
            TableFactor::Table { name, alias, .. } => {
                let Some(table) = last_name(name) else { return };
                let is_cte = name.0.len() == 1 && self.ctes.contains(&table);
                let entry = Entry {
                    name: alias
                        .as_ref()
                        .map_or_else(|| table.clone(), |a| lower(&a.name)),
                    table: (!is_cte).then(|| table.clone()),
                };
                if let Some(scope) = self.scopes.last_mut() {
                    scope.entries.push(entry);
                }
                if let (Some(op), false) = (op, is_cte) {
                    self.touch(op, &table);
                }
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                self.query(subquery);
                if let (Some(a), Some(scope)) = (alias, self.scopes.last_mut()) {
                    scope.entries.push(Entry {
                        name: lower(&a.name),
                        table: None,
                    });
                }
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.register(table_with_joins, op, ons),
            _ => {}
        }
    }

    /// The table a column belongs to, with the scope that holds it.
    fn resolve(&self, qualifier: Option<&Ident>) -> Option<(String, u32)> {
        match qualifier {
            Some(q) => {
                let q = lower(q);
                for scope in self.scopes.iter().rev() {
                    if let Some(e) = scope.entries.iter().find(|e| e.name == q) {
                        return e.table.clone().map(|t| (t, scope.id));
                    }
                    if let Some(e) = scope
                        .entries
                        .iter()
                        .find(|e| e.table.as_deref() == Some(q.as_str()))
                    {
                        return e.table.clone().map(|t| (t, scope.id));
                    }
                }
                None
            }
            None => {
                let scope = self.scopes.last()?;
                let table = scope.entries.first()?.table.clone()?;
                Some((table, scope.id))
            }
        }
    }

    // ---- DML -----------------------------------------------------------

    fn insert(&mut self, ins: &Insert) {
        self.push_scope();
        let table = match &ins.table {
            TableObject::TableName(n) => last_name(n),
            _ => None,
        };
        let scope = self.scope_id();
        if let Some(t) = &table {
            self.touch(Op::Insert, t);
            if matches!(
                &ins.on,
                Some(OnInsert::DuplicateKeyUpdate(_))
                    | Some(OnInsert::OnConflict(sqlparser::ast::OnConflict {
                        action: OnConflictAction::DoUpdate(_),
                        ..
                    }))
            ) {
                self.table_row(Op::Update, t);
            }
            if let Some(scope) = self.scopes.last_mut() {
                scope.entries.push(Entry {
                    name: ins
                        .table_alias
                        .as_ref()
                        .map_or_else(|| t.clone(), |a| lower(&a.alias)),
                    table: Some(t.clone()),
                });
            }
        }
        let columns: Vec<Option<String>> = ins.columns.iter().map(last_name).collect();
        if let Some(src) = &ins.source {
            match &*src.body {
                SetExpr::Values(v) if src.with.is_none() => {
                    for row in &v.rows {
                        for (k, e) in row.content.iter().enumerate() {
                            match (
                                &table,
                                columns.get(k).and_then(|c| c.as_deref()),
                                self.operand(e),
                            ) {
                                (Some(t), Some(col), Some(op)) => self.out.bindings.push(Binding {
                                    table: t.clone(),
                                    column: col.to_string(),
                                    operand: op,
                                    clause: Clause::Values,
                                    form: Form::Plain,
                                    scope,
                                }),
                                _ => self.expr(e),
                            }
                        }
                    }
                }
                _ => self.query(src),
            }
        }
        for a in &ins.assignments {
            self.assignment(a, Clause::Values);
        }
        match &ins.on {
            Some(OnInsert::DuplicateKeyUpdate(list)) => {
                for a in list {
                    self.assignment(a, Clause::Set);
                }
            }
            Some(OnInsert::OnConflict(c)) => {
                if let OnConflictAction::DoUpdate(u) = &c.action {
                    for a in &u.assignments {
                        self.assignment(a, Clause::Set);
                    }
                    if let Some(w) = &u.selection {
                        self.expr(w);
                    }
                }
            }
            _ => {}
        }
        self.scopes.pop();
    }

    fn update(&mut self, u: &Update) {
        self.push_scope();
        let mut ons = Vec::new();
        self.register(&u.table, None, &mut ons);
        let registered = self.scopes.last().map_or(0, |s| s.entries.len());
        // Targets: the tables whose columns are assigned (the first table
        // when none resolves).
        let mut targets: Vec<String> = Vec::new();
        for a in &u.assignments {
            let names: Vec<&ObjectName> = match &a.target {
                AssignmentTarget::ColumnName(n) => vec![n],
                AssignmentTarget::Tuple(ns) => ns.iter().collect(),
            };
            for n in names {
                let q = n.0.len().checked_sub(2).and_then(|k| match &n.0[k] {
                    ObjectNamePart::Identifier(i) => Some(i),
                    _ => None,
                });
                if let Some((t, _)) = self.resolve(q) {
                    if !targets.contains(&t) {
                        targets.push(t);
                    }
                }
            }
        }
        let tables: Vec<String> = self
            .scopes
            .last()
            .map(|s| {
                s.entries[..registered]
                    .iter()
                    .filter_map(|e| e.table.clone())
                    .collect()
            })
            .unwrap_or_default();
        if targets.is_empty() {
            targets.extend(tables.first().cloned());
        }
        for t in &tables {
            let op = if targets.contains(t) {
                Op::Update
            } else {
                Op::Select
            };
            self.touch(op, t);
        }
        if let Some(UpdateTableFromKind::BeforeSet(list) | UpdateTableFromKind::AfterSet(list)) =
            &u.from
        {
            for twj in list {
                self.register(twj, Some(Op::Select), &mut ons);
            }
        }
        for on in ons {
            self.predicate(on, Clause::Where);
        }
        for a in &u.assignments {
            self.assignment(a, Clause::Set);
        }
        if let Some(w) = &u.selection {
            self.predicate(w, Clause::Where);
        }
        self.scopes.pop();
    }

    fn delete(&mut self, d: &Delete) {
        self.push_scope();
        let mut ons = Vec::new();
        let from = match &d.from {
            FromTable::WithFromKeyword(v) | FromTable::WithoutKeyword(v) => v,
        };
        for twj in from {
            self.register(twj, None, &mut ons);
        }
        let from_count = self.scopes.last().map_or(0, |s| s.entries.len());
        if let Some(using) = &d.using {
            for twj in using {
                self.register(twj, None, &mut ons);
            }
        }
        let entries: Vec<(String, Option<String>)> = self
            .scopes
            .last()
            .map(|s| {
                s.entries
                    .iter()
                    .map(|e| (e.name.clone(), e.table.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // Targets: the tables named before FROM; else, with USING, every
        // table of FROM; else the first table.
        let targets: Vec<String> = if !d.tables.is_empty() {
            d.tables
                .iter()
                .filter_map(last_name)
                .filter_map(|n| {
                    entries
                        .iter()
                        .find(|(name, _)| *name == n)
                        .map_or(Some(n), |(_, t)| t.clone())
                })
                .collect()
        } else if d.using.is_some() {
            entries[..from_count]
                .iter()
                .filter_map(|(_, t)| t.clone())
                .collect()
        } else {
            entries
                .iter()
                .find_map(|(_, t)| t.clone())
                .into_iter()
                .collect()
        };
        for t in &targets {
            self.touch(Op::Delete, t);
        }
        for (_, t) in &entries {
            if let Some(t) = t {
                if !targets.contains(t) {
                    self.touch(Op::Select, t);
                }
            }
        }
        for on in ons {
            self.predicate(on, Clause::Where);
        }
        if let Some(w) = &d.selection {
            self.predicate(w, Clause::Where);
        }
        self.scopes.pop();
    }

    fn assignment(&mut self, a: &Assignment, clause: Clause) {
        match &a.target {
            AssignmentTarget::ColumnName(n) => self.assign_one(n, &a.value, clause),
            AssignmentTarget::Tuple(names) => match &a.value {
                Expr::Tuple(values) if values.len() == names.len() => {
                    for (n, v) in names.iter().zip(values) {
                        self.assign_one(n, v, clause);
                    }
                }
                v => self.expr(v),
            },
        }
    }

    fn assign_one(&mut self, name: &ObjectName, value: &Expr, clause: Clause) {
        let Some(col) = last_name(name) else { return };
        let q = name.0.len().checked_sub(2).and_then(|k| match &name.0[k] {
            ObjectNamePart::Identifier(i) => Some(i),
            _ => None,
        });
        match (self.resolve(q), self.operand(value)) {
            (Some((table, scope)), Some(op)) => self.out.bindings.push(Binding {
                table,
                column: col,
                operand: op,
                clause,
                form: Form::Plain,
                scope,
            }),
            _ => self.expr(value),
        }
    }

    // ---- expressions -----------------------------------------------------

    /// The slot or literal an expression is, if it is one.
    fn operand(&self, e: &Expr) -> Option<Operand> {
        match e {
            Expr::Value(v) => match &v.value {
                Value::Placeholder(_) => {
                    let at = (v.span.start.line, v.span.start.column);
                    let ordinal = self.slots.binary_search(&at).ok()? as u32;
                    Some(Operand::Slot {
                        ordinal,
                        negate: false,
                    })
                }
                Value::Number(n, _) => Some(Operand::Const(n.clone())),
                Value::SingleQuotedString(s)
                | Value::DoubleQuotedString(s)
                | Value::NationalStringLiteral(s)
                | Value::EscapedStringLiteral(s)
                | Value::HexStringLiteral(s) => Some(Operand::Const(s.clone())),
                _ => None,
            },
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => match self.operand(expr)? {
                Operand::Slot { ordinal, negate } => Some(Operand::Slot {
                    ordinal,
                    negate: !negate,
                }),
                Operand::Const(c) => Some(Operand::Const(format!("-{c}"))),
            },
            Expr::Nested(inner) => self.operand(inner),
            Expr::Cast { expr, .. } => self.operand(expr),
            _ => None,
        }
    }

    fn bind(&mut self, col: &Expr, value: &Expr, clause: Clause, form: Form) -> bool {
        let (Some((q, c)), Some(op)) = (column(col), self.operand(value)) else {
            return false;
        };
        let Some((table, scope)) = self.resolve(q) else {
            return true;
        };
        self.out.bindings.push(Binding {
            table,
            column: lower(c),
            operand: op,
            clause,
            form,
            scope,
        });
        true
    }

    fn equality(&mut self, l: &Expr, r: &Expr, clause: Clause, form: Form) {
        if self.bind(l, r, clause, form) || self.bind(r, l, clause, form) {
            return;
        }
        if let (Expr::Tuple(ls), Expr::Tuple(rs)) = (strip(l), strip(r)) {
            if ls.len() == rs.len() {
                for (a, b) in ls.iter().zip(rs) {
                    self.equality(a, b, clause, Form::Tuple);
                }
                return;
            }
        }
        self.expr(l);
        self.expr(r);
    }

    /// Bindings of a WHERE/ON/HAVING condition, in textual order. AND/OR
    /// chains nest without bound, so they are walked with a stack.
    fn predicate(&mut self, root: &Expr, clause: Clause) {
        let mut stack = vec![root];
        while let Some(e) = stack.pop() {
            match e {
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::And | BinaryOperator::Or,
                    right,
                } => {
                    stack.push(right);
                    stack.push(left);
                }
                Expr::Nested(inner) => stack.push(inner),
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Eq | BinaryOperator::Spaceship,
                    right,
                } => self.equality(left, right, clause, Form::Plain),
                Expr::In {
                    expr,
                    target: InTarget::List(list),
                    negated: false,
                    ..
                } => {
                    for item in list {
                        self.equality(expr, item, clause, Form::InList);
                    }
                }
                _ => self.expr(e),
            }
        }
    }

    /// Walks an expression for the subqueries in it.
    fn expr(&mut self, root: &Expr) {
        let mut stack = vec![root];
        let mut kids = Vec::new();
        while let Some(e) = stack.pop() {
            match e {
                Expr::Subquery(q) | Expr::Exists { subquery: q, .. } => self.query(q),
                Expr::In {
                    expr,
                    target: InTarget::Subquery(q),
                    ..
                } => {
                    stack.push(expr);
                    self.query(q);
                }
                _ => {
                    kids.clear();
                    children(e, &mut kids);
                    stack.extend(kids.iter().rev());
                }
            }
        }
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip(inner),
        e => e,
    }
}

/// The direct subexpressions of `e` that may hold a subquery.
fn children<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp { left, right, .. }
        | Expr::AnyOp { left, right, .. }
        | Expr::AllOp { left, right, .. }
        | Expr::IsDistinctFrom(left, right)
        | Expr::IsNotDistinctFrom(left, right) => {
            out.push(left);
            out.push(right);
        }
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::IsTrue(expr)
        | Expr::IsFalse(expr)
        | Expr::IsNotTrue(expr)
        | Expr::IsNotFalse(expr)
        | Expr::Cast { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::Extract { expr, .. }
        | Expr::Named { expr, .. } => out.push(expr),
        Expr::Between {
            expr, low, high, ..
        } => {
            out.push(expr);
            out.push(low);
            out.push(high);
        }
        Expr::Like { expr, pattern, .. }
        | Expr::ILike { expr, pattern, .. }
        | Expr::SimilarTo { expr, pattern, .. }
        | Expr::RLike { expr, pattern, .. } => {
            out.push(expr);
            out.push(pattern);
        }
        Expr::In { expr, target, .. } => {
            out.push(expr);
            if let InTarget::List(list) = target {
                out.extend(list);
            }
        }
        Expr::Tuple(list) => out.extend(list),
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            out.extend(operand.as_deref());
            for c in conditions {
                out.push(&c.condition);
                out.push(&c.result);
            }
            out.extend(else_result.as_deref());
        }
        Expr::Function(f) => {
            if let FunctionArguments::List(list) = &f.args {
                for a in &list.args {
                    let arg = match a {
                        FunctionArg::Named { arg, .. }
                        | FunctionArg::ExprNamed { arg, .. }
                        | FunctionArg::Unnamed(arg) => arg,
                    };
                    if let FunctionArgExpr::Expr(x) = arg {
                        out.push(x);
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(an: &Analysis) -> Vec<(String, u32)> {
        an.bindings
            .iter()
            .map(|b| match b.operand {
                Operand::Slot { ordinal, .. } => (b.column.clone(), ordinal),
                Operand::Const(_) => (b.column.clone(), u32::MAX),
            })
            .collect()
    }

    #[test]
    fn slots_are_numbered_by_position_whatever_the_nesting() {
        let an = analyze(
            "select `a?` from t where x = (select max(y) from u where u.k = ?) and id = ? and z in (?, ?)",
        )
        .unwrap();
        assert_eq!(
            slots(&an),
            [
                ("k".into(), 0),
                ("id".into(), 1),
                ("z".into(), 2),
                ("z".into(), 3)
            ]
        );
    }

    #[test]
    fn accesses_list_the_bindings_of_their_own_scope() {
        let an =
            analyze("update t set v = ? where id = (select id from t where name = ?)").unwrap();
        let t_update: Vec<_> = an
            .accesses
            .iter()
            .filter(|a| a.kind == AccessKind::Write)
            .map(|a| a.candidates.clone())
            .collect();
        // The write of `t` sees only the outer WHERE (which binds nothing),
        // not the subquery's `name = ?`.
        assert_eq!(t_update, [Vec::<u32>::new()]);
        assert_eq!(
            an.tables,
            [(Op::Update, "t".into()), (Op::Select, "t".into())]
        );
    }

    #[test]
    fn unparsable_text_is_an_error() {
        assert!(analyze("select from where").is_err());
    }
}
