//! SkyWalking: the GraphQL `queryTrace` result, `data.trace.spans[]`.
//!
//! A span is numbered within its segment (one thread's work), so its id is
//! `<segmentId>-<spanId>`; `parentSpanId` points within the segment and
//! `refs` across segments: CROSS_PROCESS to the caller's Exit span,
//! CROSS_THREAD to the span that handed work to another thread.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

use super::json::{cow, Str};
use super::scan::{Field, Keys, Scan};
use super::sink::{Pairs, Pool, Sink};
use crate::model::{Log, RefKind, Span, SpanKind, SpanRef};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawSpan<'a> {
    #[serde(borrow)]
    trace_id: Str<'a>,
    #[serde(borrow)]
    segment_id: Str<'a>,
    span_id: i64,
    parent_span_id: Option<i64>,
    #[serde(borrow)]
    refs: Option<Vec<RawRef<'a>>>,
    #[serde(borrow)]
    service_code: Option<Str<'a>>,
    start_time: i64,
    end_time: i64,
    #[serde(borrow)]
    endpoint_name: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    peer: Option<Str<'a>>,
    #[serde(borrow)]
    component: Option<Str<'a>>,
    #[serde(borrow)]
    layer: Option<Str<'a>>,
    is_error: Option<bool>,
    #[serde(borrow, default, deserialize_with = "tag_pairs")]
    tags: Option<Pairs<'a>>,
    #[serde(borrow)]
    logs: Option<Vec<RawLog<'a>>>,
}

/// Tags read straight into the model's pairs.
fn tag_pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pairs<'de>>, D::Error> {
    let tags: Option<Vec<RawTag<'de>>> = Deserialize::deserialize(d)?;
    Ok(tags.map(pairs))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRef<'a> {
    #[serde(borrow)]
    parent_segment_id: Str<'a>,
    parent_span_id: i64,
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RawTag<'a> {
    #[serde(borrow)]
    key: Str<'a>,
    #[serde(borrow)]
    value: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RawLog<'a> {
    time: i64,
    #[serde(borrow)]
    data: Option<Vec<RawTag<'a>>>,
}

impl<'a> RawTag<'a> {
    /// The tag as the model keeps it: a missing value is empty.
    fn into_pair(self) -> (Cow<'a, str>, Cow<'a, str>) {
        (self.key.into_cow(), cow(self.value))
    }
}

fn pairs(tags: Vec<RawTag<'_>>) -> Pairs<'_> {
    tags.into_iter().map(RawTag::into_pair).collect()
}

/// The fields of a span [`scan_span`] reads, in the order the OAP server
/// writes them. `serviceInstanceName` is not read, but listed: found in
/// place and skipped, instead of read as an unknown key once a span.
const SPAN_KEYS: Keys<17> = Keys::new([
    "traceId",
    "segmentId",
    "spanId",
    "parentSpanId",
    "refs",
    "serviceCode",
    "serviceInstanceName",
    "startTime",
    "endTime",
    "endpointName",
    "type",
    "peer",
    "component",
    "isError",
    "layer",
    "tags",
    "logs",
]);

/// One span read straight off the text, as `RawSpan`'s `Deserialize` reads
/// it (same fields, required ones required, unknown ones skipped, a repeated
/// field refused); `None` wherever that would fail or the scanner gives up.
/// Tags go into a vector from `pool`.
pub fn scan_span<'a>(s: &mut Scan<'a>, pool: &mut Pool<'a>) -> Option<RawSpan<'a>> {
    let mut trace_id = None;
    let mut segment_id = None;
    let mut span_id = None;
    let mut parent_span_id = None;
    let mut refs = None;
    let mut service_code = None;
    let mut start_time = None;
    let mut end_time = None;
    let mut endpoint_name = None;
    let mut kind = None;
    let mut peer = None;
    let mut component = None;
    let mut layer = None;
    let mut is_error = None;
    let mut tags = None;
    let mut logs = None;
    s.object_with(&SPAN_KEYS, |s, key| match key {
        Field::Known(0) => once(&mut trace_id, Str(s.string()?)),
        Field::Known(1) => once(&mut segment_id, Str(s.string()?)),
        Field::Known(2) => once(&mut span_id, s.int()?),
        Field::Known(3) => once(&mut parent_span_id, opt(s, Scan::int)?),
        Field::Known(4) => once(&mut refs, opt(s, |s| list(s, scan_ref))?),
        Field::Known(5) => once(&mut service_code, opt_str(s)?),
        // serviceInstanceName
        Field::Known(6) => s.skip(),
        Field::Known(7) => once(&mut start_time, s.int()?),
        Field::Known(8) => once(&mut end_time, s.int()?),
        Field::Known(9) => once(&mut endpoint_name, opt_str(s)?),
        Field::Known(10) => once(&mut kind, opt_str(s)?),
        Field::Known(11) => once(&mut peer, opt_str(s)?),
        Field::Known(12) => once(&mut component, opt_str(s)?),
        Field::Known(13) => once(&mut is_error, opt(s, Scan::bool)?),
        Field::Known(14) => once(&mut layer, opt_str(s)?),
        Field::Known(15) => once(
            &mut tags,
            opt(s, |s| {
                list_into(s, pool.tags(), |s| scan_tag(s).map(RawTag::into_pair))
            })?,
        ),
        Field::Known(16) => once(&mut logs, opt(s, |s| list(s, scan_log))?),
        _ => s.skip(),
    })?;
    Some(RawSpan {
        trace_id: trace_id?,
        segment_id: segment_id?,
        span_id: span_id?,
        parent_span_id: parent_span_id.flatten(),
        refs: refs.flatten(),
        service_code: service_code.flatten(),
        start_time: start_time?,
        end_time: end_time?,
        endpoint_name: endpoint_name.flatten(),
        kind: kind.flatten(),
        peer: peer.flatten(),
        component: component.flatten(),
        layer: layer.flatten(),
        is_error: is_error.flatten(),
        tags: tags.flatten(),
        logs: logs.flatten(),
    })
}

/// Sets a field met for the first time; a repeated field is an error.
#[inline(always)]
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// An `Option<T>` field: `null` or a `T`.
#[inline]
fn opt<'a, T>(
    s: &mut Scan<'a>,
    read: impl FnOnce(&mut Scan<'a>) -> Option<T>,
) -> Option<Option<T>> {
    if s.null() {
        Some(None)
    } else {
        read(s).map(Some)
    }
}

#[inline]
fn opt_str<'a>(s: &mut Scan<'a>) -> Option<Option<Str<'a>>> {
    opt(s, |s| s.string().map(Str))
}

fn list<'a, T>(s: &mut Scan<'a>, read: fn(&mut Scan<'a>) -> Option<T>) -> Option<Vec<T>> {
    list_into(s, Vec::new(), read)
}

/// [`list`] appending to `out` (a vector kept from an earlier span).
fn list_into<'a, T>(
    s: &mut Scan<'a>,
    mut out: Vec<T>,
    mut read: impl FnMut(&mut Scan<'a>) -> Option<T>,
) -> Option<Vec<T>> {
    s.array(|s| {
        out.push(read(s)?);
        Some(())
    })?;
    Some(out)
}

fn scan_ref<'a>(s: &mut Scan<'a>) -> Option<RawRef<'a>> {
    let (mut segment, mut span, mut kind) = (None, None, None);
    // A ref's `traceId` (first) is not read.
    s.object_with(
        &const { Keys::new(["traceId", "parentSegmentId", "parentSpanId", "type"]) },
        |s, key| match key {
            Field::Known(1) => once(&mut segment, Str(s.string()?)),
            Field::Known(2) => once(&mut span, s.int()?),
            Field::Known(3) => once(&mut kind, opt_str(s)?),
            _ => s.skip(),
        },
    )?;
    Some(RawRef {
        parent_segment_id: segment?,
        parent_span_id: span?,
        kind: kind.flatten(),
    })
}

fn scan_tag<'a>(s: &mut Scan<'a>) -> Option<RawTag<'a>> {
    let (mut key, mut value) = (None, None);
    s.object_with(&const { Keys::new(["key", "value"]) }, |s, k| match k {
        Field::Known(0) => once(&mut key, Str(s.string()?)),
        Field::Known(1) => once(&mut value, opt_str(s)?),
        _ => s.skip(),
    })?;
    Some(RawTag {
        key: key?,
        value: value.flatten(),
    })
}

fn scan_log<'a>(s: &mut Scan<'a>) -> Option<RawLog<'a>> {
    let (mut time, mut data) = (None, None);
    s.object_with(&const { Keys::new(["time", "data"]) }, |s, k| match k {
        Field::Known(0) => once(&mut time, s.int()?),
        Field::Known(1) => once(&mut data, opt(s, |s| list(s, scan_tag))?),
        _ => s.skip(),
    })?;
    Some(RawLog {
        time: time?,
        data: data.flatten(),
    })
}

pub fn convert_one<'a>(r: RawSpan<'a>, out: &mut Sink<'_, 'a>) {
    let segment = r.segment_id.into_cow();
    // `<segmentId>-<spanId>`.
    let id = out.compose(&segment, '-', r.span_id);
    let mut refs = out.pool.refs();
    if let Some(p) = r.parent_span_id.filter(|&p| p >= 0) {
        refs.push(SpanRef {
            parent: out.compose(&segment, '-', p),
            kind: RefKind::ChildOf,
        });
    }
    for x in r.refs.unwrap_or_default() {
        let kind = match x.kind.as_ref().map(Str::as_str) {
            Some("CROSS_THREAD") => RefKind::FollowsFrom,
            Some("CROSS_PROCESS") => RefKind::ChildOf,
            other => {
                out.warn(
                        &id,
                        format!(
                            "ref type `{}` is neither CROSS_PROCESS nor CROSS_THREAD; read as CROSS_PROCESS",
                            other.unwrap_or("")
                        ),
                    );
                RefKind::ChildOf
            }
        };
        refs.push(SpanRef {
            parent: out.compose(x.parent_segment_id.as_str(), '-', x.parent_span_id),
            kind,
        });
    }
    let kind = match r.kind.as_ref().map(Str::as_str) {
        Some("Entry") => SpanKind::Server,
        Some("Exit") => SpanKind::Client,
        Some("Local") => SpanKind::Internal,
        other => {
            out.warn(
                &id,
                format!(
                    "span type `{}` is not Entry, Exit or Local; read as Local",
                    other.unwrap_or("")
                ),
            );
            SpanKind::Internal
        }
    };
    let logs = r
        .logs
        .unwrap_or_default()
        .into_iter()
        .map(|l| Log {
            time_us: l.time.saturating_mul(1000),
            fields: l.data.map(pairs).unwrap_or_default(),
        })
        .collect();
    out.push(Span {
        trace_id: r.trace_id.into_cow(),
        service: cow(r.service_code),
        name: cow(r.endpoint_name),
        kind,
        start_us: r.start_time.saturating_mul(1000),
        end_us: r.end_time.saturating_mul(1000),
        refs,
        tags: r.tags.unwrap_or_default(),
        logs,
        error: r.is_error.unwrap_or(false),
        peer: r.peer.map(Str::into_cow).filter(|p| !p.is_empty()),
        layer: r.layer.map(Str::into_cow),
        component: r.component.map(Str::into_cow),
        segment: Some((segment, r.span_id)),
        id,
    });
}
