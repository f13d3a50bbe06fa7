//! Problems found in user input: warnings that leave the exit code at 0
//! (unless `--strict`) and errors that make it 2. Every problem names the
//! file and, where there is one, the span or line.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    /// The span id (or other position, e.g. `line 3`) the problem is about.
    pub at: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn error(file: &Path, at: Option<String>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            file: file.to_path_buf(),
            at,
            message: message.into(),
        }
    }

    pub fn warning(file: &Path, at: Option<String>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            file: file.to_path_buf(),
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level}: {}", self.file.display())?;
        if let Some(at) = &self.at {
            write!(f, ": {at}")?;
        }
        write!(f, ": {}", self.message)
    }
}
