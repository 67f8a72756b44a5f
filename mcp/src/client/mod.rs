//! The client side of the MCP bridge: an external MCP server as an actor.
//!
//! A [`Session`] connects to a server (a child process over its stdin and stdout,
//! [`ServerCommand`], or any pair of byte streams, [`ByteStreams`]) and does the handshake of
//! either era: `server/discover` (2026-07-28) first, `initialize` (2025-11-25) when the server
//! answers that with an error or not at all. Session types keep the order: only a
//! [`Session<Ready>`] has `call_tool`.
//!
//! A [`McpClient`] is that session as an actor: its messages ([`ClientMsg`]) are tool calls
//! and listings, sent as requests without waiting; a reader thread correlates each answer by
//! id and answers the ask, so calls are pipelined. A call's timeout (the actor's timer) fails
//! the call and sends `notifications/cancelled`. When the server exits or a pipe breaks, every
//! call in flight fails at once with [`ClientError::Disconnected`] (with the exit status and
//! the server's last stderr lines) and the actor stops with that error, so a supervisor
//! restarts it with a new server process ([`McpClient::child`]). Dropping the session closes
//! the server's stdin, waits a moment, kills the process if it is still there, and reaps it.
//!
//! [`McpServerRef`] is the address to call through, optionally behind a courier-supervisor
//! [`Breaker`](courier_supervisor::Breaker): `call` blocks (outside the runtime), `ask_call`
//! returns the reply to wait on or await, and `call_to` sends the result to an actor as a
//! message (from a handler, as one asks another actor). [`RemoteTool`] types one tool so
//! `send`, `ask` and `ask_to` look like an `ActorRef`'s.
//!
//! ```no_run
//! use courier_mcp::client::{ClientConfig, McpServerRef, ServerCommand};
//! use courier_sched::Runtime;
//!
//! let runtime = Runtime::with_workers(2).unwrap();
//! let server = McpServerRef::spawn(
//!     &runtime,
//!     &ServerCommand::new("courier").arg("mcp"),
//!     ClientConfig::default(),
//! )?;
//! for tool in server.list_tools()? {
//!     println!("{}: {}", tool.name, tool.description.unwrap_or_default());
//! }
//! let result = server.call("echo", serde_json::json!({ "message": "hi" }))?;
//! println!("{}", result.text());
//! # Ok::<(), courier_mcp::client::ClientError>(())
//! ```

mod actor;
mod config;
mod connection;
mod error;
mod remote_tool;
mod server_ref;
mod session;
#[cfg(test)]
mod tests;
mod transport;
mod types;

pub use actor::{CallReply, ClientMsg, McpClient};
pub use config::ClientConfig;
pub use error::ClientError;
pub use remote_tool::RemoteTool;
pub use server_ref::McpServerRef;
pub use session::{Init, Ready, Session};
pub use transport::{ByteStreams, ServerCommand};
pub use types::{CallResult, EraPreference, ProtocolEra, ServerInfo, ToolInfo};
