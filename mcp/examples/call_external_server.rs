//! Calling an external MCP server from actors, as if it were an actor.
//!
//! The server runs as a child process over stdio under a supervisor (a crash restarts it),
//! behind a circuit breaker. The example lists its tools, calls one untyped and one typed, and
//! prints what came back (to stderr: stdout is kept for protocols in this crate).
//!
//! ```sh
//! cargo build -p courier-mcp                # builds target/debug/courier, the default server
//! cargo run -p courier-mcp --example call_external_server
//! # any other stdio MCP server, e.g. server-everything (legacy era: the handshake falls back):
//! cargo run -p courier-mcp --example call_external_server -- \
//!   node target/node-mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js stdio
//! ```

#![forbid(unsafe_code)]

use std::time::Duration;

use anyhow::Context as _;
use courier_mcp::client::{ClientConfig, ClientMsg, McpClient, McpServerRef, ServerCommand};
use courier_sched::Runtime;
use courier_supervisor::{Breaker, BreakerConfig, Strategy, SupervisorRef, SupervisorSpec};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `echo`'s arguments (and, from `courier mcp`, its structured result).
#[derive(Serialize, Deserialize, Debug)]
struct Echo {
    message: String,
}

fn main() -> anyhow::Result<()> {
    let command = server_command()?;
    let config = ClientConfig::default().with_call_timeout(Duration::from_secs(5));
    let runtime = Runtime::with_workers(2)?;

    // The client actor as a supervised child: each (re)start starts the server process.
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(3, Duration::from_secs(10))
        .child(McpClient::child("server", command, config.clone()));
    let root = SupervisorRef::start(&runtime, "mcp-clients", spec)?;
    let actor = root
        .child::<ClientMsg>("server")
        .context("the client child")?;
    let server = McpServerRef::new(actor, config.call_timeout())
        .with_breaker(Breaker::new(BreakerConfig::default()));

    let info = server.info()?;
    eprintln!(
        "connected to {} {} ({:?} era, protocol {}, pid {:?})",
        info.name.as_deref().unwrap_or("?"),
        info.version.as_deref().unwrap_or("?"),
        info.era,
        info.protocol_version,
        info.pid
    );
    for tool in server.list_tools()? {
        eprintln!(
            "  tool {}: {}",
            tool.name,
            tool.description.unwrap_or_default()
        );
    }

    let result = server.call("echo", json!({ "message": "hello from an actor runtime" }))?;
    eprintln!("echo -> {} (isError: {})", result.text(), result.is_error);

    // One tool, typed: `ask` waits for the answer, `send` forgets it.
    let echo = server.tool::<Echo, serde_json::Value>("echo");
    let answer = echo.ask(&Echo {
        message: "typed".to_owned(),
    })?;
    eprintln!("typed echo -> {answer}");

    let breaker = server.breaker().context("a breaker")?.snapshot();
    eprintln!("breaker: {:?}, counts {:?}", breaker.state, breaker.counts);
    root.shutdown(Duration::from_secs(5))?;
    runtime.shutdown();
    Ok(())
}

/// The server named on the command line, or `courier mcp` from this build.
fn server_command() -> anyhow::Result<ServerCommand> {
    let mut args = std::env::args_os().skip(1);
    if let Some(program) = args.next() {
        return Ok(ServerCommand::new(program).args(args));
    }
    let exe = std::env::current_exe()?;
    let courier = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("courier"))
        .context("no target directory")?;
    anyhow::ensure!(
        courier.is_file(),
        "{} is missing: run `cargo build -p courier-mcp` first, or name a server",
        courier.display()
    );
    Ok(ServerCommand::new(courier).arg("mcp"))
}
