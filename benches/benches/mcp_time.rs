//! `tools/call echo` over stdio, pipelined: the same load client (`courier_benches::mcp_load`)
//! drives `courier mcp`, an rmcp echo server (`src/bin/rmcp_echo.rs`) and, where scripts/setup
//! installed it, `@modelcontextprotocol/server-everything`'s echo, one after another in the same
//! run, each with 1 and then 64 requests in flight. It prints calls per second and p50/p99
//! latency per server, and each server's throughput as a ratio to rmcp's.
//!
//! `cargo bench -p courier-benches --bench mcp_time` builds `courier` (release) first.
//! `MCP_TIME_SECONDS` sets the measured time per run (default 5, after 1 s of warm-up);
//! `MCP_TIME_IN_FLIGHT` the windows (default `1,64`); `COURIER_BIN` a prebuilt `courier`.
//! This is a time benchmark on a shared machine: compare ratios from one run, not absolute
//! figures across runs.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use courier_benches::mcp_load::{self, LoadConfig, LoadReport};

const RMCP: &str = "rmcp";

fn main() -> anyhow::Result<()> {
    let seconds: u64 = env_or("MCP_TIME_SECONDS", "5").parse()?;
    let windows = env_or("MCP_TIME_IN_FLIGHT", "1,64")
        .split(',')
        .map(|window| window.trim().parse::<usize>())
        .collect::<Result<Vec<_>, _>>()?;
    let mut servers = vec![
        ("courier", Some(courier_command()?)),
        (RMCP, Some(Command::new(env!("CARGO_BIN_EXE_rmcp-echo")))),
    ];
    let everything = workspace()
        .join("target/node-mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    if everything.is_file() {
        let mut node = Command::new("node");
        node.arg(&everything).arg("stdio");
        servers.push(("server-everything", Some(node)));
    } else {
        eprintln!(
            "mcp_time: skipping server-everything: {} is missing (scripts/setup installs it)",
            everything.display()
        );
        servers.push(("server-everything", None));
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "mcp_time: tools/call echo over stdio, {seconds} s per run, {} CPUs",
        std::thread::available_parallelism().map_or(0, usize::from)
    )?;
    for &in_flight in &windows {
        let config = LoadConfig::echo(in_flight, Duration::from_secs(seconds));
        let mut reports: Vec<(&str, LoadReport)> = Vec::new();
        for (name, command) in &mut servers {
            let Some(command) = command else { continue };
            let report = mcp_load::run(command, &config)
                .with_context(|| format!("loading {name} with {in_flight} in flight"))?;
            writeln!(out, "{name:>17}  in flight {in_flight:>3}  {report}")?;
            reports.push((name, report));
        }
        if let Some((_, rmcp)) = reports.iter().find(|(name, _)| *name == RMCP) {
            for (name, report) in reports.iter().filter(|(name, _)| *name != RMCP) {
                writeln!(
                    out,
                    "{name:>17}  in flight {in_flight:>3}  {:.2}x rmcp's calls/s",
                    report.calls_per_sec() / rmcp.calls_per_sec()
                )?;
            }
        }
    }
    Ok(())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ has a parent")
        .to_owned()
}

/// `courier mcp`: `COURIER_BIN`, or the release binary next to this bench's, built now so that
/// it is never stale.
fn courier_command() -> anyhow::Result<Command> {
    let binary = if let Some(binary) = std::env::var_os("COURIER_BIN") {
        PathBuf::from(binary)
    } else {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "courier-mcp",
                "--bin",
                "courier",
            ])
            .current_dir(workspace())
            .status()
            .context("running cargo build for the courier binary")?;
        if !status.success() {
            bail!("cargo build -p courier-mcp --bin courier failed ({status})");
        }
        Path::new(env!("CARGO_BIN_EXE_rmcp-echo")).with_file_name("courier")
    };
    if !binary.is_file() {
        bail!("{} is missing (set COURIER_BIN)", binary.display());
    }
    let mut command = Command::new(binary);
    command.arg("mcp");
    Ok(command)
}
