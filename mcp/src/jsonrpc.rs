//! JSON-RPC 2.0 messages: classifying an incoming line, and building outgoing ones.

use std::fmt;
use std::io;

use serde_json::{Map, Value, json};

use crate::call::ToolResult;
use crate::error::{BridgeError, RpcError};

/// A request id: a string or an integer, never null (MCP forbids null ids).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl RequestId {
    /// Reads an id; `None` for anything but a string or an integer.
    #[must_use]
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(id) => Some(Self::String(id.clone())),
            Value::Number(number) => number.as_i64().map(Self::Number),
            _ => None,
        }
    }

    /// The id as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::Number(id) => json!(id),
            Self::String(id) => json!(id),
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(id) => write!(f, "{id}"),
            Self::String(id) => write!(f, "{id:?}"),
        }
    }
}

/// One incoming line, classified.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A request: it gets exactly one response (or none, if cancelled).
    Request {
        id: RequestId,
        method: String,
        params: Map<String, Value>,
    },
    /// A notification: never answered.
    Notification {
        method: String,
        params: Map<String, Value>,
    },
    /// A response to a request of ours. This server sends none, so it is dropped.
    Response,
    /// Not a valid request. Answered with `error`, carrying `id` where it could be read.
    Invalid {
        id: Option<RequestId>,
        error: BridgeError,
    },
}

/// Classifies one line (without its newline).
pub(crate) fn parse_line(line: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(error) => {
            return Incoming::Invalid {
                id: None,
                error: BridgeError::Parse {
                    detail: error.to_string(),
                },
            };
        }
    };
    let Value::Object(mut message) = value else {
        let reason = if value.is_array() {
            "batches are not supported (MCP removed JSON-RPC batching); send one object per line"
        } else {
            "a message must be a JSON object"
        };
        return invalid(None, reason);
    };
    let id = message.get("id").map(RequestId::from_json);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(id.flatten(), "\"jsonrpc\" must be \"2.0\"");
    }
    let Some(method) = message.get("method") else {
        if message.contains_key("result") || message.contains_key("error") {
            return Incoming::Response;
        }
        return invalid(id.flatten(), "a request needs a \"method\"");
    };
    let Some(method) = method.as_str().map(str::to_owned) else {
        return invalid(id.flatten(), "\"method\" must be a string");
    };
    let params = match message.remove("params") {
        None => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) if id.is_none() => Map::new(),
        Some(_) => {
            return Incoming::Invalid {
                id: id.flatten(),
                error: BridgeError::InvalidParams {
                    reason: "params must be an object".to_owned(),
                },
            };
        }
    };
    match id {
        None => Incoming::Notification { method, params },
        Some(Some(id)) => Incoming::Request { id, method, params },
        Some(None) => invalid(
            None,
            "\"id\" must be a string or an integer (not null, not a fraction)",
        ),
    }
}

fn invalid(id: Option<RequestId>, reason: &str) -> Incoming {
    Incoming::Invalid {
        id,
        error: BridgeError::InvalidRequest {
            reason: reason.to_owned(),
        },
    }
}

/// Writes the success response to a `tools/call`, and its newline, without building a [`Value`].
/// `modern` is the server info for a 2026-07-28 request, `None` for a legacy one.
pub(crate) fn write_call_response(
    out: &mut impl io::Write,
    id: &RequestId,
    result: &ToolResult,
    modern: Option<&Value>,
) -> io::Result<()> {
    out.write_all(br#"{"jsonrpc":"2.0","id":"#)?;
    match id {
        RequestId::Number(id) => write!(out, "{id}")?,
        RequestId::String(id) => serde_json::to_writer(&mut *out, id)?,
    }
    out.write_all(br#","result":"#)?;
    result.write_json(out, modern)?;
    out.write_all(b"}\n")
}

/// Writes `message` and its newline.
pub(crate) fn write_message(out: &mut impl io::Write, message: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, message)?;
    out.write_all(b"\n")
}

/// A success response.
pub(crate) fn response(id: &RequestId, result: Value) -> Value {
    let mut message = json!({ "jsonrpc": "2.0", "id": id.to_json() });
    message["result"] = result;
    message
}

/// An error response; `id` is null when it could not be read.
pub(crate) fn error_response(id: Option<&RequestId>, error: impl Into<RpcError>) -> Value {
    let id = id.map_or(Value::Null, RequestId::to_json);
    json!({ "jsonrpc": "2.0", "id": id, "error": error.into().to_json() })
}

/// A notification.
pub(crate) fn notification(method: &str, params: Option<Value>) -> Value {
    let mut message = json!({ "jsonrpc": "2.0", "method": method });
    if let Some(params) = params {
        message["params"] = params;
    }
    message
}
