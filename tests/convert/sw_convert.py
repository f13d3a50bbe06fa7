#!/usr/bin/env python3
"""Convert SkyWalking `queryTrace` exports into Jaeger, Zipkin and OTLP JSON.

Why this exists: rulecheck reads four trace formats, but the real traces we
have (TrainTicket, ../shared/traces) exist only as SkyWalking exports. The
integration test converts them at test time (fixtures from ../shared are
never committed) and checks that all four variants lower to the same spans,
parent/calls edges and row accesses. So this converter must keep the trace
structure exactly, and write each format the way its real producers do
(Jaeger query API, Brave/Zipkin v2 with shared client/server ids, the
OpenTelemetry Collector's file exporter with base64 ids and enum names).

Output, one file per input file:
  OUT_DIR/jaeger/<name>.json      Jaeger query API document
  OUT_DIR/zipkin/<name>.json.gz   Zipkin v2 span array, gzipped
  OUT_DIR/otlp/<name>.jsonl       OTLP export requests, one per segment and line

The mapping is documented in README.md next to this file. Output is
deterministic: ids are hashes of the SkyWalking ids, gzip carries no time.
Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import sys
from dataclasses import dataclass, field

# ---------------------------------------------------------------- ids


def span_hex(segment_id: str, span_id: int) -> str:
    """16 hex digits standing for SkyWalking span `<segmentId>-<spanId>`."""
    return hashlib.sha1(f"{segment_id}-{span_id}".encode()).hexdigest()[:16]


def trace_hex(trace_id: str) -> str:
    """32 hex digits standing for a SkyWalking trace id."""
    return hashlib.sha1(trace_id.encode()).hexdigest()[:32]


def b64(hex_id: str) -> str:
    """OTLP's protobuf JSON mapping writes bytes fields as base64."""
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


# ---------------------------------------------------------------- SQL binding


def placeholder_positions(statement: str) -> list[int]:
    """Offsets of `?` placeholders, skipping quoted strings and identifiers.

    A `?` inside '...', "..." or `...` is text, not a parameter; doubled
    quotes inside them are escapes.
    """
    out = []
    i, n = 0, len(statement)
    while i < n:
        ch = statement[i]
        if ch in "'\"`":
            j = i + 1
            while j < n:
                if statement[j] == ch:
                    if j + 1 < n and statement[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            continue
        if ch == "?":
            out.append(i)
        i += 1
    return out


def split_sw_params(text: str) -> list[str]:
    """SkyWalking's Java agent writes `[v1,v2,…]`, unquoted, untrimmed."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.split(",")


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def bind_sql(statement: str, params: str) -> str:
    """Binds SkyWalking parameters into the statement, as OTel records SQL.

    Left to right, one piece per placeholder; where there are more pieces
    than placeholders the rest are joined (with `,`) into the last one, the
    same resolution rulecheck applies to the SkyWalking original. A
    placeholder without a piece stays `?`.
    """
    positions = placeholder_positions(statement)
    if not positions:
        return statement
    pieces = split_sw_params(params)
    if len(pieces) > len(positions):
        k = len(positions) - 1
        pieces = pieces[:k] + [",".join(pieces[k:])]
    out = []
    last = 0
    for pos, piece in zip(positions, pieces):
        out.append(statement[last:pos])
        out.append(sql_literal(piece))
        last = pos + 1
    out.append(statement[last:])
    return "".join(out)


# ---------------------------------------------------------------- model


@dataclass
class Ref:
    """A parent reference, in converted (hex) ids."""

    trace: str
    span: str
    follows: bool  # CROSS_THREAD → follows-from
    sw_parent: tuple[str, int]


@dataclass
class SwSpan:
    key: tuple[str, int]  # (segmentId, spanId)
    id: str
    trace: str
    service: str
    instance: str
    name: str
    kind: str  # server | client | internal
    start_ms: int
    end_ms: int
    component: str
    peer: str
    error: bool
    tags: list[tuple[str, str]]
    logs: list[tuple[int, list[tuple[str, str]]]]
    refs: list[Ref] = field(default_factory=list)


KINDS = {"Entry": "server", "Exit": "client", "Local": "internal"}


class InputError(Exception):
    pass


def _field(obj: dict, name: str, typ: type, where: str):
    if name not in obj:
        raise InputError(f"{where}: missing field `{name}`")
    value = obj[name]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise InputError(f"{where}: field `{name}` is {value!r}, not {typ.__name__}")
    return value


def parse_spans(doc, where: str) -> list[SwSpan]:
    """The spans of one `queryTrace` result, checked field by field."""
    try:
        raw = doc["data"]["trace"]["spans"]
    except (KeyError, TypeError):
        raise InputError(f"{where}: not a SkyWalking queryTrace result (no data.trace.spans)")
    if not isinstance(raw, list):
        raise InputError(f"{where}: data.trace.spans is not a list")
    spans = []
    for n, s in enumerate(raw):
        at = f"{where} span #{n}"
        if not isinstance(s, dict):
            raise InputError(f"{at}: not an object")
        seg = _field(s, "segmentId", str, at)
        sid = _field(s, "spanId", int, at)
        at = f"{where} span {seg}-{sid}"
        trace = _field(s, "traceId", str, at)
        parent_sid = _field(s, "parentSpanId", int, at)
        kind = KINDS.get(_field(s, "type", str, at))
        if kind is None:
            raise InputError(f"{at}: unknown span type {s['type']!r}")
        tags = []
        for t in s.get("tags") or []:
            if not isinstance(t, dict) or not isinstance(t.get("key"), str):
                raise InputError(f"{at}: tag {t!r} is not {{key, value}}")
            value = t.get("value")
            tags.append((t["key"], "" if value is None else str(value)))
        logs = []
        for log in s.get("logs") or []:
            if not isinstance(log, dict):
                raise InputError(f"{at}: log {log!r} is not an object")
            fields = [
                (str(d.get("key", "")), "" if d.get("value") is None else str(d.get("value")))
                for d in log.get("data") or []
                if isinstance(d, dict)
            ]
            logs.append((int(log.get("time") or 0), fields))
        span = SwSpan(
            key=(seg, sid),
            id=span_hex(seg, sid),
            trace=trace_hex(trace),
            service=str(s.get("serviceCode") or ""),
            instance=str(s.get("serviceInstanceName") or ""),
            name=str(s.get("endpointName") or ""),
            kind=kind,
            start_ms=_field(s, "startTime", int, at),
            end_ms=_field(s, "endTime", int, at),
            component=str(s.get("component") or ""),
            peer=str(s.get("peer") or ""),
            error=bool(s.get("isError")),
            tags=tags,
            logs=logs,
        )
        # Same-thread parent first: it is the one Zipkin/OTLP keep.
        if parent_sid >= 0:
            span.refs.append(Ref(span.trace, span_hex(seg, parent_sid), False, (seg, parent_sid)))
        for r in s.get("refs") or []:
            if not isinstance(r, dict):
                raise InputError(f"{at}: ref {r!r} is not an object")
            pseg = _field(r, "parentSegmentId", str, at + " ref")
            psid = _field(r, "parentSpanId", int, at + " ref")
            rtrace = r.get("traceId") if isinstance(r.get("traceId"), str) else trace
            follows = r.get("type") == "CROSS_THREAD"
            span.refs.append(Ref(trace_hex(rtrace), span_hex(pseg, psid), follows, (pseg, psid)))
        spans.append(span)
    return spans


# ---------------------------------------------------------------- tags


def split_peer(peer: str) -> tuple[str, int | None]:
    host, sep, port = peer.rpartition(":")
    if sep and port.isdigit() and host:
        return host.strip("[]"), int(port)
    return peer, None


def db_system(value: str, component: str) -> str:
    system = value.lower()
    if system == "sql":
        system = "mysql" if "mysql" in component.lower() else "other_sql"
    return system


OLD_NAMES = {
    "url": "http.url",
    "db.instance": "db.name",
}
NEW_NAMES = {
    "url": "url.full",
    "http.method": "http.request.method",
    "http.status_code": "http.response.status_code",
    "db.instance": "db.namespace",
    "db.statement": "db.query.text",
    "http.param": "http.request.body",
    "http.response": "http.response.body",
}


def converted_tags(span: SwSpan, new_names: bool, statement_key: str = "db.statement"):
    """Tags renamed for the target convention; SQL parameters bound.

    Returns (key, value) pairs with values as text; typing is per format.
    """
    names = NEW_NAMES if new_names else OLD_NAMES
    first = {}
    for k, v in span.tags:
        first.setdefault(k, v)
    params = first.get("db.sql.parameters")
    has_statement = "db.statement" in first
    out = []
    for k, v in span.tags:
        if k == "db.sql.parameters" and has_statement:
            continue
        if k == "db.statement":
            if params is not None:
                v = bind_sql(v, params)
            out.append(("db.query.text" if new_names else statement_key, v))
        elif k == "db.type":
            out.append(("db.system.name" if new_names else "db.system", db_system(v, span.component)))
        else:
            out.append((names.get(k, k), v))
    if span.peer:
        host, port = split_peer(span.peer)
        out.append(("server.address" if new_names else "net.peer.name", host))
        if port is not None:
            out.append(("server.port" if new_names else "net.peer.port", str(port)))
    return out


INT_TAGS = {"http.status_code", "http.response.status_code", "net.peer.port", "server.port"}


def is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


# ---------------------------------------------------------------- Jaeger


def to_jaeger(spans: list[SwSpan]) -> dict:
    traces: dict[str, dict] = {}
    for s in spans:
        t = traces.setdefault(s.trace, {"spans": [], "processes": {}, "keys": {}})
        pkey = (s.service, s.instance)
        if pkey not in t["keys"]:
            pid = f"p{len(t['keys']) + 1}"
            t["keys"][pkey] = pid
            ptags = []
            if s.instance:
                ptags.append({"key": "service.instance.id", "type": "string", "value": s.instance})
                ip = s.instance.rpartition("@")[2]
                if "@" in s.instance and ip:
                    ptags.append({"key": "ip", "type": "string", "value": ip})
            t["processes"][pid] = {"serviceName": s.service, "tags": ptags}
        tags = [{"key": "span.kind", "type": "string", "value": s.kind}]
        if s.component:
            tags.append({"key": "component", "type": "string", "value": s.component})
        for k, v in converted_tags(s, new_names=False):
            if k in INT_TAGS and is_int(v):
                tags.append({"key": k, "type": "int64", "value": int(v)})
            else:
                tags.append({"key": k, "type": "string", "value": v})
        if s.error:
            tags.append({"key": "error", "type": "bool", "value": True})
        t["spans"].append(
            {
                "traceID": s.trace,
                "spanID": s.id,
                "flags": 1,
                "operationName": s.name,
                "references": [
                    {
                        "refType": "FOLLOWS_FROM" if r.follows else "CHILD_OF",
                        "traceID": r.trace,
                        "spanID": r.span,
                    }
                    for r in s.refs
                ],
                "startTime": s.start_ms * 1000,
                "duration": (s.end_ms - s.start_ms) * 1000,
                "tags": tags,
                "logs": [
                    {
                        "timestamp": time * 1000,
                        "fields": [{"key": k, "type": "string", "value": v} for k, v in fields],
                    }
                    for time, fields in s.logs
                ],
                "processID": t["keys"][pkey],
                "warnings": None,
            }
        )
    return {
        "data": [
            {"traceID": tid, "spans": t["spans"], "processes": t["processes"], "warnings": None}
            for tid, t in traces.items()
        ],
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }


# ---------------------------------------------------------------- Zipkin


def zipkin_ids(spans: list[SwSpan]) -> tuple[dict, set]:
    """Zipkin ids per SkyWalking span, Brave style.

    An Entry span whose CROSS_PROCESS parent is an Exit span takes that
    client span's id (the server half of a shared span). Readers tell the
    halves' children apart by service name, so an Entry shares only where
    that is unambiguous: it is the Exit's one child of its service, the
    services differ, and each of its own children is of its service. Other
    Entry spans (a retried call, a call to the same service) keep their ids.
    """
    by_key = {s.key: s for s in spans}
    children: dict[tuple[str, int], list[SwSpan]] = {}
    for s in spans:
        if s.refs:
            children.setdefault(s.refs[0].sw_parent, []).append(s)
    zid = {s.key: s.id for s in spans}
    shared = set()
    for s in spans:
        if s.kind != "server" or not s.refs or s.refs[0].follows:
            continue
        client = by_key.get(s.refs[0].sw_parent)
        if (
            client is not None
            and client.kind == "client"
            and client.service != s.service
            and client.trace == s.trace
            and [c.key for c in children[client.key] if c.service == s.service] == [s.key]
            and all(c.service == s.service for c in children.get(s.key, []))
        ):
            shared.add(s.key)
            zid[s.key] = client.id
    return zid, shared


def zipkin_annotation(fields: list[tuple[str, str]]) -> str:
    if len(fields) == 1 and fields[0][0] == "event":
        return fields[0][1]
    return " ".join(f"{k}={v}" for k, v in fields)


def to_zipkin(spans: list[SwSpan]) -> list[dict]:
    by_key = {s.key: s for s in spans}
    zid, shared = zipkin_ids(spans)
    out = []
    db_spans = 0
    for s in spans:
        z: dict = {"traceId": s.trace}
        if s.key in shared:
            # Brave: the server half repeats the client's id and parent.
            client = by_key[s.refs[0].sw_parent]
            parent = zid.get(client.refs[0].sw_parent, client.refs[0].span) if client.refs else None
        elif s.refs:
            parent = zid.get(s.refs[0].sw_parent, s.refs[0].span)
        else:
            parent = None
        if parent is not None:
            z["parentId"] = parent
        z["id"] = zid[s.key]
        if s.kind != "internal":
            z["kind"] = s.kind.upper()
        z["name"] = s.name
        z["timestamp"] = s.start_ms * 1000
        if s.end_ms > s.start_ms:
            z["duration"] = (s.end_ms - s.start_ms) * 1000
        local = {"serviceName": s.service}
        ip = s.instance.rpartition("@")[2] if "@" in s.instance else ""
        if ip.count(".") == 3 and ip.replace(".", "").isdigit():
            local["ipv4"] = ip
        z["localEndpoint"] = local
        if s.peer:
            host, port = split_peer(s.peer)
            remote: dict = {"serviceName": host}
            if port is not None:
                remote["port"] = port
            z["remoteEndpoint"] = remote
        if s.logs:
            z["annotations"] = [
                {"timestamp": time * 1000, "value": zipkin_annotation(fields)}
                for time, fields in s.logs
            ]
        # Brave's JDBC instrumentation names the statement `sql.query`;
        # every other database span uses it so both paths are exercised.
        key = "db.statement"
        if any(k == "db.statement" for k, _ in s.tags):
            if db_spans % 2 == 1:
                key = "sql.query"
            db_spans += 1
        tags: dict[str, str] = {}
        if s.component:
            tags["component"] = s.component
        for k, v in converted_tags(s, new_names=False, statement_key=key):
            tags.setdefault(k, v)
        if s.error:
            tags["error"] = "true"
        z["tags"] = tags
        if s.key in shared:
            z["shared"] = True
        out.append(z)
    return out


# ---------------------------------------------------------------- OTLP


def otlp_value(key: str, value: str) -> dict:
    if key in INT_TAGS and is_int(value):
        return {"intValue": str(int(value))}  # int64 is a string in proto JSON
    return {"stringValue": value}


def otlp_span(s: SwSpan) -> dict:
    o: dict = {"traceId": b64(s.trace), "spanId": b64(s.id)}
    if s.refs:
        o["parentSpanId"] = b64(s.refs[0].span)
    o["name"] = s.name
    o["kind"] = {
        "server": "SPAN_KIND_SERVER",
        "client": "SPAN_KIND_CLIENT",
        "internal": "SPAN_KIND_INTERNAL",
    }[s.kind]
    o["startTimeUnixNano"] = str(s.start_ms * 1_000_000)
    o["endTimeUnixNano"] = str(s.end_ms * 1_000_000)
    attrs = [{"key": k, "value": otlp_value(k, v)} for k, v in converted_tags(s, new_names=True)]
    if attrs:
        o["attributes"] = attrs
    if s.logs:
        o["events"] = [
            {
                "timeUnixNano": str(time * 1_000_000),
                "name": dict(fields).get("event", "log"),
                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in fields],
            }
            for time, fields in s.logs
        ]
    # OTLP has no follows-from: an asynchronous parent is the parent and
    # also a link marked with OpenTracing's ref type; further refs are links.
    links = []
    for n, r in enumerate(s.refs):
        if n == 0 and not r.follows:
            continue
        links.append(
            {
                "traceId": b64(r.trace),
                "spanId": b64(r.span),
                "attributes": [
                    {
                        "key": "opentracing.ref_type",
                        "value": {"stringValue": "follows_from" if r.follows else "child_of"},
                    }
                ],
            }
        )
    if links:
        o["links"] = links
    o["status"] = {"code": "STATUS_CODE_ERROR"} if s.error else {}
    return o


def otlp_request(spans: list[SwSpan]) -> dict:
    """One export request: a resourceSpans per service instance, a scope per component."""
    resources: dict[tuple[str, str], dict[str, list]] = {}
    for s in spans:
        scopes = resources.setdefault((s.service, s.instance), {})
        scopes.setdefault(s.component, []).append(otlp_span(s))
    out = []
    for (service, instance), scopes in resources.items():
        attrs = [{"key": "service.name", "value": {"stringValue": service}}]
        if instance:
            attrs.append({"key": "service.instance.id", "value": {"stringValue": instance}})
        out.append(
            {
                "resource": {"attributes": attrs},
                "scopeSpans": [
                    {"scope": {"name": comp} if comp else {}, "spans": ss}
                    for comp, ss in scopes.items()
                ],
            }
        )
    return {"resourceSpans": out}


def to_otlp_lines(spans: list[SwSpan]) -> list[str]:
    """One export request per SkyWalking segment, as an agent reports them."""
    segments: dict[str, list[SwSpan]] = {}
    for s in spans:
        segments.setdefault(s.key[0], []).append(s)
    return [dumps(otlp_request(ss)) for ss in segments.values()]


# ---------------------------------------------------------------- files


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def read_docs(path: str) -> list:
    """A file's SkyWalking documents: one JSON document, or one per line."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as whole:
        docs = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as e:
                if n == 1:
                    raise InputError(f"{path}: invalid JSON: {whole}")
                raise InputError(f"{path}:{n}: invalid JSON: {e}")
        return docs


def stem(name: str) -> str:
    for suffix in (".gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def write_gzip(path: str, text: str) -> None:
    buf = io.BytesIO()
    # No file name or time in the header: the same input gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def convert_file(path: str, out_dir: str) -> int:
    spans: list[SwSpan] = []
    for n, doc in enumerate(read_docs(path)):
        spans.extend(parse_spans(doc, path if n == 0 else f"{path} document {n + 1}"))
    name = stem(os.path.basename(path))
    write_text(os.path.join(out_dir, "jaeger", name + ".json"), dumps(to_jaeger(spans)) + "\n")
    write_gzip(os.path.join(out_dir, "zipkin", name + ".json.gz"), dumps(to_zipkin(spans)) + "\n")
    lines = to_otlp_lines(spans)
    write_text(os.path.join(out_dir, "otlp", name + ".jsonl"), "".join(l + "\n" for l in lines))
    return len(spans)


def source_files(src_dir: str) -> list[str]:
    def is_trace(name: str) -> bool:
        plain = name.removesuffix(".gz")
        return plain.endswith((".json", ".jsonl")) and os.path.isfile(os.path.join(src_dir, name))

    names = sorted(n for n in os.listdir(src_dir) if is_trace(n))
    return [os.path.join(src_dir, n) for n in names]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Convert every SkyWalking queryTrace JSON file in SRC_DIR into "
        "Jaeger (OUT_DIR/jaeger/*.json), Zipkin v2 (OUT_DIR/zipkin/*.json.gz) and "
        "OTLP JSON (OUT_DIR/otlp/*.jsonl, one export request per segment and line).",
        epilog="Mapping: tests/convert/README.md. Exit 1 if any file could not be converted "
        "(the others are still written).",
    )
    ap.add_argument("src_dir", metavar="SRC_DIR", help="folder of SkyWalking .json/.jsonl(.gz) files")
    ap.add_argument("out_dir", metavar="OUT_DIR", help="output folder (created)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.src_dir):
        print(f"error: {args.src_dir}: not a folder", file=sys.stderr)
        return 2
    files = source_files(args.src_dir)
    if not files:
        print(f"error: {args.src_dir}: no .json/.jsonl file", file=sys.stderr)
        return 2
    for sub in ("jaeger", "zipkin", "otlp"):
        os.makedirs(os.path.join(args.out_dir, sub), exist_ok=True)
    failed = 0
    total = 0
    for path in files:
        try:
            total += convert_file(path, args.out_dir)
        except (InputError, OSError, UnicodeDecodeError) as e:
            failed += 1
            print(f"error: {e}", file=sys.stderr)
    if not args.quiet:
        print(f"{len(files) - failed} files, {total} spans converted to {args.out_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
