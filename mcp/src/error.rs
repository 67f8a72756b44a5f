//! What can go wrong in the bridge, and the one mapping from those errors to JSON-RPC error
//! objects (`From<BridgeError> for RpcError`).

use std::io;

use serde_json::{Value, json};

/// A JSON-RPC error code. The constants are the codes this server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// -32700: the line is not JSON.
    pub const PARSE_ERROR: Self = Self(-32700);
    /// -32600: JSON, but not a valid JSON-RPC request (or too large to read).
    pub const INVALID_REQUEST: Self = Self(-32600);
    /// -32601: no such method.
    pub const METHOD_NOT_FOUND: Self = Self(-32601);
    /// -32602: the method exists but its params are wrong.
    pub const INVALID_PARAMS: Self = Self(-32602);
    /// -32603: the server failed.
    pub const INTERNAL_ERROR: Self = Self(-32603);
    /// -32022: the request's `_meta` names a protocol version this server does not speak
    /// (2026-07-28).
    pub const UNSUPPORTED_PROTOCOL_VERSION: Self = Self(-32022);
}

/// A JSON-RPC error object: `{"code", "message", "data"?}`.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// The code.
    pub code: ErrorCode,
    /// A one-sentence description.
    pub message: String,
    /// Structured detail, where the spec defines some.
    pub data: Option<Value>,
}

impl RpcError {
    /// The error object as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code.0, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

/// Everything the bridge can report: protocol errors that become JSON-RPC error responses, and
/// the errors of registering tools and of the byte stream itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// A line that is not JSON.
    #[error("parse error: {detail}")]
    Parse {
        /// What the JSON parser said.
        detail: String,
    },
    /// JSON that is not a JSON-RPC 2.0 request.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with it.
        reason: String,
    },
    /// A line longer than the configured maximum; it was discarded unread.
    #[error("invalid request: the message exceeds the maximum of {size_max_bytes} bytes")]
    Oversized {
        /// The configured maximum.
        size_max_bytes: usize,
    },
    /// A method this server does not serve.
    #[error("method not found: {method}")]
    MethodNotFound {
        /// The method requested.
        method: String,
    },
    /// The method exists but its params are wrong.
    #[error("invalid params: {reason}")]
    InvalidParams {
        /// What is wrong with them.
        reason: String,
    },
    /// A request with neither modern per-request `_meta` nor a preceding `initialize`.
    #[error(
        "invalid params: params._meta must carry {missing} (2026-07-28), or the connection must \
         begin with initialize (2025-11-25)"
    )]
    MissingMeta {
        /// The `_meta` key that is missing or has the wrong type.
        missing: &'static str,
    },
    /// The request's `_meta` names a protocol version this server does not speak.
    #[error("unsupported protocol version {requested:?}; supported: {supported:?}")]
    UnsupportedProtocolVersion {
        /// The version the request named.
        requested: String,
        /// The versions this server serves per request.
        supported: Vec<&'static str>,
    },
    /// `tools/call` named a tool that is not registered.
    #[error("unknown tool: {name}")]
    UnknownTool {
        /// The name requested.
        name: String,
    },
    /// A `tools/list` cursor this server did not issue.
    #[error("invalid cursor: {cursor:?}")]
    InvalidCursor {
        /// The cursor received.
        cursor: String,
    },
    /// A tool definition that cannot be served (bad name, schema that is not an object).
    #[error("tool {name:?} cannot be registered: {reason}")]
    InvalidTool {
        /// The tool's name.
        name: String,
        /// Why not.
        reason: String,
    },
    /// A tool of that name is already registered.
    #[error("a tool named {name:?} is already registered")]
    DuplicateTool {
        /// The name.
        name: String,
    },
    /// The byte stream failed.
    #[error("transport: {0}")]
    Io(#[from] io::Error),
    /// Anything else that is the server's fault.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl From<BridgeError> for RpcError {
    fn from(error: BridgeError) -> Self {
        let message = error.to_string();
        let (code, data) = match error {
            BridgeError::Parse { .. } => (ErrorCode::PARSE_ERROR, None),
            BridgeError::InvalidRequest { .. } => (ErrorCode::INVALID_REQUEST, None),
            BridgeError::Oversized { size_max_bytes } => (
                ErrorCode::INVALID_REQUEST,
                Some(json!({ "maxBytes": size_max_bytes })),
            ),
            BridgeError::MethodNotFound { .. } => (ErrorCode::METHOD_NOT_FOUND, None),
            BridgeError::InvalidParams { .. }
            | BridgeError::MissingMeta { .. }
            | BridgeError::UnknownTool { .. }
            | BridgeError::InvalidCursor { .. } => (ErrorCode::INVALID_PARAMS, None),
            BridgeError::UnsupportedProtocolVersion {
                requested,
                supported,
            } => (
                ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                Some(json!({ "supported": supported, "requested": requested })),
            ),
            BridgeError::InvalidTool { .. }
            | BridgeError::DuplicateTool { .. }
            | BridgeError::Io(_)
            | BridgeError::Internal { .. } => (ErrorCode::INTERNAL_ERROR, None),
        };
        RpcError {
            code,
            message,
            data,
        }
    }
}
