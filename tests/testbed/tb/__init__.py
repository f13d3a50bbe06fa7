"""The testbed's services: a bank and a shop on MariaDB, traced with OpenTelemetry.

Each module holds one concern: `config` (environment), `otlp_file` (the
exporter), `tracing` (instrumentation wiring), `bodies` (HTTP bodies on
server spans), `fields` (checked request fields), `errors` (JSON error
answers), `db` (connections), `bank` and `shop` (the services), `serve`
(running one of them).
"""
