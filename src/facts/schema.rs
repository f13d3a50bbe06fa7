//! The built-in fact schema: every base relation, each column's type and
//! meaning. This is the one place relations are documented; `rulecheck
//! schema` prints it and the engine declares base relations from it.

/// Column types of the rule language (Soufflé's primitive types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Symbol,
    Number,
    Unsigned,
    Float,
}

impl Type {
    pub fn as_str(self) -> &'static str {
        match self {
            Type::Symbol => "symbol",
            Type::Number => "number",
            Type::Unsigned => "unsigned",
            Type::Float => "float",
        }
    }
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: Type,
    pub doc: &'static str,
}

#[derive(Debug)]
pub struct RelSchema {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
}

macro_rules! col {
    ($name:literal, S, $doc:literal) => {
        Column {
            name: $name,
            ty: Type::Symbol,
            doc: $doc,
        }
    };
    ($name:literal, N, $doc:literal) => {
        Column {
            name: $name,
            ty: Type::Number,
            doc: $doc,
        }
    };
}

/// Base relations, in the order of [`BASE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base {
    Span,
    Parent,
    Calls,
    Follows,
    Tag,
    TagNum,
    Log,
    Error,
    Http,
    HttpPayload,
    Db,
    Sql,
    ColumnValue,
    Reads,
    Writes,
    SqlUnparsed,
    Placeholder,
    SpanSource,
    Segment,
    Peer,
    Component,
}

impl Base {
    pub const ALL: [Base; 21] = [
        Base::Span,
        Base::Parent,
        Base::Calls,
        Base::Follows,
        Base::Tag,
        Base::TagNum,
        Base::Log,
        Base::Error,
        Base::Http,
        Base::HttpPayload,
        Base::Db,
        Base::Sql,
        Base::ColumnValue,
        Base::Reads,
        Base::Writes,
        Base::SqlUnparsed,
        Base::Placeholder,
        Base::SpanSource,
        Base::Segment,
        Base::Peer,
        Base::Component,
    ];

    pub fn schema(self) -> &'static RelSchema {
        &BASE[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.schema().name
    }

    pub fn by_name(name: &str) -> Option<Base> {
        Base::ALL.iter().copied().find(|b| b.name() == name)
    }
}

pub static BASE: [RelSchema; 21] = [
    RelSchema {
        name: "span",
        doc: "every span of every trace read",
        columns: &[
            col!("S", S, "span id: SkyWalking <segmentId>-<spanId>; Jaeger/Zipkin/OTLP lowercase hex (Zipkin shared server half: <id>-server)"),
            col!("Trace", S, "trace id"),
            col!("Service", S, "service name"),
            col!("Name", S, "operation / endpoint name"),
            col!("Kind", S, "server, client, internal, producer or consumer (SkyWalking Entry=server, Exit=client, Local=internal)"),
            col!("Start", N, "start time, microseconds since the epoch"),
            col!("End", N, "end time, microseconds since the epoch"),
        ],
    },
    RelSchema {
        name: "parent",
        doc: "direct parent, within a process or across one (async references too)",
        columns: &[col!("Child", S, "span id"), col!("Parent", S, "span id")],
    },
    RelSchema {
        name: "calls",
        doc: "a client (exit) span and the server (entry) span it caused in the callee",
        columns: &[col!("Client", S, "client span id"), col!("Server", S, "server span id")],
    },
    RelSchema {
        name: "follows",
        doc: "asynchronous continuation (SkyWalking CROSS_THREAD, Jaeger/OTel FOLLOWS_FROM); also in parent",
        columns: &[col!("Child", S, "span id"), col!("Cause", S, "span id")],
    },
    RelSchema {
        name: "tag",
        doc: "every tag / attribute of a span, value as text",
        columns: &[col!("S", S, "span id"), col!("Key", S, "tag key"), col!("Value", S, "tag value")],
    },
    RelSchema {
        name: "tag_num",
        doc: "tags whose value is an integer",
        columns: &[col!("S", S, "span id"), col!("Key", S, "tag key"), col!("N", N, "the value")],
    },
    RelSchema {
        name: "log",
        doc: "span logs / events, one row per field",
        columns: &[
            col!("S", S, "span id"),
            col!("Time", N, "microseconds since the epoch"),
            col!("Key", S, "field key (OTel events: `event` holds the event name)"),
            col!("Value", S, "field value"),
        ],
    },
    RelSchema {
        name: "error",
        doc: "the span is marked failed",
        columns: &[col!("S", S, "span id")],
    },
    RelSchema {
        name: "http",
        doc: "HTTP spans",
        columns: &[
            col!("S", S, "span id"),
            col!("Method", S, "GET, POST, ..."),
            col!("Url", S, "full URL as recorded"),
            col!("Status", N, "response status; 0 where unknown"),
        ],
    },
    RelSchema {
        name: "http_payload",
        doc: "request and response bodies where the trace carries them (a client span takes them from the server span it calls when it has none)",
        columns: &[
            col!("S", S, "span id"),
            col!("Request", S, "request body (SkyWalking http.param, OTel http.request.body)"),
            col!("Response", S, "response body (SkyWalking http.response, OTel http.response.body)"),
        ],
    },
    RelSchema {
        name: "db",
        doc: "database client spans",
        columns: &[
            col!("S", S, "span id"),
            col!("System", S, "database system, lowercase (mysql, redis, ...)"),
            col!("Instance", S, "peer/dbname, e.g. ts-order-mysql:3306/ts"),
            col!("Statement", S, "statement with parameters bound"),
        ],
    },
    RelSchema {
        name: "sql",
        doc: "one row per table a SQL statement touches",
        columns: &[
            col!("S", S, "span id"),
            col!("Op", S, "select, insert, update, delete or other (the statement's operation)"),
            col!("Table", S, "table name, lowercase, without schema or alias"),
        ],
    },
    RelSchema {
        name: "column_value",
        doc: "every column bound to a literal or parameter",
        columns: &[
            col!("S", S, "span id"),
            col!("Table", S, "table the column belongs to (aliases resolved)"),
            col!("Column", S, "column name, lowercase"),
            col!("Value", S, "the value as written, unquoted and unescaped; NULL is NULL"),
            col!("Clause", S, "where, set or values"),
        ],
    },
    RelSchema {
        name: "reads",
        doc: "row-level reads (SELECT; UPDATE and DELETE read the rows they pin too)",
        columns: &[
            col!("S", S, "span id"),
            col!("Table", S, "table name"),
            col!("Key", S, "row key value as text; * where no key predicate pins the row"),
        ],
    },
    RelSchema {
        name: "writes",
        doc: "row-level writes (INSERT, REPLACE, UPDATE, DELETE)",
        columns: &[
            col!("S", S, "span id"),
            col!("Table", S, "table name"),
            col!("Key", S, "row key value as text; * where no key predicate pins the row"),
        ],
    },
    RelSchema {
        name: "sql_unparsed",
        doc: "a SQL statement that could not be read (never a crash)",
        columns: &[col!("S", S, "span id"), col!("Reason", S, "the parser's message")],
    },
    RelSchema {
        name: "placeholder",
        doc: "every parameter or literal of a SQL statement, by position, with the column it is bound to",
        columns: &[
            col!("S", S, "span id"),
            col!("Pos", N, "position among the statement's placeholders and literals, from 0"),
            col!("Table", S, "table of the column; empty when not bound to a column"),
            col!("Column", S, "column name, lowercase; empty when not bound to a column"),
            col!("Context", S, "where (`column op ?` directly in WHERE/ON), in (an IN list), set, values, or other (nested, functions, LIMIT, ...)"),
            col!("Value", S, "the bound value as text"),
        ],
    },
    RelSchema {
        name: "span_source",
        doc: "where a span was read: for explain and error messages",
        columns: &[
            col!("S", S, "span id"),
            col!("File", S, "trace file path as given"),
            col!("Index", N, "position of the span in the file, from 0"),
        ],
    },
    RelSchema {
        name: "segment",
        doc: "SkyWalking only: the segment (one thread's spans) a span belongs to",
        columns: &[
            col!("S", S, "span id"),
            col!("Segment", S, "segment id"),
            col!("SpanNo", N, "spanId within the segment"),
        ],
    },
    RelSchema {
        name: "peer",
        doc: "remote address a span talks to, where recorded",
        columns: &[col!("S", S, "span id"), col!("Peer", S, "host:port (SkyWalking peer, Zipkin remoteEndpoint, OTel server.address:server.port)")],
    },
    RelSchema {
        name: "component",
        doc: "what produced the span",
        columns: &[
            col!("S", S, "span id"),
            col!("Layer", S, "SkyWalking layer (Http, Database, Unknown, ...); empty elsewhere"),
            col!("Component", S, "SkyWalking component (SpringMVC, mysql-connector-java, ...) or OTel instrumentation scope"),
        ],
    },
];

/// Input facts users may give in `--facts DIR`, read by lowering and the
/// standard rules. Documented by `rulecheck schema` next to the base facts.
pub static USER_INPUTS: [RelSchema; 2] = [
    RelSchema {
        name: "key_column",
        doc: "a table's key columns; without any row for a table, its key columns are `id` and every column whose name ends in `_id`",
        columns: &[col!("Table", S, "table name, lowercase"), col!("Column", S, "column name, lowercase")],
    },
    RelSchema {
        name: "same_database",
        doc: "replica grouping: two database instances (peer/dbname) that hold the same data",
        columns: &[col!("A", S, "instance"), col!("B", S, "instance")],
    },
];
