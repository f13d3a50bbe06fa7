"""HTTP request and response bodies (and the request's content type) as
attributes of the server span.

OpenTelemetry has no standard body attribute; the design names these two
(`http.request.body`, `http.response.body`) so that rulecheck's pairs can
carry what a request sent and got back, as MicroRacer's do.
"""

from flask import Flask, Response, request
from opentelemetry import trace

# Bodies longer than this are cut: a trace is no place for a bulk upload.
MAX_BODY = 4096


def _clip(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[:MAX_BODY]


def record_bodies(app: Flask) -> None:
    @app.before_request
    def request_body():
        span = trace.get_current_span()
        if span.is_recording():
            body = request.get_data(cache=True, as_text=True)
            if body:
                span.set_attribute("http.request.body", _clip(body))
            # So that a replay can send the body as it came. The WSGI
            # instrumentation's header capture cannot see this one (WSGI keeps
            # it outside the HTTP_* keys); named and shaped as OTel names headers.
            if request.content_type:
                span.set_attribute("http.request.header.content_type", [request.content_type])

    @app.after_request
    def response_body(response: Response) -> Response:
        span = trace.get_current_span()
        if span.is_recording() and not response.direct_passthrough:
            body = response.get_data(as_text=True)
            if body:
                span.set_attribute("http.response.body", _clip(body))
        return response
