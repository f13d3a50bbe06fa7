//! The common span model every trace reader produces.
//!
//! Readers confine format differences to themselves (ids, enums, attribute
//! names); everything downstream sees only these types. Strings borrow the
//! file's text where the JSON has them verbatim (no allocation per string:
//! a million spans' worth of `malloc`/`free` was a fifth of ingest time) and
//! are owned only where a reader builds them (SkyWalking ids, unescaped or
//! normalised values). A file's spans are lowered and dropped with its text
//! before further files are read, so the model never holds a whole corpus.

use std::borrow::Cow;

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
pub struct SpanRef<'a> {
    /// Span id of the parent, in the same id scheme as [`Span::id`].
    pub parent: Cow<'a, str>,
    pub kind: RefKind,
}

/// A timestamped span event (Jaeger/Zipkin log, OTLP event, SkyWalking log).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Log<'a> {
    pub time_us: i64,
    pub fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// One span, whatever format it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span<'a> {
    /// SkyWalking `<segmentId>-<spanId>`; others lowercase hex
    /// (Zipkin's shared server half: `<id>-server`).
    pub id: Cow<'a, str>,
    pub trace_id: Cow<'a, str>,
    pub service: Cow<'a, str>,
    /// Operation / endpoint name.
    pub name: Cow<'a, str>,
    pub kind: SpanKind,
    /// Microseconds since the epoch.
    pub start_us: i64,
    pub end_us: i64,
    /// Parent references; usually zero or one.
    pub refs: Vec<SpanRef<'a>>,
    /// Tags / attributes in the order the trace lists them, values as text.
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub logs: Vec<Log<'a>>,
    pub error: bool,
    /// Remote address (`host:port`) where the format records one:
    /// SkyWalking `peer`, Zipkin `remoteEndpoint`, OTel `server.address`/`net.peer.name`.
    pub peer: Option<Cow<'a, str>>,
    /// SkyWalking `layer` (Http, Database, ...) and `component`
    /// (SpringMVC, mysql-connector-java, ...); OTel: instrumentation scope name.
    pub layer: Option<Cow<'a, str>>,
    pub component: Option<Cow<'a, str>>,
    /// SkyWalking segment (one thread's spans) and the span's number in it.
    pub segment: Option<(Cow<'a, str>, i64)>,
}

/// `s` owning its text.
pub(crate) fn own(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

fn own_pairs(
    pairs: Vec<(Cow<'_, str>, Cow<'_, str>)>,
) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    pairs.into_iter().map(|(k, v)| (own(k), own(v))).collect()
}

impl Span<'_> {
    /// The same span owning all its strings, free of the file's text.
    pub fn into_owned(self) -> Span<'static> {
        Span {
            id: own(self.id),
            trace_id: own(self.trace_id),
            service: own(self.service),
            name: own(self.name),
            kind: self.kind,
            start_us: self.start_us,
            end_us: self.end_us,
            refs: self
                .refs
                .into_iter()
                .map(|r| SpanRef {
                    parent: own(r.parent),
                    kind: r.kind,
                })
                .collect(),
            tags: own_pairs(self.tags),
            logs: self
                .logs
                .into_iter()
                .map(|l| Log {
                    time_us: l.time_us,
                    fields: own_pairs(l.fields),
                })
                .collect(),
            error: self.error,
            peer: self.peer.map(own),
            layer: self.layer.map(own),
            component: self.component.map(own),
            segment: self.segment.map(|(s, n)| (own(s), n)),
        }
    }

    /// The first value of tag `key`, if any.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// The value of the first of `keys` the span has: one attribute under
    /// its SkyWalking, Zipkin and OpenTelemetry (old and new) names.
    pub fn first_tag(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.tag(k))
    }
}
