"""Errors as JSON answers that say what went wrong, never Flask's HTML page.

The interleaving executor compares responses: a readable, stable body
makes a difference between two schedules easy to see.
"""

import pymysql
from flask import Flask
from werkzeug.exceptions import HTTPException

from .fields import BadRequest


def answer_in_json(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err):
        return {"error": err.description}, err.code

    @app.errorhandler(BadRequest)
    def bad_request(err):
        return {"error": str(err)}, 400

    @app.errorhandler(pymysql.MySQLError)
    def database_error(err):
        return {"error": f"database: {err}"}, 503
