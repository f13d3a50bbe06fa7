//! Where recorded requests and databases live now: `--target NAME=URL` and
//! `--db NAME=URL` mappings, and the rewriting of recorded URLs.

use std::collections::BTreeMap;

/// `--target NAME=URL`: requests of service NAME, or recorded against host
/// (or host:port) NAME, go to URL instead. A bare `URL` is accepted for
/// symmetry and maps that URL's own authority to itself.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    by_name: BTreeMap<String, String>,
}

/// `scheme://authority` and the rest (path and query) of a URL.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let cut = rest.find('/').unwrap_or(rest.len());
    Some((scheme, &rest[..cut], &rest[cut..]))
}

impl Targets {
    pub fn parse(specs: &[String]) -> Result<Targets, String> {
        let mut t = Targets::default();
        for spec in specs {
            let (name, url) = match spec.split_once('=') {
                Some((n, u)) => (n.to_string(), u.to_string()),
                None => {
                    let (_, authority, _) = split_url(spec).ok_or_else(|| {
                        format!("--target {spec}: expected NAME=URL or an http:// URL")
                    })?;
                    (authority.to_string(), spec.clone())
                }
            };
            if split_url(&url).is_none() {
                return Err(format!(
                    "--target {spec}: `{url}` is not an http:// or https:// URL"
                ));
            }
            t.by_name
                .insert(name, url.trim_end_matches('/').to_string());
        }
        Ok(t)
    }

    /// The live URL for a recorded request: the target named after its
    /// service, its recorded host:port or its host replaces scheme and
    /// authority; unmapped URLs are used as recorded.
    pub fn rewrite(&self, service: &str, recorded: &str) -> String {
        let Some((_, authority, rest)) = split_url(recorded) else {
            return recorded.to_string();
        };
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        for key in [service, authority, host] {
            if let Some(base) = self.by_name.get(key) {
                return format!("{base}{rest}");
            }
        }
        recorded.to_string()
    }
}

/// `--db NAME=mysql://user:pass@host:port/db`: NAME is the instance as
/// lowered (`peer/dbname`). The password may instead come from `MYSQL_PWD`.
#[derive(Clone, Debug)]
pub struct DbTarget {
    pub name: String,
    pub url: String,
    /// The schema the URL names (snapshotted and compared).
    pub schema: String,
}

impl DbTarget {
    pub fn parse(spec: &str) -> Result<DbTarget, String> {
        let (name, url) = spec.split_once('=').ok_or_else(|| {
            format!(
                "--db {}: expected NAME=mysql://USER@HOST:PORT/DB",
                redact(spec)
            )
        })?;
        let rest = url
            .strip_prefix("mysql://")
            .ok_or_else(|| format!("--db {name}: the URL must start with mysql://"))?;
        let schema = rest
            .split_once('/')
            .map(|(_, db)| db.split('?').next().unwrap_or(""))
            .filter(|db| !db.is_empty())
            .ok_or_else(|| format!("--db {name}: the URL must name a database (mysql://…/DB)"))?;
        let mut url = url.to_string();
        if let Ok(pwd) = std::env::var("MYSQL_PWD") {
            if !rest.split('@').next().unwrap_or("").contains(':') && rest.contains('@') {
                let (user, host) = rest.split_once('@').unwrap_or((rest, ""));
                url = format!("mysql://{user}:{pwd}@{host}");
            }
        }
        Ok(DbTarget {
            name: name.to_string(),
            url,
            schema: schema.to_string(),
        })
    }

    /// The URL with any password replaced by `***`, for messages.
    pub fn display_url(&self) -> String {
        redact(&self.url)
    }
}

/// Hides the password of `scheme://user:password@host` in text shown to people.
pub fn redact(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_string();
    };
    let after = &text[scheme_end + 3..];
    let Some(at) = after.find('@') else {
        return text.to_string();
    };
    match after[..at].split_once(':') {
        Some((user, _)) => format!("{}{}:***{}", &text[..scheme_end + 3], user, &after[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_by_service_authority_or_host() {
        let t = Targets::parse(&[
            "ts-cancel-service=http://127.0.0.1:9001".into(),
            "bank:8081=http://127.0.0.1:9002/".into(),
            "http://127.0.0.1:5101".into(),
        ])
        .unwrap();
        assert_eq!(
            t.rewrite(
                "ts-cancel-service",
                "http://ts-cancel-service:18885/api/v1/cancel?x=1"
            ),
            "http://127.0.0.1:9001/api/v1/cancel?x=1"
        );
        assert_eq!(
            t.rewrite("other", "http://bank:8081/pay"),
            "http://127.0.0.1:9002/pay"
        );
        assert_eq!(t.rewrite("x", "http://unmapped:1/a"), "http://unmapped:1/a");
        assert!(Targets::parse(&["nourl".into()]).is_err());
    }

    #[test]
    fn db_urls_never_show_passwords() {
        let d =
            DbTarget::parse("127.0.0.1:3306/bank=mysql://root:s3cret@127.0.0.1:3306/testbed_bank")
                .unwrap();
        assert_eq!(d.schema, "testbed_bank");
        assert_eq!(
            d.display_url(),
            "mysql://root:***@127.0.0.1:3306/testbed_bank"
        );
        assert!(!DbTarget::parse("x=mysql://root:pw@h:1")
            .unwrap_err()
            .contains("pw"));
        assert!(!DbTarget::parse("mysql://root:pw@h:1/db")
            .unwrap_err()
            .contains("pw"));
    }
}
