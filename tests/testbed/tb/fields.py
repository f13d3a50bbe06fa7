"""Reading a JSON request body into checked fields, with a 400 on bad input."""

from flask import request


class BadRequest(Exception):
    """The client sent something the endpoint cannot use; the text says what."""


def require(spec: dict) -> dict:
    """The body's fields named in `spec` ({name: type}), each checked.

    Integers must be whole numbers (booleans are not), strings non-empty.
    """
    # Forced: a replayed request may come without its Content-Type header.
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    out = {}
    for name, kind in spec.items():
        if name not in data:
            raise BadRequest(f"missing field {name!r}")
        value = data[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise BadRequest(f"field {name!r} must be an integer, got {value!r}")
        if kind is str and (not isinstance(value, str) or not value):
            raise BadRequest(f"field {name!r} must be a non-empty string, got {value!r}")
        out[name] = value
    return out


def positive(name: str, value: int) -> int:
    if value <= 0:
        raise BadRequest(f"field {name!r} must be positive, got {value}")
    return value
