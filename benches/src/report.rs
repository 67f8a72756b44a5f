//! The benchmark report (`scripts/bench-report`): criterion's results of the `savina_time` bench
//! as a markdown table per workload (Courier and each peer: time, ratio to Courier, messages per
//! second), and the targets table of `DESIGN.md` with the values this run measured.
//!
//! It reads what criterion writes: `<criterion dir>/savina_<workload>/<runtime>/new/`
//! `estimates.json` (the median, in nanoseconds per run) and `benchmark.json` (messages per
//! run, as criterion's element throughput). The targets table (`report/targets.rs`) also reads
//! the `pingpong_floor` group and `savina_targets.tsv`, which `savina_time` writes beside them.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

mod targets;

pub use targets::{
    Floor, Interleaved, SkynetRss, Sources, SpawnIdle, TargetReadings, instructions_per_op,
    load_note, load_target_readings, parse_target_readings, targets_table,
};

/// The order of the runtimes in a table; Courier first, the floor last.
pub const RUNTIMES: [&str; 5] = ["courier", "actix", "ractor", "kameo", "threads"];

/// The actor runtimes Courier is compared with in the targets (the floor is not one).
pub const PEERS: [&str; 3] = ["actix", "ractor", "kameo"];

/// The group prefix of the `savina_time` bench.
const GROUP_PREFIX: &str = "savina_";

/// One runtime's result on one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// The workload, e.g. `ping_pong`.
    pub workload: String,
    /// The runtime, e.g. `courier`.
    pub runtime: String,
    /// Criterion's median time of one run, in nanoseconds.
    pub median_ns: f64,
    /// Messages in one run, when criterion recorded a throughput.
    pub messages: Option<u64>,
}

impl Measurement {
    /// Messages per second, when the messages per run are known.
    #[must_use]
    pub fn messages_per_second(&self) -> Option<f64> {
        #[expect(clippy::cast_precision_loss, reason = "a rate needs no more precision")]
        self.messages
            .map(|messages| messages as f64 / (self.median_ns * 1e-9))
    }
}

/// Reads every `savina_*` result under `criterion_dir` (usually `target/criterion`), sorted by
/// workload and then runtime.
///
/// # Errors
/// A result file that cannot be read or parsed.
pub fn load(criterion_dir: &Path) -> anyhow::Result<Vec<Measurement>> {
    let mut measurements = Vec::new();
    let groups = match std::fs::read_dir(criterion_dir) {
        Ok(groups) => groups,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(measurements),
        Err(error) => return Err(error).context(criterion_dir.display().to_string()),
    };
    for group in groups {
        let group = group?.path();
        let Some(workload) = group
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_prefix(GROUP_PREFIX))
            .map(str::to_owned)
        else {
            continue;
        };
        for runtime in RUNTIMES {
            let new = group.join(runtime).join("new");
            if !new.join("estimates.json").exists() {
                continue;
            }
            let (median_ns, messages) = read_result(&new)?;
            let runtime = runtime.to_owned();
            measurements.push(Measurement {
                workload: workload.clone(),
                runtime,
                median_ns,
                messages,
            });
        }
    }
    measurements.sort_by(|a, b| {
        let rank = |m: &Measurement| RUNTIMES.iter().position(|r| *r == m.runtime);
        a.workload
            .cmp(&b.workload)
            .then_with(|| rank(a).cmp(&rank(b)))
    });
    Ok(measurements)
}

/// The median and the messages per run from one criterion result directory (`.../new`).
pub(crate) fn read_result(new: &Path) -> anyhow::Result<(f64, Option<u64>)> {
    let read = |name: &str| -> anyhow::Result<serde_json::Value> {
        let path = new.join(name);
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        serde_json::from_str(&text).with_context(|| path.display().to_string())
    };
    let estimates = read("estimates.json")?;
    let median_ns = estimates["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("{}: no median", new.display()))?;
    let messages = read("benchmark.json")?["throughput"]["Elements"].as_u64();
    Ok((median_ns, messages))
}

/// One runtime's result on one workload with a given number of workers (criterion group
/// `scaling_<workload>`, function `<runtime>_<workers>_workers`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPoint {
    /// The workload.
    pub workload: String,
    /// The runtime: Courier, or a peer whose worker count can be set (ractor, kameo).
    pub runtime: String,
    /// Its workers (Courier's workers, tokio's worker threads).
    pub workers: u32,
    /// Criterion's median time of one run, in nanoseconds.
    pub median_ns: f64,
}

/// The runtime and the workers a scaling function name (`<runtime>_<workers>_workers`) gives.
#[must_use]
pub fn parse_scaling_function(name: &str) -> Option<(&'static str, u32)> {
    let rest = name.strip_suffix("_workers")?;
    let (runtime, workers) = rest.rsplit_once('_')?;
    let runtime = RUNTIMES.into_iter().find(|r| *r == runtime)?;
    Some((runtime, workers.parse().ok()?))
}

/// Reads every `scaling_*` result under `criterion_dir`, sorted by workload, runtime (in the
/// order of [`RUNTIMES`]) and workers.
///
/// # Errors
/// A result file that cannot be read or parsed.
pub fn load_scaling(criterion_dir: &Path) -> anyhow::Result<Vec<ScalingPoint>> {
    let mut points = Vec::new();
    let Ok(groups) = std::fs::read_dir(criterion_dir) else {
        return Ok(points);
    };
    for group in groups {
        let group = group?.path();
        let name = group
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(workload) = name.strip_prefix("scaling_") else {
            continue;
        };
        for function in std::fs::read_dir(&group)? {
            let function = function?.path();
            let parsed = function
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_scaling_function);
            let new = function.join("new");
            if let (Some((runtime, workers)), true) = (parsed, new.join("estimates.json").exists())
            {
                let (median_ns, _) = read_result(&new)?;
                points.push(ScalingPoint {
                    workload: workload.to_owned(),
                    runtime: runtime.to_owned(),
                    workers,
                    median_ns,
                });
            }
        }
    }
    let rank = |p: &ScalingPoint| RUNTIMES.iter().position(|r| *r == p.runtime);
    points.sort_by(|a, b| {
        a.workload
            .cmp(&b.workload)
            .then_with(|| rank(a).cmp(&rank(b)))
            .then(a.workers.cmp(&b.workers))
    });
    Ok(points)
}

/// Times by number of workers, a row per workload and runtime; with `single_thread`, a row per
/// workload for each runtime that has no worker count (actix: its one arbiter thread), its
/// time from the Savina table in the 1-worker column and "one thread" in the others.
#[must_use]
pub fn scaling_table(points: &[ScalingPoint], single_thread: &[Measurement]) -> String {
    let mut workers: Vec<u32> = points.iter().map(|p| p.workers).collect();
    workers.sort_unstable();
    workers.dedup();
    let mut rows: Vec<(&str, &str)> = points
        .iter()
        .map(|p| (p.workload.as_str(), p.runtime.as_str()))
        .collect();
    rows.dedup();
    let mut text = String::from("| workload | runtime |");
    for w in &workers {
        let _ = write!(text, " {w} worker{} |", if *w == 1 { "" } else { "s" });
    }
    text.push_str("\n|---|---|");
    text.push_str(&"---:|".repeat(workers.len()));
    text.push('\n');
    let mut workloads: Vec<&str> = rows.iter().map(|row| row.0).collect();
    workloads.dedup();
    for workload in workloads {
        for (_, runtime) in rows.iter().filter(|row| row.0 == workload) {
            let _ = write!(text, "| {workload} | {runtime} |");
            for w in &workers {
                let cell = points
                    .iter()
                    .find(|p| p.workload == workload && p.runtime == *runtime && p.workers == *w)
                    .map_or_else(|| "-".to_owned(), |p| format_time(p.median_ns));
                let _ = write!(text, " {cell} |");
            }
            text.push('\n');
        }
        for m in single_thread.iter().filter(|m| m.workload == workload) {
            let time = format_time(m.median_ns);
            let _ = write!(text, "| {workload} | {} (one thread) | {time} |", m.runtime);
            text.push_str(&" one thread |".repeat(workers.len().saturating_sub(1)));
            text.push('\n');
        }
    }
    text
}

/// The counters `savina_time` read around one extra run of each workload and runtime
/// (`<criterion dir>/savina_counters.tsv`): where they came from, and
/// `(workload, runtime, event, count per message)` rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CounterReadings {
    /// The first line: which counters (hardware, software, none) and why.
    pub source: String,
    /// One row per workload, runtime and event.
    pub rows: Vec<(String, String, String, f64)>,
}

/// Reads the counters file; `None` when there is none.
#[must_use]
pub fn load_counters(criterion_dir: &Path) -> Option<CounterReadings> {
    let text = std::fs::read_to_string(criterion_dir.join("savina_counters.tsv")).ok()?;
    let mut readings = CounterReadings::default();
    for line in text.lines() {
        if let Some(source) = line.strip_prefix("# ") {
            source.clone_into(&mut readings.source);
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if let [workload, runtime, event, value] = fields.as_slice()
            && let Ok(value) = value.parse::<f64>()
        {
            let row = (
                (*workload).to_owned(),
                (*runtime).to_owned(),
                (*event).to_owned(),
                value,
            );
            readings.rows.push(row);
        }
    }
    Some(readings)
}

/// The counters as a table: a row per workload and runtime, a column per event.
#[must_use]
pub fn counters_table(readings: &CounterReadings) -> String {
    let mut events: Vec<&str> = Vec::new();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for (workload, runtime, event, _) in &readings.rows {
        if !events.contains(&event.as_str()) {
            events.push(event);
        }
        if !keys.contains(&(workload.as_str(), runtime.as_str())) {
            keys.push((workload, runtime));
        }
    }
    let mut text = format!("Source: {}.\n\n| workload | runtime |", readings.source);
    for event in &events {
        let _ = write!(text, " {event} per message |");
    }
    text.push_str("\n|---|---|");
    text.push_str(&"---:|".repeat(events.len()));
    text.push('\n');
    for (workload, runtime) in keys {
        let _ = write!(text, "| {workload} | {runtime} |");
        for event in &events {
            let value = readings
                .rows
                .iter()
                .find(|r| r.0 == workload && r.1 == runtime && r.2 == *event)
                .map_or_else(|| "-".to_owned(), |r| format_count(r.3));
            let _ = write!(text, " {value} |");
        }
        text.push('\n');
    }
    text
}

/// The workloads measured, in the order given by `order` first (then any others, sorted).
#[must_use]
pub fn workloads(measurements: &[Measurement], order: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in order {
        if measurements.iter().any(|m| m.workload == *name) {
            names.push((*name).to_owned());
        }
    }
    for m in measurements {
        if !names.contains(&m.workload) {
            names.push(m.workload.clone());
        }
    }
    names
}

/// A time in the unit that suits it.
#[must_use]
pub fn format_time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A rate in millions, or thousands when small.
#[must_use]
pub fn format_rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M", per_second / 1e6)
    } else {
        format!("{:.1} K", per_second / 1e3)
    }
}

/// A count per message: three decimals below 10 (context switches are well under one per
/// message), one above.
#[must_use]
pub fn format_count(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.3}")
    } else {
        format!("{value:.1}")
    }
}

/// One workload's table: runtime, median time, time relative to Courier's (above 1: slower
/// than Courier), messages per second.
#[must_use]
pub fn workload_table(measurements: &[Measurement], workload: &str) -> String {
    let rows: Vec<&Measurement> = measurements
        .iter()
        .filter(|m| m.workload == workload)
        .collect();
    let courier = rows
        .iter()
        .find(|m| m.runtime == "courier")
        .map(|m| m.median_ns);
    let mut text = format!("#### {workload}\n\n");
    text.push_str("| runtime | time (median) | time / Courier's | messages/s |\n");
    text.push_str("|---|---:|---:|---:|\n");
    for m in rows {
        let ratio = courier.map_or_else(|| "-".to_owned(), |c| format!("{:.2}x", m.median_ns / c));
        let rate = m
            .messages_per_second()
            .map_or_else(|| "-".to_owned(), format_rate);
        let _ = writeln!(
            text,
            "| {} | {} | {ratio} | {rate} |",
            m.runtime,
            format_time(m.median_ns)
        );
    }
    text
}

/// How much faster Courier is than the fastest peer on `workload` (the fastest peer's time over
/// Courier's), and which peer that is.
#[must_use]
pub fn lead_over_best_peer(measurements: &[Measurement], workload: &str) -> Option<(f64, String)> {
    let time = |runtime: &str| {
        measurements
            .iter()
            .find(|m| m.workload == workload && m.runtime == runtime)
            .map(|m| m.median_ns)
    };
    let courier = time("courier")?;
    let (best, best_ns) = PEERS
        .iter()
        .filter_map(|peer| time(peer).map(|ns| (*peer, ns)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some((best_ns / courier, best.to_owned()))
}

#[cfg(test)]
mod tests;
