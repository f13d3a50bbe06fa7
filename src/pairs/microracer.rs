//! MicroRacer's own pair files: `candidatePairs_<id>.json`, one per
//! conflicting id value, each `{"0": [{"databases": […]}, request, request], …}`
//! with MicroRacer's field names, so its executor can take our pairs.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::build::TraceIndex;
use super::format::{PairFile, Request};

#[derive(Serialize)]
struct Databases {
    databases: Vec<String>,
}

#[derive(Serialize)]
struct MrRequest {
    flow_id: usize,
    flow_span_id: usize,
    sqls: Vec<String>,
    http_method: String,
    http_url: String,
    http_body: serde_json::Value,
    http_status_code: String,
    http_response: serde_json::Value,
}

/// Pairs keyed "0", "1", … in pair order (a map would sort "10" before "2").
struct Numbered(Vec<Vec<Entry>>);

impl Serialize for Numbered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().enumerate().map(|(i, e)| (i.to_string(), e)))
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Entry {
    Databases(Databases),
    Request(Box<MrRequest>),
}

/// Recorded JSON stays JSON; other text becomes a string; nothing is null.
fn json(text: &str) -> serde_json::Value {
    if text.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// `peer/db` as lowered → MicroRacer's `peer:db`.
fn mr_database(instance: &str) -> String {
    instance.replacen('/', ":", 1)
}

/// Characters other than letters, digits, `-`, `_`, `.` become `_`.
pub fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("candidatePairs_{safe}.json")
}

fn request(
    r: &Request,
    index: &TraceIndex<'_>,
    flows: &BTreeMap<String, (usize, usize)>,
) -> MrRequest {
    let (flow_id, flow_span_id) = flows.get(&r.span).copied().unwrap_or((0, 0));
    let sqls = index
        .sym_of(&r.span)
        .map(|s| {
            index
                .statements(s)
                .into_iter()
                .map(|(_, _, stmt)| stmt)
                .collect()
        })
        .unwrap_or_default();
    MrRequest {
        flow_id,
        flow_span_id,
        sqls,
        http_method: r.method.clone(),
        http_url: r.url.clone(),
        http_body: json(&r.body),
        http_status_code: if r.status == 0 {
            String::new()
        } else {
            r.status.to_string()
        },
        http_response: json(&r.response),
    }
}

/// Writes one file per id value in `ids` (pair id → the id values it
/// conflicts on); returns the files written.
pub fn write(
    dir: &Path,
    file: &PairFile,
    ids: &BTreeMap<String, Vec<String>>,
    index: &TraceIndex<'_>,
    flows: &BTreeMap<String, (usize, usize)>,
) -> io::Result<Vec<PathBuf>> {
    let mut groups: BTreeMap<&str, Vec<Vec<Entry>>> = BTreeMap::new();
    for pair in &file.pairs {
        for id in ids.get(&pair.id).map(Vec::as_slice).unwrap_or(&[]) {
            let entries = vec![
                Entry::Databases(Databases {
                    databases: pair.databases.iter().map(|d| mr_database(d)).collect(),
                }),
                Entry::Request(Box::new(request(&pair.a, index, flows))),
                Entry::Request(Box::new(request(&pair.b, index, flows))),
            ];
            groups.entry(id).or_default().push(entries);
        }
    }
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (id, pairs) in groups {
        let numbered = Numbered(pairs);
        let path = dir.join(file_name(id));
        let text = serde_json::to_string_pretty(&numbered).map_err(io::Error::other)?;
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
