#!/usr/bin/env python3
"""Check that sw_convert.py kept the traces' structure, format by format.

Why this exists: until rulecheck has its Jaeger, Zipkin and OTLP readers,
nothing else proves the converted files say the same thing as the
SkyWalking originals. This script reads each output format on its own
(as DESIGN.md says the readers will: base64 ids decoded, Zipkin's shared
server half as `<id>-server` with its children resolved by service name,
FOLLOWS_FROM / follows-from links as asynchronous parents) and compares, per
span, what rulecheck lowers: service, name, kind, times, parent edges and
their kind, the bound SQL statement and its database instance, HTTP method,
URL, status and bodies, error flag and log count. Jaeger and OTLP keep the
converted ids, so they are compared id by id; Zipkin renames server halves,
so it is compared by span content with parents replaced by their content.

Usage: check.py SRC_DIR OUT_DIR   (OUT_DIR as written by sw_convert.py)
Exit 0 when every format matches, 1 otherwise, with the differences.
Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sw_convert  # noqa: E402  (the id mapping and SQL binding under test)

FIELDS = ("trace", "service", "name", "kind", "start", "end", "error", "logs", "db", "http", "body")


def rec(**kw) -> dict:
    """A span as rulecheck lowers it; `parents` is a sorted list of (id, follows)."""
    r = {f: kw.get(f) for f in FIELDS}
    r["id"] = kw["id"]
    r["parents"] = sorted(set(kw.get("parents", [])))
    return r


def peer_of(host, port) -> str:
    if not host:
        return ""
    return f"{host}:{port}" if port not in (None, "") else str(host)


def db_of(statement, peer, name):
    if statement is None and name is None:
        return None
    return (statement, f"{peer}/{name or ''}")


# ------------------------------------------------------------ SkyWalking (expected)


def read_skywalking(src_dir: str, zipkin: bool = False) -> list[dict]:
    """The expected spans; `zipkin`: as Zipkin can say it (one parent, no follows-from)."""
    out = []
    for path in sw_convert.source_files(src_dir):
        for doc in sw_convert.read_docs(path):
            for s in doc["data"]["trace"]["spans"]:
                tags = {}
                for t in s["tags"]:
                    tags.setdefault(t["key"], t["value"])
                parents = []
                if s["parentSpanId"] >= 0:
                    parents.append((sw_convert.span_hex(s["segmentId"], s["parentSpanId"]), False))
                for r in s["refs"]:
                    parents.append(
                        (sw_convert.span_hex(r["parentSegmentId"], r["parentSpanId"]), r["type"] == "CROSS_THREAD")
                    )
                if zipkin:
                    parents = [(p, False) for p, _ in parents[:1]]
                statement = tags.get("db.statement")
                if statement is not None and "db.sql.parameters" in tags:
                    statement = sw_convert.bind_sql(statement, tags["db.sql.parameters"])
                http = None
                if "http.method" in tags:
                    http = (tags["http.method"], tags.get("url"), tags.get("http.status_code"))
                body = None
                if "http.param" in tags or "http.response" in tags:
                    body = (tags.get("http.param"), tags.get("http.response"))
                out.append(
                    rec(
                        id=sw_convert.span_hex(s["segmentId"], s["spanId"]),
                        trace=sw_convert.trace_hex(s["traceId"]),
                        service=s["serviceCode"],
                        name=s["endpointName"],
                        kind=sw_convert.KINDS[s["type"]],
                        start=s["startTime"] * 1000,
                        end=s["endTime"] * 1000,
                        error=bool(s["isError"]),
                        logs=len(s["logs"]),
                        db=db_of(statement, s["peer"], tags.get("db.instance")),
                        http=http,
                        body=body,
                        parents=parents,
                    )
                )
    return out


# ------------------------------------------------------------ Jaeger


def read_jaeger(folder: str) -> list[dict]:
    out = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            doc = json.load(f)
        for trace in doc["data"]:
            for s in trace["spans"]:
                tags = {}
                for t in s["tags"]:
                    tags.setdefault(t["key"], t["value"])
                str_tags = {k: None if v is None else str(v) for k, v in tags.items()}
                peer = peer_of(tags.get("net.peer.name"), tags.get("net.peer.port"))
                http = None
                if "http.method" in tags:
                    http = (tags["http.method"], tags.get("http.url"), str_tags.get("http.status_code"))
                body = None
                if "http.param" in tags or "http.response" in tags:
                    body = (tags.get("http.param"), tags.get("http.response"))
                out.append(
                    rec(
                        id=s["spanID"],
                        trace=s["traceID"],
                        service=trace["processes"][s["processID"]]["serviceName"],
                        name=s["operationName"],
                        kind=tags["span.kind"],
                        start=s["startTime"],
                        end=s["startTime"] + s["duration"],
                        error=tags.get("error") is True,
                        logs=len(s["logs"]),
                        db=db_of(tags.get("db.statement"), peer, tags.get("db.name")),
                        http=http,
                        body=body,
                        parents=[(r["spanID"], r["refType"] == "FOLLOWS_FROM") for r in s["references"]],
                    )
                )
    return out


# ------------------------------------------------------------ Zipkin


def read_zipkin(folder: str) -> tuple[list[dict], Counter]:
    out = []
    seen = Counter()
    for name in sorted(os.listdir(folder)):
        with gzip.open(os.path.join(folder, name), "rt", encoding="utf-8") as f:
            spans = json.load(f)
        # Shared server halves: id → service, so children can be told apart.
        server_half = {s["id"]: s["localEndpoint"]["serviceName"] for s in spans if s.get("shared")}
        for s in spans:
            tags = s.get("tags", {})
            service = s["localEndpoint"]["serviceName"]
            shared = bool(s.get("shared"))
            seen["shared"] += shared
            seen["sql.query"] += "sql.query" in tags
            if shared:
                sid = s["id"] + "-server"
                parents = [(s["id"], False)]  # the client half
            else:
                sid = s["id"]
                p = s.get("parentId")
                if p is None:
                    parents = []
                elif server_half.get(p) == service:
                    parents = [(p + "-server", False)]
                else:
                    parents = [(p, False)]
            remote = s.get("remoteEndpoint") or {}
            peer = peer_of(remote.get("serviceName"), remote.get("port"))
            statement = tags.get("db.statement", tags.get("sql.query"))
            http = None
            if "http.method" in tags:
                http = (tags["http.method"], tags.get("http.url"), tags.get("http.status_code"))
            body = None
            if "http.param" in tags or "http.response" in tags:
                body = (tags.get("http.param"), tags.get("http.response"))
            out.append(
                rec(
                    id=sid,
                    trace=s["traceId"],
                    service=service,
                    name=s["name"],
                    kind=s.get("kind", "internal").lower(),
                    start=s["timestamp"],
                    end=s["timestamp"] + s.get("duration", 0),
                    error="error" in tags,
                    logs=len(s.get("annotations", [])),
                    db=db_of(statement, peer, tags.get("db.name")),
                    http=http,
                    body=body,
                    parents=parents,
                )
            )
    return out, seen


# ------------------------------------------------------------ OTLP


def unb64(text: str) -> str:
    return base64.b64decode(text).hex()


def attr_value(v: dict):
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return str(int(v["intValue"]))
    return None


def read_otlp(folder: str) -> tuple[list[dict], Counter]:
    out = []
    seen = Counter()
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            lines = [l for l in f.read().split("\n") if l.strip()]
        seen["files"] += 1
        seen["lines"] += len(lines)
        for line in lines:
            for rs in json.loads(line)["resourceSpans"]:
                res = {a["key"]: attr_value(a["value"]) for a in rs["resource"]["attributes"]}
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        tags = {}
                        for a in s.get("attributes", []):
                            tags.setdefault(a["key"], attr_value(a["value"]))
                        follows = set()
                        parents = []
                        for link in s.get("links", []):
                            attrs = {a["key"]: attr_value(a["value"]) for a in link.get("attributes", [])}
                            kind = attrs.get("opentracing.ref_type")
                            follows_link = kind == "follows_from"
                            if follows_link:
                                follows.add(unb64(link["spanId"]))
                                seen["follows links"] += 1
                            parents.append((unb64(link["spanId"]), follows_link))
                        if "parentSpanId" in s:
                            p = unb64(s["parentSpanId"])
                            parents.append((p, p in follows))
                        parents = [(p, f) for p, f in parents if not (not f and p in follows)]
                        peer = peer_of(tags.get("server.address"), tags.get("server.port"))
                        http = None
                        if "http.request.method" in tags:
                            http = (tags["http.request.method"], tags.get("url.full"), tags.get("http.response.status_code"))
                        body = None
                        if "http.request.body" in tags or "http.response.body" in tags:
                            body = (tags.get("http.request.body"), tags.get("http.response.body"))
                        out.append(
                            rec(
                                id=unb64(s["spanId"]),
                                trace=unb64(s["traceId"]),
                                service=res["service.name"],
                                name=s["name"],
                                kind=s["kind"].removeprefix("SPAN_KIND_").lower(),
                                start=int(s["startTimeUnixNano"]) // 1000,
                                end=int(s["endTimeUnixNano"]) // 1000,
                                error=s.get("status", {}).get("code") == "STATUS_CODE_ERROR",
                                logs=len(s.get("events", [])),
                                db=db_of(tags.get("db.query.text"), peer, tags.get("db.namespace")),
                                http=http,
                                body=body,
                                parents=parents,
                            )
                        )
    return out, seen


# ------------------------------------------------------------ comparison


def summary(spans: list[dict]) -> dict:
    kind = {s["id"]: s["kind"] for s in spans}
    parent = sum(len(s["parents"]) for s in spans)
    follows = sum(f for s in spans for _, f in s["parents"])
    calls = sum(
        1 for s in spans for p, _ in s["parents"] if s["kind"] == "server" and kind.get(p) == "client"
    )
    return {
        "spans": len(spans),
        "parent": parent,
        "follows": follows,
        "calls": calls,
        "db": sum(s["db"] is not None for s in spans),
        "http": sum(s["http"] is not None for s in spans),
        "error": sum(s["error"] for s in spans),
    }


def by_content(spans: list[dict]) -> Counter:
    """Spans with every id replaced by the content of the span it names."""

    def key(s):
        return tuple(json.dumps(s[f]) for f in FIELDS)

    index = {s["id"]: key(s) for s in spans}
    return Counter(
        (key(s), tuple(sorted((index.get(p, ("missing", p)), f) for p, f in s["parents"]))) for s in spans
    )


def compare(name: str, expected: list[dict], got: list[dict], by_id: bool) -> list[str]:
    problems = []
    if by_id:
        want = {s["id"]: s for s in expected}
        have = {s["id"]: s for s in got}
        for sid in sorted(want.keys() | have.keys()):
            if sid not in have:
                problems.append(f"{name}: span {sid} missing")
            elif sid not in want:
                problems.append(f"{name}: unexpected span {sid}")
            elif want[sid] != have[sid]:
                diff = {k: (want[sid][k], have[sid][k]) for k in want[sid] if want[sid][k] != have[sid][k]}
                problems.append(f"{name}: span {sid} differs: {diff}")
    want, have = by_content(expected), by_content(got)
    if want != have:
        problems.append(
            f"{name}: {sum((want - have).values())} spans not found by content, "
            f"{sum((have - want).values())} unexpected; first: {next(iter(want - have), None)}"
        )
    return problems


def selftest() -> None:
    """The SQL binding rules the whole comparison relies on."""
    b = sw_convert.bind_sql
    assert b("select * from t where id=?", "[a7e1]") == "select * from t where id='a7e1'"
    assert b("update t set a=?, b=? where id=?", "[1,it's,x]") == "update t set a='1', b='it''s' where id='x'"
    assert b("select '?' from t where id=?", "[5]") == "select '?' from t where id='5'"
    assert b("insert into t (a, b) values (?, ?)", "[x,y,z]") == "insert into t (a, b) values ('x', 'y,z')"
    assert b("select * from t where a=? and b=?", "[1]") == "select * from t where a='1' and b=?"
    assert b("select 1", "[1]") == "select 1"
    assert b("select * from t where id=?", "[]") == "select * from t where id=''"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src_dir", metavar="SRC_DIR", help="the SkyWalking folder that was converted")
    ap.add_argument("out_dir", metavar="OUT_DIR", help="the folder sw_convert.py wrote")
    args = ap.parse_args(argv)
    selftest()
    expected = read_skywalking(args.src_dir)
    jaeger = read_jaeger(os.path.join(args.out_dir, "jaeger"))
    zipkin, zseen = read_zipkin(os.path.join(args.out_dir, "zipkin"))
    otlp, oseen = read_otlp(os.path.join(args.out_dir, "otlp"))
    problems = []
    problems += compare("jaeger", expected, jaeger, by_id=True)
    # Zipkin has no follows-from and one parent: an asynchronous parent is a plain parent.
    zipkin_view = read_skywalking(args.src_dir, zipkin=True)
    problems += compare("zipkin", zipkin_view, zipkin, by_id=False)
    problems += compare("otlp", expected, otlp, by_id=True)
    rows = {"skywalking": summary(expected), "jaeger": summary(jaeger), "zipkin": summary(zipkin), "otlp": summary(otlp)}
    cols = list(rows["skywalking"])
    print("format      " + " ".join(f"{c:>8}" for c in cols))
    for fmt, r in rows.items():
        print(f"{fmt:<11} " + " ".join(f"{r[c]:>8}" for c in cols))
        want = summary(zipkin_view) if fmt == "zipkin" else rows["skywalking"]
        if r != want:
            problems.append(f"{fmt}: counts differ from SkyWalking's")
    print(f"zipkin: {zseen['shared']} shared server halves, {zseen['sql.query']} sql.query statements")
    print(f"otlp: {oseen['lines']} export requests in {oseen['files']} files, {oseen['follows links']} follows_from links")
    exercised = rows["skywalking"]["calls"] == 0 or zseen["shared"] > 0
    if not exercised:
        problems.append("zipkin: no shared server half written although there are calls")
    for p in problems:
        print("FAIL " + (p if len(p) <= 600 else p[:600] + " …"), file=sys.stderr)
    if not problems:
        print("OK: all formats match the SkyWalking input")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
