//! `bench-gate`: the instruction-count gate of `scripts/bench-instr`.
//!
//! ```text
//! bench-gate check BASELINE SUMMARY   compare, print the table, exit 1 on a regression
//! bench-gate write BASELINE SUMMARY   rewrite BASELINE from SUMMARY (scripts/bench-baseline)
//! ```
//!
//! SUMMARY holds gungraun's JSON lines (`cargo bench -- --output-format=json`). The table goes to
//! stderr: stdout is kept free for machine output, as elsewhere in the workspace.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use courier_benches::gate;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("bench-gate: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, baseline_path, summary_path] = args.as_slice() else {
        bail!("usage: bench-gate (check|write) BASELINE SUMMARY");
    };
    let summary =
        std::fs::read_to_string(summary_path).with_context(|| format!("reading {summary_path}"))?;
    let counts = gate::parse_summaries(&summary).with_context(|| summary_path.clone())?;
    if counts.is_empty() {
        bail!("{summary_path} holds no benchmark summary");
    }
    match mode.as_str() {
        "write" => {
            std::fs::write(baseline_path, gate::format_baseline(&counts))
                .with_context(|| format!("writing {baseline_path}"))?;
            eprintln!(
                "bench-gate: wrote {} counts to {baseline_path}",
                counts.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        "check" => check(baseline_path, &counts),
        other => bail!("unknown mode `{other}`: check or write"),
    }
}

fn check(baseline_path: &str, counts: &[gate::Count]) -> anyhow::Result<ExitCode> {
    let text = match std::fs::read_to_string(baseline_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("reading {baseline_path}")),
    };
    let baseline = gate::parse_baseline(&text).with_context(|| baseline_path.to_owned())?;
    let rows = gate::compare(&baseline, counts);
    eprintln!(
        "\ninstruction counts against {baseline_path} (tolerance {}%, and {} instructions at \
         any percent):\n\n{}",
        gate::TOLERANCE_PERCENT,
        gate::TOLERANCE_INSTRUCTIONS,
        gate::format_table(&rows)
    );
    if gate::baseline_stale(&rows) {
        eprintln!(
            "bench-gate: the baseline is out of date: run scripts/bench-baseline and commit it"
        );
    }
    if gate::any_regressed(&rows) {
        eprintln!("bench-gate: FAILED: an instruction count grew by more than the tolerance");
        return Ok(ExitCode::FAILURE);
    }
    eprintln!("bench-gate: ok");
    Ok(ExitCode::SUCCESS)
}
