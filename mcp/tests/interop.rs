//! The real client against the real binary: the official Python MCP SDK (`mcp` 2.3.0) runs
//! `mcp/tests/interop/py_client.py` against `courier mcp` in each of its connection modes. The
//! script initializes (or discovers), lists the tools, calls `echo` and `topology`, checks their
//! structured results and an `isError` for bad arguments, and exits non-zero on any failed check.
//!
//! The SDK lives in a venv under `target/py-mcp` (made by `scripts/setup`, or here when missing,
//! through `scripts/py-mcp`); `COURIER_MCP_PYTHON` names another interpreter that has it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod installed;

use installed::{installed_dir, workspace};

/// The Python that has the SDK, installing it when missing.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Some(python) = std::env::var_os("COURIER_MCP_PYTHON") {
            return PathBuf::from(python);
        }
        installed_dir("py-mcp", "the Python MCP SDK")
    })
}

fn run_client(mode: &str) {
    let output = Command::new(python())
        .arg(workspace().join("mcp/tests/interop/py_client.py"))
        .args(["--mode", mode, "--", env!("CARGO_BIN_EXE_courier"), "mcp"])
        .output()
        .expect("the Python client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "py_client.py --mode {mode} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

#[test]
fn the_python_sdk_in_auto_mode_discovers_the_modern_era_and_calls_echo_and_topology() {
    run_client("auto");
}

#[test]
fn the_python_sdk_in_legacy_mode_initializes_and_calls_echo_and_topology() {
    run_client("legacy");
}

#[test]
fn the_python_sdk_pinned_to_2026_07_28_calls_echo_and_topology() {
    run_client("2026-07-28");
}
