//! The protocol engine over in-memory pipes: framing, every method in both eras, every error
//! code, tool calls (validation, failures, timeouts, concurrency), progress, cancellation,
//! pagination, list-changed notifications, backpressure and shutdown.

#![expect(
    clippy::unwrap_used,
    clippy::needless_pass_by_value,
    reason = "the fixture's failures are test failures; helpers take json! literals"
)]

mod common;

use std::time::Duration;

use common::{Connection, initialize, modern, notification, request};
use courier_mcp::builtin::echo_tool;
use courier_mcp::{
    Registry, ServerConfig, Tool, ToolCall, ToolError, ToolHandler, WorkerPool, blocking, inline,
};
use crossbeam_channel::{Receiver, Sender};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Steps {
    /// Which call this is.
    n: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Done {
    n: u32,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Nothing {}

/// A handler written against the trait itself, the way an actor-backed one will be: it takes the
/// call apart, reports progress (some of it not increasing), answers, and then reports again.
struct ProgressThenLate;

impl ToolHandler for ProgressThenLate {
    type Input = Steps;
    type Output = Done;

    fn call(&self, call: ToolCall<Steps, Done>) {
        let ToolCall {
            arguments,
            context,
            responder,
            ..
        } = call;
        for progress in [1.0, 2.0, 2.0, 1.5, 3.0] {
            context.report_progress(progress, Some(3.0), Some("step"));
        }
        responder.ok(Done { n: arguments.n });
        context.report_progress(4.0, Some(3.0), Some("after the response"));
    }
}

/// Tools for the tests, on a pool of 4 workers:
/// - `echo` (the built-in);
/// - `fail`: always a tool error; `panic`: panics;
/// - `progress` ([`ProgressThenLate`]): reports 1, 2, 2, 1.5, 3 (only 1, 2, 3 may go out),
///   answers, then reports 4 (which must not go out);
/// - `gate`: tells `started` its `n`, then waits for `release` and answers;
/// - `until_cancelled`: tells `started`, waits up to 20 s for its cancel token, tells
///   `observed` whether it saw the cancellation, then answers.
struct Fixture {
    registry: Registry,
    started: Receiver<u32>,
    release: Sender<()>,
    observed: Receiver<bool>,
}

fn fixture() -> Fixture {
    let pool = WorkerPool::new(4);
    let registry = Registry::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let (release, release_rx) = crossbeam_channel::unbounded::<()>();
    let (observed_tx, observed) = crossbeam_channel::unbounded();
    registry.add(echo_tool().unwrap()).unwrap();
    let fail = inline(|_: Nothing, _| Err::<Done, _>(ToolError::new("the disk is on fire")));
    registry
        .add(Tool::new("fail", "Fails.", fail).unwrap())
        .unwrap();
    let panics = inline(|_: Nothing, _| -> Result<Done, ToolError> { panic!("handler bug") });
    registry
        .add(Tool::new("panic", "Panics.", panics).unwrap())
        .unwrap();
    let progress = Tool::new("progress", "Progress.", ProgressThenLate).unwrap();
    registry.add(progress).unwrap();
    let started_gate = started_tx.clone();
    let gate = blocking(&pool, move |steps: Steps, _| {
        started_gate.send(steps.n).unwrap();
        release_rx.recv().unwrap();
        Ok::<_, ToolError>(Done { n: steps.n })
    });
    registry
        .add(Tool::new("gate", "Waits.", gate).unwrap())
        .unwrap();
    let until_cancelled = blocking(&pool, move |steps: Steps, context| {
        started_tx.send(steps.n).unwrap();
        let cancelled = context.cancel_token().wait_timeout(Duration::from_secs(20));
        observed_tx.send(cancelled).unwrap();
        Ok::<_, ToolError>(Done { n: steps.n })
    });
    let tool = Tool::new("until_cancelled", "Waits to be cancelled.", until_cancelled).unwrap();
    registry.add(tool).unwrap();
    Fixture {
        registry,
        started,
        release,
        observed,
    }
}

fn connect(fixture: &Fixture) -> Connection {
    Connection::start(fixture.registry.clone(), ServerConfig::default())
}

fn call(id: i64, tool: &str, arguments: Value) -> String {
    modern(
        id,
        "tools/call",
        json!({ "name": tool, "arguments": arguments }),
    )
}

fn error_code(reply: &Value) -> i64 {
    reply["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {reply}"))
}

// ---- framing and JSON-RPC errors -----------------------------------------------------------

#[test]
fn an_unparsable_line_gets_a_parse_error_with_a_null_id_and_the_server_keeps_serving() {
    let mut connection = connect(&fixture());
    let reply = connection.ask("{not json");
    assert_eq!(error_code(&reply), -32700);
    assert_eq!(reply["id"], Value::Null);
    assert_eq!(reply["jsonrpc"], "2.0");
    connection.ping_is_next(1);
}

#[test]
fn invalid_utf8_is_a_parse_error() {
    let mut connection = connect(&fixture());
    connection.send_bytes(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}\n");
    assert_eq!(error_code(&connection.recv()), -32700);
    connection.ping_is_next(2);
}

#[test]
fn json_that_is_not_a_request_gets_invalid_request() {
    let mut connection = connect(&fixture());
    for line in [
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
        "42",
        "{\"id\":1,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",
        "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
    ] {
        let reply = connection.ask(line);
        assert_eq!(error_code(&reply), -32600, "{line} -> {reply}");
    }
    connection.ping_is_next(9);
}

#[test]
fn an_invalid_request_with_a_readable_id_is_answered_with_that_id() {
    let mut connection = connect(&fixture());
    let reply = connection.ask("{\"jsonrpc\":\"1.0\",\"id\":\"a\",\"method\":\"ping\"}");
    assert_eq!(reply["id"], "a");
    assert_eq!(error_code(&reply), -32600);
}

#[test]
fn params_that_are_not_an_object_are_invalid_params() {
    let mut connection = connect(&fixture());
    let reply = connection.ask("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":[1]}");
    assert_eq!(error_code(&reply), -32602);
    assert_eq!(reply["id"], 3);
}

#[test]
fn an_oversized_line_gets_invalid_request_and_the_next_line_is_served() {
    let config = ServerConfig::default().with_message_size_max_bytes(1024);
    let mut connection = Connection::start(fixture().registry, config);
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let reply = connection.ask(&huge);
    assert_eq!(error_code(&reply), -32600);
    assert_eq!(reply["id"], Value::Null);
    assert_eq!(reply["error"]["data"]["maxBytes"], 1024);
    connection.ping_is_next(2);
}

#[test]
fn blank_lines_and_crlf_endings_are_accepted() {
    let mut connection = connect(&fixture());
    connection.send_bytes(b"\n  \r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n");
    assert_eq!(
        connection.recv(),
        json!({ "jsonrpc": "2.0", "id": 1, "result": {} })
    );
}

#[test]
fn an_unknown_method_is_method_not_found_and_the_server_keeps_serving() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&request(1, "resources/list", json!({})));
    assert_eq!(error_code(&reply), -32601);
    assert_eq!(reply["id"], 1);
    let reply = connection.ask(&modern(2, "no/such", json!({})));
    assert_eq!(error_code(&reply), -32601);
    connection.ping_is_next(3);
}

#[test]
fn notifications_are_never_answered_even_unknown_or_malformed_ones() {
    let mut connection = connect(&fixture());
    connection.send(&notification("notifications/initialized", json!({})));
    connection.send(&notification("no/such/notification", json!({})));
    connection.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":7}");
    connection.send(&notification(
        "notifications/cancelled",
        json!({ "requestId": null }),
    ));
    connection.send("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}");
    connection.ping_is_next(1);
}

// ---- legacy era ----------------------------------------------------------------------------

#[test]
fn initialize_echoes_a_supported_version_and_offers_the_latest_for_an_unknown_one() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&request(
        1,
        "initialize",
        json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"} }),
    ));
    assert_eq!(reply["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(
        reply["result"]["capabilities"]["tools"]["listChanged"],
        true
    );
    assert_eq!(reply["result"]["serverInfo"]["name"], "courier");
    let reply = connection.ask(&request(
        2,
        "initialize",
        json!({ "protocolVersion": "1999-01-01", "capabilities": {} }),
    ));
    assert_eq!(reply["result"]["protocolVersion"], "2025-11-25");
    let reply = connection.ask(&request(3, "initialize", json!({ "capabilities": {} })));
    assert_eq!(error_code(&reply), -32602);
}

#[test]
fn ping_is_answered_before_and_after_initialize() {
    let mut connection = connect(&fixture());
    connection.ping_is_next(1);
    connection.ask(&initialize(2));
    connection.send(&notification("notifications/initialized", json!({})));
    connection.ping_is_next(3);
}

#[test]
fn after_initialize_legacy_requests_need_no_meta_and_results_carry_no_result_type() {
    let mut connection = connect(&fixture());
    connection.ask(&initialize(1));
    let list = connection.ask(&request(2, "tools/list", json!({})));
    assert!(
        list["result"]["tools"].as_array().unwrap().len() >= 5,
        "{list}"
    );
    assert!(list["result"].get("resultType").is_none());
    assert!(list["result"].get("ttlMs").is_none());
    let reply = connection.ask(&request(
        3,
        "tools/call",
        json!({ "name": "echo", "arguments": { "message": "hi" } }),
    ));
    assert_eq!(
        reply["result"]["structuredContent"],
        json!({ "message": "hi" })
    );
    assert!(reply["result"].get("resultType").is_none());
}

// ---- modern era ----------------------------------------------------------------------------

#[test]
fn server_discover_as_the_first_message_returns_the_discover_result() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&modern(1, "server/discover", json!({})));
    let result = &reply["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(result["capabilities"]["tools"]["listChanged"], true);
    assert_eq!(result["ttlMs"], 0);
    assert_eq!(result["cacheScope"], "public");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "courier"
    );
}

#[test]
fn a_request_without_meta_before_initialize_is_invalid_params() {
    let mut connection = connect(&fixture());
    for method in ["server/discover", "tools/list", "tools/call"] {
        let reply = connection.ask(&request(1, method, json!({})));
        assert_eq!(error_code(&reply), -32602, "{method}: {reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .unwrap()
                .contains("io.modelcontextprotocol/protocolVersion")
        );
    }
}

#[test]
fn meta_without_client_capabilities_is_invalid_params() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&request(
        1,
        "tools/list",
        json!({ "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } }),
    ));
    assert_eq!(error_code(&reply), -32602);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("clientCapabilities")
    );
}

#[test]
fn an_unknown_protocol_version_gets_unsupported_version_with_the_supported_list() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&request(
        1,
        "server/discover",
        json!({ "_meta": {
            "io.modelcontextprotocol/protocolVersion": "1900-01-01",
            "io.modelcontextprotocol/clientCapabilities": {},
        } }),
    ));
    assert_eq!(error_code(&reply), -32022);
    assert_eq!(
        reply["error"]["data"],
        json!({ "supported": ["2026-07-28"], "requested": "1900-01-01" })
    );
}

#[test]
fn ping_carrying_modern_meta_is_method_not_found() {
    let mut connection = connect(&fixture());
    assert_eq!(
        error_code(&connection.ask(&modern(1, "ping", json!({})))),
        -32601
    );
}

#[test]
fn modern_results_carry_result_type_and_server_info_and_lists_carry_cache_fields() {
    let mut connection = connect(&fixture());
    let list = connection.ask(&modern(1, "tools/list", json!({})));
    assert_eq!(list["result"]["resultType"], "complete");
    assert_eq!(list["result"]["ttlMs"], 0);
    assert_eq!(list["result"]["cacheScope"], "public");
    let reply = connection.ask(&call(2, "echo", json!({ "message": "x" })));
    assert_eq!(reply["result"]["resultType"], "complete");
    assert!(reply["result"]["_meta"]["io.modelcontextprotocol/serverInfo"].is_object());
}

#[test]
fn both_eras_are_served_on_one_connection_and_list_the_same_tools() {
    let mut connection = connect(&fixture());
    let modern_list = connection.ask(&modern(1, "tools/list", json!({})));
    connection.ask(&initialize(2));
    let legacy_list = connection.ask(&request(3, "tools/list", json!({})));
    assert_eq!(
        modern_list["result"]["tools"],
        legacy_list["result"]["tools"]
    );
    let again = connection.ask(&modern(4, "server/discover", json!({})));
    assert_eq!(again["result"]["resultType"], "complete");
}

// ---- tools/list ----------------------------------------------------------------------------

#[test]
fn tools_are_listed_in_name_order_with_2020_12_schemas_and_no_schema_key() {
    let mut connection = connect(&fixture());
    let list = connection.ask(&modern(1, "tools/list", json!({})));
    let tools = list["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "echo",
            "fail",
            "gate",
            "panic",
            "progress",
            "until_cancelled"
        ]
    );
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
        assert!(tool["inputSchema"].get("$schema").is_none(), "{tool}");
        assert!(tool["outputSchema"].get("$schema").is_none(), "{tool}");
    }
    let echo = &tools[0];
    assert_eq!(echo["inputSchema"]["additionalProperties"], false);
    assert_eq!(echo["inputSchema"]["required"], json!(["message"]));
    assert_eq!(echo["annotations"]["readOnlyHint"], true);
}

#[test]
fn tools_list_pages_follow_next_cursor_to_the_end() {
    let fixture = fixture();
    let config = ServerConfig::default().with_page_len_max(4);
    let mut connection = Connection::start(fixture.registry.clone(), config);
    let first = connection.ask(&modern(1, "tools/list", json!({})));
    let page: Vec<&str> = first["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(page, ["echo", "fail", "gate", "panic"]);
    let cursor = first["result"]["nextCursor"].as_str().unwrap().to_owned();
    let second = connection.ask(&modern(2, "tools/list", json!({ "cursor": cursor })));
    let page: Vec<&str> = second["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(page, ["progress", "until_cancelled"]);
    assert!(second["result"].get("nextCursor").is_none());
}

#[test]
fn a_cursor_the_server_did_not_issue_is_invalid_params() {
    let mut connection = connect(&fixture());
    for cursor in [json!("bogus"), json!(""), json!(3)] {
        let reply = connection.ask(&modern(1, "tools/list", json!({ "cursor": cursor })));
        assert_eq!(error_code(&reply), -32602, "{cursor}");
    }
}

// ---- tools/call ----------------------------------------------------------------------------

#[test]
fn a_structured_result_comes_with_its_json_text_mirror() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&call(1, "echo", json!({ "message": "héllo\nworld" })));
    let result = &reply["result"];
    assert_eq!(result["isError"], false);
    assert_eq!(
        result["structuredContent"],
        json!({ "message": "héllo\nworld" })
    );
    let text = result["content"][0]["text"].as_str().unwrap();
    assert_eq!(result["content"][0]["type"], "text");
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        result["structuredContent"]
    );
}

#[test]
fn an_unknown_tool_is_invalid_params() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&call(1, "nosuch", json!({})));
    assert_eq!(error_code(&reply), -32602);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nosuch")
    );
}

#[test]
fn a_call_without_a_name_or_with_non_object_arguments_is_invalid_params() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&modern(1, "tools/call", json!({ "arguments": {} })));
    assert_eq!(error_code(&reply), -32602);
    let reply = connection.ask(&modern(
        2,
        "tools/call",
        json!({ "name": "echo", "arguments": [1] }),
    ));
    assert_eq!(error_code(&reply), -32602);
}

#[test]
fn arguments_that_do_not_match_the_schema_are_an_is_error_result_naming_the_problem() {
    let mut connection = connect(&fixture());
    for (arguments, needle) in [
        (json!({}), "missing field `message`"),
        (json!({ "message": 5 }), "invalid type"),
        (
            json!({ "message": "x", "extra": 1 }),
            "unknown field `extra`",
        ),
    ] {
        let reply = connection.ask(&call(1, "echo", arguments));
        assert_eq!(reply["result"]["isError"], true, "{reply}");
        let text = reply["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains(needle), "{text}");
    }
}

#[test]
fn a_tool_failure_is_an_is_error_result_with_its_message() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&call(1, "fail", json!({})));
    assert_eq!(reply["result"]["isError"], true);
    assert_eq!(reply["result"]["content"][0]["text"], "the disk is on fire");
    assert!(reply["result"].get("structuredContent").is_none());
}

#[test]
fn a_panicking_handler_becomes_an_is_error_result_and_the_server_keeps_serving() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&call(1, "panic", json!({})));
    assert_eq!(reply["result"]["isError"], true);
    connection.ping_is_next(2);
}

#[test]
fn calls_run_concurrently_and_are_answered_as_they_finish() {
    let fixture = fixture();
    let mut connection = connect(&fixture);
    connection.send(&call(1, "gate", json!({ "n": 1 })));
    assert_eq!(fixture.started.recv_timeout(common::PATIENCE), Ok(1));
    // The gate holds call 1; call 2 overtakes it.
    let reply = connection.ask(&call(2, "echo", json!({ "message": "fast" })));
    assert_eq!(reply["id"], 2);
    fixture.release.send(()).unwrap();
    let reply = connection.recv();
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["structuredContent"], json!({ "n": 1 }));
}

#[test]
fn string_ids_and_integer_ids_are_echoed_exactly() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&call(0, "echo", json!({ "message": "a" })));
    assert_eq!(reply["id"], 0);
    let line = modern(
        "req-7",
        "tools/call",
        json!({ "name": "echo", "arguments": { "message": "b" } }),
    );
    assert_eq!(connection.ask(&line)["id"], "req-7");
}

#[test]
fn a_call_past_its_tool_timeout_is_an_is_error_result_and_its_handler_sees_the_cancel() {
    let fixture = fixture();
    let config = ServerConfig::default().with_tool_timeout(Duration::from_millis(50));
    let mut connection = Connection::start(fixture.registry.clone(), config);
    let reply = connection.ask(&call(1, "until_cancelled", json!({ "n": 1 })));
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["isError"], true);
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("did not finish in time"), "{text}");
    assert_eq!(fixture.observed.recv_timeout(common::PATIENCE), Ok(true));
    // The handler's late answer is dropped: the next message is the ping's.
    connection.ping_is_next(2);
}

// ---- progress and cancellation --------------------------------------------------------------

#[test]
fn progress_goes_out_only_with_a_token_strictly_increasing_and_never_after_the_response() {
    let mut connection = connect(&fixture());
    let line = modern(
        1,
        "tools/call",
        json!({ "name": "progress", "arguments": { "n": 1 }, "_meta": { "progressToken": "tok" } }),
    );
    connection.send(&line);
    let mut seen = Vec::new();
    loop {
        let message = connection.recv();
        if message.get("id").is_some() {
            assert_eq!(message["result"]["structuredContent"], json!({ "n": 1 }));
            break;
        }
        assert_eq!(message["method"], "notifications/progress");
        assert_eq!(message["params"]["progressToken"], "tok");
        assert_eq!(message["params"]["total"], 3.0);
        seen.push(message["params"]["progress"].as_f64().unwrap());
    }
    assert_eq!(seen, [1.0, 2.0, 3.0]);
    connection.ping_is_next(2);
    // Without a token: no progress at all, just the response.
    let reply = connection.ask(&call(3, "progress", json!({ "n": 3 })));
    assert_eq!(reply["id"], 3);
    connection.ping_is_next(4);
}

#[test]
fn integer_progress_tokens_are_echoed_as_integers() {
    let mut connection = connect(&fixture());
    let line = modern(
        1,
        "tools/call",
        json!({ "name": "progress", "arguments": { "n": 1 }, "_meta": { "progressToken": 1 } }),
    );
    let first = connection.ask(&line);
    assert_eq!(first["params"]["progressToken"], 1);
}

#[test]
fn a_cancelled_call_gets_no_response_and_its_handler_observes_the_cancel() {
    let fixture = fixture();
    let mut connection = connect(&fixture);
    connection.send(&call(7, "until_cancelled", json!({ "n": 7 })));
    assert_eq!(fixture.started.recv_timeout(common::PATIENCE), Ok(7));
    connection.send(&notification(
        "notifications/cancelled",
        json!({ "requestId": 7, "reason": "user" }),
    ));
    assert_eq!(fixture.observed.recv_timeout(common::PATIENCE), Ok(true));
    // The handler has answered by now; had the answer been written, it would precede the pong.
    connection.ping_is_next(8);
    // Cancelling an unknown or finished id is ignored.
    connection.send(&notification(
        "notifications/cancelled",
        json!({ "requestId": 7 }),
    ));
    connection.send(&notification(
        "notifications/cancelled",
        json!({ "requestId": "x" }),
    ));
    connection.ping_is_next(9);
}

// ---- list changes and subscriptions ---------------------------------------------------------

#[test]
fn subscriptions_listen_is_acknowledged_and_tool_changes_are_notified_on_it() {
    let fixture = fixture();
    let mut connection = connect(&fixture);
    let ack = connection.ask(&modern(
        "listen:0",
        "subscriptions/listen",
        json!({ "notifications": { "toolsListChanged": true, "promptsListChanged": true } }),
    ));
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["notifications"],
        json!({ "toolsListChanged": true })
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen:0"
    );
    let extra = inline(|_: Nothing, _| Ok::<_, ToolError>(Done { n: 0 }));
    fixture
        .registry
        .add(Tool::new("extra", "Added at run time.", extra).unwrap())
        .unwrap();
    let changed = connection.recv();
    assert_eq!(changed["method"], "notifications/tools/list_changed");
    assert_eq!(
        changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen:0"
    );
    let list = connection.ask(&modern(1, "tools/list", json!({})));
    assert!(list["result"]["tools"].to_string().contains("\"extra\""));
    // Ending the subscription stops the notifications.
    connection.send(&notification(
        "notifications/cancelled",
        json!({ "requestId": "listen:0" }),
    ));
    connection.ping_is_next(2);
    assert!(fixture.registry.remove("extra"));
    connection.ping_is_next(3);
}

#[test]
fn after_initialize_tool_changes_send_the_legacy_list_changed_notification() {
    let fixture = fixture();
    let mut connection = connect(&fixture);
    connection.ask(&initialize(1));
    assert!(fixture.registry.remove("fail"));
    let changed = connection.recv();
    assert_eq!(
        changed,
        json!({ "jsonrpc": "2.0", "method": "notifications/tools/list_changed" })
    );
    let list = connection.ask(&request(2, "tools/list", json!({})));
    assert!(!list["result"]["tools"].to_string().contains("\"fail\""));
}

#[test]
fn without_initialize_or_a_subscription_no_list_changed_is_sent() {
    let fixture = fixture();
    let mut connection = connect(&fixture);
    connection.ping_is_next(1);
    assert!(fixture.registry.remove("fail"));
    connection.ping_is_next(2);
}

#[test]
fn a_subscription_without_meta_or_filter_is_invalid_params() {
    let mut connection = connect(&fixture());
    let reply = connection.ask(&request(
        1,
        "subscriptions/listen",
        json!({ "notifications": {} }),
    ));
    assert_eq!(error_code(&reply), -32602);
    let reply = connection.ask(&modern(2, "subscriptions/listen", json!({})));
    assert_eq!(error_code(&reply), -32602);
}

// ---- registry ------------------------------------------------------------------------------

#[test]
fn registering_a_bad_name_a_non_object_output_or_a_duplicate_fails() {
    let registry = Registry::new();
    let ok = || inline(|_: Nothing, _| Ok::<_, ToolError>(Done { n: 0 }));
    assert!(Tool::new("", "x", ok()).is_err());
    assert!(Tool::new("has space", "x", ok()).is_err());
    assert!(Tool::new("x".repeat(129), "x", ok()).is_err());
    let scalar = inline(|_: Nothing, _| Ok::<_, ToolError>(5_u32));
    assert!(Tool::new("scalar", "x", scalar).is_err());
    registry
        .add(Tool::new("a.b-c_d", "x", ok()).unwrap())
        .unwrap();
    assert!(
        registry
            .add(Tool::new("a.b-c_d", "x", ok()).unwrap())
            .is_err()
    );
    assert_eq!(registry.names(), ["a.b-c_d"]);
}

// ---- backpressure and shutdown --------------------------------------------------------------

#[test]
fn at_the_in_flight_bound_the_server_stops_reading_until_a_call_finishes() {
    let fixture = fixture();
    let config = ServerConfig::default().with_in_flight_max(1);
    let mut connection = Connection::start(fixture.registry.clone(), config);
    connection.send(&call(1, "gate", json!({ "n": 1 })));
    connection.send(&call(2, "gate", json!({ "n": 2 })));
    connection.send(&request(3, "ping", json!({})));
    assert_eq!(fixture.started.recv_timeout(common::PATIENCE), Ok(1));
    // Call 2 waits for a slot, so the ping behind it is not read either.
    assert_eq!(connection.try_recv(Duration::from_millis(300)), None);
    assert!(fixture.started.is_empty());
    fixture.release.send(()).unwrap();
    assert_eq!(connection.recv()["id"], 1);
    assert_eq!(fixture.started.recv_timeout(common::PATIENCE), Ok(2));
    assert_eq!(connection.recv()["id"], 3);
    fixture.release.send(()).unwrap();
    assert_eq!(connection.recv()["id"], 2);
}

#[test]
fn at_eof_the_server_returns_and_answers_calls_that_finish_within_the_grace() {
    let fixture = fixture();
    let mut connection = connect(&fixture);
    connection.send(&call(1, "gate", json!({ "n": 1 })));
    assert_eq!(fixture.started.recv_timeout(common::PATIENCE), Ok(1));
    fixture.release.send(()).unwrap();
    let (result, rest) = connection.close();
    result.unwrap();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["id"], 1);
}

#[test]
fn at_eof_calls_still_running_after_the_grace_are_cancelled_without_a_response() {
    let fixture = fixture();
    let config = ServerConfig::default().with_shutdown_grace(Duration::from_millis(50));
    let mut connection = Connection::start(fixture.registry.clone(), config);
    connection.send(&call(1, "until_cancelled", json!({ "n": 1 })));
    assert_eq!(fixture.started.recv_timeout(common::PATIENCE), Ok(1));
    let (result, rest) = connection.close();
    result.unwrap();
    assert_eq!(rest, Vec::<Value>::new());
    assert_eq!(fixture.observed.recv_timeout(common::PATIENCE), Ok(true));
}

/// Counts the bytes the server has read.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = self.inner.read(buf)?;
        self.read
            .fetch_add(len, std::sync::atomic::Ordering::Relaxed);
        Ok(len)
    }
}

/// Blocks every write until the gate opens: a client that does not read its stdout.
struct Gated<W> {
    inner: W,
    open: Receiver<()>,
    opened: bool,
}

impl<W: std::io::Write> std::io::Write for Gated<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.opened {
            let _ = self.open.recv();
            self.opened = true;
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn a_client_that_does_not_read_its_responses_stops_the_server_reading() {
    use std::io::{BufRead, Write};
    const PINGS: i64 = 20_000;
    let (input_reader, mut input) = std::io::pipe().unwrap();
    let (output_reader, output_writer) = std::io::pipe().unwrap();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (open, gate) = crossbeam_channel::bounded(1);
    let counting = Counting {
        inner: input_reader,
        read: read.clone(),
    };
    let gated = Gated {
        inner: output_writer,
        open: gate,
        opened: false,
    };
    let server = std::thread::spawn(move || {
        courier_mcp::Server::new(Registry::new()).serve(counting, gated)
    });
    let pad = "p".repeat(200);
    let feeder = std::thread::spawn(move || {
        for id in 0..PINGS {
            let line = request(id, "ping", json!({ "pad": pad }));
            writeln!(input, "{line}").unwrap();
        }
    });
    let total_bytes = 20_000 * 250;
    // Give an unbounded server time to read everything; a bounded one stops far short: at
    // about 1024 queued answers, plus what the writer's 64 KiB buffer holds, plus the reader's
    // 64 KiB buffer of input (some 3,000 lines, 750 KB).
    let (_never, nothing) = crossbeam_channel::bounded::<()>(1);
    let _ = nothing.recv_timeout(Duration::from_millis(500));
    let read_bytes = read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        read_bytes < total_bytes / 2,
        "read {read_bytes} of {total_bytes} bytes while no response could be written"
    );
    open.send(()).unwrap();
    let answered = std::io::BufReader::new(output_reader)
        .lines()
        .take(20_000)
        .filter(|line| line.as_ref().unwrap().contains("\"result\":{}"))
        .count();
    assert_eq!(answered, 20_000);
    feeder.join().unwrap();
    server.join().unwrap().unwrap();
}

/// Claims to answer in place, but hands each call to a channel and answers later.
struct Liar {
    calls: Sender<ToolCall<courier_mcp::builtin::Echo, courier_mcp::builtin::Echo>>,
}

impl ToolHandler for Liar {
    type Input = courier_mcp::builtin::Echo;
    type Output = courier_mcp::builtin::Echo;

    fn call(&self, call: ToolCall<Self::Input, Self::Output>) {
        self.calls.send(call).unwrap();
    }

    fn answers_in_place(&self) -> bool {
        true
    }
}

#[test]
fn a_tool_that_claims_to_answer_in_place_but_does_not_gets_an_error_and_its_late_answer_is_dropped()
{
    let (calls, held) = crossbeam_channel::unbounded();
    let registry = Registry::new();
    registry.add(echo_tool().unwrap()).unwrap();
    registry
        .add(Tool::new("liar", "Answers late.", Liar { calls }).unwrap())
        .unwrap();
    let mut connection = Connection::start(registry, ServerConfig::default());
    let reply = connection.ask(&call(1, "liar", json!({ "message": "late" })));
    assert_eq!(reply["id"], 1, "{reply}");
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("answers in place but did not"), "{text}");
    // The late answer arrives while nothing runs in place; it must not become anyone's answer.
    let late: ToolCall<_, _> = held.recv().unwrap();
    late.responder.ok(courier_mcp::builtin::Echo {
        message: "late".to_owned(),
    });
    let reply = connection.ask(&call(2, "echo", json!({ "message": "on time" })));
    assert_eq!(reply["id"], 2, "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["message"], "on time");
    let (result, rest) = connection.close();
    result.unwrap();
    assert!(rest.is_empty(), "{rest:?}");
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Order {
    /// Whether the handler should panic.
    panic: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Served {
    /// How many calls this actor instance has served.
    served: u32,
}

/// Counts its calls; panics when told to.
struct Panicky {
    served: u32,
}

impl courier_sched::Actor for Panicky {
    type Msg = ToolCall<Order, Served>;
    type Error = std::convert::Infallible;

    fn handle(
        &mut self,
        _ctx: &mut courier_sched::Context<'_, Self>,
        call: Self::Msg,
    ) -> Result<(), Self::Error> {
        assert!(!call.arguments.panic, "told to panic");
        self.served += 1;
        call.responder.ok(Served {
            served: self.served,
        });
        Ok(())
    }
}

#[test]
fn a_pool_actor_that_panics_is_restarted_in_place_and_the_calls_queued_for_it_are_served() {
    let runtime = courier_sched::Runtime::with_workers(2).unwrap();
    let pool =
        courier_mcp::ActorPool::spawn(&runtime, "panicky", 1, || Panicky { served: 0 }, |_| 0)
            .expect("the pool's supervisor starts");
    let supervisor = pool.supervisor().clone();
    let registry = Registry::new();
    registry
        .add(Tool::new("panicky", "Panics when told to.", pool).unwrap())
        .unwrap();
    let mut connection = Connection::start(registry, ServerConfig::default());
    let reply = connection.ask(&call(1, "panicky", json!({ "panic": false })));
    assert_eq!(reply["result"]["structuredContent"]["served"], 1, "{reply}");
    let reply = connection.ask(&call(2, "panicky", json!({ "panic": true })));
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    // The call after the panic waits in the same mailbox for the restarted instance: served,
    // by a fresh actor (its count starts again), at the same address.
    let reply = connection.ask(&call(3, "panicky", json!({ "panic": false })));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["served"], 1, "{reply}");
    let tree = supervisor.tree();
    assert_eq!(tree.children[0].restarts, 1, "{tree}");
    assert_eq!(
        supervisor.lost_messages(),
        1,
        "the panicking call, answered as an error"
    );
    drop(connection);
    runtime.shutdown();
}
