//! `bench-report`: prints the Savina tables and the DESIGN.md targets table from criterion's
//! results of the `savina_time` bench (see `scripts/bench-report`, which runs the bench first).
//!
//! ```text
//! bench-report [--scale quick|full] [--criterion DIR] [--instr SUMMARY] [--baseline FILE]
//!              [--plots DIR]
//! ```
//!
//! Instruction counts come from SUMMARY (gungraun JSON lines, as `scripts/bench-instr` writes
//! them) when it exists, else from the committed baseline FILE. The report is markdown on
//! stdout; with `--plots`, `peer_ratios.svg` and `scaling.svg` go to DIR.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use courier_benches::{gate, plot, report};

/// The workloads in Savina's order, skynet after fork-join throughput.
const ORDER: [&str; 9] = [
    "ping_pong",
    "counting",
    "fork_join_throughput",
    "skynet",
    "thread_ring",
    "fork_join_creation",
    "big",
    "chameneos",
    "bounded_buffer",
];

struct Args {
    scale: String,
    criterion: PathBuf,
    instr: PathBuf,
    baseline: PathBuf,
    plots: Option<PathBuf>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        scale: "full".to_owned(),
        criterion: PathBuf::from("target/criterion"),
        instr: PathBuf::from("target/gungraun/summary.ndjson"),
        baseline: PathBuf::from("benches/instr-baseline.txt"),
        plots: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--scale" => args.scale = value,
            "--criterion" => args.criterion = value.into(),
            "--instr" => args.instr = value.into(),
            "--baseline" => args.baseline = value.into(),
            "--plots" => args.plots = Some(value.into()),
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(args)
}

/// This run's counts when `scripts/bench-instr` left them, else the committed baseline's.
fn instruction_counts(args: &Args) -> anyhow::Result<(Vec<gate::Count>, &'static str)> {
    if let Ok(text) = std::fs::read_to_string(&args.instr) {
        return Ok((
            gate::parse_summaries(&text)?,
            "gungraun, last bench-instr run",
        ));
    }
    let text = std::fs::read_to_string(&args.baseline)
        .with_context(|| args.baseline.display().to_string())?;
    let counts = gate::parse_baseline(&text)?
        .into_iter()
        .map(|(name, instructions)| gate::Count { name, instructions })
        .collect();
    Ok((counts, "gungraun, committed baseline"))
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let measurements = report::load(&args.criterion)?;
    if measurements.is_empty() {
        bail!(
            "no savina_* results under {}: run the savina_time bench",
            args.criterion.display()
        );
    }
    let (counts, counts_from) = instruction_counts(&args)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "### Savina workloads ({} scale)\n", args.scale)?;
    writeln!(
        out,
        "Median time of one run; `time / Courier's` above 1 means slower than Courier.\n"
    )?;
    let workloads = report::workloads(&measurements, &ORDER);
    for workload in &workloads {
        writeln!(out, "{}", report::workload_table(&measurements, workload))?;
    }
    let scaling = report::load_scaling(&args.criterion)?;
    // actix has no worker count (one System arbiter thread): its Savina time stands beside the
    // scaled runtimes as a level.
    let single_thread: Vec<report::Measurement> = measurements
        .iter()
        .filter(|m| m.runtime == "actix" && scaling.iter().any(|p| p.workload == m.workload))
        .cloned()
        .collect();
    if !scaling.is_empty() {
        writeln!(
            out,
            "### By number of workers\n\nCourier unpinned with no spinners; ractor and kameo on \
             a tokio runtime of that many worker threads; actix on its one System arbiter \
             thread whatever the count (its time from the table above).\n"
        )?;
        writeln!(out, "{}", report::scaling_table(&scaling, &single_thread))?;
    }
    if let Some(readings) = report::load_counters(&args.criterion) {
        writeln!(out, "### Counters per message (one extra run each)\n")?;
        writeln!(out, "{}", report::counters_table(&readings))?;
    }
    if let Some(dir) = &args.plots {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        plot::ratios(&measurements, &workloads, &dir.join("peer_ratios.svg"))?;
        if !scaling.is_empty() {
            plot::scaling(&scaling, &single_thread, &dir.join("scaling.svg"))?;
        }
        let scaling_svg = if scaling.is_empty() {
            ""
        } else {
            ", scaling.svg"
        };
        writeln!(
            out,
            "Plots in {}: peer_ratios.svg{scaling_svg}\n",
            dir.display()
        )?;
    }
    let targets = report::load_target_readings(&args.criterion);
    let sources = report::Sources {
        measurements: &measurements,
        counts: &counts,
        counts_from,
        scale: &args.scale,
        targets: &targets,
    };
    writeln!(out, "### Targets (DESIGN.md)\n")?;
    if let Some(note) = report::load_note(&targets) {
        writeln!(out, "{note}\n")?;
    }
    writeln!(out, "{}", report::targets_table(&sources))?;
    Ok(())
}
