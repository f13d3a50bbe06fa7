//! SQL statements → table and row accesses.
//!
//! A statement is first normalised into a *template* (every placeholder and
//! literal becomes `?`, their texts kept as slots), the template is parsed
//! with sqlparser once and cached, and each execution binds its slot values
//! to the columns the template analysis found. So a million executions of
//! one prepared statement cost one parse and a million cheap bindings.

use rustc_hash::FxHashMap;

/// Where a statement's parameters come from.
#[derive(Clone, Copy, Debug)]
pub enum ParamSource<'a> {
    None,
    /// SkyWalking's Java agent: `[v1,v2,…]`, values unquoted.
    SkyWalking(&'a str),
    /// OpenTelemetry Python DB-API: a Python tuple / dict / list-of-tuples literal.
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnValue {
    pub table: String,
    pub column: String,
    pub value: String,
    pub clause: Clause,
}

/// The facts of one execution of a statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Execution {
    /// The statement with its parameters bound, as the `db` fact shows it.
    pub bound: String,
    pub tables: Vec<(Op, String)>,
    pub columns: Vec<ColumnValue>,
    /// (table, key) pairs; key `*` where no key predicate pins the row.
    pub reads: Vec<(String, String)>,
    pub writes: Vec<(String, String)>,
    /// Binding problems (e.g. more values than placeholders).
    pub warnings: Vec<String>,
}

/// Which columns are row keys: `key_column` facts where given for a table,
/// else `id` and every column ending in `_id`.
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

/// Lowers statements, caching the analysis of each template.
#[derive(Debug, Default)]
pub struct SqlLowerer {
    pub keys: KeyColumns,
    cache: FxHashMap<String, ()>,
}

impl SqlLowerer {
    pub fn new(keys: KeyColumns) -> Self {
        SqlLowerer {
            keys,
            cache: FxHashMap::default(),
        }
    }

    /// One [`Execution`] per execution of the statement (several for an
    /// `executemany` parameter list); `Err` with the parser's message when
    /// the statement cannot be read.
    pub fn lower(
        &mut self,
        _statement: &str,
        _params: ParamSource,
    ) -> Result<Vec<Execution>, String> {
        let _ = &self.cache;
        Err("SQL lowering not written yet".into())
    }
}
