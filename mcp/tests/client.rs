//! The MCP client against the real `courier mcp` binary: the handshake in both eras, tool
//! calls (echo, analyze, bad arguments, an unknown tool), 64 pipelined calls, the typed
//! handle, a server that exits at start, a server killed under calls, and the stop that
//! reaps it. No mock stands in for the server.

mod client_common;

use std::time::{Duration, Instant};

use client_common::{PATIENCE, config, courier_mcp, eventually, exists, kill};
use courier_mcp::client::{
    ClientError, EraPreference, McpServerRef, ProtocolEra, ServerCommand, Session,
};
use courier_sched::Runtime;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn spawn(runtime: &Runtime) -> McpServerRef {
    McpServerRef::spawn(runtime, &courier_mcp(), config()).expect("courier mcp starts")
}

#[test]
fn the_handshake_with_courier_mcp_chooses_the_modern_era_and_calls_echo() {
    let session = Session::spawn(&courier_mcp(), config())
        .unwrap()
        .handshake()
        .unwrap();
    let info = session.info();
    assert_eq!(info.era, ProtocolEra::Modern);
    assert_eq!(info.protocol_version, "2026-07-28");
    assert_eq!(info.name.as_deref(), Some("courier"));
    assert!(info.pid.is_some());
    let result = session
        .call_tool("echo", json!({ "message": "hello" }))
        .unwrap();
    assert!(!result.is_error);
    assert_eq!(
        result.structured_content,
        Some(json!({ "message": "hello" }))
    );
    assert!(result.text().contains("hello"), "{result:?}");
}

#[test]
fn a_legacy_only_session_uses_initialize_and_still_calls_echo() {
    let session = Session::spawn(&courier_mcp(), config().with_era(EraPreference::Legacy))
        .unwrap()
        .handshake()
        .unwrap();
    assert_eq!(session.info().era, ProtocolEra::Legacy);
    assert_eq!(session.info().protocol_version, "2025-11-25");
    let result = session
        .call_tool("echo", json!({ "message": "old" }))
        .unwrap();
    assert_eq!(result.structured_content, Some(json!({ "message": "old" })));
}

#[test]
fn the_actor_calls_echo_and_analyze_and_lists_the_tools() {
    let runtime = Runtime::with_workers(2).unwrap();
    let server = spawn(&runtime);
    let echo = server
        .call("echo", json!({ "message": "via actor" }))
        .unwrap();
    assert_eq!(
        echo.structured_content,
        Some(json!({ "message": "via actor" }))
    );

    let code = "fn f(x: u32) -> u32 { if x > 1 { match x { 2 => 1, _ => 0 } } else { 3 } }";
    let analysis = server
        .call("analyze", json!({ "code": code, "language": "rust" }))
        .unwrap();
    assert!(!analysis.is_error, "{analysis:?}");
    let structured = analysis
        .structured_content
        .expect("analyze has an output schema");
    assert_eq!(structured["language"], "rust");
    assert_eq!(structured["functions"], 1);
    assert!(
        structured["complexity"].as_u64().unwrap() >= 3,
        "{structured}"
    );

    let tools = server.list_tools().unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_str()).collect();
    for name in ["analyze", "echo", "runtime_stats", "topology"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let echo_tool = tools.iter().find(|tool| tool.name == "echo").unwrap();
    assert_eq!(echo_tool.input_schema["type"], "object");
    server.stop();
    runtime.shutdown();
}

#[test]
fn bad_arguments_come_back_as_an_is_error_result_not_an_error() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    let result = server.call("echo", json!({ "wrong": 1 })).unwrap();
    assert!(result.is_error, "{result:?}");
    assert!(
        result.text().contains("message"),
        "names the field: {}",
        result.text()
    );
    runtime.shutdown();
}

#[test]
fn an_unknown_tool_is_a_json_rpc_error_that_names_it() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    let error = server.call("no_such_tool", json!({})).unwrap_err();
    let ClientError::Rpc { method, error, .. } = &error else {
        panic!("expected a JSON-RPC error, got {error:?}");
    };
    assert_eq!(method, "tools/call");
    assert_eq!(error.code.0, -32602);
    assert!(error.message.contains("no_such_tool"), "{error:?}");
    // The connection is still good.
    assert!(
        !server
            .call("echo", json!({ "message": "x" }))
            .unwrap()
            .is_error
    );
    runtime.shutdown();
}

#[test]
fn sixty_four_pipelined_calls_are_each_answered_with_their_own_result() {
    let runtime = Runtime::with_workers(2).unwrap();
    let server = spawn(&runtime);
    let started = Instant::now();
    let replies: Vec<_> = (0..64)
        .map(|n| {
            let message = format!("call {n}");
            (
                message.clone(),
                server
                    .ask_call("echo", json!({ "message": message }))
                    .unwrap(),
            )
        })
        .collect();
    for (message, reply) in replies {
        let result = reply.wait_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(
            result.structured_content,
            Some(json!({ "message": message }))
        );
    }
    eprintln!("64 pipelined echo calls: {:?}", started.elapsed());
    runtime.shutdown();
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Echo {
    message: String,
}

#[test]
fn a_typed_remote_tool_sends_and_asks_like_an_actor_ref() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    let echo = server.tool::<Echo, Echo>("echo");
    echo.send(&Echo {
        message: "forgotten".into(),
    })
    .unwrap();
    let answer = echo
        .ask(&Echo {
            message: "typed".into(),
        })
        .unwrap();
    assert_eq!(
        answer,
        Echo {
            message: "typed".into()
        }
    );

    let reply = echo
        .ask_reply(&Echo {
            message: "later".into(),
        })
        .unwrap();
    let result = reply.wait_timeout(PATIENCE).unwrap().unwrap();
    assert_eq!(echo.decode(result).unwrap().message, "later");

    // A tool that fails is an error of the typed call.
    let wrong = server.tool::<serde_json::Value, Echo>("echo");
    let error = wrong.ask(&json!({ "nope": true })).unwrap_err();
    assert!(matches!(error, ClientError::ToolFailed { .. }), "{error:?}");
    runtime.shutdown();
}

#[test]
fn a_server_that_exits_at_start_fails_the_handshake_with_its_status_and_stderr() {
    let command = ServerCommand::new(env!("CARGO_BIN_EXE_courier")).args([
        "mcp",
        "--config",
        "/nonexistent/courier.toml",
    ]);
    let started = Instant::now();
    let error = Session::spawn(&command, config())
        .unwrap()
        .handshake()
        .unwrap_err();
    assert!(started.elapsed() < PATIENCE);
    let ClientError::Disconnected { reason, .. } = &error else {
        panic!("expected Disconnected, got {error:?}");
    };
    assert!(reason.contains("exit status: 1"), "{reason}");
    assert!(
        reason.contains("nonexistent"),
        "names the file from stderr: {reason}"
    );
}

#[test]
fn a_program_that_does_not_exist_is_a_spawn_error() {
    let error =
        Session::spawn(&ServerCommand::new("/nonexistent/mcp-server"), config()).unwrap_err();
    assert!(matches!(error, ClientError::Spawn { .. }), "{error:?}");
}

#[test]
fn killing_the_server_fails_later_calls_at_once_and_stops_the_unsupervised_actor() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    let pid = server.info().unwrap().pid.unwrap();
    kill(pid);
    assert!(
        eventually(|| server.actor().is_stopped()),
        "the actor stops"
    );
    let started = Instant::now();
    let error = server.call("echo", json!({ "message": "x" })).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "fails at once");
    assert!(matches!(error, ClientError::NotRunning { .. }), "{error:?}");
    assert!(eventually(|| !exists(pid)), "the killed server is reaped");
    runtime.shutdown();
}

#[test]
fn stopping_the_client_stops_and_reaps_its_server() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    let pid = server.info().unwrap().pid.unwrap();
    assert!(exists(pid));
    assert!(server.stop());
    assert!(eventually(|| !exists(pid)), "server {pid} is still there");
    runtime.shutdown();
}

#[test]
fn dropping_a_session_stops_and_reaps_its_server() {
    let session = Session::spawn(&courier_mcp(), config())
        .unwrap()
        .handshake()
        .unwrap();
    let pid = session.info().pid.unwrap();
    drop(session);
    assert!(eventually(|| !exists(pid)), "server {pid} is still there");
}

/// How long `wait` waits, at most.
#[derive(Deserialize, schemars::JsonSchema)]
struct Wait {
    seconds: u64,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Waited {
    cancelled: bool,
}

/// A courier `Server` in this process, on in-memory pipes, with `echo` and `wait` (which
/// waits on its cancel token and reports on `cancelled` whether the client cancelled it).
fn in_process_server(
    cancelled: crossbeam_channel::Sender<bool>,
    server_config: courier_mcp::ServerConfig,
) -> (courier_mcp::client::ByteStreams, courier_mcp::WorkerPool) {
    use courier_mcp::{Registry, Server, Tool, ToolError, WorkerPool, blocking};
    let pool = WorkerPool::new(2);
    let registry = Registry::new();
    registry
        .add(courier_mcp::builtin::echo_tool().expect("echo is valid"))
        .expect("one echo");
    let wait = blocking(&pool, move |args: Wait, context| {
        let was_cancelled = context
            .cancel_token()
            .wait_timeout(Duration::from_secs(args.seconds));
        let _test_waits = cancelled.send(was_cancelled);
        Ok::<_, ToolError>(Waited {
            cancelled: was_cancelled,
        })
    });
    registry
        .add(Tool::new("wait", "Waits until cancelled.", wait).expect("wait is valid"))
        .expect("one wait");
    let (server_input, client_output) = std::io::pipe().expect("a pipe");
    let (client_input, server_output) = std::io::pipe().expect("a pipe");
    std::thread::spawn(move || {
        Server::with_config(registry, server_config).serve(server_input, server_output)
    });
    let streams =
        courier_mcp::client::ByteStreams::new("in-process courier", client_input, client_output);
    (streams, pool)
}

#[test]
fn over_byte_streams_a_timed_out_call_is_cancelled_on_the_courier_server() {
    let (cancelled, tool_saw) = crossbeam_channel::unbounded();
    let (streams, _pool) = in_process_server(cancelled, courier_mcp::ServerConfig::default());
    let session = Session::over(streams, config())
        .unwrap()
        .handshake()
        .unwrap();
    assert_eq!(session.info().era, ProtocolEra::Modern);
    assert_eq!(session.info().pid, None);

    let runtime = Runtime::with_workers(1).unwrap();
    let server = McpServerRef::new(
        runtime.spawn(courier_mcp::client::McpClient::from_session(session)),
        Duration::from_millis(200),
    );
    let error = server.call("wait", json!({ "seconds": 15 })).unwrap_err();
    assert!(matches!(error, ClientError::Timeout { .. }), "{error:?}");
    assert_eq!(
        tool_saw.recv_timeout(PATIENCE),
        Ok(true),
        "the server's tool saw the cancellation"
    );
    let server = server.with_timeout(PATIENCE);
    let result = server.call("wait", json!({ "seconds": 0 })).unwrap();
    assert_eq!(
        result.structured_content,
        Some(json!({ "cancelled": false }))
    );
    assert_eq!(tool_saw.recv_timeout(PATIENCE), Ok(false));
    server.stop();
    runtime.shutdown();
}

#[test]
fn list_tools_follows_every_page_in_both_eras() {
    for era in [EraPreference::Modern, EraPreference::Legacy] {
        let (cancelled, _tool_saw) = crossbeam_channel::unbounded();
        let (streams, _pool) = in_process_server(
            cancelled,
            courier_mcp::ServerConfig::default().with_page_len_max(1),
        );
        let session = Session::over(streams, config().with_era(era))
            .unwrap()
            .handshake()
            .unwrap();
        let names: Vec<String> = session
            .list_tools()
            .unwrap()
            .into_iter()
            .map(|tool| tool.name)
            .collect();
        assert_eq!(names, ["echo", "wait"], "{era:?}");
    }
}

/// An actor that calls the external server's `echo` from its handler and gets the answer
/// back as a message, as it would from another actor.
struct Caller {
    echo: courier_mcp::client::RemoteTool<Echo, Echo>,
    answers: crossbeam_channel::Sender<Result<Echo, ClientError>>,
}

enum CallerMsg {
    Go(String),
    Answer(Result<Echo, ClientError>),
}

impl courier_sched::Actor for Caller {
    type Msg = CallerMsg;
    type Error = std::convert::Infallible;

    fn handle(
        &mut self,
        ctx: &mut courier_sched::Context<'_, Self>,
        msg: CallerMsg,
    ) -> Result<(), Self::Error> {
        match msg {
            CallerMsg::Go(message) => {
                self.echo
                    .ask_to(&Echo { message }, &ctx.myself(), CallerMsg::Answer);
            }
            CallerMsg::Answer(answer) => {
                let _test_waits = self.answers.send(answer);
            }
        }
        Ok(())
    }
}

#[test]
fn an_actor_calls_the_server_from_its_handler_and_gets_the_answer_as_a_message() {
    let runtime = Runtime::with_workers(2).unwrap();
    let breaker = courier_supervisor::Breaker::new(courier_supervisor::BreakerConfig::default());
    let server = spawn(&runtime).with_breaker(breaker.clone());
    let (answers, answered) = crossbeam_channel::unbounded();
    let caller = runtime.spawn(Caller {
        echo: server.tool("echo"),
        answers,
    });
    for n in 0..8 {
        caller
            .send(CallerMsg::Go(format!("from an actor {n}")))
            .unwrap();
    }
    let mut got: Vec<String> = (0..8)
        .map(|_| answered.recv_timeout(PATIENCE).unwrap().unwrap().message)
        .collect();
    got.sort();
    let mut expected: Vec<String> = (0..8).map(|n| format!("from an actor {n}")).collect();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(breaker.snapshot().counts.successes, 8);

    // A stopped client: the failure, too, arrives as a message.
    server.stop();
    assert!(eventually(|| server.actor().is_stopped()));
    caller.send(CallerMsg::Go("too late".into())).unwrap();
    let error = answered.recv_timeout(PATIENCE).unwrap().unwrap_err();
    assert!(matches!(error, ClientError::NotRunning { .. }), "{error:?}");
    assert_eq!(breaker.snapshot().counts.failures, 1);
    runtime.shutdown();
}

#[test]
fn shutting_the_runtime_down_stops_and_reaps_the_server() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    let pid = server.info().unwrap().pid.unwrap();
    // The client actor lives while its address does (as every actor after a shutdown).
    drop(server);
    runtime.shutdown();
    assert!(eventually(|| !exists(pid)), "server {pid} is still there");
}
