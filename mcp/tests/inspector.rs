//! The MCP Inspector CLI (`@modelcontextprotocol/inspector` 0.15.0, the TypeScript SDK's client,
//! legacy era) against the real `courier mcp` binary: `tools/list` must list the built-in tools
//! with their schemas, `tools/call echo` must return its input as structured content with the
//! text mirror, bad arguments must come back as an `isError` result, and an unknown tool as the
//! JSON-RPC error the Inspector reports with exit status 1.
//!
//! The Inspector lives under `target/node-mcp` (installed by `scripts/setup`, or here when
//! missing, through `scripts/node-mcp`); `COURIER_MCP_INSPECTOR` names another `mcp-inspector`.
//! When it cannot be installed the tests fail with the reason: they never skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

mod installed;

use installed::installed_dir;

/// The `mcp-inspector` launcher, installing it when missing.
fn inspector() -> &'static Path {
    static INSPECTOR: OnceLock<PathBuf> = OnceLock::new();
    INSPECTOR.get_or_init(|| {
        if let Some(inspector) = std::env::var_os("COURIER_MCP_INSPECTOR") {
            return PathBuf::from(inspector);
        }
        installed_dir("node-mcp", "the MCP Inspector").join("node_modules/.bin/mcp-inspector")
    })
}

/// Runs `mcp-inspector --cli courier mcp <args>`.
fn inspect(args: &[&str]) -> Output {
    Command::new(inspector())
        .args(["--cli", env!("CARGO_BIN_EXE_courier"), "mcp"])
        .args(args)
        .output()
        .expect("the Inspector runs")
}

/// Runs the Inspector, which must succeed, and parses the JSON it prints.
fn inspect_json(args: &[&str]) -> Value {
    let output = inspect(args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "mcp-inspector {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

#[test]
fn the_inspector_lists_the_built_in_tools_with_their_schemas() {
    let listed = inspect_json(&["--method", "tools/list"]);
    let tools = listed["tools"].as_array().expect("a tools array");
    let names: Vec<&str> = tools
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    for name in [
        "analyze",
        "echo",
        "runtime_stats",
        "supervision_tree",
        "topology",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "tools/list is in name order");
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
        assert!(tool.get("$schema").is_none(), "{tool}");
    }
}

#[test]
fn the_inspector_calls_echo_and_gets_structured_content_with_its_text_mirror() {
    let result = inspect_json(&[
        "--method",
        "tools/call",
        "--tool-name",
        "echo",
        "--tool-arg",
        "message=hello inspector",
    ]);
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["structuredContent"]["message"], "hello inspector");
    let text = result["content"][0]["text"].as_str().expect("a text block");
    let mirrored: Value = serde_json::from_str(text).expect("the text mirrors the JSON");
    assert_eq!(mirrored, result["structuredContent"]);
}

#[test]
fn the_inspector_calls_analyze_on_rust_code() {
    let result = inspect_json(&[
        "--method",
        "tools/call",
        "--tool-name",
        "analyze",
        "--tool-arg",
        "language=rust",
        "code=use std::fmt; fn f(a: bool, b: bool) -> bool { a && b }",
    ]);
    assert_eq!(result["isError"], false, "{result}");
    let analysis = &result["structuredContent"];
    assert_eq!(analysis["imports"][0], "std::fmt", "{analysis}");
    assert_eq!(analysis["complexity"], 2, "{analysis}");
    assert_eq!(analysis["functions"], 1, "{analysis}");
}

#[test]
fn the_inspector_sees_bad_arguments_as_an_is_error_result() {
    // Inspector 0.15 exits 0 on an isError result: the result itself is the check.
    let result = inspect_json(&[
        "--method",
        "tools/call",
        "--tool-name",
        "echo",
        "--tool-arg",
        "bogus=1",
    ]);
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().expect("a text block");
    assert!(text.contains("invalid arguments"), "{text}");
}

#[test]
fn the_inspector_reports_an_unknown_tool_as_invalid_params() {
    let output = inspect(&["--method", "tools/call", "--tool-name", "nosuch"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("-32602"), "{stderr}");
    assert!(stderr.contains("nosuch"), "{stderr}");
}
