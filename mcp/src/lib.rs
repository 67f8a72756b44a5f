//! courier-mcp: Courier's MCP (Model Context Protocol) server, and the `courier` binary.
//!
//! The server speaks JSON-RPC 2.0 over any byte stream, one message per line (stdio in
//! `courier mcp`), and serves both protocol eras side by side: the 2025-11-25 handshake
//! (`initialize`, `ping`) and the stateless 2026-07-28 revision (`server/discover`, per-request
//! `_meta`, `resultType`, `ttlMs`/`cacheScope`, `subscriptions/listen`). Nothing but protocol is
//! written to the output; logs go through `tracing` (to stderr in the binary).
//!
//! # Serving your own tools
//!
//! ```no_run
//! use courier_mcp::{Registry, Server, ToolError, Tool, inline};
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Add { a: f64, b: f64 }
//!
//! #[derive(Serialize, JsonSchema)]
//! struct Sum { sum: f64 }
//!
//! let registry = Registry::new();
//! registry.add(Tool::new("add", "Adds two numbers.", inline(|args: Add, _context| {
//!     Ok::<_, ToolError>(Sum { sum: args.a + args.b })
//! }))?)?;
//! Server::new(registry).serve_stdio()?;
//! # Ok::<(), courier_mcp::BridgeError>(())
//! ```
//!
//! `mcp/examples/custom_tools.rs` adds a tool that reports progress and honours cancellation.
//!
//! # Calling external MCP servers
//!
//! [`client`] is the other direction: an external MCP server (a child process over stdio, or
//! any pair of byte streams) as an actor, [`client::McpServerRef`], with pipelined calls, a
//! timeout per call that sends `notifications/cancelled`, both eras' handshakes, supervision
//! (a restart restarts the server process) and courier-supervisor's circuit breaker.
//! `mcp/examples/call_external_server.rs` shows it.
//!
//! # Threads and the seam to actors
//!
//! A connection has two threads. The **reader** (the caller of [`Server::serve`]) reads a line,
//! checks it, answers what it can answer at once (`initialize`, `tools/list`, errors), and hands
//! each `tools/call` to the tool's [`ToolHandler`] as a [`ToolCall`] message: the checked
//! arguments, a [`CallContext`] (a [`ProgressReporter`], a logger and a [`CancelToken`]) and a one-shot
//! [`Responder`]. [`ToolHandler::call`] must not block; whoever ends up holding the call
//! answers through the responder, which sends the result over a channel to the **writer**
//! thread. The writer owns the output and the table of calls in flight: it writes responses as
//! they arrive (correlated by id, in any order), writes progress and log messages
//! (`notifications/message`, see [`CallContext::log`]) only for calls still in flight, enforces per-tool timeouts (an `isError` result) and drops the results of cancelled
//! calls.
//!
//! A handler that answers before `call` returns ([`ToolHandler::answers_in_place`], as
//! [`inline`] handlers do, such as `echo`) skips the writer's table: the reader runs it and
//! serializes the response itself. The reader batches what it answers and hands each batch to the
//! writer in one message when its input has no complete line left (or the batch reaches 16 KiB),
//! so a pipelined client gets many responses per write and the two threads trade one message per
//! batch, not several per call.
//!
//! A tool backed by an actor is an [`ActorTool`]: its `call` sends the call to the actor, which
//! answers through the `Responder` from its own worker (`runtime_stats` works this way). A tool
//! served by several actors is an [`ActorPool`]: calls are routed by a key of their arguments,
//! and a supervisor actor replaces a member that panics (`analyze` works this way). Tools
//! that only block on I/O or the OS, such as `topology` loading hwloc, may instead run on a
//! small [`WorkerPool`] of plain threads ([`blocking`]).
//!
//! # Limits
//!
//! A line longer than [`ServerConfig::message_size_max_bytes`] is discarded without being
//! buffered and answered with -32600. At [`ServerConfig::in_flight_max`] tool calls in flight the
//! reader stops reading until one finishes: backpressure, not unbounded memory. Likewise, when
//! the client does not read its responses and 1024 batches of answers (of up to 16 KiB each) wait
//! for the writer, the reader stops; progress reports and log messages beyond 1024 waiting are
//! dropped. (While the
//! reader is stopped it cannot read a `notifications/cancelled` either; the per-tool timeout
//! still ends stuck calls.)
//!
//! # Argument checking
//!
//! Arguments are checked by deserializing them into the tool's `Input` type with serde, the
//! same type the `inputSchema` is generated from, rather than by a separate JSON Schema
//! validator: one source of truth, no second interpretation of the schema to drift from the
//! handler's, and errors that name the field (serde's "missing field `message`"). What serde does not
//! check, a schema keyword added only for documentation such as `#[schemars(range(min = 1))]`,
//! the handler checks (or the type does, with `#[serde(try_from = "…")]`).

#![forbid(unsafe_code)]

mod actor_pool;
mod actor_tool;
pub mod analyze;
pub mod builtin;
mod call;
pub mod client;
pub mod conformance;
mod content;
mod error;
mod framing;
mod jsonrpc;
mod logging;
mod outbox;
mod pool;
mod protocol;
mod registry;
mod server;
mod sync;
mod tool;

pub use actor_pool::ActorPool;
pub use actor_tool::ActorTool;
pub use call::{
    CallContext, CancelToken, ProgressReporter, Responder, ToolCall, ToolError, ToolResult,
};
pub use content::{Content, EmbeddedResource};
pub use error::{BridgeError, ErrorCode, RpcError};
pub use jsonrpc::RequestId;
pub use logging::LogLevel;
pub use pool::WorkerPool;
pub use protocol::{LEGACY_VERSIONS, MODERN_VERSION};
pub use registry::Registry;
pub use server::{Server, ServerConfig};
pub use tool::{Blocking, Inline, Tool, ToolHandler, blocking, inline};
