//! Raw protocol against the `courier mcp` binary over its stdin and stdout: a modern first
//! message, an unparsable first line, stdout carrying nothing but JSON-RPC, and a prompt exit on
//! stdin EOF (within a generous deadline: the test checks "does not hang", not speed).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(20);

struct Courier {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Courier {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_courier"))
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("courier mcp starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("courier reads stdin");
        stdin.flush().expect("courier reads stdin");
    }

    /// The next line of stdout, which must be one JSON-RPC message.
    fn recv(&mut self) -> Value {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("stdout is readable");
        assert!(line.ends_with('\n'), "a whole line, got {line:?}");
        let message: Value = serde_json::from_str(&line).expect("stdout carries only JSON");
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        message
    }

    /// Closes stdin and waits for the exit, failing after [`PATIENCE`] instead of hanging.
    fn close_and_wait(mut self) -> (ExitStatus, String) {
        drop(self.stdin.take());
        let mut child = self.child;
        let mut stdout = self.stdout;
        let (done, exited) = crossbeam_channel::bounded(1);
        let waiter = thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
            let status = child.wait();
            let _ = done.send(());
            (status, rest)
        });
        assert!(
            exited.recv_timeout(PATIENCE).is_ok(),
            "courier mcp did not exit within {PATIENCE:?} of stdin closing"
        );
        let (status, rest) = waiter.join().expect("the waiter does not panic");
        (status.expect("courier was waited for"), rest)
    }
}

fn modern(id: i64, method: &str, mut params: Value) -> String {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string()
}

#[test]
fn server_discover_as_the_first_message_is_answered_and_the_server_keeps_serving() {
    let mut courier = Courier::start();
    courier.send(&modern(1, "server/discover", json!({})));
    let reply = courier.recv();
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["supportedVersions"], json!(["2026-07-28"]));
    courier.send(&modern(
        2,
        "tools/call",
        json!({ "name": "topology", "arguments": {} }),
    ));
    let reply = courier.recv();
    assert_eq!(reply["id"], 2);
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert!(reply["result"]["structuredContent"]["workers"].is_array());
    let (status, rest) = courier.close_and_wait();
    assert!(status.success(), "{status}");
    assert_eq!(rest, "");
}

#[test]
fn an_unparsable_first_line_gets_a_parse_error_then_initialize_works() {
    let mut courier = Courier::start();
    courier.send("this is not json");
    let reply = courier.recv();
    assert_eq!(reply["error"]["code"], -32700);
    assert_eq!(reply["id"], Value::Null);
    courier.send(
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": { "name": "raw", "version": "0" } } })
        .to_string(),
    );
    let reply = courier.recv();
    assert_eq!(reply["result"]["protocolVersion"], "2025-11-25");
    let (status, _) = courier.close_and_wait();
    assert!(status.success(), "{status}");
}

#[test]
fn stdin_eof_ends_the_server_with_status_0_and_answers_what_was_sent() {
    let mut courier = Courier::start();
    courier.send(&modern(
        1,
        "tools/call",
        json!({ "name": "echo", "arguments": { "message": "bye" } }),
    ));
    courier.send(&modern(
        2,
        "tools/call",
        json!({ "name": "topology", "arguments": {} }),
    ));
    let (status, rest) = courier.close_and_wait();
    assert!(status.success(), "{status}");
    let ids: Vec<Value> = rest
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON")["id"].clone())
        .collect();
    assert_eq!(ids.len(), 2, "{rest}");
    assert!(ids.contains(&json!(1)) && ids.contains(&json!(2)), "{rest}");
}

#[test]
fn stdin_eof_without_any_input_exits_with_status_0() {
    let courier = Courier::start();
    let (status, rest) = courier.close_and_wait();
    assert!(status.success(), "{status}");
    assert_eq!(rest, "");
}

#[test]
fn runtime_stats_is_answered_by_an_actor_of_the_serving_runtime() {
    let mut courier = Courier::start();
    courier.send(&modern(
        1,
        "tools/call",
        json!({"name": "runtime_stats", "arguments": {}}),
    ));
    let response = courier.recv();
    assert_eq!(response["id"], 1, "{response}");
    let result = &response["result"];
    assert_eq!(result["isError"], false, "{response}");
    let stats = &result["structuredContent"];
    let workers = stats["workers"].as_array().expect("a list of workers");
    assert!(!workers.is_empty(), "{stats}");
    // The stats actor itself was spawned, and a worker is running its turn right now (a turn
    // is counted when it starts; its messages when it ends).
    assert!(
        stats["actors_spawned"].as_u64().expect("a count") >= 1,
        "{stats}"
    );
    let runs: u64 = workers
        .iter()
        .map(|w| w["runs"].as_u64().unwrap_or(0))
        .sum();
    assert!(runs >= 1, "{stats}");
    // The default config: one node here, capped at 256 MiB.
    let nodes = stats["nodes"].as_array().expect("pool memory per node");
    assert_eq!(nodes.len(), 1, "{stats}");
    assert_eq!(nodes[0]["bytes_max"], 256 << 20, "{stats}");
    assert!(nodes[0]["bound"].is_boolean(), "{stats}");
    assert!(nodes[0]["cell_bytes_mapped"].is_u64(), "{stats}");
    assert!(nodes[0]["huge_messages_mapped"].is_u64(), "{stats}");
    let (exit, _rest) = courier.close_and_wait();
    assert!(exit.success());
}

#[test]
fn supervision_tree_shows_the_analyzer_pool_under_its_supervisor() {
    let mut courier = Courier::start();
    courier.send(&modern(
        1,
        "tools/call",
        json!({"name": "supervision_tree", "arguments": {}}),
    ));
    let response = courier.recv();
    let result = &response["result"];
    assert_eq!(result["isError"], false, "{response}");
    let report = &result["structuredContent"];
    let supervisors = report["supervisors"].as_array().expect("a list");
    assert_eq!(supervisors.len(), 1, "{report}");
    let analyze = &supervisors[0];
    assert_eq!(analyze["id"], "analyze", "{report}");
    assert_eq!(analyze["strategy"], "one_for_one", "{report}");
    assert_eq!(analyze["status"], "running", "{report}");
    let children = analyze["children"].as_array().expect("children");
    assert!(!children.is_empty(), "{report}");
    for (i, child) in children.iter().enumerate() {
        assert_eq!(child["id"], format!("analyze-{i}"), "{report}");
        assert_eq!(child["kind"], "worker", "{report}");
        assert_eq!(child["restart"], "transient", "{report}");
        assert_eq!(child["status"], "running", "{report}");
        assert_eq!(child["restarts"], 0, "{report}");
        assert!(child["actor"].as_u64().is_some(), "{report}");
    }
    let text = report["text"].as_str().expect("the printed tree");
    assert!(text.contains("analyze: supervisor"), "{text}");
    let (exit, _rest) = courier.close_and_wait();
    assert!(exit.success());
}

#[test]
fn analyze_is_answered_by_the_analyzer_pool_and_cached_the_second_time() {
    let mut courier = Courier::start();
    let arguments = json!({
        "code": "function f(a) { return a === 1 ? 'one' : 'other'; }",
        "language": "javascript",
    });
    for (id, cached) in [(1, false), (2, true)] {
        courier.send(&modern(
            id,
            "tools/call",
            json!({"name": "analyze", "arguments": arguments}),
        ));
        let response = courier.recv();
        assert_eq!(response["id"], id, "{response}");
        let analysis = &response["result"]["structuredContent"];
        assert_eq!(analysis["complexity"], 2, "{response}");
        assert_eq!(analysis["functions"], 1, "{response}");
        assert_eq!(analysis["cached"], cached, "{response}");
    }
    courier.send(&modern(
        3,
        "tools/call",
        json!({"name": "analyze", "arguments": {"code": "x", "language": "cobol"}}),
    ));
    let response = courier.recv();
    assert_eq!(response["result"]["isError"], true, "{response}");
    let (exit, _rest) = courier.close_and_wait();
    assert!(exit.success());
}
