//! The MCP client under a courier-supervisor `Supervisor`, against the real `courier mcp`
//! binary: when its server process is killed, the client actor fails, the supervisor restarts
//! it, the restart starts a new server process, and later calls through the same address
//! succeed. Also: failures of a dead, unsupervised server open the circuit breaker.

mod client_common;

use std::time::Duration;

use client_common::{PATIENCE, config, courier_mcp, eventually, exists, kill};
use courier_mcp::client::{ClientError, ClientMsg, McpClient, McpServerRef};
use courier_sched::Runtime;
use courier_supervisor::{
    Breaker, BreakerConfig, BreakerState, Strategy, SupervisorRef, SupervisorSpec,
};
use serde_json::json;

#[test]
fn a_killed_server_is_restarted_by_the_supervisor_and_later_calls_succeed() {
    let runtime = Runtime::with_workers(2).unwrap();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(5, Duration::from_secs(10))
        .child(McpClient::child("courier", courier_mcp(), config()));
    let root = SupervisorRef::start(&runtime, "mcp-clients", spec).unwrap();
    let actor = root
        .child::<ClientMsg>("courier")
        .expect("the client child");
    let server = McpServerRef::new(actor, Duration::from_secs(10));

    let first = server.info().unwrap().pid.unwrap();
    let echo = server.call("echo", json!({ "message": "before" })).unwrap();
    assert_eq!(
        echo.structured_content,
        Some(json!({ "message": "before" }))
    );

    kill(first);
    // Calls made while the restart is under way may fail (the old connection is closed);
    // none may hang, and soon one must succeed on a new server process.
    let mut failures = Vec::new();
    let recovered = eventually(
        || match server.call("echo", json!({ "message": "after" })) {
            Ok(result) => result.structured_content == Some(json!({ "message": "after" })),
            Err(error) => {
                failures.push(error.to_string());
                false
            }
        },
    );
    assert!(recovered, "no call succeeded after the kill: {failures:?}");
    let second = server.info().unwrap().pid.unwrap();
    assert_ne!(first, second, "a new server process");
    assert!(eventually(|| !exists(first)), "the killed server is reaped");
    assert!(root.tree().to_string().contains("courier"));

    root.shutdown(PATIENCE).unwrap();
    assert!(eventually(|| !exists(second)), "shutdown stops the server");
    runtime.shutdown();
}

#[test]
fn failures_of_a_dead_server_open_the_breaker_and_then_calls_are_rejected_at_once() {
    let runtime = Runtime::with_workers(1).unwrap();
    let breaker = Breaker::new(BreakerConfig {
        failures_max: 3,
        window: Duration::from_secs(30),
        cool_down: Duration::from_secs(30),
        trials_max: 1,
    });
    let server = McpServerRef::spawn(&runtime, &courier_mcp(), config())
        .unwrap()
        .with_breaker(breaker.clone());
    assert!(server.call("echo", json!({ "message": "ok" })).is_ok());
    kill(server.info().unwrap().pid.unwrap());
    assert!(eventually(|| server.actor().is_stopped()));
    for _ in 0..3 {
        let error = server.call("echo", json!({ "message": "x" })).unwrap_err();
        assert!(error.is_server_fault(), "{error:?}");
    }
    let snapshot = breaker.snapshot();
    assert_eq!(snapshot.state, BreakerState::Open);
    assert_eq!(snapshot.counts.failures, 3);
    let error = server.call("echo", json!({ "message": "x" })).unwrap_err();
    let ClientError::Rejected { state, retry_after } = error else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(state, BreakerState::Open);
    assert!(retry_after.is_some());
    runtime.shutdown();
}
