#!/usr/bin/env python3
"""Reads the OTLP JSON lines the services wrote, for summaries and checks.

  traces.py summary DIR      spans and traces per service
  traces.py names DIR        every distinct span name, one per line
  traces.py attr DIR KEY     how many spans carry attribute KEY
  traces.py hops DIR         how many spans have a parent in another service
  traces.py overdrafts DIR   traces whose withdrawal committed although the
                             fetched balance was lower than the amount (the
                             bank invariant, checked here without rulecheck)

Only the standard library: it also runs without the virtualenv.
"""

import json
import os
import sys
from collections import Counter


def load(folder: str):
    """Every span in the folder's .jsonl files, as (service, span) pairs."""
    files = sorted(f for f in os.listdir(folder) if f.endswith(".jsonl"))
    if not files:
        sys.exit(f"traces: no .jsonl file in {folder}")
    spans = []
    for name in files:
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                try:
                    request = json.loads(line)
                except json.JSONDecodeError as err:
                    sys.exit(f"traces: {path}:{number}: not JSON: {err}")
                for rs in request.get("resourceSpans", []):
                    service = next(
                        (
                            a["value"].get("stringValue", "?")
                            for a in rs.get("resource", {}).get("attributes", [])
                            if a.get("key") == "service.name"
                        ),
                        "?",
                    )
                    for ss in rs.get("scopeSpans", []):
                        spans.extend((service, s) for s in ss.get("spans", []))
    return spans


def int_attr(span, key: str):
    for a in span.get("attributes", []):
        if a.get("key") == key and "intValue" in a.get("value", {}):
            return int(a["value"]["intValue"])
    return None


def overdrafts(spans):
    """Trace ids (base64, as written) with fetch-balance amount < withdrawal
    amount, a commit and no rollback."""
    by_trace = {}
    for _, span in spans:
        by_trace.setdefault(span.get("traceId"), []).append(span)
    found = []
    for trace_id, members in sorted(by_trace.items()):
        names = {s.get("name") for s in members}
        fetched = [int_attr(s, "amount") for s in members if s.get("name") == "fetch-balance"]
        taken = [int_attr(s, "amount") for s in members if s.get("name") == "withdrawal"]
        if "commit" in names and "rollback" not in names and any(
            f is not None and t is not None and f < t for f in fetched for t in taken
        ):
            found.append(trace_id)
    return found


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in ("summary", "names", "attr", "hops", "overdrafts"):
        sys.exit(__doc__)
    spans = load(sys.argv[2])
    if sys.argv[1] == "summary":
        per_service = Counter(service for service, _ in spans)
        traces = {}
        for service, span in spans:
            traces.setdefault(service, set()).add(span.get("traceId"))
        for service in sorted(per_service):
            print(f"  {service}: {per_service[service]} spans in {len(traces[service])} traces")
        print(f"  total: {len(spans)} spans")
    elif sys.argv[1] == "names":
        for name in sorted({span.get("name", "") for _, span in spans}):
            print(name)
    elif sys.argv[1] == "hops":
        # Trace context crossed the HTTP call: the callee's server span has
        # the caller's client span as parent.
        service_of = {s.get("spanId"): service for service, s in spans}
        print(
            sum(
                1
                for service, s in spans
                if s.get("parentSpanId") in service_of
                and service_of[s["parentSpanId"]] != service
            )
        )
    elif sys.argv[1] == "overdrafts":
        for trace_id in overdrafts(spans):
            print(trace_id)
    else:
        if len(sys.argv) != 4:
            sys.exit(__doc__)
        key = sys.argv[3]
        print(sum(1 for _, s in spans if any(a.get("key") == key for a in s.get("attributes", []))))


if __name__ == "__main__":
    main()
