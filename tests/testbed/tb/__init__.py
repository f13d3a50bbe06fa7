"""The testbed's services: a bank and a shop on MariaDB, traced with OpenTelemetry.

Each module holds one concern: `config` (environment), `otlp_file` (the
exporter), `tracing` (instrumentation wiring), `bodies` (HTTP bodies on
server spans), `db` (connections), `bank` and `shop` (the services).
"""
