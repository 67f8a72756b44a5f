//! What an external MCP server answers, as Rust values.

use serde_json::{Map, Value};

/// The protocol revision a connection speaks, as the handshake found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolEra {
    /// 2026-07-28, stateless: `server/discover`, then per-request `_meta` on every request.
    Modern,
    /// 2025-11-25 (or earlier): the `initialize` handshake, then plain requests.
    Legacy,
}

/// Which eras the handshake may try.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EraPreference {
    /// `server/discover` first; `initialize` when that fails (the spec's detection on stdio).
    #[default]
    Auto,
    /// `server/discover` only.
    Modern,
    /// `initialize` only (for legacy servers that exit on any other first message).
    Legacy,
}

/// What the handshake learnt about the server.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerInfo {
    /// The era in use.
    pub era: ProtocolEra,
    /// The protocol version in use (`2026-07-28`, or the one `initialize` agreed).
    pub protocol_version: String,
    /// `serverInfo.name`, where the server sent one.
    pub name: Option<String>,
    /// `serverInfo.version`, where the server sent one.
    pub version: Option<String>,
    /// The server's capabilities object.
    pub capabilities: Value,
    /// The server's `instructions`, where it sent some.
    pub instructions: Option<String>,
    /// The server's process id, when the client started it.
    pub pid: Option<u32>,
}

/// A tool the server offers (one entry of `tools/list`).
#[derive(Clone, Debug, PartialEq)]
pub struct ToolInfo {
    /// Its name, as `tools/call` takes it.
    pub name: String,
    /// Its display title, if any.
    pub title: Option<String>,
    /// What it does, if the server says.
    pub description: Option<String>,
    /// The JSON Schema of its arguments.
    pub input_schema: Value,
    /// The JSON Schema of its structured output, if it declares one.
    pub output_schema: Option<Value>,
}

impl ToolInfo {
    pub(crate) fn from_json(tool: &Value) -> Option<ToolInfo> {
        let text = |key: &str| tool.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(ToolInfo {
            name: text("name")?,
            title: text("title"),
            description: text("description"),
            input_schema: tool
                .get("inputSchema")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            output_schema: tool.get("outputSchema").cloned(),
        })
    }
}

/// The result of a `tools/call`: what the tool returned, including a tool's own failure
/// (`is_error`), which is a result and not a protocol error.
#[derive(Clone, Debug, PartialEq)]
pub struct CallResult {
    /// The content blocks (`{"type":"text","text":…}`, images, resources…), as sent.
    pub content: Vec<Value>,
    /// The structured result, where the tool returns one.
    pub structured_content: Option<Value>,
    /// Whether the tool reported failure.
    pub is_error: bool,
}

impl CallResult {
    /// Reads a `CallToolResult`; `None` when `content` is missing or not an array.
    pub(crate) fn from_json(mut result: Value) -> Option<CallResult> {
        let Value::Array(content) = result.get_mut("content")?.take() else {
            return None;
        };
        Some(CallResult {
            content,
            structured_content: result
                .get_mut("structuredContent")
                .map(Value::take)
                .filter(|value| !value.is_null()),
            is_error: result
                .get("isError")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// The text of the `text` content blocks, joined by newlines.
    #[must_use]
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .content
            .iter()
            .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect();
        texts.join("\n")
    }
}
