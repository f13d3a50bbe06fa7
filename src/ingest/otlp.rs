//! OpenTelemetry OTLP JSON: one `ExportTraceServiceRequest`,
//! `resourceSpans[].scopeSpans[].spans[]` (`instrumentationLibrarySpans`
//! before OTLP 0.15).
//!
//! Two writers disagree on ids and enums: the OTLP/JSON spec writes ids in
//! hex and enums as numbers; protobuf's generic JSON mapping (what
//! `MessageToDict` gives) writes ids in base64 and enums by name. Both are
//! read. Attribute names are kept as written: lowering knows both the old
//! and the new semantic conventions.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::ids;
use super::json::{cow, text, Int, NumOrName, Str};
use super::sink::Sink;
use crate::model::{Log, RefKind, Span, SpanKind, SpanRef};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpans<'a> {
    #[serde(borrow)]
    resource: Option<Resource<'a>>,
    #[serde(borrow)]
    scope_spans: Option<Vec<ScopeSpans<'a>>>,
    #[serde(borrow)]
    instrumentation_library_spans: Option<Vec<ScopeSpans<'a>>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeSpans<'a> {
    #[serde(borrow)]
    scope: Option<Scope<'a>>,
    #[serde(borrow)]
    instrumentation_library: Option<Scope<'a>>,
    #[serde(borrow)]
    spans: Option<Vec<RawSpan<'a>>>,
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSpan<'a> {
    #[serde(borrow)]
    trace_id: Str<'a>,
    #[serde(borrow)]
    span_id: Str<'a>,
    #[serde(borrow)]
    parent_span_id: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    kind: Option<NumOrName<'a>>,
    start_time_unix_nano: Option<Int>,
    end_time_unix_nano: Option<Int>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(borrow)]
    events: Option<Vec<Event<'a>>>,
    #[serde(borrow)]
    links: Option<Vec<Link<'a>>>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Str<'a>,
    #[serde(borrow)]
    value: Option<AnyValue<'a>>,
}

/// Protobuf's `oneof`: exactly one field is set (none for an empty value).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyValue<'a> {
    #[serde(borrow)]
    string_value: Option<Str<'a>>,
    int_value: Option<Int>,
    /// A number, or a string (`"NaN"`, `"Infinity"`) in protobuf's mapping.
    #[serde(borrow)]
    double_value: Option<&'a RawValue>,
    bool_value: Option<bool>,
    #[serde(borrow)]
    bytes_value: Option<Str<'a>>,
    #[serde(borrow)]
    array_value: Option<ArrayValue<'a>>,
    #[serde(borrow)]
    kvlist_value: Option<KvList<'a>>,
}

#[derive(Deserialize)]
struct ArrayValue<'a> {
    #[serde(borrow)]
    values: Option<Vec<AnyValue<'a>>>,
}

#[derive(Deserialize)]
struct KvList<'a> {
    #[serde(borrow)]
    values: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    time_unix_nano: Option<Int>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Link<'a> {
    #[serde(borrow)]
    span_id: Str<'a>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    code: Option<NumOrName<'a>>,
}

/// A scalar as its text; arrays and key-value lists as JSON text.
fn value_text(v: &AnyValue<'_>) -> String {
    if let Some(s) = &v.string_value {
        s.as_str().to_string()
    } else if v.array_value.is_some() || v.kvlist_value.is_some() {
        let mut out = String::new();
        write_json(v, &mut out);
        out
    } else {
        let mut out = String::new();
        write_scalar(v, &mut out, false);
        out
    }
}

fn write_str_json(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// Writes a non-string scalar (`quote` strings inside JSON text).
fn write_scalar(v: &AnyValue<'_>, out: &mut String, quote: bool) {
    if let Some(s) = v.string_value.as_ref().or(v.bytes_value.as_ref()) {
        if quote {
            write_str_json(s.as_str(), out);
        } else {
            out.push_str(s.as_str());
        }
    } else if let Some(Int(n)) = v.int_value {
        out.push_str(&n.to_string());
    } else if let Some(d) = v.double_value {
        if quote && d.get().starts_with('"') {
            out.push_str(d.get());
        } else {
            out.push_str(&text(d));
        }
    } else if let Some(b) = v.bool_value {
        out.push_str(if b { "true" } else { "false" });
    } else if quote {
        out.push_str("null");
    }
}

/// Arrays and key-value lists in JSON, keys in the order written.
fn write_json(v: &AnyValue<'_>, out: &mut String) {
    if let Some(a) = &v.array_value {
        out.push('[');
        for (i, item) in a.values.iter().flatten().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json(item, out);
        }
        out.push(']');
    } else if let Some(kv) = &v.kvlist_value {
        out.push('{');
        for (i, item) in kv.values.iter().flatten().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str_json(item.key.as_str(), out);
            out.push(':');
            match &item.value {
                Some(v) => write_json(v, out),
                None => out.push_str("null"),
            }
        }
        out.push('}');
    } else {
        write_scalar(v, out, true);
    }
}

type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

fn attributes(attrs: Option<Vec<KeyValue<'_>>>) -> Pairs<'_> {
    attrs
        .unwrap_or_default()
        .into_iter()
        .map(|kv| {
            let value = kv.value.as_ref().map(value_text).unwrap_or_default();
            (kv.key.into_cow(), Cow::Owned(value))
        })
        .collect()
}

fn micros(ns: Option<Int>) -> i64 {
    ns.map_or(0, |Int(n)| n / 1000)
}

fn kind_of(kind: Option<&NumOrName<'_>>) -> Result<SpanKind, String> {
    Ok(match kind {
        None | Some(NumOrName::Num(0 | 1)) => SpanKind::Internal,
        Some(NumOrName::Num(2)) => SpanKind::Server,
        Some(NumOrName::Num(3)) => SpanKind::Client,
        Some(NumOrName::Num(4)) => SpanKind::Producer,
        Some(NumOrName::Num(5)) => SpanKind::Consumer,
        Some(NumOrName::Num(n)) => return Err(n.to_string()),
        Some(NumOrName::Name(name)) => match name.as_str() {
            "SPAN_KIND_UNSPECIFIED" | "SPAN_KIND_INTERNAL" => SpanKind::Internal,
            "SPAN_KIND_SERVER" => SpanKind::Server,
            "SPAN_KIND_CLIENT" => SpanKind::Client,
            "SPAN_KIND_PRODUCER" => SpanKind::Producer,
            "SPAN_KIND_CONSUMER" => SpanKind::Consumer,
            other => return Err(other.to_string()),
        },
    })
}

fn is_error(status: Option<&Status<'_>>) -> bool {
    match status.and_then(|s| s.code.as_ref()) {
        Some(NumOrName::Num(n)) => *n == 2,
        Some(NumOrName::Name(name)) => name.as_str() == "STATUS_CODE_ERROR",
        None => false,
    }
}

pub fn convert_one<'a>(rs: ResourceSpans<'a>, out: &mut Sink<'_, 'a>) {
    let service = rs
        .resource
        .and_then(|r| r.attributes)
        .unwrap_or_default()
        .iter()
        .find(|kv| kv.key.as_str() == "service.name")
        .and_then(|kv| kv.value.as_ref())
        .map(value_text)
        .unwrap_or_default();
    let scopes = rs.scope_spans.into_iter().flatten();
    let scopes = scopes.chain(rs.instrumentation_library_spans.into_iter().flatten());
    for ss in scopes {
        let component = ss
            .scope
            .or(ss.instrumentation_library)
            .and_then(|s| s.name)
            .map(Str::into_string);
        for r in ss.spans.unwrap_or_default() {
            let span = span(r, &service, &component, out);
            out.push(span);
        }
    }
}

fn span<'a>(
    r: RawSpan<'a>,
    service: &str,
    component: &Option<String>,
    out: &mut Sink<'_, 'a>,
) -> Span<'a> {
    let (id, hex) = ids::otlp_id(r.span_id.as_str(), 8);
    if !hex {
        out.non_hex(&id, "span id", r.span_id.as_str());
    }
    let (trace_id, hex) = ids::otlp_id(r.trace_id.as_str(), 16);
    if !hex {
        out.non_hex(&id, "trace id", r.trace_id.as_str());
    }
    let mut refs = Vec::new();
    if let Some(p) = r.parent_span_id.filter(|p| !p.as_str().is_empty()) {
        let (parent, hex) = ids::otlp_id(p.as_str(), 8);
        if !hex {
            out.non_hex(&id, "parent span id", p.as_str());
        }
        refs.push(SpanRef {
            parent: Cow::Owned(parent),
            kind: RefKind::ChildOf,
        });
    }
    for link in r.links.unwrap_or_default() {
        let follows = link.attributes.iter().flatten().any(|kv| {
            kv.key.as_str() == "opentracing.ref_type"
                && kv.value.as_ref().map(value_text).as_deref() == Some("follows_from")
        });
        if follows {
            let (parent, hex) = ids::otlp_id(link.span_id.as_str(), 8);
            if !hex {
                out.non_hex(&id, "linked span id", link.span_id.as_str());
            }
            refs.push(SpanRef {
                parent: Cow::Owned(parent),
                kind: RefKind::FollowsFrom,
            });
        }
    }
    let kind = kind_of(r.kind.as_ref()).unwrap_or_else(|bad| {
        out.warn(
            &id,
            format!("span kind `{bad}` is unknown; read as internal"),
        );
        SpanKind::Internal
    });
    let logs = r
        .events
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let mut fields = vec![(Cow::Borrowed("event"), cow(e.name))];
            fields.extend(attributes(e.attributes));
            Log {
                time_us: micros(e.time_unix_nano),
                fields,
            }
        })
        .collect();
    Span {
        id: Cow::Owned(id),
        trace_id: Cow::Owned(trace_id),
        service: Cow::Owned(service.to_string()),
        name: cow(r.name),
        kind,
        start_us: micros(r.start_time_unix_nano),
        end_us: micros(r.end_time_unix_nano),
        refs,
        tags: attributes(r.attributes),
        logs,
        error: is_error(r.status.as_ref()),
        peer: None,
        layer: None,
        component: component.clone().map(Cow::Owned),
        segment: None,
    }
}
