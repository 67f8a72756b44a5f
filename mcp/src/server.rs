//! The server: configuration, the reader loop (one thread: parse, check, dispatch), and the
//! wiring to the writer thread.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};
use serde_json::{Map, Value, json};

use crate::call::{
    CallContext, CancelToken, InPlaceSlot, ProgressReporter, RawResponder, ToolResult,
};
use crate::error::BridgeError;
use crate::framing::{Frame, LineReader};
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::logging::{self, CallLogger, LogLevel, LogTarget, SessionLevel, Threshold};
use crate::outbox::{CallKey, Credits, Event, Outbox, Started};
use crate::protocol::{self, Era, LEGACY_VERSIONS, MODERN_VERSION};
use crate::registry::Registry;
use crate::sync::{AtomicBool, Ordering};
use crate::tool::Tool;

/// The most answers the reader may queue for the writer before it waits (and stops reading).
const WRITES_QUEUED_MAX: usize = 1024;

/// The reader hands its batch of answers to the writer when it holds this many bytes, and in
/// any case before it could block reading (so an answer never waits for more input).
const BATCH_LEN_MAX_BYTES: usize = 16 * 1024;

/// The most progress reports that may wait for the writer; more are dropped.
const PROGRESS_QUEUED_MAX: usize = 1024;

/// How a server behaves. Start from [`ServerConfig::default`] and change what you need.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The name in `serverInfo`. Default: `courier`.
    pub name: String,
    /// The version in `serverInfo`. Default: this crate's version.
    pub version: String,
    /// Instructions for the model, sent with `initialize` and `server/discover`. Default: none.
    pub instructions: Option<String>,
    /// The longest line read, in bytes; a longer one is discarded unread and answered with
    /// -32600. Default: 4 MiB.
    pub message_size_max_bytes: usize,
    /// The most tool calls in flight at once; at the limit the server stops reading until one
    /// finishes (backpressure). Default: 64.
    pub in_flight_max: usize,
    /// How long a tool call may run when its tool sets no timeout of its own. Default: 30 s.
    pub tool_timeout: Duration,
    /// The most tools in one `tools/list` page. Default: 100.
    pub page_len_max: usize,
    /// How long a client may cache `tools/list` and `server/discover` (`ttlMs`). Default: zero,
    /// since tools may be added and removed at run time.
    pub list_ttl: Duration,
    /// After the input ends, how long calls in flight may still finish and be answered; the
    /// rest are cancelled without a response. Default: 1 s (clients wait 2 s before a
    /// SIGTERM).
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            name: "courier".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            instructions: None,
            message_size_max_bytes: 4 * 1024 * 1024,
            in_flight_max: 64,
            tool_timeout: Duration::from_secs(30),
            page_len_max: 100,
            list_ttl: Duration::ZERO,
            shutdown_grace: Duration::from_secs(1),
        }
    }
}

impl ServerConfig {
    /// Sets [`message_size_max_bytes`](Self::message_size_max_bytes).
    #[must_use]
    pub fn with_message_size_max_bytes(mut self, bytes: usize) -> Self {
        self.message_size_max_bytes = bytes;
        self
    }

    /// Sets [`in_flight_max`](Self::in_flight_max) (at least 1).
    #[must_use]
    pub fn with_in_flight_max(mut self, calls: usize) -> Self {
        self.in_flight_max = calls.max(1);
        self
    }

    /// Sets [`tool_timeout`](Self::tool_timeout).
    #[must_use]
    pub fn with_tool_timeout(mut self, timeout: Duration) -> Self {
        self.tool_timeout = timeout;
        self
    }

    /// Sets [`page_len_max`](Self::page_len_max) (at least 1).
    #[must_use]
    pub fn with_page_len_max(mut self, tools: usize) -> Self {
        self.page_len_max = tools.max(1);
        self
    }

    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    #[must_use]
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Sets the name and version of `serverInfo`.
    #[must_use]
    pub fn with_server_info(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.name = name.into();
        self.version = version.into();
        self
    }

    /// Sets [`instructions`](Self::instructions).
    #[must_use]
    pub fn with_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }
}

/// An MCP server for the tools of a [`Registry`], over stdio or any byte stream.
#[derive(Clone, Debug)]
pub struct Server {
    registry: Registry,
    config: ServerConfig,
}

impl Server {
    /// A server for `registry` with the default configuration.
    #[must_use]
    pub fn new(registry: Registry) -> Self {
        Self::with_config(registry, ServerConfig::default())
    }

    /// A server for `registry` configured by `config`.
    #[must_use]
    pub fn with_config(registry: Registry, config: ServerConfig) -> Self {
        Self { registry, config }
    }

    /// The registry (add or remove tools while serving).
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Serves stdin and stdout until stdin ends.
    ///
    /// # Errors
    /// As [`serve`](Self::serve).
    pub fn serve_stdio(&self) -> Result<(), BridgeError> {
        self.serve(io::stdin(), io::stdout())
    }

    /// Serves one connection: reads requests from `input` on this thread, writes responses and
    /// notifications to `output` from a writer thread, until `input` ends (EOF) or `output`
    /// fails. Calls in flight at EOF may finish within [`ServerConfig::shutdown_grace`] and are
    /// answered; the rest are cancelled and get no response.
    ///
    /// # Errors
    /// [`BridgeError::Io`] when reading `input` or writing `output` fails.
    ///
    /// # Panics
    /// When the writer thread panics (a bug).
    pub fn serve<R: Read, W: Write + Send>(&self, input: R, output: W) -> Result<(), BridgeError> {
        let (events, events_rx) = crossbeam_channel::unbounded();
        let (call_credits, calls_rx) = crossbeam_channel::bounded(self.config.in_flight_max);
        let (write_credits, writes_rx) = crossbeam_channel::bounded(WRITES_QUEUED_MAX);
        let (progress_credits, progress_rx) = crossbeam_channel::bounded(PROGRESS_QUEUED_MAX);
        let credits = Credits {
            calls: calls_rx,
            writes: writes_rx,
            progress: progress_rx,
        };
        let listener = self.registry.listen(events.clone());
        let writer_failed = Arc::new(AtomicBool::new(false));
        let result = thread::scope(|scope| {
            let outbox = Outbox::new(
                output,
                events_rx,
                credits,
                self.server_info(),
                self.config.shutdown_grace,
            );
            let failed = Arc::clone(&writer_failed);
            let writer = thread::Builder::new()
                .name("courier-mcp-writer".to_owned())
                .spawn_scoped(scope, move || {
                    let result = outbox.run();
                    if result.is_err() {
                        // ORDERING: Release; pairs with the reader's Acquire load.
                        failed.store(true, Ordering::Release);
                    }
                    result
                })
                .map_err(BridgeError::Io)?;
            let mut reader = Reader {
                server: self,
                server_info: self.server_info(),
                pending: Vec::new(),
                pending_len: 0,
                in_place: InPlaceSlot::default(),
                never_cancelled: CancelToken::new(),
                events: events.clone(),
                call_credits,
                write_credits,
                progress_credits,
                session_level: Arc::new(SessionLevel::new()),
                initialized: false,
                next_key: 0,
                writer_failed: &writer_failed,
            };
            let read = reader.run(LineReader::new(input, self.config.message_size_max_bytes));
            let _ = events.send(Event::Shutdown);
            drop(reader);
            let written = writer.join().expect("the writer thread does not panic");
            read.and(written.map_err(BridgeError::Io))
        });
        self.registry.unlisten(&listener);
        result
    }

    fn server_info(&self) -> Value {
        json!({ "name": self.config.name, "version": self.config.version })
    }

    /// The capabilities of both eras. `logging` stays in 2026-07-28, where the feature is
    /// deprecated but not removed: a server that sends `notifications/message` MUST declare it
    /// (`/specification/2026-07-28/server/utilities/logging`, "Capabilities").
    fn capabilities() -> Value {
        json!({ "tools": { "listChanged": true }, "logging": {} })
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.config.list_ttl.as_millis()).unwrap_or(u64::MAX)
    }
}

/// The reader loop's state.
struct Reader<'a> {
    server: &'a Server,
    server_info: Value,
    /// Answers serialized on this thread, not yet handed to the writer (in input order).
    pending: Vec<u8>,
    /// How many answers `pending` holds (each holds a write credit).
    pending_len: usize,
    /// Where calls answered in place leave their result.
    in_place: InPlaceSlot,
    /// The cancel token of calls answered in place: they finish before anything could cancel.
    never_cancelled: CancelToken,
    events: Sender<Event>,
    call_credits: Sender<()>,
    write_credits: Sender<()>,
    progress_credits: Sender<()>,
    /// The level `logging/setLevel` set (2025-11-25 calls read it when they log).
    session_level: Arc<SessionLevel>,
    initialized: bool,
    next_key: u64,
    writer_failed: &'a AtomicBool,
}

/// What a request handler does with its request.
enum Reply {
    /// Answer now with this result.
    Result(Value),
    /// The answer comes later (a tool call, a subscription), or never.
    Later,
}

impl Reader<'_> {
    fn run<R: Read>(&mut self, mut lines: LineReader<R>) -> Result<(), BridgeError> {
        loop {
            // ORDERING: Acquire; pairs with the writer's Release store.
            if self.writer_failed.load(Ordering::Acquire) {
                return Ok(()); // the writer's error is the one reported
            }
            if !lines.has_buffered_line() && !self.flush() {
                return Ok(());
            }
            match lines.next_frame()? {
                Frame::Eof => {
                    self.flush();
                    return Ok(());
                }
                Frame::Oversized => {
                    let size_max_bytes = self.server.config.message_size_max_bytes;
                    tracing::warn!(size_max_bytes, "discarded an oversized message");
                    self.write(&jsonrpc::error_response(
                        None,
                        BridgeError::Oversized { size_max_bytes },
                    ));
                }
                Frame::Line(line) if line.iter().all(u8::is_ascii_whitespace) => {}
                Frame::Line(line) => {
                    if !self.handle_line(&line) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Handles one line; returns false when the writer side is gone.
    fn handle_line(&mut self, line: &[u8]) -> bool {
        match jsonrpc::parse_line(line) {
            Incoming::Request { id, method, params } => {
                match self.handle_request(&id, &method, params) {
                    Ok(Reply::Result(result)) => self.write(&jsonrpc::response(&id, result)),
                    Ok(Reply::Later) => true,
                    Err(error) => {
                        tracing::debug!(%id, %method, %error, "request failed");
                        self.write(&jsonrpc::error_response(Some(&id), error))
                    }
                }
            }
            Incoming::Notification { method, params } => {
                self.handle_notification(&method, &params);
                true
            }
            Incoming::Response => true,
            Incoming::Invalid { id, error } => {
                tracing::debug!(%error, "invalid message");
                self.write(&jsonrpc::error_response(id.as_ref(), error))
            }
        }
    }

    /// Adds `message` to the batch for the writer. False when the writer is gone.
    fn write(&mut self, message: &Value) -> bool {
        if !self.take_write_credit() {
            return false;
        }
        jsonrpc::write_message(&mut self.pending, message).expect("writing to a Vec succeeds");
        self.pending_len += 1;
        self.pending.len() < BATCH_LEN_MAX_BYTES || self.flush()
    }

    /// Takes a write credit for one more answer; blocks while [`WRITES_QUEUED_MAX`] answers wait
    /// (the client is not reading). The batch goes to the writer first, so the answers that hold
    /// the credits can be written. False when the writer is gone.
    fn take_write_credit(&mut self) -> bool {
        match self.write_credits.try_send(()) {
            Ok(()) => true,
            Err(TrySendError::Full(())) => self.flush() && self.write_credits.send(()).is_ok(),
            Err(TrySendError::Disconnected(())) => false,
        }
    }

    /// Hands the batch to the writer. False when the writer is gone.
    fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let bytes = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH_LEN_MAX_BYTES));
        let messages = std::mem::take(&mut self.pending_len);
        self.events.send(Event::Bytes { bytes, messages }).is_ok()
    }

    /// Sends `event` to the writer after the batch, so output keeps the order of the input.
    fn send_event(&mut self, event: Event) -> bool {
        self.flush() && self.events.send(event).is_ok()
    }

    fn handle_request(
        &mut self,
        id: &RequestId,
        method: &str,
        mut params: Map<String, Value>,
    ) -> Result<Reply, BridgeError> {
        let params = &mut params;
        match method {
            "initialize" => self.initialize(params),
            "ping" if !protocol::has_modern_meta(params) => Ok(Reply::Result(json!({}))),
            // 2025-11-25 only: 2026-07-28 removed it for the per-request `_meta` level (so with
            // modern `_meta` it is an unknown method, like `ping`).
            "logging/setLevel" if !protocol::has_modern_meta(params) => {
                let level = LogLevel::from_json(params.get("level"), "\"level\"")?;
                self.session_level.set(level);
                Ok(Reply::Result(json!({})))
            }
            "server/discover" => {
                protocol::era_of(params, false)?;
                Ok(Reply::Result(self.modern(self.discover())))
            }
            "subscriptions/listen" => {
                protocol::era_of(params, false)?;
                let filter = params.get("notifications").and_then(Value::as_object);
                let Some(filter) = filter else {
                    return Err(BridgeError::InvalidParams {
                        reason: "subscriptions/listen needs a \"notifications\" object".to_owned(),
                    });
                };
                let tools = filter.get("toolsListChanged") == Some(&Value::Bool(true));
                self.send_event(Event::Listen {
                    id: id.clone(),
                    tools,
                });
                Ok(Reply::Later)
            }
            "tools/list" => {
                let era = protocol::era_of(params, self.initialized)?;
                let mut result = self.list_tools(params)?;
                if era == Era::Modern {
                    result["ttlMs"] = json!(self.server.ttl_ms());
                    result["cacheScope"] = json!("public");
                    result = self.modern(result);
                }
                Ok(Reply::Result(result))
            }
            "tools/call" => {
                let era = protocol::era_of(params, self.initialized)?;
                self.call_tool(id, params, era)?;
                Ok(Reply::Later)
            }
            _ => Err(BridgeError::MethodNotFound {
                method: method.to_owned(),
            }),
        }
    }

    fn handle_notification(&mut self, method: &str, params: &Map<String, Value>) {
        match method {
            "notifications/cancelled" => {
                if let Some(id) = params.get("requestId").and_then(RequestId::from_json) {
                    self.send_event(Event::Cancel(id));
                }
            }
            "notifications/initialized" => {}
            _ => tracing::debug!(method, "ignored a notification"),
        }
    }

    fn initialize(&mut self, params: &Map<String, Value>) -> Result<Reply, BridgeError> {
        let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
            return Err(BridgeError::InvalidParams {
                reason: "initialize needs a \"protocolVersion\" string".to_owned(),
            });
        };
        let version = if LEGACY_VERSIONS.contains(&requested) {
            requested
        } else {
            LEGACY_VERSIONS[LEGACY_VERSIONS.len() - 1]
        };
        if !self.initialized {
            self.initialized = true;
            self.send_event(Event::Initialized);
        }
        let mut result = json!({
            "protocolVersion": version,
            "capabilities": Server::capabilities(),
            "serverInfo": self.server.server_info(),
        });
        if let Some(instructions) = &self.server.config.instructions {
            result["instructions"] = json!(instructions);
        }
        Ok(Reply::Result(result))
    }

    fn discover(&self) -> Value {
        let mut result = json!({
            "supportedVersions": [MODERN_VERSION],
            "capabilities": Server::capabilities(),
            "ttlMs": self.server.ttl_ms(),
            "cacheScope": "public",
        });
        if let Some(instructions) = &self.server.config.instructions {
            result["instructions"] = json!(instructions);
        }
        result
    }

    fn modern(&self, mut result: Value) -> Value {
        protocol::decorate_modern(&mut result, &self.server_info);
        result
    }

    fn list_tools(&self, params: &Map<String, Value>) -> Result<Value, BridgeError> {
        const CURSOR_PREFIX: &str = "after:";
        let after = match params.get("cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(cursor)) => match cursor.strip_prefix(CURSOR_PREFIX) {
                Some(name) => Some(name),
                None => {
                    return Err(BridgeError::InvalidCursor {
                        cursor: cursor.clone(),
                    });
                }
            },
            Some(_) => {
                return Err(BridgeError::InvalidParams {
                    reason: "cursor must be a string".to_owned(),
                });
            }
        };
        let (page, more) = self
            .server
            .registry
            .page(after, self.server.config.page_len_max);
        let mut result =
            json!({ "tools": page.iter().map(|tool| tool.to_json()).collect::<Vec<_>>() });
        if more && let Some(last) = page.last() {
            result["nextCursor"] = json!(format!("{CURSOR_PREFIX}{}", last.name()));
        }
        Ok(result)
    }

    fn call_tool(
        &mut self,
        id: &RequestId,
        params: &mut Map<String, Value>,
        era: Era,
    ) -> Result<(), BridgeError> {
        let arguments = match params.remove("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(arguments @ Value::Object(_)) => arguments,
            Some(_) => {
                return Err(BridgeError::InvalidParams {
                    reason: "tools/call \"arguments\" must be an object".to_owned(),
                });
            }
        };
        let Some(name) = params.get("name").and_then(Value::as_str) else {
            return Err(BridgeError::InvalidParams {
                reason: "tools/call needs a \"name\" string".to_owned(),
            });
        };
        let Some(tool) = self.server.registry.get(name) else {
            return Err(BridgeError::UnknownTool {
                name: name.to_owned(),
            });
        };
        let progress_token = params
            .get("_meta")
            .and_then(|meta| meta.get("progressToken"))
            .filter(|token| token.is_string() || token.is_i64() || token.is_u64())
            .cloned();
        let threshold = match era {
            Era::Legacy => Threshold::Session(Arc::clone(&self.session_level)),
            Era::Modern => {
                logging::request_log_level(params)?.map_or(Threshold::Off, Threshold::Request)
            }
        };
        let key = CallKey(self.next_key);
        self.next_key += 1;
        if progress_token.is_none() && tool.answers_in_place() {
            self.call_in_place(&tool, key, id, arguments, era, threshold);
            return Ok(());
        }
        // Backpressure: at the in-flight bound this blocks, and so nothing more is read.
        if self.call_credits.send(()).is_err() {
            return Ok(()); // the writer is gone; the loop ends at the next check
        }
        let cancel = CancelToken::new();
        let timeout = tool.timeout().unwrap_or(self.server.config.tool_timeout);
        let progress_events = progress_token
            .is_some()
            .then(|| (self.events.clone(), self.progress_credits.clone()));
        let started = Started {
            key,
            id: id.clone(),
            tool: name.to_owned(),
            era,
            progress_token,
            cancel: cancel.clone(),
            deadline: deadline_after(timeout),
        };
        self.send_event(Event::Started(Box::new(started)));
        let logs = LogTarget::Writer(self.events.clone(), self.progress_credits.clone());
        let context = CallContext::new(
            ProgressReporter::new(key, progress_events),
            CallLogger::new(key, logs, threshold),
            cancel,
        );
        tool.dispatch(
            arguments,
            context,
            RawResponder::new(key, self.events.clone()),
        );
        Ok(())
    }
}

impl Reader<'_> {
    /// Runs a call whose handler answers before `dispatch` returns, and adds the response to
    /// the batch: no table entry, no timeout, no trip through the writer's events. (Without a
    /// progress token there is nothing to report; and nothing can cancel a call that is over
    /// before the next line is read.) Its log messages wait in the slot and go into the batch
    /// just before its response.
    fn call_in_place(
        &mut self,
        tool: &Tool,
        key: CallKey,
        id: &RequestId,
        arguments: Value,
        era: Era,
        threshold: Threshold,
    ) {
        let logs = LogTarget::InPlace(self.in_place.clone());
        let context = CallContext::new(
            ProgressReporter::new(key, None),
            CallLogger::new(key, logs, threshold),
            self.never_cancelled.clone(),
        );
        if !self.take_write_credit() {
            return; // the writer is gone; the loop ends at the next check
        }
        self.in_place.open(key);
        tool.dispatch(
            arguments,
            context,
            RawResponder::in_place(key, self.in_place.clone()),
        );
        let (result, logs) = self.in_place.take();
        for message in logs {
            let params = message.to_params();
            if !self.write(&jsonrpc::notification(
                "notifications/message",
                Some(params),
            )) {
                return; // the writer is gone; the loop ends at the next check
            }
        }
        let result = result.unwrap_or_else(|| {
            ToolResult::error(format!(
                "the tool {:?} said it answers in place but did not",
                tool.name()
            ))
        });
        let modern = (era == Era::Modern).then_some(&self.server_info);
        jsonrpc::write_call_response(&mut self.pending, id, &result, modern)
            .expect("writing to a Vec succeeds");
        self.pending_len += 1;
        if self.pending.len() >= BATCH_LEN_MAX_BYTES {
            self.flush();
        }
    }
}

/// `now + timeout`, or a century from now for a timeout too large to add.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_hours(100 * 365 * 24)))
        .unwrap_or(now)
}
