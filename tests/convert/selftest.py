#!/usr/bin/env python3
"""Edge cases of sw_convert.py that the TrainTicket traces do not contain.

Why this exists: the real traces have no logs, no errors, no missing
parents, no retried or same-service calls and no span with two refs, yet
exported traces do. This builds a small SkyWalking trace with each of them
in a temporary folder, converts it, and asserts that check.py accepts the
result, that Zipkin shares ids only where a reader can undo it, that bad
input files are reported by name without stopping the others, and that the
output is byte-for-byte deterministic.

Usage: selftest.py   (exit 0 when every assertion holds)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def span(seg, sid, psid, typ, svc, start, end, refs=(), tags=(), logs=(), err=False, peer="", comp="X"):
    return {
        "traceId": "T.1.1",
        "segmentId": seg,
        "spanId": sid,
        "parentSpanId": psid,
        "refs": [
            {"traceId": "T.1.1", "parentSegmentId": a, "parentSpanId": b, "type": t} for a, b, t in refs
        ],
        "serviceCode": svc,
        "serviceInstanceName": "abc@10.0.0.1",
        "startTime": start,
        "endTime": end,
        "endpointName": f"{svc}-{seg}-{sid}",
        "type": typ,
        "peer": peer,
        "component": comp,
        "isError": err,
        "layer": "Http",
        "tags": [{"key": k, "value": v} for k, v in tags],
        "logs": [{"time": t, "data": [{"key": k, "value": v} for k, v in d]} for t, d in logs],
    }


SPANS = [
    span("S1", 0, -1, "Entry", "a", 1000, 2000, err=True,
         tags=[("url", "http://a/x"), ("http.method", "GET"), ("http.status_code", "500")],
         logs=[(1500, [("event", "error"), ("message", "boom")]), (1600, [("event", "retry")])]),
    # a -> b, retried: two server spans for one client span (no sharing).
    span("S1", 1, 0, "Exit", "a", 1100, 1200, peer="b:80", tags=[("url", "http://b/y"), ("http.method", "POST")]),
    span("S2", 0, -1, "Entry", "b", 1110, 1140, refs=[("S1", 1, "CROSS_PROCESS")]),
    span("S4", 0, -1, "Entry", "b", 1150, 1160, refs=[("S1", 1, "CROSS_PROCESS")]),
    span("S2", 1, 0, "Exit", "b", 1120, 1130, peer="db:3306", comp="mysql-connector-java",
         tags=[("db.type", "sql"), ("db.instance", "x"),
               ("db.statement", "update t set a=? where id=? and s='?'"), ("db.sql.parameters", "[it's,7,8]")]),
    # a -> a: a call to the same service (no sharing).
    span("S1", 2, 0, "Exit", "a", 1300, 1400, peer="a:80"),
    span("S3", 0, -1, "Entry", "a", 1310, 1390, refs=[("S1", 2, "CROSS_PROCESS")]),
    # a -> c: a plain call, shared in Zipkin; its child must resolve to the server half.
    span("S1", 3, 0, "Exit", "a", 1400, 1500, peer="c:8080"),
    span("S7", 0, -1, "Entry", "c", 1410, 1490, refs=[("S1", 3, "CROSS_PROCESS")]),
    span("S7", 1, 0, "Local", "c", 1420, 1430),
    # async continuation with a second ref whose parent is not in the file
    span("S5", 0, -1, "Local", "a", 1200, 1210, refs=[("S1", 0, "CROSS_THREAD"), ("S9", 3, "CROSS_PROCESS")]),
    # a server span whose caller is outside the file
    span("S6", 0, -1, "Entry", "d", 1000, 1000, refs=[("S8", 1, "CROSS_PROCESS")]),
]


def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True)


def digest(folder: str) -> str:
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            with open(os.path.join(root, name), "rb") as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "t.json"), "w") as f:
            json.dump({"data": {"trace": {"spans": SPANS}}}, f)
        out = os.path.join(tmp, "out")
        r = run(os.path.join(HERE, "sw_convert.py"), "-q", src, out)
        assert r.returncode == 0, r.stderr
        r = run(os.path.join(HERE, "check.py"), src, out)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 shared server halves" in r.stdout, r.stdout

        with gzip.open(os.path.join(out, "zipkin", "t.json.gz"), "rt") as f:
            zipkin = {s["name"]: s for s in json.load(f)}
        assert zipkin["c-S7-0"].get("shared") and zipkin["c-S7-0"]["id"] == zipkin["a-S1-3"]["id"]
        assert zipkin["c-S7-0"]["parentId"] == zipkin["a-S1-0"]["id"]  # Brave: the client's parent
        assert zipkin["c-S7-1"]["parentId"] == zipkin["a-S1-3"]["id"]
        for name in ("b-S2-0", "b-S4-0", "a-S3-0"):
            assert "shared" not in zipkin[name], name
        assert zipkin["a-S1-0"]["tags"]["error"] == "true"
        assert [a["value"] for a in zipkin["a-S1-0"]["annotations"]] == ["event=error message=boom", "retry"]
        db = zipkin["b-S2-1"]["tags"]
        assert db.get("db.statement", db.get("sql.query")) == "update t set a='it''s' where id='7,8' and s='?'"
        assert "db.sql.parameters" not in db and db["db.system"] == "mysql"

        with open(os.path.join(out, "otlp", "t.jsonl")) as f:
            lines = [json.loads(l) for l in f]
        assert len(lines) == 7  # one export request per segment (S1-S7)
        otlp = {
            s["name"]: s for l in lines for rs in l["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]
        }
        assert otlp["a-S1-0"]["status"] == {"code": "STATUS_CODE_ERROR"}
        assert [e["name"] for e in otlp["a-S1-0"]["events"]] == ["error", "retry"]
        links = otlp["a-S5-0"]["links"]
        assert otlp["a-S5-0"]["parentSpanId"] == otlp["a-S1-0"]["spanId"]
        assert [l["attributes"][0]["value"]["stringValue"] for l in links] == ["follows_from", "child_of"]

        with open(os.path.join(out, "jaeger", "t.json")) as f:
            jaeger = {s["operationName"]: s for s in json.load(f)["data"][0]["spans"]}
        assert [r["refType"] for r in jaeger["a-S5-0"]["references"]] == ["FOLLOWS_FROM", "CHILD_OF"]

        first = digest(out)
        # Bad files are named, the good one is still converted, the exit code is 1.
        with open(os.path.join(src, "bad.json"), "w") as f:
            f.write('{"data": {"trace": {"spans": [{"segmentId": "x", "spanId": "zero"}]}}}')
        with open(os.path.join(src, "cut.json"), "w") as f:
            f.write('{"data": ')
        out2 = os.path.join(tmp, "out2")
        r = run(os.path.join(HERE, "sw_convert.py"), "-q", src, out2)
        assert r.returncode == 1, r
        assert "bad.json span #0: field `spanId` is 'zero', not int" in r.stderr, r.stderr
        assert "cut.json: invalid JSON" in r.stderr, r.stderr
        assert digest(out2) == first, "output is not deterministic"
    print("OK: sw_convert edge cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
