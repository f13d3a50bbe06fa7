//! HTTP attributes under their many names (SkyWalking, Zipkin/Brave,
//! OpenTelemetry old and new semantic conventions).

use crate::model::Span;

pub struct HttpCall<'a> {
    pub method: &'a str,
    pub url: String,
    pub status: i64,
    pub request: Option<&'a str>,
    pub response: Option<&'a str>,
}

fn first<'a>(span: &'a Span, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| span.tag(k))
}

/// The HTTP call a span records, if it records one (a method is required).
pub fn http_call(span: &Span) -> Option<HttpCall<'_>> {
    let method = first(span, &["http.method", "http.request.method"])?;
    let url = match first(span, &["url", "http.url", "url.full"]) {
        Some(u) => u.to_string(),
        None => {
            let path = first(
                span,
                &["http.target", "url.path", "http.path", "http.route"],
            )
            .unwrap_or("");
            let query = span
                .tag("url.query")
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let host = first(
                span,
                &[
                    "http.host",
                    "server.address",
                    "net.host.name",
                    "net.peer.name",
                ],
            );
            let port = first(span, &["server.port", "net.host.port", "net.peer.port"]);
            let scheme = first(span, &["http.scheme", "url.scheme"]).unwrap_or("http");
            match (host, port) {
                (Some(h), Some(p)) if !h.contains(':') => {
                    format!("{scheme}://{h}:{p}{path}{query}")
                }
                (Some(h), _) => format!("{scheme}://{h}{path}{query}"),
                (None, _) => format!("{path}{query}"),
            }
        }
    };
    let status = first(span, &["http.status_code", "http.response.status_code"])
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    Some(HttpCall {
        method,
        url,
        status,
        request: first(span, &["http.param", "http.request.body"]),
        response: first(span, &["http.response", "http.response.body"]),
    })
}
