//! Arbitrary input never crashes the server, and every request line gets at most one response.
//!
//! Each case is a list of lines: raw bytes (any byte but a newline), or JSON-RPC requests and
//! notifications with a unique id per request, a method from the server's set or a random one,
//! and params picked to hit every branch (modern `_meta`, bad versions, bad cursors, tool calls
//! with good and bad arguments, answered in place on the reader or later from a pool thread).
//! The server reads them all from memory and must then return; its output must be JSON-RPC
//! messages only, at most one response per request id, with no response to an id that was never
//! sent.

#![expect(clippy::unwrap_used, reason = "a failure is the test's failure")]

mod common;

use std::collections::HashMap;

use courier_mcp::builtin::echo_tool;
use courier_mcp::{Registry, Server, ServerConfig, Tool, ToolError, WorkerPool, blocking};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Clone, Debug)]
enum Line {
    Bytes(Vec<u8>),
    Request { method: String, params: Value },
    Notification { method: String, params: Value },
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("initialize".to_owned()),
        Just("ping".to_owned()),
        Just("server/discover".to_owned()),
        Just("subscriptions/listen".to_owned()),
        Just("tools/list".to_owned()),
        Just("tools/call".to_owned()),
        Just("notifications/cancelled".to_owned()),
        "[a-z/]{0,12}",
    ]
}

fn meta() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "progressToken": 1,
        })),
        Just(json!({ "io.modelcontextprotocol/protocolVersion": "2026-07-28" })),
        Just(json!({
            "io.modelcontextprotocol/protocolVersion": "1999-01-01",
            "io.modelcontextprotocol/clientCapabilities": {},
        })),
        Just(json!({ "io.modelcontextprotocol/protocolVersion": 5 })),
        Just(json!("not an object")),
    ]
}

fn params() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just(("name", json!("echo"))),
        Just(("name", json!("later"))),
        Just(("name", json!("nosuch"))),
        Just(("name", json!(7))),
        Just(("arguments", json!({ "message": "hi" }))),
        Just(("arguments", json!({ "message": 1, "x": [] }))),
        Just(("arguments", json!([1]))),
        Just(("cursor", json!("after:echo"))),
        Just(("cursor", json!("nope"))),
        Just(("protocolVersion", json!("2025-11-25"))),
        Just(("protocolVersion", json!(null))),
        Just(("notifications", json!({ "toolsListChanged": true }))),
        Just(("requestId", json!(3))),
        Just(("requestId", json!("x"))),
    ];
    (meta(), prop::collection::vec(field, 0..4)).prop_map(|(meta, fields)| {
        let mut params = json!({});
        for (key, value) in fields {
            params[key] = value;
        }
        if !meta.is_null() {
            params["_meta"] = meta;
        }
        params
    })
}

fn line() -> impl Strategy<Value = Line> {
    let bytes = prop::collection::vec(any::<u8>(), 0..64)
        .prop_map(|bytes| bytes.into_iter().filter(|&byte| byte != b'\n').collect());
    prop_oneof![
        2 => bytes.prop_map(Line::Bytes),
        1 => "[ -~]{0,48}".prop_map(|text| Line::Bytes(text.into_bytes())),
        4 => (method(), params()).prop_map(|(method, params)| Line::Request { method, params }),
        1 => (method(), params()).prop_map(|(method, params)| Line::Notification { method, params }),
    ]
}

/// `later`: echo, answered from a pool thread through the writer's table of calls in flight,
/// so the cases mix answers made on the reader (batched) with answers made elsewhere.
fn later_tool() -> Tool {
    let pool = WorkerPool::new(1);
    let handler = blocking(&pool, |echo: courier_mcp::builtin::Echo, _context| {
        Ok::<_, ToolError>(echo)
    });
    Tool::new("later", "Echo, from a pool thread.", handler).unwrap()
}

/// Writes the lines with request ids 0, 1, 2, … and returns the input and the ids sent.
fn render(lines: &[Line]) -> (Vec<u8>, Vec<i64>) {
    let mut input = Vec::new();
    let mut ids = Vec::new();
    for line in lines {
        match line {
            Line::Bytes(bytes) => input.extend_from_slice(bytes),
            Line::Request { method, params } => {
                let id = i64::try_from(ids.len()).unwrap();
                ids.push(id);
                let message =
                    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
                input.extend_from_slice(message.to_string().as_bytes());
            }
            Line::Notification { method, params } => {
                let message = json!({ "jsonrpc": "2.0", "method": method, "params": params });
                input.extend_from_slice(message.to_string().as_bytes());
            }
        }
        input.push(b'\n');
    }
    (input, ids)
}

proptest! {
    #![proptest_config(common::proptest_config("prop_dispatch", 256))]

    #[test]
    fn any_input_gets_json_rpc_out_and_at_most_one_response_per_request(
        lines in prop::collection::vec(line(), 0..40),
    ) {
        let (input, ids) = render(&lines);
        let registry = Registry::new();
        registry.add(echo_tool().unwrap()).unwrap();
        registry.add(later_tool()).unwrap();
        let config = ServerConfig::default().with_message_size_max_bytes(200);
        let mut output = Vec::new();
        Server::with_config(registry, config).serve(input.as_slice(), &mut output).unwrap();

        let text = String::from_utf8(output).unwrap();
        let mut responses: HashMap<i64, usize> = HashMap::new();
        let mut null_id_errors = 0;
        for out_line in text.lines() {
            let message: Value = serde_json::from_str(out_line).unwrap();
            prop_assert_eq!(&message["jsonrpc"], "2.0");
            match message.get("id") {
                None => prop_assert!(message["method"].is_string(), "{}", out_line),
                Some(Value::Null) => {
                    prop_assert!(message["error"]["code"].is_i64(), "{}", out_line);
                    null_id_errors += 1;
                }
                Some(id) => {
                    let id = id.as_i64().unwrap();
                    prop_assert!(ids.contains(&id), "a response to an id never sent: {}", out_line);
                    prop_assert!(
                        message.get("result").is_some() != message.get("error").is_some(),
                        "{}", out_line
                    );
                    *responses.entry(id).or_default() += 1;
                }
            }
        }
        for (id, count) in responses {
            prop_assert_eq!(count, 1, "request {} answered {} times", id, count);
        }
        prop_assert!(null_id_errors <= lines.len());
    }
}
