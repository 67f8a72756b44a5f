//! The instruction-count gate: gungraun's machine-readable summaries (`--output-format=json`,
//! one JSON object per benchmark and line) against a committed baseline of callgrind `Ir`
//! counts.
//!
//! Counts are deterministic for a given binary, so a small tolerance is enough: a count more
//! than [`TOLERANCE_PERCENT`] above its baseline fails the gate; one more than that below it
//! passes but is reported, so the baseline gets rewritten (`scripts/bench-baseline`) and the
//! gain is locked in.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// How far a count may move from its baseline, in percent, before the gate reacts.
pub const TOLERANCE_PERCENT: f64 = 5.0;

/// A move of this many instructions or fewer never makes the gate react, whatever its percent:
/// the counts of a few instructions (the harness-only case, 4 to 6) follow the compiler's
/// register allocation and block layout of a few moves, which an unrelated change elsewhere in
/// the binary shifts.
pub const TOLERANCE_INSTRUCTIONS: u64 = 2;

/// One measured benchmark: its full name and its instruction count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// `<bench file>::<group>::<function>.<id>`, e.g. `spawn_instr::spawn_group::spawn.spawn_1000`.
    pub name: String,
    /// Callgrind's `Ir`: instructions executed.
    pub instructions: u64,
}

/// What the gate concludes about one benchmark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Within the tolerance of the baseline.
    Unchanged {
        /// Change against the baseline, in percent.
        delta_percent: f64,
    },
    /// More than the tolerance above the baseline: the gate fails.
    Regressed {
        /// Change against the baseline, in percent.
        delta_percent: f64,
    },
    /// More than the tolerance below the baseline: passes, and asks for a new baseline.
    Improved {
        /// Change against the baseline, in percent.
        delta_percent: f64,
    },
    /// Measured but not in the baseline (a new benchmark): passes, asks for a new baseline.
    New,
    /// In the baseline but not measured (renamed or removed): passes, asks for a new baseline.
    Missing,
}

/// One row of the comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The benchmark's full name.
    pub name: String,
    /// The baseline's count, if it has one.
    pub baseline: Option<u64>,
    /// This run's count, if it measured one.
    pub current: Option<u64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// An error in a summary line or in the baseline file, with the line it is on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line, counting from 1.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads gungraun's JSON lines (`cargo bench -- --output-format=json`): one benchmark per line,
/// its callgrind profile's total `Ir`. Blank lines are skipped.
///
/// # Errors
/// A line that is not a gungraun summary with a callgrind `Ir` total.
pub fn parse_summaries(text: &str) -> Result<Vec<Count>, ParseError> {
    let mut counts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let error = |message: &str| ParseError {
            line: index + 1,
            message: message.to_owned(),
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| error(&format!("not JSON: {e}")))?;
        let module = value["module_path"]
            .as_str()
            .ok_or_else(|| error("no module_path"))?;
        let name = match value["id"].as_str() {
            Some(id) => format!("{module}.{id}"),
            None => module.to_owned(),
        };
        let profiles = value["profiles"]
            .as_array()
            .ok_or_else(|| error("no profiles"))?;
        let callgrind = profiles
            .iter()
            .find(|profile| profile["tool"] == "Callgrind")
            .ok_or_else(|| error("no Callgrind profile"))?;
        let instructions = callgrind["data"]["total"]["metrics"]["Ir"]["values"]["new"]
            .as_u64()
            .ok_or_else(|| error("no total Ir count in the Callgrind profile"))?;
        counts.push(Count { name, instructions });
    }
    Ok(counts)
}

/// Reads a baseline file: `name count` per line; `#` starts a comment.
///
/// # Errors
/// A line without exactly a name and a count, or a name given twice.
pub fn parse_baseline(text: &str) -> Result<BTreeMap<String, u64>, ParseError> {
    let mut baseline = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let error = |message: String| ParseError {
            line: index + 1,
            message,
        };
        let mut fields = line.split_whitespace();
        let (Some(name), Some(count), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(error(format!("expected `name count`, found `{line}`")));
        };
        let count = count
            .parse::<u64>()
            .map_err(|e| error(format!("count `{count}`: {e}")))?;
        if baseline.insert(name.to_owned(), count).is_some() {
            return Err(error(format!("`{name}` is given twice")));
        }
    }
    Ok(baseline)
}

/// Writes a baseline file for `counts`, sorted by name, with a header saying what it is.
#[must_use]
pub fn format_baseline(counts: &[Count]) -> String {
    let mut sorted: Vec<&Count> = counts.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let width = sorted.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut text = String::from(
        "# Instruction counts (callgrind Ir) of the gungraun benches: the baseline of the gate in\n\
         # scripts/bench-instr, which fails when a count grows by more than 5%.\n\
         # Rewrite it on purpose with scripts/bench-baseline, and say why in the commit.\n",
    );
    for count in sorted {
        let _ = writeln!(text, "{:width$} {}", count.name, count.instructions);
    }
    text
}

/// Compares this run's counts with the baseline, one row per name in either, sorted by name.
#[must_use]
pub fn compare(baseline: &BTreeMap<String, u64>, counts: &[Count]) -> Vec<Row> {
    let current: BTreeMap<&str, u64> = counts
        .iter()
        .map(|c| (c.name.as_str(), c.instructions))
        .collect();
    let mut names: Vec<&str> = baseline.keys().map(String::as_str).collect();
    names.extend(current.keys().filter(|name| !baseline.contains_key(**name)));
    names.sort_unstable();
    names
        .into_iter()
        .map(|name| {
            let old = baseline.get(name).copied();
            let new = current.get(name).copied();
            let verdict = match (old, new) {
                (Some(old), Some(new)) => judge(old, new),
                (None, _) => Verdict::New,
                (Some(_), None) => Verdict::Missing,
            };
            Row {
                name: name.to_owned(),
                baseline: old,
                current: new,
                verdict,
            }
        })
        .collect()
}

fn judge(old: u64, new: u64) -> Verdict {
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts far below 2^52; a percentage needs no more precision"
    )]
    let delta_percent = if old == 0 {
        if new == 0 { 0.0 } else { f64::INFINITY }
    } else {
        (new as f64 - old as f64) / old as f64 * 100.0
    };
    if old.abs_diff(new) <= TOLERANCE_INSTRUCTIONS {
        Verdict::Unchanged { delta_percent }
    } else if delta_percent > TOLERANCE_PERCENT {
        Verdict::Regressed { delta_percent }
    } else if delta_percent < -TOLERANCE_PERCENT {
        Verdict::Improved { delta_percent }
    } else {
        Verdict::Unchanged { delta_percent }
    }
}

/// Whether any row fails the gate.
#[must_use]
pub fn any_regressed(rows: &[Row]) -> bool {
    rows.iter()
        .any(|row| matches!(row.verdict, Verdict::Regressed { .. }))
}

/// Whether the baseline should be rewritten: a count improved past the tolerance, or a benchmark
/// is new or gone.
#[must_use]
pub fn baseline_stale(rows: &[Row]) -> bool {
    rows.iter().any(|row| {
        matches!(
            row.verdict,
            Verdict::Improved { .. } | Verdict::New | Verdict::Missing
        )
    })
}

/// The comparison as a markdown table.
#[must_use]
pub fn format_table(rows: &[Row]) -> String {
    let mut text = String::from("| benchmark | baseline Ir | this run Ir | change | verdict |\n");
    text.push_str("|---|---:|---:|---:|---|\n");
    let show = |count: Option<u64>| count.map_or_else(|| "-".to_owned(), |c| c.to_string());
    for row in rows {
        let (change, verdict) = match row.verdict {
            Verdict::Unchanged { delta_percent } => (format!("{delta_percent:+.2}%"), "ok"),
            Verdict::Regressed { delta_percent } => (format!("{delta_percent:+.2}%"), "REGRESSED"),
            Verdict::Improved { delta_percent } => (
                format!("{delta_percent:+.2}%"),
                "improved: update the baseline",
            ),
            Verdict::New => ("-".to_owned(), "new: add it to the baseline"),
            Verdict::Missing => ("-".to_owned(), "not measured: remove it from the baseline"),
        };
        let _ = writeln!(
            text,
            "| {} | {} | {} | {change} | {verdict} |",
            row.name,
            show(row.baseline),
            show(row.current)
        );
    }
    text
}

#[cfg(test)]
mod tests;
