//! Helpers of the client tests: the real servers they start, and bounded waits.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use courier_mcp::client::{ClientConfig, ServerCommand};

/// How long a test waits for something that must happen: generous, only to fail, not hang.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// `courier mcp`, the real binary built with these tests.
pub fn courier_mcp() -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_courier")).arg("mcp")
}

/// A config whose every wait is bounded well under the test harness's patience.
pub fn config() -> ClientConfig {
    ClientConfig::default()
        .with_handshake_timeout(Duration::from_secs(10))
        .with_call_timeout(Duration::from_secs(10))
}

#[path = "../installed/mod.rs"]
mod installed;

use installed::installed_dir;

/// `node …/server-everything/dist/index.js stdio` (`@modelcontextprotocol/server-everything`
/// 2026.8.31, TypeScript SDK 1.x: legacy era only), installed under `target/node-mcp` by
/// `scripts/node-mcp` when missing. When it cannot be installed the test fails with the
/// reason: it never skips.
pub fn server_everything() -> ServerCommand {
    // node itself, not `npx`: killing the client's child must kill the server.
    ServerCommand::new("node")
        .arg(server_everything_entry())
        .arg("stdio")
}

/// server-everything's entry script (run it with `node ENTRY stdio`).
pub fn server_everything_entry() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| installed_dir("node-mcp", "server-everything"));
    let entry = dir.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(entry.is_file(), "{} is missing", entry.display());
    entry
}

/// Kills process `pid` with SIGKILL, as a crash would end it.
pub fn kill(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -9 {pid}: {status}");
}

/// Whether process `pid` still exists (a zombie counts: it has not been reaped).
pub fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Polls `condition` until it holds or `PATIENCE` passes; whether it held.
pub fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
    condition()
}
