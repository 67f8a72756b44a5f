//! `courier`: the command-line face of the Courier runtime.
//!
//! - `courier topology [--config FILE]` prints the placement plan for this machine, or for the
//!   topology and workers a NUMA config file names.
//! - `courier config check FILE` checks a NUMA config file and prints the effective config and
//!   its plan.
//!
//! - `courier mcp [--config FILE]` serves MCP over stdin and stdout (tools `analyze`, `echo`,
//!   `runtime_stats` and `topology`) until stdin closes. Nothing but protocol goes to stdout;
//!   logs go to stderr (`COURIER_LOG=debug` for more). With `--conformance-fixtures` it also
//!   serves the fixture tools of the official MCP conformance suite (`test_simple_text`, …).
//!
//! All exit with status 1 and a message naming the file, line and key when the config is wrong.

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use courier_mcp::analyze::{AnalyzerConfig, analyze_tool};
use courier_mcp::builtin::{
    RuntimeStatsActor, echo_tool, runtime_stats_tool, supervision_tree_tool, topology_tool,
};
use courier_mcp::conformance;
use courier_mcp::{Registry, Server, ServerConfig, WorkerPool};
use courier_sched::{Config, Placement, Runtime};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Courier: a NUMA-aware actor runtime.
#[derive(Debug, Parser)]
#[command(name = "courier", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the placement plan: workers, their CPUs and home nodes, and steal orders.
    Topology {
        /// A NUMA config file (TOML) naming the topology and the workers; without one, this
        /// machine with the default settings.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Serve MCP (Model Context Protocol) over stdin and stdout until stdin closes.
    Mcp {
        /// A NUMA config file (TOML) for the `topology` tool; without one, this machine with
        /// the default settings.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Also serve the fixture tools that the official MCP conformance suite
        /// (@modelcontextprotocol/conformance) calls, such as `test_simple_text`.
        #[arg(long)]
        conformance_fixtures: bool,
    },
    /// Work with NUMA config files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check a NUMA config file; print the effective config and the plan it gives.
    Check {
        /// The config file (TOML).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // `courier topology | head` closes the pipe early: the reader has what it wanted.
        Err(error)
            if error
                .downcast_ref::<io::Error>()
                .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("courier: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Topology { config } => {
            let config = match config {
                Some(file) => Config::load(file)?,
                None => Config::default(),
            };
            let placement = config.plan(&config.load_topology()?)?;
            write!(io::stdout().lock(), "{placement}")?;
        }
        Command::Mcp {
            config,
            conformance_fixtures,
        } => serve_mcp(config, conformance_fixtures)?,
        Command::Config {
            command: ConfigCommand::Check { file },
        } => {
            let config = Config::load(&file)?;
            let placement = config.plan(&config.load_topology()?)?;
            write_check_report(&config, &placement)?;
        }
    }
    Ok(())
}

/// `courier mcp`: the stdio server with the built-in tools. A bad config file is reported before
/// serving, so a client sees the process exit with the message on stderr.
fn serve_mcp(config: Option<PathBuf>, conformance_fixtures: bool) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COURIER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let config = match config {
        Some(file) => Config::load(file)?,
        None => Config::default(),
    };
    // The actor runtime the tools run on, placed as the config says.
    let runtime = Runtime::from_config(&config)?;
    let pool = WorkerPool::new(2);
    let registry = Registry::new();
    let (analyze, analyze_supervisor) = analyze_tool(&runtime, &AnalyzerConfig::default())?;
    registry.add(analyze)?;
    registry.add(supervision_tree_tool(vec![analyze_supervisor])?)?;
    registry.add(echo_tool()?)?;
    registry.add(runtime_stats_tool(runtime.spawn(RuntimeStatsActor))?)?;
    registry.add(topology_tool(Arc::new(config), &pool)?)?;
    if conformance_fixtures {
        conformance::add_fixture_tools(&registry, &runtime)?;
    }
    let server = Server::with_config(
        registry,
        ServerConfig::default().with_instructions(
            "Courier runtime tools: `analyze` parses a snippet of Rust, Python or JavaScript \
             and reports its complexity, nesting, functions, imports and suggestions; \
             `topology` shows the placement plan of workers on this machine's cores and NUMA \
             nodes; `runtime_stats` the counters of the runtime serving these tools; \
             `supervision_tree` the supervisors of the tool actors, their children and \
             restarts; `echo` returns its input.",
        ),
    );
    server.serve_stdio()?;
    tracing::debug!("stdin closed; exiting");
    runtime.shutdown();
    Ok(())
}

/// What `courier config check` prints: the verdict, the effective config (as TOML, defaults
/// filled in) and the plan.
fn write_check_report(config: &Config, placement: &Placement) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let file = config
        .file()
        .map_or_else(String::new, |file| file.display().to_string());
    writeln!(out, "{file}: ok")?;
    writeln!(out, "\n# effective config\n{config}")?;
    writeln!(out, "# placement")?;
    write!(out, "{placement}")?;
    out.flush()
}
