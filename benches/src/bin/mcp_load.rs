//! `mcp-load`: the `mcp_time` load client for any stdio MCP server, from the command line.
//!
//! ```sh
//! cargo run --release -p courier-benches --bin mcp-load -- [--in-flight N] [--seconds S] \
//!     [--tool NAME --arguments JSON --expect TEXT] -- COMMAND [ARGS...]
//! ```
//!
//! Defaults: 64 in flight, 5 s, `echo {"message":"hi"}` expecting `hi` in the result's text.

use std::io::{self, Write};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use courier_benches::mcp_load::{self, LoadConfig};

fn main() -> anyhow::Result<()> {
    let mut config = LoadConfig::echo(64, Duration::from_secs(5));
    let mut args = std::env::args().skip(1);
    let mut command = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--in-flight" => config.in_flight = value()?.parse()?,
            "--seconds" => config.duration = Duration::from_secs_f64(value()?.parse()?),
            "--tool" => config.tool = value()?,
            "--arguments" => config.arguments = value()?,
            "--expect" => config.expect_text = value()?,
            "--" => {
                command.extend(args.by_ref());
            }
            other => bail!("unknown option {other:?} (the server command follows --)"),
        }
    }
    let Some((program, rest)) = command.split_first() else {
        bail!(
            "usage: mcp-load [--in-flight N] [--seconds S] [--tool T --arguments JSON --expect TEXT] -- COMMAND [ARGS...]"
        );
    };
    let mut server = Command::new(program);
    server.args(rest);
    let report =
        mcp_load::run(&mut server, &config).with_context(|| format!("loading {program}"))?;
    writeln!(
        io::stdout().lock(),
        "in flight {:>3}  {report}",
        config.in_flight
    )?;
    Ok(())
}
