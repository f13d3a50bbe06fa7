"""A span exporter that appends OTLP JSON to a file, one export request per line.

The Python SDK ships no file exporter. This one writes what the Collector's
file exporter writes: each batch encoded as an ExportTraceServiceRequest and
mapped to JSON by protobuf's own mapping (base64 ids, enum names, 64-bit
integers as strings), one request per line.
"""

import json
import threading
from typing import Sequence

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class OtlpJsonFileExporter(SpanExporter):
    def __init__(self, path: str):
        self._path = path
        # The batch processor exports from its own thread, but force_flush may
        # export from a request thread at the same time: lines must not mix.
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        request = MessageToDict(encode_spans(spans))
        line = json.dumps(request, separators=(",", ":"), sort_keys=True)
        try:
            with self._lock, open(self._path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
