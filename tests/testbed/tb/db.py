"""Database connections for the services: one per request, closed after it.

A connection per request keeps each request's transaction its own, which is
what makes the lost update real (two requests, two transactions, no lock).
`pymysql.connect` is looked up at call time so the traced version is used.
"""

import contextlib

import pymysql

from . import config


@contextlib.contextmanager
def connect(database: str):
    conn = pymysql.connect(
        host=config.DB_HOST,
        port=config.DB_PORT,
        user=config.DB_USER,
        password=config.DB_PASSWORD,
        database=database,
        autocommit=False,
        connect_timeout=5,
        read_timeout=10,
        write_timeout=10,
    )
    try:
        yield conn
    finally:
        conn.close()
