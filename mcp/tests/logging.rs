//! MCP logging over in-memory pipes: the `logging` capability in both eras, `logging/setLevel`
//! (2025-11-25), the per-request `_meta` level (2026-07-28), filtering by level, and no log
//! message after a call's response, for calls through the writer and calls answered in place.

#![expect(
    clippy::unwrap_used,
    clippy::needless_pass_by_value,
    reason = "the fixture's failures are test failures; helpers take json! literals"
)]

mod common;

use common::{Connection, initialize, modern, request};
use courier_mcp::{
    LogLevel, Registry, ServerConfig, Tool, ToolCall, ToolError, ToolHandler, inline,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Nothing {}

#[derive(Debug, Serialize, JsonSchema)]
struct Done {
    done: bool,
}

/// Logs one message at every level (least severe first, logger `"test"`, data `{"level": …}`),
/// answers, and then logs once more, which must not go out. It runs through the writer's table
/// (it does not answer in place), and it does all of it before `call` returns, so the late
/// message is queued before anything the client sends next is read.
struct LogsEveryLevel;

impl ToolHandler for LogsEveryLevel {
    type Input = Nothing;
    type Output = Done;

    fn call(&self, call: ToolCall<Nothing, Done>) {
        for level in LogLevel::ALL {
            call.context
                .log(level, Some("test"), json!({ "level": level.as_str() }));
        }
        call.responder.ok(Done { done: true });
        call.context.log(
            LogLevel::Emergency,
            Some("test"),
            json!("after the response"),
        );
    }
}

/// `every_level` ([`LogsEveryLevel`]) and `in_place`, an inline tool (answered in place by the
/// reader) that logs at `debug` and at `error` (logger unset) and answers.
fn registry() -> Registry {
    let registry = Registry::new();
    let every = Tool::new("every_level", "Logs at every level.", LogsEveryLevel).unwrap();
    registry.add(every).unwrap();
    let in_place = inline(|_: Nothing, context| {
        context.log(LogLevel::Debug, None, json!("debug detail"));
        context.log(LogLevel::Error, None, json!("an error"));
        Ok::<_, ToolError>(Done { done: true })
    });
    let in_place = Tool::new("in_place", "Logs in place.", in_place).unwrap();
    registry.add(in_place).unwrap();
    registry
}

fn connect() -> Connection {
    Connection::start(registry(), ServerConfig::default())
}

fn legacy_call(id: i64, tool: &str) -> String {
    request(id, "tools/call", json!({ "name": tool, "arguments": {} }))
}

fn set_level(id: i64, level: Value) -> String {
    request(id, "logging/setLevel", json!({ "level": level }))
}

fn error_code(reply: &Value) -> i64 {
    reply["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {reply}"))
}

/// Reads the log messages up to the response of `id`, checks the response, and returns the
/// messages' params.
fn logs_until_response(connection: &Connection, id: i64) -> Vec<Value> {
    let mut logs = Vec::new();
    loop {
        let message = connection.recv();
        if message.get("id").is_some() {
            assert_eq!(message["id"], id, "{message}");
            assert_eq!(message["result"]["isError"], false, "{message}");
            return logs;
        }
        assert_eq!(message["method"], "notifications/message", "{message}");
        logs.push(message["params"].clone());
    }
}

fn levels(logs: &[Value]) -> Vec<&str> {
    logs.iter()
        .map(|params| params["level"].as_str().unwrap())
        .collect()
}

#[test]
fn both_eras_declare_the_logging_capability() {
    let mut connection = connect();
    let reply = connection.ask(&initialize(1));
    assert_eq!(reply["result"]["capabilities"]["logging"], json!({}));
    let reply = connection.ask(&modern(2, "server/discover", json!({})));
    assert_eq!(reply["result"]["capabilities"]["logging"], json!({}));
}

#[test]
fn set_level_answers_an_empty_result_and_an_unknown_or_missing_level_is_invalid_params() {
    let mut connection = connect();
    connection.ask(&initialize(1));
    for (id, level) in LogLevel::ALL.into_iter().enumerate() {
        let id = i64::try_from(id).unwrap() + 2;
        let reply = connection.ask(&set_level(id, json!(level.as_str())));
        assert_eq!(reply, json!({ "jsonrpc": "2.0", "id": id, "result": {} }));
    }
    for (id, level) in [(20, json!("verbose")), (21, json!("INFO")), (22, json!(3))] {
        let reply = connection.ask(&set_level(id, level));
        assert_eq!(error_code(&reply), -32602, "{reply}");
        assert_eq!(reply["id"], id);
    }
    let reply = connection.ask(&request(23, "logging/setLevel", json!({})));
    assert_eq!(error_code(&reply), -32602);
}

#[test]
fn set_level_is_not_a_2026_07_28_method() {
    let mut connection = connect();
    let reply = connection.ask(&modern(1, "logging/setLevel", json!({ "level": "info" })));
    assert_eq!(error_code(&reply), -32601);
}

#[test]
fn before_set_level_every_level_goes_out_in_order_and_nothing_after_the_response() {
    let mut connection = connect();
    connection.ask(&initialize(1));
    connection.send(&legacy_call(2, "every_level"));
    let logs = logs_until_response(&connection, 2);
    let names: Vec<&str> = LogLevel::ALL.iter().map(|level| level.as_str()).collect();
    assert_eq!(levels(&logs), names);
    assert_eq!(
        logs[0],
        json!({ "level": "debug", "logger": "test", "data": { "level": "debug" } })
    );
    // The message logged after the response was queued before this ping was read.
    connection.ping_is_next(3);
}

#[test]
fn set_level_filters_the_messages_of_later_calls() {
    let mut connection = connect();
    connection.ask(&initialize(1));
    connection.ask(&set_level(2, json!("warning")));
    connection.send(&legacy_call(3, "every_level"));
    let logs = logs_until_response(&connection, 3);
    assert_eq!(
        levels(&logs),
        ["warning", "error", "critical", "alert", "emergency"]
    );
    connection.ask(&set_level(4, json!("emergency")));
    connection.send(&legacy_call(5, "every_level"));
    assert_eq!(levels(&logs_until_response(&connection, 5)), ["emergency"]);
    connection.ping_is_next(6);
}

#[test]
fn a_call_answered_in_place_logs_before_its_response() {
    let mut connection = connect();
    connection.ask(&initialize(1));
    connection.send(&legacy_call(2, "in_place"));
    let logs = logs_until_response(&connection, 2);
    assert_eq!(
        logs,
        [
            json!({ "level": "debug", "data": "debug detail" }),
            json!({ "level": "error", "data": "an error" }),
        ]
    );
    connection.ask(&set_level(3, json!("info")));
    connection.send(&legacy_call(4, "in_place"));
    assert_eq!(levels(&logs_until_response(&connection, 4)), ["error"]);
    connection.ping_is_next(5);
}

#[test]
fn a_2026_07_28_request_without_a_log_level_gets_no_messages() {
    let mut connection = connect();
    for (id, tool) in [(1, "every_level"), (2, "in_place")] {
        let reply = connection.ask(&modern(id, "tools/call", json!({ "name": tool })));
        assert_eq!(reply["id"], id, "a response, not a log message: {reply}");
        assert_eq!(reply["result"]["resultType"], "complete");
    }
    connection.ping_is_next(3);
}

#[test]
fn a_2026_07_28_request_gets_the_messages_at_or_above_its_own_level_not_the_connections() {
    let mut connection = connect();
    connection.ask(&initialize(1));
    connection.ask(&set_level(2, json!("emergency")));
    let call = |id: i64, tool: &str, level: &str| {
        modern(
            id,
            "tools/call",
            json!({ "name": tool, "_meta": { "io.modelcontextprotocol/logLevel": level } }),
        )
    };
    connection.send(&call(3, "every_level", "error"));
    let logs = logs_until_response(&connection, 3);
    assert_eq!(levels(&logs), ["error", "critical", "alert", "emergency"]);
    connection.send(&call(4, "in_place", "debug"));
    assert_eq!(
        levels(&logs_until_response(&connection, 4)),
        ["debug", "error"]
    );
    connection.ping_is_next(5);
    // The legacy calls still follow the connection's level.
    connection.send(&legacy_call(6, "every_level"));
    assert_eq!(levels(&logs_until_response(&connection, 6)), ["emergency"]);
}

#[test]
fn an_unknown_2026_07_28_log_level_is_invalid_params() {
    let mut connection = connect();
    for (id, level) in [(1, json!("loud")), (2, json!(7)), (3, Value::Null)] {
        let line = modern(
            id,
            "tools/call",
            json!({ "name": "every_level", "_meta": { "io.modelcontextprotocol/logLevel": level } }),
        );
        let reply = connection.ask(&line);
        assert_eq!(error_code(&reply), -32602, "{reply}");
    }
    let line = modern(
        4,
        "tools/list",
        json!({ "_meta": { "io.modelcontextprotocol/logLevel": "chatty" } }),
    );
    assert_eq!(error_code(&connection.ask(&line)), -32602);
    connection.ping_is_next(5);
}
