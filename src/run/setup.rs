//! `--setup FILE`: requests sent once before any pair, e.g. a login whose
//! token later requests carry. The file is a JSON list:
//!
//! ```json
//! [{"method": "POST", "url": "http://127.0.0.1:8080/login",
//!   "headers": {"content-type": "application/json"},
//!   "body": {"user": "admin", "password": "…"},
//!   "save": {"token": "/data/token"}}]
//! ```
//!
//! `save` takes values out of the JSON response by JSON pointer; `${token}`
//! in a later URL, header value or body (setup requests and pair requests
//! alike) is replaced by the value.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::pairs::format::Request;

use super::endpoints::Targets;
use super::replay;

#[derive(Debug, Deserialize)]
struct SetupRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<serde_json::Value>,
    #[serde(default)]
    save: BTreeMap<String, String>,
}

pub type Vars = BTreeMap<String, String>;

/// `${name}` → value, for every saved name.
pub fn substitute(text: &str, vars: &Vars) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

pub fn substitute_request(req: &Request, vars: &Vars) -> Request {
    if vars.is_empty() {
        return req.clone();
    }
    let mut r = req.clone();
    r.url = substitute(&r.url, vars);
    r.body = substitute(&r.body, vars);
    for (_, v) in r.headers.iter_mut() {
        *v = substitute(v, vars);
    }
    r
}

/// Sends the setup requests in order; any failure (no response, a status
/// of 400 or more, a `save` pointer that finds nothing) stops the run.
pub async fn run(
    path: &Path,
    client: &reqwest::Client,
    targets: &Targets,
    timeout: Duration,
) -> Result<Vars, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let steps: Vec<SetupRequest> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a setup file: {e}", path.display()))?;
    let mut vars = Vars::new();
    for (i, step) in steps.iter().enumerate() {
        let body = match &step.body {
            None => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        let req = Request {
            span: format!("setup #{}", i + 1),
            trace: String::new(),
            service: String::new(),
            method: step.method.clone(),
            url: step.url.clone(),
            headers: step
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body,
            status: 0,
            response: String::new(),
        };
        let resp = replay::send(client, targets, &substitute_request(&req, &vars), timeout).await;
        if let Some(e) = resp.error {
            return Err(format!("{}: setup request #{}: {e}", path.display(), i + 1));
        }
        if resp.status >= 400 {
            return Err(format!(
                "{}: setup request #{} ({} {}) answered {}",
                path.display(),
                i + 1,
                step.method,
                step.url,
                resp.status
            ));
        }
        for (name, pointer) in &step.save {
            let value = resp.body.pointer(pointer).ok_or_else(|| {
                format!(
                    "{}: setup request #{}: the response has nothing at {pointer} (for `{name}`)",
                    path.display(),
                    i + 1
                )
            })?;
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            vars.insert(name.clone(), text);
        }
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_saved_values_everywhere() {
        let vars: Vars = [("token".to_string(), "abc".to_string())].into();
        let req = Request {
            span: "s".into(),
            trace: String::new(),
            service: String::new(),
            method: "GET".into(),
            url: "http://x/${token}/y".into(),
            headers: vec![("authorization".into(), "Bearer ${token}".into())],
            body: "{\"t\":\"${token}\",\"u\":\"${other}\"}".into(),
            status: 0,
            response: String::new(),
        };
        let r = substitute_request(&req, &vars);
        assert_eq!(r.url, "http://x/abc/y");
        assert_eq!(r.headers[0].1, "Bearer abc");
        assert_eq!(r.body, "{\"t\":\"abc\",\"u\":\"${other}\"}");
    }
}
