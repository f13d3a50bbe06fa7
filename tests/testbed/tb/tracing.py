"""Wiring OpenTelemetry into a service: provider, exporter, instrumentations.

The DB-API integration is used instead of PyMySQLInstrumentor because only
it can record `db.statement.parameters`, which rulecheck needs to bind the
`%s` placeholders to the values each request used.
"""

import os

import pymysql
from flask import Flask
from opentelemetry import trace
from opentelemetry.instrumentation.dbapi import trace_integration
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from . import bodies, config
from .otlp_file import OtlpJsonFileExporter

# Health checks and flushes are the control script's, not the workload's:
# they must not appear in the traces.
EXCLUDED_URLS = "/health,/__flush"

# PyMySQL keeps the database name in `db`, not in the DB-API's `database`.
PYMYSQL_ATTRIBUTES = {"database": "db", "port": "port", "host": "host", "user": "user"}


def instrument(service: str, app: Flask) -> TracerProvider:
    if not config.TRACE_DIR:
        raise SystemExit("testbed: TESTBED_TRACE_DIR is not set")
    os.makedirs(config.TRACE_DIR, exist_ok=True)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OtlpJsonFileExporter(os.path.join(config.TRACE_DIR, f"{service}.jsonl"))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)

    FlaskInstrumentor().instrument_app(
        app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS
    )
    # Registered after the Flask instrumentation so that its server span is
    # the current span when these hooks run.
    bodies.record_bodies(app)
    RequestsInstrumentor().instrument(tracer_provider=provider)
    trace_integration(
        pymysql,
        "connect",
        "mysql",
        connection_attributes=PYMYSQL_ATTRIBUTES,
        tracer_provider=provider,
        capture_parameters=True,
    )

    @app.post("/__flush")
    def flush():
        ok = provider.force_flush(timeout_millis=5000)
        return {"flushed": ok}, (200 if ok else 503)

    @app.get("/health")
    def health():
        return {"service": service, "ok": True}

    return provider
