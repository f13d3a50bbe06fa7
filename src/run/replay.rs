//! Sending one recorded request to the live system.

use std::time::Duration;

use serde::Serialize;

use crate::pairs::format::Request;

use super::endpoints::Targets;

/// What came back: status and body, or why nothing did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Response {
    /// 0 when the request failed before a response (`error` says why).
    pub status: u16,
    /// The body parsed as JSON when it is JSON, else as a JSON string.
    pub body: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Headers a replay must not copy: they describe the recorded connection,
/// not the request.
fn replayable(header: &str) -> bool {
    !matches!(
        header.to_ascii_lowercase().as_str(),
        "host"
            | "content-length"
            | "connection"
            | "transfer-encoding"
            | "traceparent"
            | "tracestate"
            | "sw8"
    )
}

pub async fn send(
    client: &reqwest::Client,
    targets: &Targets,
    req: &Request,
    timeout: Duration,
) -> Response {
    let url = targets.rewrite(&req.service, &req.url);
    let method = match reqwest::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => return failed(format!("invalid HTTP method `{}`", req.method)),
    };
    let mut builder = client.request(method, &url).timeout(timeout);
    let mut has_type = false;
    for (k, v) in req.headers.iter().filter(|(k, _)| replayable(k)) {
        has_type |= k.eq_ignore_ascii_case("content-type");
        builder = builder.header(k, v);
    }
    if !req.body.is_empty() {
        if !has_type && serde_json::from_str::<serde_json::Value>(&req.body).is_ok() {
            builder = builder.header("content-type", "application/json");
        }
        builder = builder.body(req.body.clone());
    }
    match builder.send().await {
        Err(e) => failed(format!("{url}: {}", error_chain(&e))),
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.text().await {
                Ok(text) => Response {
                    status,
                    body: serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
                    error: None,
                },
                Err(e) => Response {
                    status,
                    body: serde_json::Value::Null,
                    error: Some(format!("{url}: reading the body: {}", error_chain(&e))),
                },
            }
        }
    }
}

fn failed(error: String) -> Response {
    Response {
        status: 0,
        body: serde_json::Value::Null,
        error: Some(error),
    }
}

/// reqwest's message and its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
