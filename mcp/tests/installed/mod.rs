//! The workspace, and the outside tools the interop tests drive (the Python SDK, the Inspector,
//! server-everything, the conformance suite), installed where missing by the repository's
//! scripts, which print where they put them.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("mcp/ has a parent")
        .to_owned()
}

/// Runs `scripts/<script>`, which installs `what` where missing and prints its directory, and
/// returns that directory.
///
/// # Panics
/// When the script cannot run or fails: the test fails with its stderr (it never skips).
pub fn installed_dir(script: &str, what: &str) -> PathBuf {
    let output = Command::new(workspace().join("scripts").join(script))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("scripts/{script} does not run ({error})"));
    assert!(
        output.status.success(),
        "scripts/{script} could not install {what} (run scripts/setup):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = String::from_utf8(output.stdout).expect("a UTF-8 path");
    PathBuf::from(dir.trim())
}
