//! The one diagnostic type of the rule language: a miette report with the
//! file, the exact columns, a snippet and a hint. Tests read `kind`, `line`
//! and `col` directly; users see the rendered report.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

use super::source::{Loc, SourceMap};
use crate::diag::Severity;

/// What went wrong, one variant per class of check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Unreadable file, missing include.
    Io,
    Syntax,
    /// A construct of Soufflé that rulecheck does not run.
    Unsupported,
    Include,
    UnknownRelation,
    UnknownType,
    DuplicateDecl,
    /// A `.decl` of a base relation that differs from the built-in schema.
    BaseMismatch,
    Arity,
    Type,
    Unbound,
    Stratification,
    Regex,
    /// A rule that derives a base relation, `_` in a head, and the like.
    Invalid,
    /// A variable that occurs once in a clause (a warning, as in Soufflé).
    SingleUse,
    /// A relation that is read but has no rules, no facts and no `.input`
    /// (a warning: it is always empty).
    NoRules,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Io => "rulecheck::io",
            ErrorKind::Syntax => "rulecheck::syntax",
            ErrorKind::Unsupported => "rulecheck::unsupported",
            ErrorKind::Include => "rulecheck::include",
            ErrorKind::UnknownRelation => "rulecheck::unknown_relation",
            ErrorKind::UnknownType => "rulecheck::unknown_type",
            ErrorKind::DuplicateDecl => "rulecheck::duplicate_decl",
            ErrorKind::BaseMismatch => "rulecheck::base_mismatch",
            ErrorKind::Arity => "rulecheck::arity",
            ErrorKind::Type => "rulecheck::type",
            ErrorKind::Unbound => "rulecheck::unbound",
            ErrorKind::Stratification => "rulecheck::stratification",
            ErrorKind::Regex => "rulecheck::regex",
            ErrorKind::Invalid => "rulecheck::invalid",
            ErrorKind::SingleUse => "rulecheck::single_use",
            ErrorKind::NoRules => "rulecheck::no_rules",
        }
    }
}

/// A problem in rule files; its fields are those of [`Detail`]. Boxed
/// because errors travel through every parser function's `Result`.
#[derive(Debug)]
pub struct LangError(Box<Detail>);

impl std::ops::Deref for LangError {
    type Target = Detail;

    fn deref(&self) -> &Detail {
        &self.0
    }
}

/// `line` and `col` (1-based, columns in characters) are those of the
/// primary label; both are 0 when there is no position (a file that cannot
/// be read).
#[derive(Debug)]
pub struct Detail {
    pub kind: ErrorKind,
    /// Errors stop the program; warnings (lints) are only shown.
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub help: Option<String>,
    /// The primary location, for sorting and de-duplication.
    pub loc: Option<Loc>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
}

impl LangError {
    /// An error at `loc` with `label` under the exact columns.
    pub fn at(
        sources: &SourceMap,
        kind: ErrorKind,
        loc: Loc,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        let file = sources.file(loc.file);
        let (line, col) = file.line_col(loc.start);
        LangError(Box::new(Detail {
            kind,
            severity: Severity::Error,
            message: message.into(),
            file: file.name.clone(),
            line,
            col,
            help: None,
            loc: Some(loc),
            source: Some(NamedSource::new(&file.name, file.text.to_string())),
            labels: vec![LabeledSpan::new_primary_with_span(
                Some(label.into()),
                to_span(loc),
            )],
        }))
    }

    /// An error about a whole file (or a path that is not one).
    pub fn file(kind: ErrorKind, file: impl Into<String>, message: impl Into<String>) -> Self {
        LangError(Box::new(Detail {
            kind,
            severity: Severity::Error,
            message: message.into(),
            file: file.into(),
            line: 0,
            col: 0,
            help: None,
            loc: None,
            source: None,
            labels: Vec::new(),
        }))
    }

    /// Makes this a warning: shown, but the program still runs.
    pub fn warning(mut self) -> Self {
        self.0.severity = Severity::Warning;
        self
    }

    /// Adds the hint; a note added before (another file's location) stays
    /// after it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        let help = help.into();
        self.0.help = Some(match self.0.help.take() {
            Some(note) => format!("{help}\n{note}"),
            None => help,
        });
        self
    }

    /// A second location: labelled in the snippet when it is in the same
    /// file, otherwise named (`file:line:col`) in the help.
    pub fn with_note(mut self, sources: &SourceMap, loc: Loc, label: impl Into<String>) -> Self {
        let label = label.into();
        if self.loc.map(|l| l.file) == Some(loc.file) {
            self.0
                .labels
                .push(LabeledSpan::new_with_span(Some(label), to_span(loc)));
        } else {
            let note = format!("{label}: {}", sources.describe(loc));
            self.0.help = Some(match self.0.help.take() {
                Some(h) => format!("{h}\n{note}"),
                None => note,
            });
        }
        self
    }

    /// `file:line:col: message`, the one-line form.
    pub fn short(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message)
        }
    }
}

fn to_span(loc: Loc) -> SourceSpan {
    SourceSpan::new((loc.start as usize).into(), loc.len())
}

impl fmt::Display for LangError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_none() {
            write!(f, "{}: ", self.file)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for LangError {}

impl Diagnostic for LangError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// The declared name closest to `name`, for "did you mean" hints: edit
/// distance at most a third of the name's length (and at least 1).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c.len()))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_name_within_a_third() {
        let names = ["span", "parent", "calls", "http_payload"];
        assert_eq!(closest("spam", names.iter().copied()), Some("span"));
        assert_eq!(
            closest("http_paylod", names.iter().copied()),
            Some("http_payload")
        );
        assert_eq!(closest("xyz", names.iter().copied()), None);
    }
}
