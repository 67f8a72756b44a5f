//! The targets table of `DESIGN.md` with what this run measured and a verdict per row: met,
//! not met, or not measured (and why). A figure the run did not measure is never printed.
//!
//! Beyond the Savina results and the gungraun counts it reads what `savina_time` measured for
//! the targets alone (`benches/savina/targets.rs`): criterion's `pingpong_floor` group
//! (`courier_2_workers` and `bare_atomic`, a round trip per iteration) and
//! `<criterion dir>/savina_targets.tsv`:
//!
//! ```text
//! pingpong_floor<TAB>how the two workers and the bare threads were placed
//! pingpong_interleaved<TAB>rounds<TAB>median Courier ns<TAB>median bare ns<TAB>median ratio
//! skynet_rss<TAB>leaves<TAB>runs<TAB>median ns<TAB>VmHWM KiB before<TAB>VmHWM KiB after
//! skynet_rss_missing<TAB>why
//! spawn_idle<TAB>actors<TAB>ns per spawn<TAB>bytes per idle actor (or -)
//! spawn_idle_missing<TAB>why
//! load_average<TAB>at the start of the run<TAB>after the targets step (or -)
//! ```

use std::fmt::Write as _;
use std::path::Path;

use super::{Measurement, format_rate, format_time, lead_over_best_peer, read_result};
use crate::gate;

/// The cross-worker ping-pong and its floor, a round trip each, measured in the same run.
#[derive(Clone, Debug, PartialEq)]
pub struct Floor {
    /// Courier's round trip between two actors, each on its own worker.
    pub courier_ns: f64,
    /// Two threads bouncing a cache line.
    pub bare_ns: f64,
    /// The floor's fastest sample (criterion's `sample.json`), to tell a disturbed floor.
    pub bare_fastest_ns: Option<f64>,
}

/// The cross-worker ping-pong and its floor timed in interleaved rounds (a Courier rally, then a
/// bare one, on the same CPUs): the medians over the rounds. The ratio is the median of the
/// rounds' own ratios, each comparing two rallies a few milliseconds apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Interleaved {
    /// Rounds run.
    pub rounds: u32,
    /// Courier's round trip.
    pub courier_ns: f64,
    /// The bare round trip.
    pub bare_ns: f64,
    /// Courier's round trip over the bare one.
    pub ratio: f64,
}

/// A floor whose median is more than this many times its fastest sample was disturbed by
/// other work on the machine (a quiet run's samples are within a few percent of each other):
/// the ratio to it gets no verdict. At 2.0 a run whose floor median was 561 ns (about twice
/// this machine's quiet 260 ns) still got a "met" it had not earned.
const FLOOR_SPREAD_MAX: f64 = 1.25;

/// The fastest per-iteration time of a criterion result directory's samples.
fn fastest_sample(new: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(new.join("sample.json")).ok()?;
    let sample: serde_json::Value = serde_json::from_str(&text).ok()?;
    let times = sample["times"].as_array()?;
    let iters = sample["iters"].as_array()?;
    times
        .iter()
        .zip(iters)
        .filter_map(|(time, iters)| Some(time.as_f64()? / iters.as_f64()?))
        .min_by(f64::total_cmp)
}

/// Skynet with 1 M leaves in a fresh child process: its time and its peak resident set.
#[derive(Clone, Debug, PartialEq)]
pub struct SkynetRss {
    /// Leaves of the tree.
    pub leaves: u64,
    /// Runs; the time is their median.
    pub runs: u32,
    /// The median time of one run.
    pub median_ns: f64,
    /// The child's peak resident set before the first run, in KiB (`None`: unknown).
    pub before_kib: Option<u64>,
    /// The child's peak resident set after the last run, in KiB (`None`: unknown).
    pub peak_kib: Option<u64>,
}

/// Idle actors spawned in a fresh child process: the time per spawn and the memory per actor.
#[derive(Clone, Debug, PartialEq)]
pub struct SpawnIdle {
    /// Actors spawned.
    pub actors: u64,
    /// Time per `spawn` call, from outside the runtime.
    pub ns_per_spawn: f64,
    /// Growth of the resident set per actor (`None`: unknown).
    pub bytes_per_actor: Option<u64>,
}

/// What `savina_time` measured for the targets beside the workloads; each `Err` says why a
/// figure is missing.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetReadings {
    /// The `pingpong_floor` group.
    pub floor: Result<Floor, String>,
    /// How the floor's workers and threads were placed.
    pub floor_placement: Option<String>,
    /// The interleaved rounds of the same two round trips (the target's figure when present).
    pub interleaved: Option<Interleaved>,
    /// The skynet child.
    pub skynet: Result<SkynetRss, String>,
    /// The spawn child.
    pub spawn: Result<SpawnIdle, String>,
    /// The 1-minute load average at the start of the run and after the targets step.
    pub load_average: [Option<f64>; 2],
}

impl Default for TargetReadings {
    fn default() -> Self {
        let missing = "savina_time did not run its targets step".to_owned();
        TargetReadings {
            floor: Err(missing.clone()),
            floor_placement: None,
            interleaved: None,
            skynet: Err(missing.clone()),
            spawn: Err(missing),
            load_average: [None, None],
        }
    }
}

/// Reads `pingpong_floor` and `savina_targets.tsv` under `criterion_dir`; what is missing or
/// malformed becomes an `Err` saying so, never a number.
#[must_use]
pub fn load_target_readings(criterion_dir: &Path) -> TargetReadings {
    let tsv = criterion_dir.join("savina_targets.tsv");
    let mut readings = match std::fs::read_to_string(&tsv) {
        Ok(text) => parse_target_readings(&text),
        Err(error) => TargetReadings {
            skynet: Err(format!("no {}: {error}", tsv.display())),
            ..TargetReadings::default()
        },
    };
    let group = criterion_dir.join("pingpong_floor");
    let median = |function: &str| {
        let new = group.join(function).join("new");
        if !new.join("estimates.json").exists() {
            return Err(format!("no criterion result {}", new.display()));
        }
        read_result(&new)
            .map(|(ns, _)| ns)
            .map_err(|error| format!("{error:#}"))
    };
    readings.floor = median("courier_2_workers").and_then(|courier_ns| {
        median("bare_atomic").map(|bare_ns| Floor {
            courier_ns,
            bare_ns,
            bare_fastest_ns: fastest_sample(&group.join("bare_atomic").join("new")),
        })
    });
    readings
}

/// A sentence on how busy the machine was during the run, when the run recorded it.
#[must_use]
pub fn load_note(readings: &TargetReadings) -> Option<String> {
    let [start, end] = readings
        .load_average
        .map(|load| load.map(|l| format!("{l:.1}")));
    let (start, end) = (start?, end.unwrap_or_else(|| "unknown".to_owned()));
    Some(format!(
        "Load average (1 minute) at the start of the run: {start}, after the targets step: \
         {end}. Other work on the machine inflates every time above and makes it noisy, the \
         pinned ping-pong most (a pinned thread cannot move away from a busy CPU)."
    ))
}

/// Parses `savina_targets.tsv` (the floor itself comes from criterion's files).
#[must_use]
pub fn parse_target_readings(text: &str) -> TargetReadings {
    let mut readings = TargetReadings {
        skynet: Err("savina_targets.tsv has no skynet_rss line".to_owned()),
        spawn: Err("savina_targets.tsv has no spawn_idle line".to_owned()),
        ..TargetReadings::default()
    };
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["pingpong_floor", placement] => readings.floor_placement = Some((*placement).into()),
            ["pingpong_interleaved", rounds, courier, bare, ratio] => {
                readings.interleaved = parse_interleaved(rounds, courier, bare, ratio);
            }
            ["skynet_rss_missing", why] => readings.skynet = Err((*why).to_owned()),
            ["load_average", start, end] => {
                readings.load_average = [start.parse().ok(), end.parse().ok()];
            }
            ["skynet_rss", leaves, runs, median, before, peak] => {
                readings.skynet = parse_skynet(leaves, runs, median, before, peak)
                    .ok_or_else(|| format!("malformed skynet_rss line {line:?}"));
            }
            ["spawn_idle_missing", why] => readings.spawn = Err((*why).to_owned()),
            ["spawn_idle", actors, ns, bytes] => {
                readings.spawn = actors
                    .parse()
                    .ok()
                    .zip(ns.parse().ok())
                    .map(|(actors, ns_per_spawn)| SpawnIdle {
                        actors,
                        ns_per_spawn,
                        bytes_per_actor: bytes.parse().ok(),
                    })
                    .ok_or_else(|| format!("malformed spawn_idle line {line:?}"));
            }
            _ => {}
        }
    }
    readings
}

fn parse_interleaved(rounds: &str, courier: &str, bare: &str, ratio: &str) -> Option<Interleaved> {
    Some(Interleaved {
        rounds: rounds.parse().ok()?,
        courier_ns: courier.parse().ok()?,
        bare_ns: bare.parse().ok()?,
        ratio: ratio.parse().ok()?,
    })
}

fn parse_skynet(
    leaves: &str,
    runs: &str,
    median: &str,
    before: &str,
    peak: &str,
) -> Option<SkynetRss> {
    Some(SkynetRss {
        leaves: leaves.parse().ok()?,
        runs: runs.parse().ok()?,
        median_ns: median.parse().ok()?,
        before_kib: before.parse().ok(),
        peak_kib: peak.parse().ok(),
    })
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
    /// The floor ping-pong and the skynet child.
    pub targets: &'a TargetReadings,
}

/// What a row of the targets table is measured by, in this report.
#[derive(Clone, Copy, Debug)]
enum Measure {
    /// Not measured by this report: where it is measured instead.
    Elsewhere(&'static str),
    /// Instructions for one send and deliver, against this maximum.
    LocalSend(u64),
    /// Courier's messages per second on this workload, against this minimum.
    Rate(&'static str, f64),
    /// The cross-worker round trip over the bare one, against this maximum.
    PingPong(f64),
    /// The spawn child: time per spawn and bytes per idle actor against these maxima.
    Spawn { ns_max: f64, bytes_max: u64 },
    /// The 1 M-leaf child: time and peak RSS against these maxima.
    Skynet { time_ns_max: f64, rss_mib_max: f64 },
    /// Courier's lead over the fastest peer on these workloads, against this factor.
    Lead(&'static [&'static str], f64),
}

/// The targets table of `DESIGN.md`: measure, spec, target, and how this report measures it.
const TARGETS: [(&str, &str, &str, Measure); 13] = [
    (
        "local send, same core (instructions, gungraun)",
        "75 ns",
        "<= 150 instructions",
        Measure::LocalSend(150),
    ),
    (
        "single actor throughput, one sender",
        "10 M msg/s",
        ">= 30 M msg/s",
        Measure::Rate("counting", 30e6),
    ),
    (
        "ping-pong round trip between two pinned workers",
        "-",
        "<= 2.5x bare cache line",
        Measure::PingPong(2.5),
    ),
    (
        "pipeline with backpressure",
        "5 M msg/s",
        ">= 10 M msg/s",
        Measure::Rate("bounded_buffer", 10e6),
    ),
    (
        "spawn",
        "10 us, 3 MB",
        "<= 0.2 us, <= 384 B per idle actor",
        Measure::Spawn {
            ns_max: 200.0,
            bytes_max: 384,
        },
    ),
    (
        "skynet, 1 M short-lived actors",
        "-",
        "<= 200 ms, peak RSS <= 256 MiB",
        Measure::Skynet {
            time_ns_max: 200e6,
            rss_mib_max: 256.0,
        },
    ),
    (
        "supervised restart",
        "50 us",
        "<= 5 us",
        Measure::Elsewhere("supervisor_time measures it"),
    ),
    (
        "selective receive",
        "200 ns",
        "<= 50 ns per skipped message",
        Measure::Elsewhere("mailbox_time (selective_receive) and mailbox_instr measure it"),
    ),
    (
        "MCP tools/call over stdio, pipelined",
        "100 K/s",
        ">= 250 K/s on 2 cores",
        Measure::Elsewhere("mcp_time measures it"),
    ),
    (
        "remote send over loopback",
        "75 us, 100 K msg/s",
        "<= 25 us, >= 1 M msg/s",
        Measure::Elsewhere("no cluster layer yet"),
    ),
    (
        "node failure detected / partition healed",
        "< 1 s / < 5 s",
        "< 0.5 s / < 2 s",
        Measure::Elsewhere("no cluster layer yet"),
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

/// A row's measured value and its verdict.
type Row = (String, String);

fn verdict(met: bool) -> String {
    if met { "met" } else { "not met" }.to_owned()
}

fn not_measured(why: &str) -> Row {
    (format!("not measured: {why}"), "not measured".to_owned())
}

/// What this run measured for a row, and the verdict.
fn measured(measure: Measure, sources: &Sources<'_>) -> Row {
    match measure {
        Measure::Elsewhere(why) => not_measured(&format!("{why}, not this report")),
        Measure::LocalSend(max) => match instructions_per_op(sources.counts, "local_send", 1000) {
            Some(i) => (
                format!("{i} instructions ({})", sources.counts_from),
                verdict(i <= max),
            ),
            None => not_measured(&format!("no local_send count in {}", sources.counts_from)),
        },
        Measure::Spawn { ns_max, bytes_max } => spawn_row(sources, ns_max, bytes_max),
        Measure::Rate(workload, min) => rate_row(sources, workload, min),
        Measure::PingPong(max) => ping_pong_row(sources.targets, max),
        Measure::Skynet {
            time_ns_max,
            rss_mib_max,
        } => skynet_row(&sources.targets.skynet, time_ns_max, rss_mib_max),
        Measure::Lead(workloads, factor) => lead_row(sources, workloads, factor),
    }
}

fn spawn_row(sources: &Sources<'_>, ns_max: f64, bytes_max: u64) -> Row {
    let instructions = instructions_per_op(sources.counts, "spawn_1000", 1000)
        .map(|i| format!("; {i} instructions per spawn ({})", sources.counts_from))
        .unwrap_or_default();
    let spawn = match &sources.targets.spawn {
        Ok(spawn) => spawn,
        Err(why) => return not_measured(&format!("{why}{instructions}")),
    };
    let mut text = format!("{} per spawn", format_time(spawn.ns_per_spawn));
    let bytes_verdict = if let Some(bytes) = spawn.bytes_per_actor {
        let _ = write!(text, ", {bytes} B per idle actor");
        verdict(bytes <= bytes_max)
    } else {
        text.push_str(", bytes per idle actor not measured: no VmRSS in /proc/self/status");
        "not measured".to_owned()
    };
    let _ = write!(
        text,
        " ({} idle actors spawned from outside the runtime in a fresh child, median of the \
         children run; resident-set growth){instructions}",
        spawn.actors
    );
    let time_verdict = verdict(spawn.ns_per_spawn <= ns_max);
    (text, format!("time {time_verdict}, bytes {bytes_verdict}"))
}

fn rate_row(sources: &Sources<'_>, workload: &str, min: f64) -> Row {
    let rate = sources
        .measurements
        .iter()
        .find(|m| m.workload == workload && m.runtime == "courier")
        .and_then(Measurement::messages_per_second);
    match rate {
        Some(rate) => (
            format!(
                "{} msg/s ({workload}, {} scale)",
                format_rate(rate),
                sources.scale
            ),
            verdict(rate >= min),
        ),
        None => not_measured(&format!("no courier result for {workload}")),
    }
}

fn ping_pong_row(targets: &TargetReadings, max: f64) -> Row {
    if let Some(rounds) = &targets.interleaved {
        let placement = targets
            .floor_placement
            .as_deref()
            .unwrap_or("placement unknown");
        let mut text = format!(
            "{:.2}x: median of {} interleaved rounds, courier {} / bare {} ({placement})",
            rounds.ratio,
            rounds.rounds,
            format_time(rounds.courier_ns),
            format_time(rounds.bare_ns)
        );
        if let Ok(floor) = &targets.floor {
            let _ = write!(
                text,
                "; criterion's courier_2_workers {} / bare_atomic {}",
                format_time(floor.courier_ns),
                format_time(floor.bare_ns)
            );
        }
        return (text, verdict(rounds.ratio <= max));
    }
    match &targets.floor {
        Ok(floor) => {
            let ratio = floor.courier_ns / floor.bare_ns;
            let placement = targets
                .floor_placement
                .as_deref()
                .unwrap_or("placement unknown");
            (
                format!(
                    "{ratio:.2}x: courier_2_workers {} / bare_atomic {} (same run; {placement})",
                    format_time(floor.courier_ns),
                    format_time(floor.bare_ns)
                ),
                floor_verdict(floor, ratio, max),
            )
        }
        Err(why) => not_measured(why),
    }
}

/// The ping-pong verdict, unless the floor was disturbed.
fn floor_verdict(floor: &Floor, ratio: f64, max: f64) -> String {
    match floor.bare_fastest_ns {
        Some(fastest) if floor.bare_ns > FLOOR_SPREAD_MAX * fastest => format!(
            "no verdict: the floor was disturbed (its median is {:.1}x its fastest sample, {})",
            floor.bare_ns / fastest,
            format_time(fastest)
        ),
        _ => verdict(ratio <= max),
    }
}

fn skynet_row(skynet: &Result<SkynetRss, String>, time_ns_max: f64, rss_mib_max: f64) -> Row {
    let skynet = match skynet {
        Ok(skynet) => skynet,
        Err(why) => return not_measured(why),
    };
    #[expect(clippy::cast_precision_loss, reason = "MiB for a table")]
    let mib = |kib: u64| kib as f64 / 1024.0;
    let time_met = skynet.median_ns <= time_ns_max;
    let mut text = format!(
        "{} leaves: {} (median of {} runs)",
        skynet.leaves,
        format_time(skynet.median_ns),
        skynet.runs
    );
    let rss_verdict = if let Some(peak) = skynet.peak_kib {
        let _ = write!(text, ", peak RSS {:.0} MiB", mib(peak));
        if let Some(before) = skynet.before_kib {
            let _ = write!(text, " ({:.0} MiB before the runs)", mib(before));
        }
        verdict(mib(peak) <= rss_mib_max)
    } else {
        text.push_str(", peak RSS not measured: no VmHWM in /proc/self/status");
        "not measured".to_owned()
    };
    text.push_str("; a fresh child process, Courier only");
    (
        text,
        format!("time {}, RSS {rss_verdict}", verdict(time_met)),
    )
}

fn lead_row(sources: &Sources<'_>, workloads: &[&str], factor: f64) -> Row {
    let mut parts = Vec::new();
    let (mut met, mut measured) = (0, 0);
    for workload in workloads {
        match lead_over_best_peer(sources.measurements, workload) {
            Some((lead, peer)) => {
                measured += 1;
                met += usize::from(lead >= factor);
                parts.push(format!(
                    "{workload}: {lead:.2}x over {peer} ({})",
                    verdict(lead >= factor)
                ));
            }
            None => parts.push(format!(
                "{workload}: not measured (no courier or peer result)"
            )),
        }
    }
    if measured == 0 {
        return not_measured(&format!(
            "no courier or peer result for {}",
            workloads.join(", ")
        ));
    }
    let text = format!(
        "{} ({} scale; lead = fastest peer's time / Courier's)",
        parts.join("; "),
        sources.scale
    );
    let verdict = match (measured, met) {
        (n, m) if m == n && n == workloads.len() => "met".to_owned(),
        (n, m) if m == n => format!("met where measured ({n} of {})", workloads.len()),
        (n, m) => format!("not met ({m} of {n} met)"),
    };
    (text, verdict)
}

/// The targets table of `DESIGN.md` with the values this run measured and a verdict per row;
/// a row this report does not measure says so and why.
#[must_use]
pub fn targets_table(sources: &Sources<'_>) -> String {
    let mut text = String::from(
        "| measure | spec | target | measured here | verdict |\n|---|---|---|---|---|\n",
    );
    for (name, spec, target, measure) in TARGETS {
        let (value, verdict) = measured(measure, sources);
        let _ = writeln!(text, "| {name} | {spec} | {target} | {value} | {verdict} |");
    }
    text
}
