//! Helpers shared by the integration tests: an in-memory connection to a server, request
//! builders, and seeded proptest configuration.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]
#![expect(
    clippy::unwrap_used,
    clippy::needless_pass_by_value,
    reason = "test helpers: a failure is the test's failure; they take json! literals"
)]

use std::io::{BufRead, BufReader, PipeWriter, Write};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use courier_mcp::{BridgeError, Registry, Server, ServerConfig};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

/// How long a test waits for a message that must come: generous, only to fail instead of hang.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The modern per-request `_meta`.
pub fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

/// A modern request line: `params` gets the modern `_meta` (merged with any `_meta` it has).
pub fn modern(id: impl Into<Value>, method: &str, mut params: Value) -> String {
    let meta = params
        .as_object_mut()
        .expect("params are an object")
        .entry("_meta")
        .or_insert_with(|| json!({}));
    for (key, value) in modern_meta().as_object().unwrap() {
        meta[key] = value.clone();
    }
    json!({ "jsonrpc": "2.0", "id": id.into(), "method": method, "params": params }).to_string()
}

/// A request line without `_meta` additions.
pub fn request(id: impl Into<Value>, method: &str, params: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": id.into(), "method": method, "params": params }).to_string()
}

/// A notification line.
pub fn notification(method: &str, params: Value) -> String {
    json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string()
}

/// The legacy handshake request.
pub fn initialize(id: i64) -> String {
    request(
        id,
        "initialize",
        json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": { "name": "test", "version": "0" },
        }),
    )
}

/// A server on in-memory pipes, driven line by line.
pub struct Connection {
    input: Option<PipeWriter>,
    output: Receiver<String>,
    server: Option<JoinHandle<Result<(), BridgeError>>>,
}

impl Connection {
    pub fn start(registry: Registry, config: ServerConfig) -> Self {
        let (input_reader, input) = std::io::pipe().unwrap();
        let (output_reader, output_writer) = std::io::pipe().unwrap();
        let server = Server::with_config(registry, config);
        let server = thread::spawn(move || server.serve(input_reader, output_writer));
        let (lines, output) = crossbeam_channel::unbounded();
        thread::spawn(move || {
            for line in BufReader::new(output_reader).lines() {
                if lines.send(line.unwrap()).is_err() {
                    return;
                }
            }
        });
        Self {
            input: Some(input),
            output,
            server: Some(server),
        }
    }

    /// Writes `line` and a newline.
    pub fn send(&mut self, line: &str) {
        let input = self.input.as_mut().expect("input is open");
        input.write_all(line.as_bytes()).unwrap();
        input.write_all(b"\n").unwrap();
        input.flush().unwrap();
    }

    /// Writes raw bytes.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let input = self.input.as_mut().expect("input is open");
        input.write_all(bytes).unwrap();
        input.flush().unwrap();
    }

    /// The next message; panics after [`PATIENCE`].
    pub fn recv(&self) -> Value {
        let line = self
            .output
            .recv_timeout(PATIENCE)
            .expect("a message within the patience deadline");
        serde_json::from_str(&line).unwrap_or_else(|error| panic!("not JSON: {line:?}: {error}"))
    }

    /// Sends `line` and returns the next message.
    pub fn ask(&mut self, line: &str) -> Value {
        self.send(line);
        self.recv()
    }

    /// Whether a message arrives within `wait` (for "nothing more comes" checks that are then
    /// confirmed by an ordered ping).
    pub fn try_recv(&self, wait: Duration) -> Option<Value> {
        match self.output.recv_timeout(wait) {
            Ok(line) => Some(serde_json::from_str(&line).unwrap()),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Sends a ping with `id` and checks that the very next message is its answer: whatever
    /// the server had queued before it has come out by then.
    pub fn ping_is_next(&mut self, id: i64) {
        let reply = self.ask(&request(id, "ping", json!({})));
        assert_eq!(reply, json!({ "jsonrpc": "2.0", "id": id, "result": {} }));
    }

    /// Closes the input, waits for the server to return, and gives back what it wrote after.
    pub fn close(mut self) -> (Result<(), BridgeError>, Vec<Value>) {
        drop(self.input.take());
        let result = self
            .server
            .take()
            .unwrap()
            .join()
            .expect("the server does not panic");
        let rest = self
            .output
            .iter()
            .map(|line| serde_json::from_str(&line).unwrap())
            .collect();
        (result, rest)
    }
}

/// The seed of a randomized test: `COURIER_TEST_SEED` when set, else fresh. Printed either way
/// so a failure can be replayed.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("COURIER_TEST_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or(1)
        });
    eprintln!("{test}: seed {seed} (replay with COURIER_TEST_SEED={seed})");
    seed
}

/// A proptest configuration seeded by [`seed`].
pub fn proptest_config(test: &str, cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed(test)),
        failure_persistence: None,
        ..Config::default()
    }
}
