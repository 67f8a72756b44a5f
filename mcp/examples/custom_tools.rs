//! A service author's own MCP server: two tools registered with the library API and served
//! over stdio.
//!
//! - `add` answers in place ([`inline`]): it takes microseconds.
//! - `countdown` does slow work on a worker pool ([`blocking`]), reports progress, logs each
//!   step to the client (`notifications/message` at `debug`, sent only at the level the client
//!   asked for), and stops early when the client cancels the call.
//!
//! Try it:
//!
//! ```sh
//! M='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"debug","progressToken":"t"}'
//! (printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"countdown","arguments":{"from":3},'"$M"'}}'; sleep 4) \
//!   | cargo run -q -p courier-mcp --example custom_tools
//! ```
//!
//! (The `sleep` keeps stdin open: at EOF the server gives calls in flight one second to finish,
//! then cancels them.)

#![forbid(unsafe_code)]

use std::time::Duration;

use courier_mcp::{LogLevel, Registry, Server, Tool, ToolError, WorkerPool, blocking, inline};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Two numbers to add.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Add {
    /// The first number.
    a: f64,
    /// The second number.
    b: f64,
}

/// Their sum.
#[derive(Serialize, JsonSchema)]
struct Sum {
    /// `a + b`.
    sum: f64,
}

/// Where to count down from.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Countdown {
    /// Seconds to count down, at most 60.
    from: u32,
}

/// How the countdown ended.
#[derive(Serialize, JsonSchema)]
struct Liftoff {
    /// The seconds counted.
    counted: u32,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let pool = WorkerPool::new(2);
    let registry = Registry::new();
    registry.add(Tool::new(
        "add",
        "Adds two numbers.",
        inline(|args: Add, _context| {
            Ok::<_, ToolError>(Sum {
                sum: args.a + args.b,
            })
        }),
    )?)?;
    let countdown = blocking(&pool, |args: Countdown, context| {
        if args.from > 60 {
            return Err(ToolError::new("count down from at most 60"));
        }
        for done in 0..args.from {
            context.report_progress(f64::from(done), Some(f64::from(args.from)), None);
            let left = args.from - done;
            context.log(LogLevel::Debug, Some("countdown"), left.into());
            // Waiting on the cancel token, not sleeping: a cancelled call stops at once.
            if context.cancel_token().wait_timeout(Duration::from_secs(1)) {
                return Err(ToolError::new("cancelled"));
            }
        }
        context.report_progress(
            f64::from(args.from),
            Some(f64::from(args.from)),
            Some("liftoff"),
        );
        Ok(Liftoff { counted: args.from })
    });
    registry.add(
        Tool::new("countdown", "Counts down, one second a step.", countdown)?
            .with_timeout(Duration::from_secs(90)),
    )?;
    Server::new(registry).serve_stdio()?;
    Ok(())
}
