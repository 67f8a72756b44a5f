//! One tool call as a message: its arguments, its progress reporter, its cancel token and the
//! one-shot responder that carries the result to the writer side.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use serde::Serialize;
use serde_json::{Value, json};

use crate::content::Content;
use crate::logging::{CallLogger, LogLevel, LogMessage};
use crate::outbox::{CallKey, Event};
use crate::protocol::SERVER_INFO_KEY;
use crate::sync::{AtomicBool, Ordering};

/// A call of a tool, as its handler receives it: owned, `Send`, and free to travel to another
/// thread or, later, in a message to an actor.
///
/// The handler answers exactly once through [`responder`](Self::responder). Dropping the
/// responder without answering answers with an `isError` result, so a lost call never hangs the
/// client.
#[derive(Debug)]
#[non_exhaustive]
pub struct ToolCall<I, O> {
    /// The arguments, already checked against the tool's input schema (deserialized into `I`).
    pub arguments: I,
    /// Progress and cancellation of this call.
    pub context: CallContext,
    /// Where the result goes.
    pub responder: Responder<O>,
}

/// What a running call can see of its request: progress reporting, logging and cancellation.
#[derive(Clone, Debug)]
pub struct CallContext {
    progress: ProgressReporter,
    logger: CallLogger,
    cancel: CancelToken,
}

impl CallContext {
    pub(crate) fn new(progress: ProgressReporter, logger: CallLogger, cancel: CancelToken) -> Self {
        Self {
            progress,
            logger,
            cancel,
        }
    }

    /// Sends a log message to the client (`notifications/message` with `level`, `logger` and
    /// `data`) when `level` is at least the level the client asked for: the connection's
    /// `logging/setLevel` (every level until it sets one) for a 2025-11-25 request, the
    /// request's `_meta["io.modelcontextprotocol/logLevel"]` for a 2026-07-28 one (no messages
    /// without it). Like progress, a message goes out only while the call is in flight (never
    /// after its response or its cancellation), and it never blocks: when the writer is far
    /// behind, it is dropped.
    pub fn log(&self, level: LogLevel, logger: Option<&str>, data: Value) {
        self.logger.log(level, logger, data);
    }

    /// Whether a message at `level` would be sent now (to skip building costly `data`).
    #[must_use]
    pub fn log_enabled(&self, level: LogLevel) -> bool {
        self.logger.is_enabled(level)
    }

    /// Reports progress (see [`ProgressReporter::report`]).
    pub fn report_progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        self.progress.report(progress, total, message);
    }

    /// The call's progress reporter.
    #[must_use]
    pub fn progress(&self) -> &ProgressReporter {
        &self.progress
    }

    /// The call's cancel token.
    #[must_use]
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    /// Whether the client cancelled the call, it timed out, or the server is shutting down.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// Reports the progress of one call.
///
/// A report becomes a `notifications/progress` only when the request carried a
/// `_meta.progressToken`, only while the call is in flight (never after its response, never after
/// it was cancelled), and only when `progress` is greater than the last one sent: the server
/// drops the rest, so handlers may report freely.
#[derive(Clone)]
pub struct ProgressReporter {
    key: CallKey,
    /// The writer's events and the progress credits; `None` without a progress token.
    events: Option<(Sender<Event>, Sender<()>)>,
}

impl ProgressReporter {
    pub(crate) fn new(key: CallKey, events: Option<(Sender<Event>, Sender<()>)>) -> Self {
        Self { key, events }
    }

    /// Whether reports can reach the client at all (the request carried a progress token).
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.events.is_some()
    }

    /// Reports `progress` (of `total`, if known), with an optional message. Never blocks: when
    /// the writer is far behind, the report is dropped (progress is advisory).
    pub fn report(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        if let Some((events, credits)) = &self.events {
            if credits.try_send(()).is_err() {
                return;
            }
            // The writer side is gone only when the server has stopped: nothing to tell.
            let _ = events.send(Event::Progress {
                key: self.key,
                progress,
                total,
                message: message.map(str::to_owned),
            });
        }
    }
}

impl fmt::Debug for ProgressReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressReporter")
            .field("key", &self.key)
            .field("enabled", &self.is_enabled())
            .finish_non_exhaustive()
    }
}

/// Tells a handler that its call is no longer wanted: the client sent `notifications/cancelled`,
/// the call timed out, or the server is shutting down. The handler should stop soon; whatever it
/// answers afterwards is dropped.
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    lock: Mutex<()>,
    signal: Condvar,
}

impl CancelToken {
    /// A token that is not cancelled.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the call was cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        // ORDERING: Acquire; pairs with the Release store in `cancel`, so whatever the canceller
        // wrote before cancelling is visible to a handler that sees the flag.
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// Waits until the call is cancelled or `timeout` passes; returns whether it was cancelled.
    /// Handlers that pace their work use this instead of sleeping.
    #[must_use]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = self
            .inner
            .lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.is_cancelled() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = self
                .inner
                .signal
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Cancels the call and wakes every waiter.
    pub fn cancel(&self) {
        let _guard = self
            .inner
            .lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // ORDERING: Release; pairs with the Acquire load in `is_cancelled`.
        self.inner.cancelled.store(true, Ordering::Release);
        self.inner.signal.notify_all();
    }
}

/// A tool's failure: becomes a result with `isError: true` and this message as its text, which
/// the model reads (tool errors are results, not JSON-RPC errors).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    message: String,
}

impl ToolError {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A finished call's result, ready to be written: `content` (one text block, or the blocks a
/// tool gave), optional `structuredContent`, `isError`.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolResult {
    body: Body,
    is_error: bool,
}

/// What a result carries. The common case, one text block, needs no `Vec`.
#[derive(Clone, Debug, PartialEq)]
enum Body {
    /// One text block, and the structured content it mirrors, if any.
    Text {
        text: String,
        structured: Option<Value>,
    },
    /// Content blocks as the tool gave them, without structured content.
    Blocks(Vec<Content>),
}

impl ToolResult {
    /// A successful result with structured content and its JSON text mirror.
    #[must_use]
    pub fn structured(value: Value) -> Self {
        Self {
            body: Body::Text {
                text: value.to_string(),
                structured: Some(value),
            },
            is_error: false,
        }
    }

    /// A successful result of content blocks (text, images, audio, embedded resources),
    /// without structured content: for tools that list no `outputSchema`.
    #[must_use]
    pub fn content(blocks: Vec<Content>) -> Self {
        Self {
            body: Body::Blocks(blocks),
            is_error: false,
        }
    }

    /// A failed result (`isError: true`) with this text.
    #[must_use]
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            body: Body::Text {
                text: text.into(),
                structured: None,
            },
            is_error: true,
        }
    }

    /// Whether this is an error result.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.is_error
    }

    /// Writes the `CallToolResult` object as JSON, straight from the fields (no intermediate
    /// [`Value`]): the reader's and the writer's hot path. `modern` adds the 2026-07-28
    /// decorations (`resultType`, `_meta.serverInfo` with this server info).
    pub(crate) fn write_json(
        &self,
        out: &mut impl io::Write,
        modern: Option<&Value>,
    ) -> io::Result<()> {
        let is_error: &[u8] = if self.is_error {
            br#","isError":true"#
        } else {
            br#","isError":false"#
        };
        match &self.body {
            Body::Text { text, structured } => {
                out.write_all(br#"{"content":[{"type":"text","text":"#)?;
                serde_json::to_writer(&mut *out, text)?;
                out.write_all(b"}]")?;
                out.write_all(is_error)?;
                if let Some(structured) = structured {
                    out.write_all(br#","structuredContent":"#)?;
                    serde_json::to_writer(&mut *out, structured)?;
                }
            }
            Body::Blocks(blocks) => {
                out.write_all(br#"{"content":"#)?;
                serde_json::to_writer(&mut *out, blocks)?;
                out.write_all(is_error)?;
            }
        }
        if let Some(server_info) = modern {
            out.write_all(br#","resultType":"complete","_meta":{""#)?;
            out.write_all(SERVER_INFO_KEY.as_bytes())?;
            out.write_all(br#"":"#)?;
            serde_json::to_writer(&mut *out, server_info)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"}")
    }

    /// The `CallToolResult` object (without era decorations).
    #[must_use]
    pub fn to_json(&self) -> Value {
        match &self.body {
            Body::Text { text, structured } => {
                let mut result = json!({
                    "content": [{ "type": "text", "text": text }],
                    "isError": self.is_error,
                });
                if let Some(structured) = structured {
                    result["structuredContent"] = structured.clone();
                }
                result
            }
            Body::Blocks(blocks) => json!({ "content": blocks, "isError": self.is_error }),
        }
    }
}

/// Where a [`RawResponder`] delivers: the writer thread, or the reader's in-place slot.
enum Target {
    /// The writer thread's events (the call is in its table of calls in flight).
    Writer(Sender<Event>),
    /// The reader's slot for a call answered in place (see [`InPlaceSlot`]).
    InPlace(InPlaceSlot),
}

/// The reader's one slot for the result of a call answered in place, before `dispatch` returns
/// ([`ToolHandler::answers_in_place`](crate::ToolHandler::answers_in_place)). The reader owns one
/// for its whole life and lends a clone to each such call, so answering in place allocates
/// nothing; it takes the result out right after `dispatch`. The slot takes a result only for the
/// call the reader is running, so a handler that wrongly claims to answer in place and answers
/// later cannot slip its late result into another call's response.
#[derive(Clone, Default)]
pub(crate) struct InPlaceSlot(Arc<Mutex<SlotState>>);

#[derive(Default)]
struct SlotState {
    /// The call the reader is running, while it runs.
    running: Option<CallKey>,
    result: Option<ToolResult>,
    /// The running call's log messages, written before its response.
    logs: Vec<LogMessage>,
}

/// The most log messages one call answered in place may leave; more are dropped (as messages
/// beyond the writer's bound are).
const IN_PLACE_LOGS_MAX: usize = 1024;

impl InPlaceSlot {
    /// Opens the slot for `key`'s result.
    pub(crate) fn open(&self, key: CallKey) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = Some(key);
        state.result = None;
        state.logs.clear();
    }

    /// Closes the slot and takes the result the running call left, if any, and its log
    /// messages.
    pub(crate) fn take(&self) -> (Option<ToolResult>, Vec<LogMessage>) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = None;
        (state.result.take(), std::mem::take(&mut state.logs))
    }

    /// Keeps a log message of `key` for the reader, while `key` runs and has not answered
    /// (a message after the answer, or from a call that is over, is dropped).
    pub(crate) fn put_log(&self, key: CallKey, message: LogMessage) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if state.running == Some(key)
            && state.result.is_none()
            && state.logs.len() < IN_PLACE_LOGS_MAX
        {
            state.logs.push(message);
        }
    }

    fn put(&self, key: CallKey, result: ToolResult) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if state.running == Some(key) {
            state.result = Some(result);
        } else {
            tracing::warn!(
                ?key,
                "dropped a late answer of a tool that said it answers in place"
            );
        }
    }
}

/// The untyped half of a responder: sends a [`ToolResult`] for one call to the writer side.
pub(crate) struct RawResponder {
    key: CallKey,
    target: Option<Target>,
}

impl RawResponder {
    pub(crate) fn new(key: CallKey, events: Sender<Event>) -> Self {
        Self {
            key,
            target: Some(Target::Writer(events)),
        }
    }

    /// A responder for a call answered in place: the result goes to `slot`.
    pub(crate) fn in_place(key: CallKey, slot: InPlaceSlot) -> Self {
        Self {
            key,
            target: Some(Target::InPlace(slot)),
        }
    }

    pub(crate) fn send(mut self, result: ToolResult) {
        if let Some(target) = self.target.take() {
            Self::deliver(self.key, target, result);
        }
    }

    fn deliver(key: CallKey, target: Target, result: ToolResult) {
        match target {
            Target::Writer(events) => {
                let _ = events.send(Event::Finished { key, result });
            }
            Target::InPlace(slot) => slot.put(key, result),
        }
    }
}

impl Drop for RawResponder {
    fn drop(&mut self) {
        if let Some(target) = self.target.take() {
            let result = ToolResult::error("the tool ended without answering the call");
            Self::deliver(self.key, target, result);
        }
    }
}

/// The one-shot way back for a call's result, typed by the tool's output. Consuming it sends
/// the result to the writer thread; the response is written there, correlated by the request's
/// id, so results may come back in any order and from any thread.
pub struct Responder<O> {
    raw: RawResponder,
    output: PhantomData<fn(O)>,
}

impl<O: Serialize> Responder<O> {
    pub(crate) fn new(raw: RawResponder) -> Self {
        Self {
            raw,
            output: PhantomData,
        }
    }

    /// Answers with `output` as `structuredContent` (and its JSON text mirror), or with an
    /// `isError` result for a [`ToolError`]. An output of `()` (a tool without an
    /// `outputSchema`) answers with no content at all; such tools answer with
    /// [`content`](Self::content) instead.
    pub fn respond(self, result: Result<O, ToolError>) {
        let result = match result {
            Ok(output) => match serde_json::to_value(&output) {
                Ok(Value::Null) => ToolResult::content(Vec::new()),
                Ok(value) => ToolResult::structured(value),
                Err(error) => {
                    ToolResult::error(format!("the tool's output did not serialize: {error}"))
                }
            },
            Err(error) => ToolResult::error(error.message),
        };
        self.raw.send(result);
    }

    /// Answers with `output`.
    pub fn ok(self, output: O) {
        self.respond(Ok(output));
    }

    /// Answers with an `isError` result.
    pub fn fail(self, error: ToolError) {
        self.respond(Err(error));
    }

    /// Answers with content blocks and no structured content: for a tool whose `Output` is
    /// `()`, which lists no `outputSchema` (a client checks the structured content of a tool
    /// that lists one).
    pub fn content(self, blocks: Vec<Content>) {
        self.raw.send(ToolResult::content(blocks));
    }
}

impl<O> fmt::Debug for Responder<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("key", &self.raw.key)
            .finish()
    }
}
