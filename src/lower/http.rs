//! HTTP attributes under their many names (SkyWalking, Zipkin/Brave,
//! OpenTelemetry old and new semantic conventions).

use std::borrow::Cow;

use crate::model::Span;

pub struct HttpCall<'a> {
    pub method: &'a str,
    pub url: Cow<'a, str>,
    pub status: i64,
    pub request: Option<&'a str>,
    pub response: Option<&'a str>,
}

/// The HTTP call a span records, if it records one (a method is required).
pub fn http_call<'s>(span: &'s Span<'_>) -> Option<HttpCall<'s>> {
    let method = span.first_tag(&["http.method", "http.request.method"])?;
    let url = match span.first_tag(&["url", "http.url", "url.full"]) {
        Some(u) => Cow::Borrowed(u),
        None => {
            let path = span
                .first_tag(&["http.target", "url.path", "http.path", "http.route"])
                .unwrap_or("");
            let query = span
                .tag("url.query")
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let host = span.first_tag(&[
                "http.host",
                "server.address",
                "net.host.name",
                "net.peer.name",
            ]);
            let port = span.first_tag(&["server.port", "net.host.port", "net.peer.port"]);
            let scheme = span
                .first_tag(&["http.scheme", "url.scheme"])
                .unwrap_or("http");
            Cow::Owned(match (host, port) {
                (Some(h), Some(p)) if !h.contains(':') => {
                    format!("{scheme}://{h}:{p}{path}{query}")
                }
                (Some(h), _) => format!("{scheme}://{h}{path}{query}"),
                (None, _) => format!("{path}{query}"),
            })
        }
    };
    let status = span
        .first_tag(&["http.status_code", "http.response.status_code"])
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    Some(HttpCall {
        method,
        url,
        status,
        request: span.first_tag(&["http.param", "http.request.body"]),
        response: span.first_tag(&["http.response", "http.response.body"]),
    })
}
