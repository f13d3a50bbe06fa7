//! The common span model every trace reader produces.
//!
//! Readers confine format differences to themselves (ids, enums, attribute
//! names); everything downstream sees only these types. Strings are owned:
//! a file's spans are lowered and dropped before the next file is kept, so
//! the model never holds a whole corpus at once.

/// What role a span plays in a request, in OpenTelemetry's vocabulary.
/// SkyWalking Entry → `Server`, Exit → `Client`, Local → `Internal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanKind {
    Server,
    Client,
    Internal,
    Producer,
    Consumer,
}

impl SpanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Internal => "internal",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// How a span hangs off another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// Synchronous parent: same thread (SkyWalking `parentSpanId`), or the
    /// caller across a process (SkyWalking CROSS_PROCESS, Jaeger CHILD_OF,
    /// Zipkin/OTLP `parentId`).
    ChildOf,
    /// Asynchronous continuation: SkyWalking CROSS_THREAD, FOLLOWS_FROM.
    /// Lowered to both `follows` and `parent` so trees stay connected.
    FollowsFrom,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpanRef {
    /// Span id of the parent, in the same id scheme as [`Span::id`].
    pub parent: String,
    pub kind: RefKind,
}

/// A timestamped span event (Jaeger/Zipkin log, OTLP event, SkyWalking log).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Log {
    pub time_us: i64,
    pub fields: Vec<(String, String)>,
}

/// One span, whatever format it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// SkyWalking `<segmentId>-<spanId>`; others lowercase hex
    /// (Zipkin's shared server half: `<id>-server`).
    pub id: String,
    pub trace_id: String,
    pub service: String,
    /// Operation / endpoint name.
    pub name: String,
    pub kind: SpanKind,
    /// Microseconds since the epoch.
    pub start_us: i64,
    pub end_us: i64,
    /// Parent references; usually zero or one.
    pub refs: Vec<SpanRef>,
    /// Tags / attributes in the order the trace lists them, values as text.
    pub tags: Vec<(String, String)>,
    pub logs: Vec<Log>,
    pub error: bool,
    /// Remote address (`host:port`) where the format records one:
    /// SkyWalking `peer`, Zipkin `remoteEndpoint`, OTel `server.address`/`net.peer.name`.
    pub peer: Option<String>,
    /// SkyWalking `layer` (Http, Database, ...) and `component`
    /// (SpringMVC, mysql-connector-java, ...); OTel: instrumentation scope name.
    pub layer: Option<String>,
    pub component: Option<String>,
    /// SkyWalking segment (one thread's spans) and the span's number in it.
    pub segment: Option<(String, i64)>,
}

impl Span {
    /// The first value of tag `key`, if any.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first of `keys` the span has: one attribute under
    /// its SkyWalking, Zipkin and OpenTelemetry (old and new) names.
    pub fn first_tag(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.tag(k))
    }
}
