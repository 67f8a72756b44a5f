//! What can go wrong when calling an external MCP server.

use std::io;
use std::time::Duration;

use courier_supervisor::BreakerState;

use crate::error::RpcError;

/// Why a call to an external MCP server has no result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's process could not be started.
    #[error("could not start the MCP server {program:?}: {source}")]
    Spawn {
        /// The program that was to run.
        program: String,
        /// What the OS said.
        source: io::Error,
    },
    /// Neither `server/discover` (2026-07-28) nor `initialize` (2025-11-25) succeeded.
    #[error("MCP handshake with {server} failed: {reason}")]
    Handshake {
        /// The server (its program, or the label of its streams).
        server: String,
        /// What went wrong, for each era tried.
        reason: String,
    },
    /// The server answered the request with a JSON-RPC error (an unknown tool, for example).
    #[error("{server} answered {method} with error {}: {}", error.code.0, error.message)]
    Rpc {
        /// The server.
        server: String,
        /// The method of the request.
        method: String,
        /// The error object it sent.
        error: RpcError,
    },
    /// No answer within the call's timeout; `notifications/cancelled` was sent for it.
    #[error(
        "{server} did not answer {method} (id {id}) within {waited:?}; the request was cancelled"
    )]
    Timeout {
        /// The server.
        server: String,
        /// The method of the request.
        method: String,
        /// The request's id.
        id: i64,
        /// The timeout.
        waited: Duration,
    },
    /// The connection is gone: the server exited, closed its output, or a pipe broke. Every
    /// call in flight fails with this, and so does every later call on this connection.
    #[error("the connection to {server} is closed: {reason}")]
    Disconnected {
        /// The server.
        server: String,
        /// Why (the exit status and the last lines of its stderr, where known).
        reason: String,
    },
    /// The server sent something that is not a valid answer.
    #[error("{server} broke the protocol: {reason}")]
    Protocol {
        /// The server.
        server: String,
        /// What was wrong.
        reason: String,
    },
    /// Too many calls in flight on this connection; the call was not sent.
    #[error("{in_flight_max} calls are already in flight to {server}")]
    Overloaded {
        /// The server.
        server: String,
        /// The configured maximum.
        in_flight_max: usize,
    },
    /// The client actor is not running (it stopped, or its mailbox is full).
    #[error("the MCP client actor did not take the call: {reason}")]
    NotRunning {
        /// What the runtime said.
        reason: String,
    },
    /// The circuit breaker around the server did not let the call through.
    #[error("circuit breaker {state:?}: calls to the MCP server are refused{}", retry_hint(*.retry_after))]
    Rejected {
        /// Open, or half-open with every trial slot taken.
        state: BreakerState,
        /// When open: the time left of the cool-down.
        retry_after: Option<Duration>,
    },
    /// The tool ran and reported failure (`isError: true`); for typed calls, which have no
    /// place for an error result.
    #[error("tool {tool} failed: {message}")]
    ToolFailed {
        /// The tool.
        tool: String,
        /// The text of its result.
        message: String,
    },
    /// Arguments that do not serialize to a JSON object, or a result that does not
    /// deserialize to the expected type.
    #[error("tool {tool}: {reason}")]
    Decode {
        /// The tool.
        tool: String,
        /// What serde said.
        reason: String,
    },
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |after| format!(" (retry after {after:?})"))
}

impl ClientError {
    /// Whether the error says the server is unhealthy (it timed out, went away, broke the
    /// protocol or failed internally), as opposed to a refused or mistaken call. This is what
    /// the circuit breaker counts as a failure.
    #[must_use]
    pub fn is_server_fault(&self) -> bool {
        match self {
            ClientError::Rpc { error, .. } => error.code == crate::ErrorCode::INTERNAL_ERROR,
            ClientError::Spawn { .. }
            | ClientError::Handshake { .. }
            | ClientError::Timeout { .. }
            | ClientError::Disconnected { .. }
            | ClientError::Protocol { .. }
            | ClientError::NotRunning { .. } => true,
            ClientError::Overloaded { .. }
            | ClientError::Rejected { .. }
            | ClientError::ToolFailed { .. }
            | ClientError::Decode { .. } => false,
        }
    }
}
