//! Jaeger: the query API's JSON (`/api/traces`, the UI's "download"),
//! `data[]` of traces, each with `spans[]` and the `processes` they name.
//!
//! Jaeger has no span kind field: kind, error and peer come from the
//! OpenTracing / OpenTelemetry tags the client libraries write.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use serde::Deserialize;

use super::ids;
use super::json::{cow, Str, Text};
use super::sink::Sink;
use crate::model::{Log, RefKind, Span, SpanKind, SpanRef};

#[derive(Deserialize)]
pub struct RawTrace<'a> {
    #[serde(borrow, rename = "traceID")]
    trace_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub spans: Vec<RawSpan<'a>>,
    #[serde(borrow)]
    processes: Option<FxHashMap<Str<'a>, RawProcess<'a>>>,
}

#[derive(Deserialize)]
pub struct RawSpan<'a> {
    #[serde(borrow, rename = "traceID")]
    trace_id: Option<Str<'a>>,
    #[serde(borrow, rename = "spanID")]
    span_id: Str<'a>,
    #[serde(borrow, rename = "operationName")]
    operation_name: Option<Str<'a>>,
    #[serde(borrow)]
    references: Option<Vec<RawRef<'a>>>,
    /// Written by old Jaeger versions instead of a CHILD_OF reference.
    #[serde(borrow, rename = "parentSpanID")]
    parent_span_id: Option<Str<'a>>,
    #[serde(rename = "startTime")]
    start_time: i64,
    duration: Option<i64>,
    #[serde(borrow)]
    tags: Option<Vec<RawTag<'a>>>,
    #[serde(borrow)]
    logs: Option<Vec<RawLog<'a>>>,
    #[serde(borrow, rename = "processID")]
    process_id: Option<Str<'a>>,
    /// Some exports inline the process instead of naming it.
    #[serde(borrow)]
    process: Option<RawProcess<'a>>,
}

#[derive(Deserialize)]
struct RawRef<'a> {
    #[serde(borrow, rename = "refType")]
    ref_type: Option<Str<'a>>,
    #[serde(borrow, rename = "spanID")]
    span_id: Str<'a>,
}

/// `{key, type, value}`; the value's JSON type follows `type` (string,
/// bool, int64, float64, binary); all are kept as text.
#[derive(Deserialize)]
struct RawTag<'a> {
    #[serde(borrow)]
    key: Str<'a>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawLog<'a> {
    timestamp: i64,
    #[serde(borrow)]
    fields: Option<Vec<RawTag<'a>>>,
}

#[derive(Deserialize)]
struct RawProcess<'a> {
    #[serde(borrow, rename = "serviceName")]
    service_name: Option<Str<'a>>,
}

type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

fn pairs(tags: Option<Vec<RawTag<'_>>>) -> Pairs<'_> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| {
            let value = t.value.map(Text::into_cow).unwrap_or_default();
            (t.key.into_cow(), value)
        })
        .collect()
}

/// An all-zero parent id is how old clients wrote "no parent".
fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

fn kind_of(span: &Span) -> SpanKind {
    match span.tag("span.kind") {
        Some("server") => SpanKind::Server,
        Some("client") => SpanKind::Client,
        Some("producer") => SpanKind::Producer,
        Some("consumer") => SpanKind::Consumer,
        _ => SpanKind::Internal,
    }
}

/// `peer.address`, else host (`peer.hostname`, `peer.ipv4`, `peer.ipv6`)
/// with `:port` where the port is recorded.
fn peer_of(span: &Span) -> Option<String> {
    if let Some(a) = span.tag("peer.address").filter(|a| !a.is_empty()) {
        return Some(a.to_string());
    }
    let host = ["peer.hostname", "peer.ipv4", "peer.ipv6"]
        .iter()
        .find_map(|k| span.tag(k).filter(|h| !h.is_empty()))?;
    Some(match span.tag("peer.port").filter(|p| !p.is_empty()) {
        Some(port) if host.contains(':') => format!("[{host}]:{port}"),
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

pub fn convert_one<'a>(trace: RawTrace<'a>, out: &mut Sink<'_, 'a>) {
    let processes = trace.processes.unwrap_or_default();
    out.spans.reserve(trace.spans.len());
    for r in trace.spans {
        let (id, hex) = ids::hex_id(r.span_id.as_str());
        if !hex {
            out.non_hex(&id, "span id", r.span_id.as_str());
        }
        let raw_trace = r.trace_id.as_ref().or(trace.trace_id.as_ref());
        let raw_trace = raw_trace.map_or("", Str::as_str);
        let (trace_hex_id, hex) = ids::hex_id(raw_trace);
        if !hex {
            out.non_hex(&id, "trace id", raw_trace);
        }
        let mut refs: Vec<SpanRef> = Vec::new();
        for x in r.references.unwrap_or_default() {
            let kind = match x.ref_type.as_ref().map(Str::as_str) {
                Some("FOLLOWS_FROM") => RefKind::FollowsFrom,
                _ => RefKind::ChildOf,
            };
            let (parent, hex) = ids::hex_id(x.span_id.as_str());
            if !hex {
                out.non_hex(&id, "referenced span id", x.span_id.as_str());
            }
            refs.push(SpanRef {
                parent: Cow::Owned(parent),
                kind,
            });
        }
        if let Some(p) = r.parent_span_id.filter(|p| !p.as_str().is_empty()) {
            let (parent, hex) = ids::hex_id(p.as_str());
            if !is_zero(&parent) && !refs.iter().any(|x| x.parent == parent.as_str()) {
                if !hex {
                    out.non_hex(&id, "parent span id", p.as_str());
                }
                refs.push(SpanRef {
                    parent: Cow::Owned(parent),
                    kind: RefKind::ChildOf,
                });
            }
        }
        let service = match (&r.process, &r.process_id) {
            (Some(p), _) => p.service_name.as_ref().map(|s| s.as_str().to_string()),
            (None, Some(pid)) => match processes.get(pid) {
                Some(p) => p.service_name.as_ref().map(|s| s.as_str().to_string()),
                None => {
                    out.warn(
                        &id,
                        format!(
                            "process `{}` is not in the trace's processes; service left empty",
                            pid.as_str()
                        ),
                    );
                    None
                }
            },
            (None, None) => None,
        };
        let logs = r
            .logs
            .unwrap_or_default()
            .into_iter()
            .map(|l| Log {
                time_us: l.timestamp,
                fields: pairs(l.fields),
            })
            .collect();
        let mut span = Span {
            id: Cow::Owned(id),
            trace_id: Cow::Owned(trace_hex_id),
            service: Cow::Owned(service.unwrap_or_default()),
            name: cow(r.operation_name),
            kind: SpanKind::Internal,
            start_us: r.start_time,
            end_us: r.start_time.saturating_add(r.duration.unwrap_or(0)),
            refs,
            tags: pairs(r.tags),
            logs,
            error: false,
            peer: None,
            layer: None,
            component: None,
            segment: None,
        };
        span.kind = kind_of(&span);
        span.error =
            span.tag("error") == Some("true") || span.tag("otel.status_code") == Some("ERROR");
        span.peer = peer_of(&span).map(Cow::Owned);
        span.component = span
            .tag("otel.library.name")
            .or_else(|| span.tag("otel.scope.name"))
            .map(|c| Cow::Owned(c.to_string()));
        out.push(span);
    }
}
