#!/usr/bin/env python3
"""Reads the OTLP JSON lines the services wrote, for summaries and checks.

  traces.py summary DIR      spans and traces per service
  traces.py names DIR        every distinct span name, one per line
  traces.py attr DIR KEY     how many spans carry attribute KEY
  traces.py hops DIR         how many spans have a parent in another service

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


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in ("summary", "names", "attr", "hops"):
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
    else:
        if len(sys.argv) != 4:
            sys.exit(__doc__)
        key = sys.argv[3]
        print(sum(1 for _, s in spans if any(a.get("key") == key for a in s.get("attributes", []))))


if __name__ == "__main__":
    main()
