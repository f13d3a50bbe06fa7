//! Reading rule files: folders expanded to their `.rules` files, each
//! `.include` resolved relative to the including file, each file read once,
//! include cycles reported. Sources compiled into the binary go through the
//! same path with includes resolved among themselves.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::ast::{Item, Module};
use super::check;
use super::error::{ErrorKind, LangError};
use super::parse::parse;
use super::program::Program;
use super::source::{Loc, SourceMap};

/// Where sources come from.
enum Origin<'a> {
    Disk,
    /// Name → text; includes are looked up by name.
    Memory(FxHashMap<String, &'a str>),
}

struct Loader<'a> {
    origin: Origin<'a>,
    sources: SourceMap,
    modules: Vec<Module>,
    errors: Vec<LangError>,
    /// Files read, by canonical path (or normalised name in memory).
    seen: FxHashSet<PathBuf>,
    /// The include chain being read, for cycle detection: (key, name).
    stack: Vec<(PathBuf, String)>,
}

/// Parses and checks the rule files and folders (searched recursively for
/// `*.rules`) given, with everything they include.
pub fn compile_files(paths: &[PathBuf]) -> Result<Program, Vec<LangError>> {
    check_files(paths).program
}

/// Like [`compile_files`], for sources held in memory (see [`check_sources`]).
pub fn compile_sources(sources: &[(&str, &str)]) -> Result<Program, Vec<LangError>> {
    check_sources(sources).program
}

/// The outcome of checking: the program or its errors, and the warnings
/// (lints such as single-use variables) found either way.
#[derive(Debug)]
pub struct Checked {
    pub program: Result<Program, Vec<LangError>>,
    pub warnings: Vec<LangError>,
}

/// [`compile_files`] with the warnings.
pub fn check_files(paths: &[PathBuf]) -> Checked {
    let mut loader = Loader::new(Origin::Disk);
    for path in paths {
        if path.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = rules_in(path, &mut files) {
                loader.errors.push(LangError::file(
                    ErrorKind::Io,
                    path.display().to_string(),
                    format!("cannot read folder: {e}"),
                ));
                continue;
            }
            if files.is_empty() {
                loader.errors.push(
                    LangError::file(
                        ErrorKind::Io,
                        path.display().to_string(),
                        "no .rules file in this folder",
                    )
                    .with_help("rule files end in `.rules`"),
                );
            }
            files.sort();
            for f in files {
                loader.visit(&f, None);
            }
        } else {
            loader.visit(path, None);
        }
    }
    loader.finish()
}

/// Parses and checks sources held in memory, e.g. the standard library
/// compiled in with `include_str!`: `(name, text)` pairs, all of them
/// top-level; an `.include "x.rules"` names another of them, relative to
/// the including one's name. With the warnings.
pub fn check_sources(sources: &[(&str, &str)]) -> Checked {
    let map = sources
        .iter()
        .map(|(name, text)| (normalise(Path::new(name)).display().to_string(), *text))
        .collect();
    let mut loader = Loader::new(Origin::Memory(map));
    for (name, _) in sources {
        loader.visit(Path::new(name), None);
    }
    loader.finish()
}

fn rules_in(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rules_in(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rules") {
            out.push(path);
        }
    }
    Ok(())
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

impl<'a> Loader<'a> {
    fn new(origin: Origin<'a>) -> Self {
        Loader {
            origin,
            sources: SourceMap::default(),
            modules: Vec::new(),
            errors: Vec::new(),
            seen: FxHashSet::default(),
            stack: Vec::new(),
        }
    }

    fn read(&self, path: &Path, included_at: Option<Loc>) -> Result<(PathBuf, String), LangError> {
        let name = path.display().to_string();
        let missing = |reason: String| match included_at {
            Some(loc) => LangError::at(
                &self.sources,
                ErrorKind::Include,
                loc,
                format!("cannot include `{name}`: {reason}"),
                "included here",
            )
            .with_help("`.include` paths are relative to the including file"),
            None => LangError::file(
                ErrorKind::Io,
                name.clone(),
                format!("cannot read: {reason}"),
            ),
        };
        match &self.origin {
            Origin::Disk => {
                let text = std::fs::read_to_string(path).map_err(|e| missing(e.to_string()))?;
                let key = std::fs::canonicalize(path).unwrap_or_else(|_| normalise(path));
                Ok((key, text))
            }
            Origin::Memory(map) => {
                let key = normalise(path);
                let text = map
                    .get(&key.display().to_string())
                    .ok_or_else(|| missing("no built-in rule file has this name".into()))?;
                Ok((key, text.to_string()))
            }
        }
    }

    fn visit(&mut self, path: &Path, included_at: Option<Loc>) {
        let (key, text) = match self.read(path, included_at) {
            Ok(r) => r,
            Err(e) => {
                self.errors.push(e);
                return;
            }
        };
        if let Some(pos) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<&str> = self.stack[pos..].iter().map(|(_, n)| n.as_str()).collect();
            let name = path.display().to_string();
            chain.push(&name);
            let message = format!("include cycle: {}", chain.join(" -> "));
            let e = match included_at {
                Some(loc) => LangError::at(&self.sources, ErrorKind::Include, loc, message, "includes a file that includes this one")
                    .with_help("remove one of the includes; a file included from several places is read once anyway"),
                None => LangError::file(ErrorKind::Include, name.clone(), message),
            };
            self.errors.push(e);
            return;
        }
        if !self.seen.insert(key.clone()) {
            return;
        }
        let name = path.display().to_string();
        let disk_path = matches!(self.origin, Origin::Disk).then(|| path.to_path_buf());
        let file = self.sources.add(name.clone(), disk_path, Arc::from(text));
        let (module, errors) = parse(&self.sources, file);
        self.errors.extend(errors);
        let includes: Vec<(String, Loc)> = module
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Include(inc) => Some((inc.path.clone(), inc.loc)),
                _ => None,
            })
            .collect();
        self.stack.push((key, name));
        let dir = path.parent().unwrap_or(Path::new(""));
        for (inc, loc) in includes {
            let target = if Path::new(&inc).is_absolute() {
                PathBuf::from(&inc)
            } else {
                normalise(&dir.join(&inc))
            };
            self.visit(&target, Some(loc));
        }
        self.stack.pop();
        // After its includes, as if their text stood in its place: what a
        // file includes is declared before the file's own items.
        self.modules.push(module);
    }

    fn finish(self) -> Checked {
        let mut errors = self.errors;
        let mut warnings = Vec::new();
        if errors.is_empty() {
            let (program, w) = check::check(self.sources, &self.modules);
            warnings = w;
            match program {
                Ok(p) => {
                    return Checked {
                        program: Ok(p),
                        warnings,
                    }
                }
                Err(e) => errors = e,
            }
        }
        errors.sort_by_key(check::sort_key);
        Checked {
            program: Err(errors),
            warnings,
        }
    }
}
