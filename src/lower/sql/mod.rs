//! SQL statements → table and row accesses.
//!
//! A statement is first normalised into a *template* (every placeholder and
//! literal becomes `?`, their texts kept as slots), the template is parsed
//! with sqlparser once and cached, and each execution binds its slot values
//! to the columns the template analysis found. So a million executions of
//! one prepared statement cost one parse and a million cheap bindings.
//!
//! Files, in pipeline order: `template` (normaliser), `params` (parameter
//! literals), `fit` (values → placeholders, the bound statement), `analyze`
//! (parsed template → tables, bindings, accesses), `bind` (analysis +
//! values → [`Execution`]).

mod analyze;
mod bind;
mod fit;
mod params;
mod template;

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::own;
use analyze::Analysis;
use fit::Values;
use params::Py;
use template::{Mode, Slot};

/// Where a statement's parameters come from.
#[derive(Clone, Copy, Debug)]
pub enum ParamSource<'a> {
    /// No parameters recorded: placeholders stay unbound (no `column_value`,
    /// and a key column bound only to them does not pin the row).
    None,
    /// SkyWalking's Java agent: `[v1,v2,…]`, values unquoted. Split on `,`
    /// (nothing trimmed) and bound left to right; pieces beyond the
    /// placeholder count are joined (with `,`) into the last placeholder,
    /// with a warning. `NULL` binds as NULL, numbers bare, the rest quoted.
    SkyWalking(&'a str),
    /// OpenTelemetry Python DB-API: a Python tuple / dict / list-of-tuples
    /// literal. A list or tuple of tuples as long as the placeholder count
    /// (or of dicts) is `executemany`: one [`Execution`] per inner tuple.
    /// A malformed literal gives a warning and leaves the values unbound.
    Python(&'a str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Select,
    Insert,
    Update,
    Delete,
    Other,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Select => "select",
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Other => "other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Clause {
    Where,
    Set,
    Values,
}

impl Clause {
    pub fn as_str(self) -> &'static str {
        match self {
            Clause::Where => "where",
            Clause::Set => "set",
            Clause::Values => "values",
        }
    }
}

/// A column bound to a slot (a placeholder with a value, or an inline
/// literal): `where` for `col = v` / `v = col` / `col IN (v, …)` /
/// `(a, b) = (v, w)` in WHERE, ON or HAVING; `set` for UPDATE SET and
/// ON DUPLICATE KEY UPDATE; `values` for every row of INSERT VALUES.
/// `value` is the text as written, unquoted and unescaped (`98.00`, `NULL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnValue<'x> {
    pub table: Cow<'x, str>,
    pub column: Cow<'x, str>,
    pub value: Cow<'x, str>,
    pub clause: Clause,
}

/// One slot of an execution: the `placeholder` relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder<'x> {
    pub pos: u32,
    /// Empty when the slot binds no column.
    pub table: Cow<'x, str>,
    pub column: Cow<'x, str>,
    /// `where` (a plain comparison in the statement's own WHERE/ON), `in`,
    /// `tuple`, `set`, `values`, `nested` (in a subquery) or `other`.
    pub context: &'static str,
    pub value: Cow<'x, str>,
}

/// The facts of one execution of a statement. Lowering sees each one
/// borrowing the template's analysis and the statement's values
/// ([`SqlLowerer::lower_each`]): copying every table, column and value
/// into strings of their own was most of SQL lowering's allocations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Execution<'x> {
    /// The statement with its parameters bound, as the `db` fact shows it:
    /// each bound placeholder replaced by its value as an SQL literal
    /// (strings single-quoted with `'` doubled; numbers and NULL bare);
    /// inline literals, comments and unbound placeholders as written.
    pub bound: String,
    /// One `(op, table)` per table touched, first appearance first; tables
    /// lowercase, unquoted, without schema, aliases resolved. `(Other, "")`
    /// for a statement that names no table (SET, BEGIN).
    pub tables: Cow<'x, [(Op, String)]>,
    pub columns: Vec<ColumnValue<'x>>,
    /// (table, key) pairs, deduplicated: SELECT reads; UPDATE and DELETE
    /// read and write their targets; INSERT/REPLACE (and ON DUPLICATE KEY
    /// UPDATE) write theirs. The keys are the values bound to the table's
    /// key columns in its own scope (`where`, or `values` for inserts), one
    /// row per value; `*` where no key column is pinned.
    pub reads: Vec<Key<'x>>,
    pub writes: Vec<Key<'x>>,
    /// Every slot (parameter or literal) with the column it binds, if any.
    pub placeholders: Vec<Placeholder<'x>>,
    /// Binding problems (e.g. more values than placeholders).
    pub warnings: Vec<String>,
}

/// A `(table, key)` pair of `reads` or `writes`.
pub type Key<'x> = (Cow<'x, str>, Cow<'x, str>);

impl Execution<'_> {
    /// The same execution owning its strings.
    pub fn into_owned(self) -> Execution<'static> {
        let keys = |keys: Vec<Key<'_>>| keys.into_iter().map(|(t, k)| (own(t), own(k))).collect();
        Execution {
            bound: self.bound,
            tables: Cow::Owned(self.tables.into_owned()),
            columns: self
                .columns
                .into_iter()
                .map(|c| ColumnValue {
                    table: own(c.table),
                    column: own(c.column),
                    value: own(c.value),
                    clause: c.clause,
                })
                .collect(),
            reads: keys(self.reads),
            writes: keys(self.writes),
            placeholders: self
                .placeholders
                .into_iter()
                .map(|p| Placeholder {
                    pos: p.pos,
                    table: own(p.table),
                    column: own(p.column),
                    context: p.context,
                    value: own(p.value),
                })
                .collect(),
            warnings: self.warnings,
        }
    }
}

/// Which columns are row keys: `key_column` facts where given for a table,
/// else `id` and every column ending in `_id`. Names compare ASCII-lowercase.
#[derive(Clone, Debug, Default)]
pub struct KeyColumns {
    explicit: FxHashMap<String, Vec<String>>,
}

impl KeyColumns {
    pub fn add(&mut self, table: &str, column: &str) {
        self.explicit
            .entry(table.to_ascii_lowercase())
            .or_default()
            .push(column.to_ascii_lowercase());
    }

    pub fn is_key(&self, table: &str, column: &str) -> bool {
        match self.explicit.get(table) {
            Some(cols) => cols.iter().any(|c| c == column),
            None => column == "id" || column.ends_with("_id"),
        }
    }
}

/// How many statements parsed with their literals inline are kept.
const INLINE_LIMIT: usize = 4096;

/// How many prepared statements are kept by their text.
const PREPARED_LIMIT: usize = 1 << 16;

/// What the cache knows of a template.
#[derive(Debug)]
enum Entry {
    Ready(Arc<Analysis>),
    Failed(Arc<str>),
    /// The template does not parse but may with its literals inline
    /// (`VARCHAR(255)` in DDL): see `SqlLowerer::inline`.
    LiteralsInline,
}

/// Lowers statements, caching the analysis of each template.
#[derive(Debug, Default)]
pub struct SqlLowerer {
    pub keys: KeyColumns,
    cache: FxHashMap<String, Entry>,
    /// Analyses of statements parsed with their literals inline, by that
    /// text (rare: DDL and other statements with literals where the
    /// parser takes no placeholder).
    inline: FxHashMap<String, Result<Arc<Analysis>, Arc<str>>>,
    /// Statements without literals (prepared ones, executed again and
    /// again with the same text), by their text: their slots and analysis,
    /// without normalising them again (~9k instructions each).
    prepared: FxHashMap<String, (Vec<Slot>, Arc<Analysis>)>,
    /// Buffers reused across calls.
    template: String,
    slots: Vec<Slot>,
    /// See [`SqlLowerer::in_isolation`].
    isolated: bool,
    /// An isolated lowerer met a statement it cannot lower alone.
    deferred: bool,
}

impl SqlLowerer {
    pub fn new(keys: KeyColumns) -> Self {
        SqlLowerer {
            keys,
            ..SqlLowerer::default()
        }
    }

    /// A lowerer for one file read apart from the others (in parallel).
    /// How a statement whose template does not parse is read depends on
    /// the statements of that template before it (the literals-inline path;
    /// a template failing there fails for good), so this lowerer does not
    /// lower such statements: it fails them and sets a flag
    /// ([`SqlLowerer::take_deferred`]), and the caller lowers the file again,
    /// in order, with the lowerer of the whole input. What it caches (parsed
    /// templates, prepared statements) depends on the statement alone.
    pub fn in_isolation(keys: KeyColumns) -> Self {
        SqlLowerer {
            isolated: true,
            ..SqlLowerer::new(keys)
        }
    }

    /// Whether a statement was refused since the last call (which resets it).
    pub fn take_deferred(&mut self) -> bool {
        std::mem::take(&mut self.deferred)
    }

    /// How many distinct templates have been seen (parsed or failed).
    pub fn templates(&self) -> usize {
        self.cache.len()
    }

    /// One [`Execution`] per execution of the statement (several for an
    /// `executemany` parameter list); `Err` with the parser's message when
    /// the statement cannot be read.
    pub fn lower(
        &mut self,
        statement: &str,
        params: ParamSource,
    ) -> Result<Vec<Execution<'static>>, String> {
        let mut all = Vec::new();
        self.lower_each(statement, params, |ex| all.push(ex.into_owned()))?;
        Ok(all)
    }

    /// [`SqlLowerer::lower`] handing each execution to `each` as it is
    /// bound, borrowing what it can.
    pub fn lower_each(
        &mut self,
        statement: &str,
        params: ParamSource,
        each: impl FnMut(Execution<'_>),
    ) -> Result<(), String> {
        if let Some((slots, an)) = self.prepared.get(statement) {
            Self::executions(&self.keys, statement, slots, an, false, params, each);
            return Ok(());
        }
        let mut template = std::mem::take(&mut self.template);
        let mut slots = std::mem::take(&mut self.slots);
        template::normalise(statement, Mode::All, &mut template, &mut slots);
        let result = self.analysis(statement, &template, &slots);
        if let Ok((an, false)) = &result {
            if slots.iter().all(Slot::is_param) {
                if self.prepared.len() >= PREPARED_LIMIT {
                    self.prepared.clear();
                }
                self.prepared
                    .insert(statement.to_string(), (slots.clone(), an.clone()));
            }
        }
        let result = result.map(|(an, inline)| {
            Self::executions(&self.keys, statement, &slots, &an, inline, params, each)
        });
        self.template = template;
        self.slots = slots;
        result
    }

    /// The analysis of a statement's template, parsed on first sight; `true`
    /// when it was parsed with the literals inline.
    fn analysis(
        &mut self,
        statement: &str,
        template: &str,
        slots: &[Slot],
    ) -> Result<(Arc<Analysis>, bool), String> {
        match self.cache.get(template) {
            Some(Entry::Ready(an)) => return Ok((an.clone(), false)),
            Some(Entry::Failed(e)) => return Err(e.to_string()),
            Some(Entry::LiteralsInline) => {
                return self.inline(statement).inspect_err(|e| {
                    // Literals were not what kept it from parsing: fail the
                    // template for good, so that varying literals do not
                    // mean a parse (and a cache entry) per execution.
                    self.cache
                        .insert(template.to_string(), Entry::Failed(e.as_str().into()));
                });
            }
            None => {}
        }
        match analyze::analyze(template) {
            Ok(an) => {
                let an = Arc::new(an);
                self.cache
                    .insert(template.to_string(), Entry::Ready(an.clone()));
                Ok((an, false))
            }
            // An isolated lowerer caches only templates that parse.
            Err(_) if self.isolated => {
                self.deferred = true;
                Err(String::new())
            }
            Err(_) if slots.iter().any(|s| !s.is_param()) => {
                let result = self.inline(statement);
                let entry = match &result {
                    Ok(_) => Entry::LiteralsInline,
                    Err(e) => Entry::Failed(e.as_str().into()),
                };
                self.cache.insert(template.to_string(), entry);
                result
            }
            Err(e) => {
                self.cache
                    .insert(template.to_string(), Entry::Failed(e.as_str().into()));
                Err(e)
            }
        }
    }

    fn inline(&mut self, statement: &str) -> Result<(Arc<Analysis>, bool), String> {
        let (mut text, mut slots) = (String::new(), Vec::new());
        template::normalise(statement, Mode::ParamsOnly, &mut text, &mut slots);
        // Only rare statements come here; a bound keeps their memory bounded.
        if self.inline.len() >= INLINE_LIMIT && !self.inline.contains_key(&text) {
            self.inline.clear();
        }
        let entry = self
            .inline
            .entry(text)
            .or_insert_with_key(|text| analyze::analyze(text).map(Arc::new).map_err(Arc::from));
        match entry {
            Ok(an) => Ok((an.clone(), true)),
            Err(e) => Err(e.to_string()),
        }
    }

    fn executions(
        keys: &KeyColumns,
        statement: &str,
        slots: &[Slot],
        an: &Analysis,
        inline: bool,
        params: ParamSource,
        mut each: impl FnMut(Execution<'_>),
    ) {
        let mut warnings = Vec::new();
        let py;
        let runs: Vec<Values> = match params {
            ParamSource::None => vec![Values::None],
            ParamSource::SkyWalking(text) => vec![Values::Pieces(params::skywalking(text))],
            ParamSource::Python(text) => match params::python(text) {
                Err(e) => {
                    warnings.push(format!("parameters {text:?} not bound: {e}"));
                    vec![Values::None]
                }
                Ok(parsed) => {
                    py = parsed;
                    python_runs(&py, fit::indexes(statement, slots).1)
                }
            },
        };
        for values in &runs {
            let mut warnings = warnings.clone();
            let vals = fit::fit(statement, slots, values, &mut warnings);
            let bound = fit::bound_statement(statement, slots, &vals);
            // The values of the parsed text's `?`s, in order.
            let parsed: Vec<Option<&params::Value>> = slots
                .iter()
                .zip(&vals)
                .filter(|(s, _)| !inline || s.is_param())
                .map(|(_, v)| v.as_ref())
                .collect();
            let mut ex = bind::execution(an, &parsed, keys);
            ex.bound = bound;
            ex.warnings = warnings;
            each(ex);
        }
    }
}

/// The executions a Python parameter literal stands for: a sequence of
/// sequences (each as long as the statement has placeholders) or of dicts
/// is `executemany`, one execution each; anything else is one execution.
fn python_runs(py: &Py, count: usize) -> Vec<Values<'_>> {
    fn one(py: &Py) -> Values<'_> {
        match py {
            Py::Seq(items) => Values::Seq(items.iter().map(Py::to_value).collect()),
            Py::Dict(items) => Values::Named(
                items
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.to_value()))
                    .collect(),
            ),
            Py::Scalar(v) => Values::Seq(vec![v.clone()]),
        }
    }
    match py {
        Py::Seq(items)
            if !items.is_empty()
                && items.iter().all(|i| match i {
                    Py::Seq(inner) => inner.len() == count,
                    Py::Dict(_) => true,
                    Py::Scalar(_) => false,
                }) =>
        {
            items.iter().map(one).collect()
        }
        other => vec![one(other)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_thousand_executions_parse_one_template() {
        let mut l = SqlLowerer::new(KeyColumns::default());
        for i in 0..10_000 {
            // Prepared and inline forms alternate: one template either way.
            let ex = if i % 2 == 0 {
                let params = format!("[paid,{i}]");
                l.lower(
                    "update orders set status=? where id=?",
                    ParamSource::SkyWalking(&params),
                )
            } else {
                let sql = format!("update  orders set status='paid' /* req {i} */ where id={i}");
                l.lower(&sql, ParamSource::None)
            }
            .unwrap();
            assert_eq!(ex[0].writes, [("orders".into(), i.to_string().into())]);
        }
        assert_eq!(l.templates(), 1);
    }

    #[test]
    fn statements_that_parse_only_with_literals_inline_are_cached_by_that_text() {
        let mut l = SqlLowerer::new(KeyColumns::default());
        let sql = "create table t (id int, name varchar(64) default 'x')";
        for _ in 0..3 {
            let ex = l.lower(sql, ParamSource::None).unwrap();
            assert_eq!(*ex[0].tables, [(Op::Other, "t".to_string())]);
        }
        assert_eq!(l.templates(), 1);
        assert_eq!(l.inline.len(), 1);
        // A placeholder among inline literals still binds by position.
        let ex = l
            .lower(
                "insert into t (id, name) values (?, cast('a' as char(3)))",
                ParamSource::SkyWalking("[4]"),
            )
            .unwrap();
        assert_eq!(ex[0].writes, [("t".into(), "4".into())]);
    }

    #[test]
    fn a_template_that_fails_with_literals_inline_fails_for_good() {
        let mut l = SqlLowerer::new(KeyColumns::default());
        for i in 0..100 {
            let sql = format!("selec * from t where id = {i}");
            assert!(l.lower(&sql, ParamSource::None).is_err());
        }
        assert_eq!(l.templates(), 1);
        assert_eq!(l.inline.len(), 1);
    }
}

/// A measurement, not a check: `cargo test --release --lib million -- --ignored --nocapture`.
#[cfg(test)]
mod measure {
    use super::*;

    #[test]
    #[ignore]
    fn million_executions_of_one_prepared_statement() {
        let mut l = SqlLowerer::new(KeyColumns::default());
        let sql =
            "update orders_other set account_id=?, bought_date=?, status=?, price=? where id=?";
        let start = std::time::Instant::now();
        let mut rows = 0;
        for i in 0..1_000_000 {
            let params = format!("[a{i},2024-05-30 16:05:06,1,122.5,o{i}]");
            rows += l.lower(sql, ParamSource::SkyWalking(&params)).unwrap()[0]
                .columns
                .len();
        }
        println!(
            "1e6 executions: {:?}, {rows} column values, {} template(s)",
            start.elapsed(),
            l.templates()
        );
        assert_eq!(l.templates(), 1);
    }
}
