//! Zipkin v2 JSON: an array of spans.
//!
//! Zipkin reports one RPC's client and server halves under one id (the
//! server's with `shared: true`) and lets a tracer report a span in several
//! fragments. As Zipkin's own UI does, fragments (same id, same `shared`)
//! are merged, and a shared server half becomes its own span `<id>-server`,
//! child of the client half, so that each span has one id.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::ids;
use super::json::{Entries, Str};
use super::sink::Sink;
use crate::model::{Log, RefKind, Span, SpanKind, SpanRef};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawSpan<'a> {
    #[serde(borrow)]
    trace_id: Str<'a>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    parent_id: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    timestamp: Option<i64>,
    duration: Option<i64>,
    #[serde(borrow)]
    local_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow)]
    remote_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow)]
    annotations: Option<Vec<Annotation<'a>>>,
    #[serde(borrow)]
    tags: Option<Entries<'a>>,
    shared: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint<'a> {
    #[serde(borrow)]
    service_name: Option<Str<'a>>,
    #[serde(borrow)]
    ipv4: Option<Str<'a>>,
    #[serde(borrow)]
    ipv6: Option<Str<'a>>,
    port: Option<i64>,
}

#[derive(Deserialize)]
struct Annotation<'a> {
    timestamp: i64,
    #[serde(borrow)]
    value: Str<'a>,
}

/// One span while its fragments are merged: times stay optional until the
/// end so that a fragment without them does not pull the span to zero.
pub struct Part<'a> {
    span: Span<'a>,
    parent: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    kind: Option<SpanKind>,
    shared: bool,
    /// The server half renamed `<id>-server`; its parent is its client half.
    server_half: bool,
}

fn endpoint_address(e: &Endpoint<'_>) -> Option<String> {
    let (host, v6) = match (&e.ipv4, &e.ipv6, &e.service_name) {
        (Some(h), _, _) if !h.as_str().is_empty() => (h.as_str(), false),
        (_, Some(h), _) if !h.as_str().is_empty() => (h.as_str(), true),
        (_, _, Some(h)) if !h.as_str().is_empty() => (h.as_str(), false),
        _ => return None,
    };
    Some(match e.port.filter(|&p| p > 0) {
        Some(port) if v6 => format!("[{host}]:{port}"),
        Some(port) => ids::with_number(host, ':', port),
        None => host.to_string(),
    })
}

pub fn part<'a>(r: RawSpan<'a>, out: &mut Sink<'_, 'a>) -> Part<'a> {
    let (id, hex) = ids::hex_id(r.id.as_str());
    if !hex {
        out.non_hex(&id, "span id", r.id.as_str());
    }
    let (trace_id, hex) = ids::hex_id(r.trace_id.as_str());
    if !hex {
        out.non_hex(&id, "trace id", r.trace_id.as_str());
    }
    let parent = r.parent_id.filter(|p| !p.as_str().is_empty()).map(|p| {
        let (parent, hex) = ids::hex_id(p.as_str());
        if !hex {
            out.non_hex(&id, "parent id", p.as_str());
        }
        parent
    });
    let kind = match r.kind.as_ref().map(Str::as_str) {
        None => None,
        Some("CLIENT") => Some(SpanKind::Client),
        Some("SERVER") => Some(SpanKind::Server),
        Some("PRODUCER") => Some(SpanKind::Producer),
        Some("CONSUMER") => Some(SpanKind::Consumer),
        Some(other) => {
            out.warn(
                &id,
                format!(
                    "kind `{other}` is not CLIENT, SERVER, PRODUCER or CONSUMER; read as local"
                ),
            );
            None
        }
    };
    let tags: Vec<(Cow<'a, str>, Cow<'a, str>)> = r
        .tags
        .unwrap_or_default()
        .0
        .into_iter()
        .map(|(k, v)| (k.into_cow(), v.into_cow()))
        .collect();
    let logs: Vec<Log> = r
        .annotations
        .unwrap_or_default()
        .into_iter()
        .map(|a| Log {
            time_us: a.timestamp,
            fields: vec![(Cow::Borrowed("event"), a.value.into_cow())],
        })
        .collect();
    let service = r
        .local_endpoint
        .as_ref()
        .and_then(|e| e.service_name.as_ref())
        .map(|s| Cow::Owned(s.as_str().to_string()))
        .unwrap_or_default();
    let start = r.timestamp.filter(|&t| t > 0);
    Part {
        span: Span {
            id: Cow::Owned(id),
            trace_id: Cow::Owned(trace_id),
            service,
            name: r.name.map(Str::into_cow).unwrap_or_default(),
            kind: SpanKind::Internal,
            start_us: 0,
            end_us: 0,
            refs: Vec::new(),
            error: tags.iter().any(|(k, _)| k == "error"),
            tags,
            logs,
            peer: r
                .remote_endpoint
                .as_ref()
                .and_then(endpoint_address)
                .map(Cow::Owned),
            layer: None,
            component: None,
            segment: None,
        },
        parent,
        end: start.map(|s| s.saturating_add(r.duration.unwrap_or(0))),
        start,
        kind,
        shared: r.shared.unwrap_or(false),
        server_half: false,
    }
}

/// Unites a later fragment into the first one: what the first lacks is
/// filled, tags and annotations are united, times widened.
fn merge<'a>(into: &mut Part<'a>, from: Part<'a>) {
    let (a, b) = (&mut into.span, from.span);
    if a.name.is_empty() {
        a.name = b.name;
    }
    if a.service.is_empty() {
        a.service = b.service;
    }
    if a.peer.is_none() {
        a.peer = b.peer;
    }
    a.error |= b.error;
    for (k, v) in b.tags {
        if !a.tags.iter().any(|(k2, _)| *k2 == k) {
            a.tags.push((k, v));
        }
    }
    for log in b.logs {
        if !a.logs.contains(&log) {
            a.logs.push(log);
        }
    }
    into.parent = into.parent.take().or(from.parent);
    into.kind = into.kind.or(from.kind);
    into.start = match (into.start, from.start) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    into.end = into.end.max(from.end);
}

/// Merges fragments, splits shared halves and emits the spans.
pub fn finish<'a>(fragments: Vec<Part<'a>>, out: &mut Sink<'_, 'a>) {
    let mut parts: Vec<Part<'a>> = Vec::with_capacity(fragments.len());
    // Per id: the part index of its unshared and of its shared fragments.
    let mut index: FxHashMap<String, [Option<usize>; 2]> = FxHashMap::default();
    for p in fragments {
        let shared = p.shared as usize;
        match index.get_mut(p.span.id.as_ref()) {
            Some(slots) => match slots[shared] {
                Some(i) => merge(&mut parts[i], p),
                None => {
                    slots[shared] = Some(parts.len());
                    parts.push(p);
                }
            },
            None => {
                let mut slots = [None, None];
                slots[shared] = Some(parts.len());
                index.insert(p.span.id.to_string(), slots);
                parts.push(p);
            }
        }
    }

    // A shared half whose id is also reported unshared is the server side of
    // that client span: give it its own id, and move under it the children
    // that ran in its service.
    let mut server_of: FxHashMap<String, String> = FxHashMap::default();
    for p in &mut parts {
        if p.shared
            && index
                .get(p.span.id.as_ref())
                .is_some_and(|slots| slots[0].is_some())
        {
            let client = std::mem::take(&mut p.span.id).into_owned();
            p.span.id = Cow::Owned(format!("{client}-server"));
            p.parent = Some(client.clone());
            p.server_half = true;
            server_of.insert(client, p.span.service.to_string());
        }
    }

    out.spans.reserve(parts.len());
    for mut p in parts {
        if let Some(parent) = p.parent.take() {
            let parent = match server_of.get(&parent) {
                Some(service) if *service == p.span.service && !p.server_half => {
                    format!("{parent}-server")
                }
                _ => parent,
            };
            p.span.refs.push(SpanRef {
                parent: Cow::Owned(parent),
                kind: RefKind::ChildOf,
            });
        }
        p.span.logs.sort_by_key(|l| l.time_us);
        let first = p.span.logs.first().map(|l| l.time_us);
        let last = p.span.logs.last().map(|l| l.time_us);
        p.span.start_us = p.start.or(first).unwrap_or(0);
        p.span.end_us = p.end.or(last).unwrap_or(0).max(p.span.start_us);
        p.span.kind = p.kind.unwrap_or(SpanKind::Internal);
        out.push(p.span);
    }
}
