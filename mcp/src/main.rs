//! `courier`: the command-line face of the Courier runtime.
//!
//! - `courier topology [--config FILE]` prints the placement plan for this machine, or for the
//!   topology and workers a NUMA config file names.
//! - `courier config check FILE` checks a NUMA config file and prints the effective config and
//!   its plan.
//!
//! Both exit with status 1 and a message naming the file, line and key when the config is wrong.
//! (`courier mcp`, the stdio MCP server, arrives with its own issue.)

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use courier_sched::{Config, Placement};

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
