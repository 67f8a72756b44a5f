//! Errors of the NUMA config file: each names the file, the line and the key.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::{PlanError, TopologyError};

/// A place in the config file, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The line, from 1.
    pub line: u32,
    /// The column (in characters), from 1.
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` in `text`.
    ///
    /// ```
    /// use courier_sched::Position;
    /// assert_eq!(Position::of_offset("a = 1\nb = 2\n", 8), Position { line: 2, column: 3 });
    /// ```
    #[must_use]
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// What is wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Read(io::Error),
    /// The file is not valid TOML.
    Syntax(String),
    /// A key the config file does not have (a typo, or a key in the wrong table).
    UnknownKey(String),
    /// A value of the wrong TOML type (a string where a number belongs, ...).
    WrongType(String),
    /// A value of the right type that is out of range or malformed.
    BadValue(String),
    /// The topology the file names could not be loaded.
    Topology(TopologyError),
    /// The workers the file asks for do not fit the topology.
    Plan(PlanError),
}

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(error) => write!(f, "cannot read the file: {error}"),
            Self::Syntax(message) => write!(f, "invalid TOML: {message}"),
            Self::UnknownKey(message) | Self::WrongType(message) | Self::BadValue(message) => {
                f.write_str(message)
            }
            Self::Topology(error) => error.fmt(f),
            Self::Plan(error) => error.fmt(f),
        }
    }
}

/// A NUMA config error, naming the file, the line and the key where there is one.
///
/// Displayed as `FILE:LINE:COLUMN: key `KEY`: PROBLEM`.
#[derive(Debug)]
pub struct ConfigError {
    file: Option<PathBuf>,
    position: Option<Position>,
    key: Option<String>,
    kind: ConfigErrorKind,
}

impl ConfigError {
    pub(crate) fn new(
        file: Option<&Path>,
        position: Option<Position>,
        key: Option<String>,
        kind: ConfigErrorKind,
    ) -> Self {
        Self {
            file: file.map(Path::to_path_buf),
            position,
            key,
            kind,
        }
    }

    /// The config file, or `None` for the built-in defaults.
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The line of the offending key or value (`None` when the file could not be read, or for
    /// the built-in defaults).
    #[must_use]
    pub fn line(&self) -> Option<u32> {
        self.position.map(|position| position.line)
    }

    /// The position of the offending key or value.
    #[must_use]
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// The dotted key, e.g. `workers.count`.
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }

    /// What is wrong, by value.
    #[must_use]
    pub fn into_kind(self) -> ConfigErrorKind {
        self.kind
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}", file.display())?,
            None => f.write_str("(built-in defaults)")?,
        }
        if let Some(Position { line, column }) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ConfigErrorKind::Read(error) => Some(error),
            ConfigErrorKind::Topology(error) => Some(error),
            ConfigErrorKind::Plan(error) => Some(error),
            _ => None,
        }
    }
}
