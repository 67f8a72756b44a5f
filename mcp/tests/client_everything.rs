//! The MCP client against `@modelcontextprotocol/server-everything` 2026.8.31 (TypeScript SDK
//! 1.x), a real server that speaks only the legacy era: the handshake must fall back from
//! `server/discover` to `initialize`. Also: its echo and get-sum tools, an unknown tool, a
//! call past its timeout (cancelled, and the connection keeps working), timeouts opening the
//! circuit breaker, and a server killed under a call in flight.
//!
//! The server is installed under `target/node-mcp` by `scripts/node-mcp` when missing; if it
//! cannot be, the tests fail with the reason.

mod client_common;

use std::time::{Duration, Instant};

use client_common::{PATIENCE, config, eventually, exists, kill, server_everything};
use courier_mcp::client::{ClientError, McpServerRef, ProtocolEra, Session};
use courier_sched::Runtime;
use courier_supervisor::{Breaker, BreakerConfig, BreakerState};
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
struct Sum {
    a: f64,
    b: f64,
}

fn spawn(runtime: &Runtime) -> McpServerRef {
    McpServerRef::spawn(runtime, &server_everything(), config()).expect("server-everything starts")
}

/// A call that takes `seconds` seconds on the server.
fn long_running(seconds: u32) -> serde_json::Value {
    json!({ "duration": seconds, "steps": 1 })
}

#[test]
fn the_handshake_falls_back_to_initialize_and_echo_answers() {
    let session = Session::spawn(&server_everything(), config())
        .unwrap()
        .handshake()
        .unwrap();
    let info = session.info();
    assert_eq!(info.era, ProtocolEra::Legacy, "{info:?}");
    assert_eq!(info.protocol_version, "2025-11-25");
    assert!(info.capabilities.get("tools").is_some(), "{info:?}");
    let result = session
        .call_tool("echo", json!({ "message": "hello" }))
        .unwrap();
    assert!(!result.is_error);
    assert_eq!(result.text(), "Echo: hello");
}

#[test]
fn the_actor_calls_echo_and_get_sum_and_lists_the_tools() {
    let runtime = Runtime::with_workers(2).unwrap();
    let server = spawn(&runtime);
    assert_eq!(server.info().unwrap().era, ProtocolEra::Legacy);
    let names: Vec<String> = server
        .list_tools()
        .unwrap()
        .into_iter()
        .map(|tool| tool.name)
        .collect();
    for name in ["echo", "get-sum", "trigger-long-running-operation"] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    let echo = server.tool::<serde_json::Value, String>("echo");
    assert_eq!(
        echo.ask(&json!({ "message": "typed" })).unwrap(),
        "Echo: typed"
    );
    let sum = server.tool::<Sum, String>("get-sum");
    assert_eq!(
        sum.ask(&Sum { a: 1.0, b: 2.0 }).unwrap(),
        "The sum of 1 and 2 is 3."
    );
    server.stop();
    runtime.shutdown();
}

#[test]
fn an_unknown_tool_is_an_is_error_result_from_this_server() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime);
    // The TypeScript SDK answers an unknown tool with a tool error, not a JSON-RPC error.
    let result = server.call("nosuchtool", json!({})).unwrap();
    assert!(result.is_error, "{result:?}");
    assert!(result.text().contains("nosuchtool"), "{}", result.text());
    runtime.shutdown();
}

#[test]
fn a_call_past_its_timeout_is_cancelled_and_the_connection_keeps_working() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime).with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let error = server
        .call("trigger-long-running-operation", long_running(5))
        .unwrap_err();
    let elapsed = started.elapsed();
    let ClientError::Timeout { method, waited, .. } = &error else {
        panic!("expected a timeout, got {error:?}");
    };
    assert_eq!(method, "tools/call");
    assert_eq!(*waited, Duration::from_millis(300));
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let server = server.with_timeout(Duration::from_secs(10));
    let result = server
        .call("echo", json!({ "message": "still here" }))
        .unwrap();
    assert_eq!(result.text(), "Echo: still here");
    runtime.shutdown();
}

#[test]
fn timeouts_open_the_circuit_breaker_and_a_trial_after_the_cool_down_closes_it() {
    let runtime = Runtime::with_workers(1).unwrap();
    let breaker = Breaker::new(BreakerConfig {
        failures_max: 2,
        window: Duration::from_secs(30),
        cool_down: Duration::from_millis(500),
        trials_max: 1,
    });
    let server = spawn(&runtime)
        .with_timeout(Duration::from_millis(200))
        .with_breaker(breaker.clone());
    for _ in 0..2 {
        let error = server
            .call("trigger-long-running-operation", long_running(5))
            .unwrap_err();
        assert!(matches!(error, ClientError::Timeout { .. }), "{error:?}");
    }
    assert_eq!(breaker.snapshot().state, BreakerState::Open);
    let started = Instant::now();
    let error = server.call("echo", json!({ "message": "x" })).unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::Rejected {
                state: BreakerState::Open,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "rejected at once"
    );
    assert!(eventually(
        || breaker.snapshot().state == BreakerState::HalfOpen
    ));
    let server = server.with_timeout(Duration::from_secs(10));
    assert_eq!(
        server
            .call("echo", json!({ "message": "trial" }))
            .unwrap()
            .text(),
        "Echo: trial"
    );
    let snapshot = breaker.snapshot();
    assert_eq!(snapshot.state, BreakerState::Closed);
    assert_eq!(snapshot.counts.timeouts, 2);
    assert_eq!(snapshot.counts.rejected, 1);
    runtime.shutdown();
}

#[test]
fn killing_the_server_fails_every_call_in_flight_with_a_clear_error() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = spawn(&runtime).with_timeout(PATIENCE);
    let pid = server.info().unwrap().pid.unwrap();
    let replies: Vec<_> = (0..3)
        .map(|_| {
            server
                .ask_call("trigger-long-running-operation", long_running(15))
                .unwrap()
        })
        .collect();
    let killed = Instant::now();
    kill(pid);
    for reply in replies {
        let error = reply.wait_timeout(PATIENCE).unwrap().unwrap_err();
        let ClientError::Disconnected { reason, .. } = &error else {
            panic!("expected Disconnected, got {error:?}");
        };
        assert!(reason.contains("signal: 9"), "{reason}");
    }
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "{:?}",
        killed.elapsed()
    );
    assert!(eventually(|| !exists(pid)));
    runtime.shutdown();
}

/// A writer that keeps a copy of every byte written (the client's side of the wire).
#[derive(Clone)]
struct Tap {
    inner: std::sync::Arc<std::sync::Mutex<Option<std::process::ChildStdin>>>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Tap {
    fn stdin(&self) -> std::sync::MutexGuard<'_, Option<std::process::ChildStdin>> {
        self.inner.lock().expect("no panic")
    }
}

impl std::io::Write for Tap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.seen.lock().expect("no panic").extend_from_slice(buf);
        match self.stdin().as_mut() {
            Some(stdin) => stdin.write(buf),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.stdin().as_mut() {
            Some(stdin) => stdin.flush(),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }
}

#[test]
fn a_timed_out_call_sends_notifications_cancelled_for_its_id_over_byte_streams() {
    use courier_mcp::client::{ByteStreams, McpClient};
    use std::process::{Command, Stdio};

    let mut child = Command::new("node")
        .arg(client_common::server_everything_entry())
        .arg("stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let tap = Tap {
        inner: std::sync::Arc::new(std::sync::Mutex::new(child.stdin.take())),
        seen: std::sync::Arc::default(),
    };
    let streams = ByteStreams::new(
        "server-everything",
        child.stdout.take().unwrap(),
        tap.clone(),
    );
    let session = Session::over(streams, config())
        .unwrap()
        .handshake()
        .unwrap();
    assert_eq!(session.info().era, ProtocolEra::Legacy);
    assert_eq!(session.info().pid, None, "the client did not start it");

    let runtime = Runtime::with_workers(1).unwrap();
    let server = McpServerRef::new(
        runtime.spawn(McpClient::from_session(session)),
        Duration::from_millis(300),
    );
    let error = server
        .call("trigger-long-running-operation", long_running(5))
        .unwrap_err();
    let ClientError::Timeout { id, .. } = error else {
        panic!("expected a timeout, got {error:?}");
    };
    // The writer thread puts the notification on the wire after the call has failed.
    let wire = || String::from_utf8(tap.seen.lock().unwrap().clone()).unwrap();
    assert!(
        eventually(|| wire().contains("notifications/cancelled")),
        "no notifications/cancelled on the wire:\n{}",
        wire()
    );
    let wire = wire();
    let cancelled = wire
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|message| message["method"] == "notifications/cancelled")
        .unwrap_or_else(|| panic!("no notifications/cancelled on the wire:\n{wire}"));
    assert_eq!(cancelled["params"]["requestId"], id);
    let lines: Vec<&str> = wire.lines().collect();
    assert!(lines[0].contains("server/discover"), "{wire}");
    assert!(lines[1].contains("\"initialize\""), "{wire}");
    assert!(lines[2].contains("notifications/initialized"), "{wire}");

    server.stop();
    runtime.shutdown();
    drop(tap.inner.lock().unwrap().take());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn calls_beyond_the_in_flight_maximum_are_refused_at_once() {
    let runtime = Runtime::with_workers(1).unwrap();
    let server = McpServerRef::spawn(
        &runtime,
        &server_everything(),
        config().with_in_flight_max(1),
    )
    .unwrap();
    let slow = server
        .ask_call("trigger-long-running-operation", long_running(2))
        .unwrap();
    let error = server.call("echo", json!({ "message": "x" })).unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::Overloaded {
                in_flight_max: 1,
                ..
            }
        ),
        "{error:?}"
    );
    let done = slow.wait_timeout(PATIENCE).unwrap().unwrap();
    assert!(done.text().contains("completed"), "{}", done.text());
    assert_eq!(
        server
            .call("echo", json!({ "message": "y" }))
            .unwrap()
            .text(),
        "Echo: y"
    );
    runtime.shutdown();
}
