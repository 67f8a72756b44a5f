//! A pipelined load client for stdio MCP servers: it starts the server as a child process, does
//! the 2025-11-25 handshake (the era every server measured here speaks), then keeps a fixed
//! number of `tools/call` requests in flight for a fixed time and reports calls per second and
//! latency percentiles.
//!
//! One thread does everything, so the client costs little CPU beside the server on a 2-core
//! machine: it writes every request the window allows in one `write`, then blocks for a response
//! line and takes every further line already buffered without blocking, and so on. With at most
//! [`IN_FLIGHT_MAX`] requests of about 100 bytes outstanding, neither pipe can fill while the
//! other side waits on it, so this cannot deadlock.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The most requests a run keeps in flight (see the module docs for why there is a bound).
pub const IN_FLIGHT_MAX: usize = 256;

/// How one load run goes.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// Requests kept in flight (1 to [`IN_FLIGHT_MAX`]).
    pub in_flight: usize,
    /// How long to run before measuring (JIT warm-up, caches, allocator pools).
    pub warmup: Duration,
    /// How long to measure.
    pub duration: Duration,
    /// The tool to call.
    pub tool: String,
    /// Its arguments, as a JSON object.
    pub arguments: String,
    /// A string every result's first text block must contain (else the call counts as an error).
    pub expect_text: String,
}

impl LoadConfig {
    /// `tools/call echo {"message":"hi"}` with `in_flight` requests in flight for `duration`,
    /// after a warm-up of a second.
    #[must_use]
    pub fn echo(in_flight: usize, duration: Duration) -> Self {
        Self {
            in_flight,
            warmup: Duration::from_secs(1),
            duration,
            tool: "echo".to_owned(),
            arguments: r#"{"message":"hi"}"#.to_owned(),
            expect_text: "hi".to_owned(),
        }
    }
}

/// What a run measured: the calls sent and answered within the measured window.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// Calls answered with a result that passed the check.
    pub calls: u64,
    /// Calls answered with a JSON-RPC error, an `isError` result or an unexpected text.
    pub errors: u64,
    /// The measured window.
    pub elapsed: Duration,
    /// Median latency, request written to response read.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

impl LoadReport {
    /// Successful calls per second.
    #[must_use]
    pub fn calls_per_sec(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "a rate; 2^52 calls is far off")]
        let calls = self.calls as f64;
        calls / self.elapsed.as_secs_f64()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>10.0} calls/s  p50 {:>9.1} us  p99 {:>9.1} us  errors {}",
            self.calls_per_sec(),
            self.p50.as_secs_f64() * 1e6,
            self.p99.as_secs_f64() * 1e6,
            self.errors
        )
    }
}

/// One response line, as much of it as the client checks.
#[derive(Deserialize)]
struct Response {
    id: Option<u64>,
    result: Option<CallResult>,
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct CallResult {
    #[serde(rename = "isError", default)]
    is_error: bool,
    #[serde(default)]
    content: Vec<Content>,
}

#[derive(Deserialize)]
struct Content {
    text: Option<String>,
}

/// Starts `command` (its stdin and stdout piped, its stderr discarded), loads it as `config`
/// says, and stops it.
///
/// # Errors
/// When the server cannot be started, fails the handshake, or closes its output early.
///
/// # Panics
/// When `config.in_flight` is 0 or above [`IN_FLIGHT_MAX`].
pub fn run(command: &mut Command, config: &LoadConfig) -> io::Result<LoadReport> {
    assert!(
        (1..=IN_FLIGHT_MAX).contains(&config.in_flight),
        "in_flight must be 1 to {IN_FLIGHT_MAX}"
    );
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let result = drive(&mut child, config);
    // Closing stdin ends a well-behaved server; kill it anyway so a slow one cannot stall us.
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn drive(child: &mut Child, config: &LoadConfig) -> io::Result<LoadReport> {
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut client = Client {
        output: BufReader::with_capacity(256 * 1024, stdout),
        line: Vec::with_capacity(1024),
    };
    handshake(&mut stdin, &mut client)?;

    let mut requests = Vec::with_capacity(config.in_flight * 160);
    let mut sent: HashMap<u64, Instant> = HashMap::with_capacity(config.in_flight * 2);
    let mut latencies_ns: Vec<u64> = Vec::with_capacity(1 << 20);
    let mut errors = 0_u64;
    let mut next_id = 1_u64;
    let start = Instant::now();
    let measure_from = start + config.warmup;
    let measure_until = measure_from + config.duration;
    let prefix = r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"#;
    let tool = serde_json::to_string(&config.tool).map_err(io::Error::other)?;
    let mut now = start;
    loop {
        if now < measure_until {
            while sent.len() < config.in_flight {
                writeln!(
                    requests,
                    "{prefix}{tool},\"arguments\":{}}},\"id\":{next_id}}}",
                    config.arguments
                )?;
                sent.insert(next_id, now);
                next_id += 1;
            }
            stdin.write_all(&requests)?;
            requests.clear();
        } else if sent.is_empty() {
            break;
        }
        // Block for one line, then take every complete line already buffered.
        let mut first = true;
        while first || client.has_line() {
            first = false;
            let response = client.next_response()?;
            now = Instant::now();
            let Some(id) = response.id else { continue };
            let Some(sent_at) = sent.remove(&id) else {
                continue;
            };
            if sent_at < measure_from || now > measure_until {
                continue;
            }
            if passes(&response, &config.expect_text) {
                let nanos = now.duration_since(sent_at).as_nanos();
                latencies_ns.push(u64::try_from(nanos).unwrap_or(u64::MAX));
            } else {
                errors += 1;
            }
        }
    }
    latencies_ns.sort_unstable();
    Ok(LoadReport {
        calls: latencies_ns.len() as u64,
        errors,
        elapsed: config.duration,
        p50: percentile(&latencies_ns, 50),
        p99: percentile(&latencies_ns, 99),
    })
}

fn passes(response: &Response, expect_text: &str) -> bool {
    let Some(result) = &response.result else {
        return false;
    };
    response.error.is_none()
        && !result.is_error
        && result
            .content
            .first()
            .and_then(|content| content.text.as_deref())
            .is_some_and(|text| text.contains(expect_text))
}

fn percentile(sorted_ns: &[u64], percent: usize) -> Duration {
    if sorted_ns.is_empty() {
        return Duration::ZERO;
    }
    let index = (sorted_ns.len() - 1) * percent / 100;
    Duration::from_nanos(sorted_ns[index])
}

/// `initialize` (2025-11-25), wait for its response, then `notifications/initialized`.
fn handshake(stdin: &mut ChildStdin, client: &mut Client) -> io::Result<()> {
    let initialize = concat!(
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","#,
        r#""capabilities":{},"clientInfo":{"name":"courier-mcp-load","version":"0.1.0"}}}"#,
        "\n",
    );
    stdin.write_all(initialize.as_bytes())?;
    loop {
        let response = client.next_response()?;
        if response.id == Some(0) {
            if response.result.is_none() && response.error.is_some() {
                return Err(io::Error::other("the server refused initialize"));
            }
            break;
        }
    }
    stdin.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n")
}

struct Client {
    output: BufReader<ChildStdout>,
    line: Vec<u8>,
}

impl Client {
    /// Whether a whole line is buffered, so reading it will not block.
    fn has_line(&self) -> bool {
        self.output.buffer().contains(&b'\n')
    }

    /// The next line that parses as a JSON-RPC message (other lines are skipped).
    fn next_response(&mut self) -> io::Result<Response> {
        loop {
            self.line.clear();
            if self.output.read_until(b'\n', &mut self.line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed its output",
                ));
            }
            if let Ok(response) = serde_json::from_slice::<Response>(&self.line) {
                return Ok(response);
            }
        }
    }
}
