//! The benchmark report (`scripts/bench-report`): criterion's results of the `savina_time` bench
//! as a markdown table per workload (Courier and each peer: time, ratio to Courier, messages per
//! second), and the targets table of `DESIGN.md` with the values this run measured.
//!
//! It reads what criterion writes: `<criterion dir>/savina_<workload>/<runtime>/new/`
//! `estimates.json` (the median, in nanoseconds per run) and `benchmark.json` (messages per
//! run, as criterion's element throughput).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::gate;

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
fn read_result(new: &Path) -> anyhow::Result<(f64, Option<u64>)> {
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

/// Courier's result on one workload with a given number of workers (criterion group
/// `scaling_<workload>`, function `courier_<workers>_workers`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPoint {
    /// The workload.
    pub workload: String,
    /// Courier's workers.
    pub workers: u32,
    /// Criterion's median time of one run, in nanoseconds.
    pub median_ns: f64,
}

/// Reads every `scaling_*` result under `criterion_dir`, sorted by workload and workers.
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
            let workers = function
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("courier_"))
                .and_then(|n| n.strip_suffix("_workers"))
                .and_then(|n| n.parse::<u32>().ok());
            let new = function.join("new");
            if let (Some(workers), true) = (workers, new.join("estimates.json").exists()) {
                let (median_ns, _) = read_result(&new)?;
                points.push(ScalingPoint {
                    workload: workload.to_owned(),
                    workers,
                    median_ns,
                });
            }
        }
    }
    points.sort_by(|a, b| a.workload.cmp(&b.workload).then(a.workers.cmp(&b.workers)));
    Ok(points)
}

/// Courier's times by number of workers, a row per workload.
#[must_use]
pub fn scaling_table(points: &[ScalingPoint]) -> String {
    let mut workers: Vec<u32> = points.iter().map(|p| p.workers).collect();
    workers.sort_unstable();
    workers.dedup();
    let mut workloads: Vec<&str> = points.iter().map(|p| p.workload.as_str()).collect();
    workloads.dedup();
    let mut text = String::from("| workload |");
    for w in &workers {
        let _ = write!(text, " {w} worker{} |", if *w == 1 { "" } else { "s" });
    }
    text.push_str("\n|---|");
    text.push_str(&"---:|".repeat(workers.len()));
    text.push('\n');
    for workload in workloads {
        let _ = write!(text, "| {workload} |");
        for w in &workers {
            let cell = points
                .iter()
                .find(|p| p.workload == workload && p.workers == *w)
                .map_or_else(|| "-".to_owned(), |p| format_time(p.median_ns));
            let _ = write!(text, " {cell} |");
        }
        text.push('\n');
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

/// Instructions per operation from the gungraun counts: `total / ops` of the first benchmark
/// whose name contains `needle`.
#[must_use]
pub fn instructions_per_op(counts: &[gate::Count], needle: &str, ops: u64) -> Option<u64> {
    counts
        .iter()
        .find(|c| c.name.contains(needle))
        .map(|c| c.instructions / ops)
}

/// Where the measured values for the targets come from.
#[derive(Debug)]
pub struct Sources<'a> {
    /// The Savina results.
    pub measurements: &'a [Measurement],
    /// The gungraun instruction counts (this run's, or the committed baseline's).
    pub counts: &'a [gate::Count],
    /// Where `counts` came from, said in the table.
    pub counts_from: &'a str,
    /// The scale the Savina benches ran at (`quick` or `full`).
    pub scale: &'a str,
}

/// What a row of the targets table is measured by, in this report.
#[derive(Clone, Copy, Debug)]
enum Measure {
    /// Not measured by this report.
    Elsewhere,
    LocalSend,
    /// Courier's messages per second on this workload.
    Rate(&'static str),
    Spawn,
    Skynet,
    /// Courier's lead over the fastest peer on these workloads, against this factor.
    Lead(&'static [&'static str], f64),
}

/// The targets table of `DESIGN.md`: measure, spec, target, and how this report measures it.
const TARGETS: [(&str, &str, &str, Measure); 13] = [
    (
        "local send, same core (instructions, gungraun)",
        "75 ns",
        "<= 150 instructions",
        Measure::LocalSend,
    ),
    (
        "single actor throughput, one sender",
        "10 M msg/s",
        ">= 30 M msg/s",
        Measure::Rate("counting"),
    ),
    (
        "ping-pong round trip between two pinned workers",
        "-",
        "<= 2.5x bare cache line",
        Measure::Elsewhere,
    ),
    (
        "pipeline with backpressure",
        "5 M msg/s",
        ">= 10 M msg/s",
        Measure::Rate("bounded_buffer"),
    ),
    (
        "spawn",
        "10 us, 3 MB",
        "<= 0.2 us, <= 384 B per idle actor",
        Measure::Spawn,
    ),
    (
        "skynet, 1 M short-lived actors",
        "-",
        "<= 200 ms, peak RSS <= 256 MiB",
        Measure::Skynet,
    ),
    ("supervised restart", "50 us", "<= 5 us", Measure::Elsewhere),
    (
        "selective receive",
        "200 ns",
        "<= 50 ns per skipped message",
        Measure::Elsewhere,
    ),
    (
        "MCP tools/call over stdio, pipelined",
        "100 K/s",
        ">= 250 K/s on 2 cores",
        Measure::Elsewhere,
    ),
    (
        "remote send over loopback",
        "75 us, 100 K msg/s",
        "<= 25 us, >= 1 M msg/s",
        Measure::Elsewhere,
    ),
    (
        "node failure detected / partition healed",
        "< 1 s / < 5 s",
        "< 0.5 s / < 2 s",
        Measure::Elsewhere,
    ),
    (
        "versus peers: throughput, fanout, skynet",
        "-",
        ">= 5x the best",
        Measure::Lead(&["counting", "fork_join_throughput", "skynet"], 5.0),
    ),
    (
        "versus peers: ping-pong, spawn",
        "-",
        ">= 2.5x the best",
        Measure::Lead(&["ping_pong", "fork_join_creation"], 2.5),
    ),
];

/// What this run measured for a row, if anything.
fn measured(measure: Measure, sources: &Sources<'_>) -> Option<String> {
    let m = sources.measurements;
    let courier = |workload: &str| {
        m.iter()
            .find(|x| x.workload == workload && x.runtime == "courier")
    };
    match measure {
        Measure::Elsewhere => None,
        Measure::LocalSend => instructions_per_op(sources.counts, "local_send", 1000)
            .map(|i| format!("{i} instructions ({})", sources.counts_from)),
        Measure::Spawn => instructions_per_op(sources.counts, "spawn_1000", 1000)
            .map(|i| format!("{i} instructions per spawn ({})", sources.counts_from)),
        Measure::Rate(workload) => courier(workload)
            .and_then(Measurement::messages_per_second)
            .map(|rate| {
                let rate = format_rate(rate);
                format!("{rate} msg/s ({workload}, {} scale)", sources.scale)
            }),
        Measure::Skynet => courier("skynet").map(|x| {
            let time = format_time(x.median_ns);
            format!("{time} ({} scale; 1 M leaves only at full)", sources.scale)
        }),
        Measure::Lead(workloads, target) => {
            let parts: Vec<String> = workloads
                .iter()
                .filter_map(|workload| {
                    lead_over_best_peer(m, workload).map(|(lead, peer)| {
                        let verdict = if lead >= target { "met" } else { "not met" };
                        format!("{workload}: {lead:.2}x {peer} ({verdict})")
                    })
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
    }
}

/// The targets table of `DESIGN.md` with the values this run measured ("-" where this report
/// measures nothing for a row). A lead is the fastest peer's time over Courier's.
#[must_use]
pub fn targets_table(sources: &Sources<'_>) -> String {
    let mut text = String::from("| measure | spec | target | measured here |\n|---|---|---|---|\n");
    for (name, spec, target, measure) in TARGETS {
        let value = measured(measure, sources).unwrap_or_else(|| "-".to_owned());
        let _ = writeln!(text, "| {name} | {spec} | {target} | {value} |");
    }
    text
}

#[cfg(test)]
mod tests;
