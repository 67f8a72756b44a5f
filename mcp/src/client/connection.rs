//! One connection to a server: requests pipelined over the output and correlated by id with
//! the answers a reader thread reads.
//!
//! # Protocol
//!
//! - C1 Every request registered in `pending` gets its callback called exactly once: by the
//!   reader with the answer, by [`Shared::cancel`] with a timeout, or by [`Shared::close`]
//!   with the reason the connection closed. Whoever removes the entry calls it, after
//!   releasing the lock (a callback may send another request).
//! - C2 Once `closed` is set it stays set, `outgoing` is gone, and `pending` stays empty: a
//!   request after that is answered at once with the reason. So nothing waits on a dead
//!   connection.
//! - C3 Lines go out through one writer thread, in the order they were queued; dropping the
//!   last sender (close) ends the writer, which closes the server's stdin.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use serde_json::{Value, json};

use crate::client::transport::{Process, Streams};
use crate::client::{ClientConfig, ClientError};
use crate::error::{ErrorCode, RpcError};
use crate::framing::{Frame, LineReader};

/// How long the reader waits for a server whose output ended to exit, for its exit status.
const EXIT_STATUS_WAIT: Duration = Duration::from_millis(500);

/// What a request's answer is handed to (C1).
pub(crate) type Callback = Box<dyn FnOnce(Result<Value, ClientError>) + Send>;

struct Pending {
    method: String,
    callback: Callback,
}

struct State {
    next_id: i64,
    pending: HashMap<i64, Pending>,
    outgoing: Option<Sender<Vec<u8>>>,
    closed: Option<String>,
    on_close: Option<Box<dyn FnOnce() + Send>>,
}

/// The part of a connection its threads share.
pub(crate) struct Shared {
    label: String,
    in_flight_max: usize,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent between statements that do not panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The server's label, for errors.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    fn disconnected(&self, reason: &str) -> ClientError {
        ClientError::Disconnected {
            server: self.label.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Sends a request; `callback` gets its answer (C1). Returns the request's id, or `None`
    /// when it could not be sent (the callback has then had the error).
    pub(crate) fn request(&self, method: &str, params: Value, callback: Callback) -> Option<i64> {
        let mut state = self.lock();
        let refusal = if let Some(reason) = &state.closed {
            Some(self.disconnected(reason))
        } else if state.pending.len() >= self.in_flight_max {
            Some(ClientError::Overloaded {
                server: self.label.clone(),
                in_flight_max: self.in_flight_max,
            })
        } else {
            None
        };
        if let Some(error) = refusal {
            drop(state);
            callback(Err(error));
            return None;
        }
        let id = state.next_id;
        state.next_id += 1;
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        message["params"] = params;
        let sent = state
            .outgoing
            .as_ref()
            .is_some_and(|outgoing| outgoing.send(line(&message)).is_ok());
        if !sent {
            drop(state);
            callback(Err(self.disconnected("the writer thread has stopped")));
            return None;
        }
        state.pending.insert(
            id,
            Pending {
                method: method.to_owned(),
                callback,
            },
        );
        Some(id)
    }

    /// Sends a notification (or, from the reader, a response); dropped when closed.
    pub(crate) fn send_message(&self, message: &Value) {
        if let Some(outgoing) = &self.lock().outgoing {
            let _closed = outgoing.send(line(message));
        }
    }

    /// Ends request `id` with a timeout and tells the server with `notifications/cancelled`
    /// (except for `initialize`, which the spec says must not be cancelled). Does nothing when
    /// it was already answered (the race the spec says both sides tolerate).
    pub(crate) fn cancel(&self, id: i64, waited: Duration) {
        let Some(pending) = self.lock().pending.remove(&id) else {
            return;
        };
        if pending.method != "initialize" {
            self.send_message(&json!({
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": { "requestId": id, "reason": format!("no answer within {waited:?}") },
            }));
        }
        (pending.callback)(Err(ClientError::Timeout {
            server: self.label.clone(),
            method: pending.method,
            id,
            waited,
        }));
    }

    /// Closes the connection (C2): every call in flight fails with `reason`, and the
    /// `on_close` hook runs. Later closes change nothing.
    pub(crate) fn close(&self, reason: &str) {
        let (pending, on_close) = {
            let mut state = self.lock();
            if state.closed.is_some() {
                return;
            }
            state.closed = Some(reason.to_owned());
            state.outgoing = None;
            (std::mem::take(&mut state.pending), state.on_close.take())
        };
        for (_, pending) in pending {
            (pending.callback)(Err(self.disconnected(reason)));
        }
        if let Some(on_close) = on_close {
            on_close();
        }
    }

    /// Runs `hook` once the connection closes (at once if it has).
    pub(crate) fn on_close(&self, hook: Box<dyn FnOnce() + Send>) {
        let mut state = self.lock();
        if state.closed.is_some() {
            drop(state);
            hook();
        } else {
            state.on_close = Some(hook);
        }
    }

    /// Why the connection closed, if it has.
    pub(crate) fn closed_reason(&self) -> Option<String> {
        self.lock().closed.clone()
    }

    /// Requests in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.lock().pending.len()
    }

    /// Hands an answer to the request it answers (C1).
    fn complete(&self, id: i64, answer: Result<Value, RpcError>) {
        let Some(pending) = self.lock().pending.remove(&id) else {
            // Answered after a timeout cancelled it, or an id we never sent.
            tracing::debug!(server = %self.label, id, "an answer to no request in flight");
            return;
        };
        let result = answer.map_err(|error| ClientError::Rpc {
            server: self.label.clone(),
            method: pending.method,
            error,
        });
        (pending.callback)(result);
    }

    /// Handles one line from the server.
    fn dispatch(&self, line: &[u8]) {
        let Ok(message @ Value::Object(_)) = serde_json::from_slice::<Value>(line) else {
            let line = String::from_utf8_lossy(line);
            tracing::warn!(server = %self.label, "not a JSON-RPC message: {line}");
            return;
        };
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            if let Some(id) = message.get("id") {
                self.answer_server_request(id, method);
            } else {
                tracing::debug!(server = %self.label, method, "notification");
            }
            return;
        }
        let Some(id) = message.get("id").and_then(Value::as_i64) else {
            tracing::warn!(server = %self.label, "an answer without one of our ids: {message}");
            return;
        };
        let answer = match (message.get("result"), message.get("error")) {
            (Some(result), None) => Ok(result.clone()),
            (None, Some(error)) => Err(rpc_error(error)),
            _ => Err(RpcError {
                code: ErrorCode::INVALID_REQUEST,
                message: format!("the answer has neither a result nor an error: {message}"),
                data: None,
            }),
        };
        self.complete(id, answer);
    }

    /// A request from a legacy-era server: `ping` gets `{}`, anything else -32601 (this
    /// client declares no capabilities, so a server should send nothing else).
    fn answer_server_request(&self, id: &Value, method: &str) {
        let response = if method == "ping" {
            json!({ "jsonrpc": "2.0", "id": id, "result": {} })
        } else {
            json!({ "jsonrpc": "2.0", "id": id,
                "error": { "code": ErrorCode::METHOD_NOT_FOUND.0,
                    "message": format!("method not found: {method}") } })
        };
        self.send_message(&response);
    }
}

fn rpc_error(error: &Value) -> RpcError {
    RpcError {
        code: ErrorCode(
            error
                .get("code")
                .and_then(Value::as_i64)
                .and_then(|code| i32::try_from(code).ok())
                .unwrap_or(ErrorCode::INTERNAL_ERROR.0),
        ),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)")
            .to_owned(),
        data: error.get("data").cloned(),
    }
}

fn line(message: &Value) -> Vec<u8> {
    let mut line = serde_json::to_vec(message).expect("a Value always serializes");
    line.push(b'\n');
    line
}

/// An open connection: its shared state, and the server's process if the client started it.
/// Dropping it closes the server's stdin and stops the process (C3).
pub(crate) struct Connection {
    shared: Arc<Shared>,
    process: Option<Arc<Process>>,
    shutdown_grace: Duration,
}

impl Connection {
    /// Starts the reader and writer threads over `streams`.
    pub(crate) fn open(streams: Streams, config: &ClientConfig) -> Result<Connection, ClientError> {
        let (outgoing, lines) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared {
            label: streams.label.clone(),
            in_flight_max: config.in_flight_max,
            state: Mutex::new(State {
                next_id: 1,
                pending: HashMap::new(),
                outgoing: Some(outgoing),
                closed: None,
                on_close: None,
            }),
        });
        let connection = Connection {
            shared: Arc::clone(&shared),
            process: streams.process,
            shutdown_grace: config.shutdown_grace,
        };
        let spawn_error = |source| ClientError::Spawn {
            program: streams.label.clone(),
            source,
        };
        let (writer_shared, writer_process) = (Arc::clone(&shared), connection.process.clone());
        let writer = streams.writer;
        thread::Builder::new()
            .name("mcp-client-writer".to_owned())
            .spawn(move || write_lines(&writer_shared, &lines, writer, writer_process.as_deref()))
            .map_err(spawn_error)?;
        let (reader, reader_process) = (streams.reader, connection.process.clone());
        let size_max_bytes = config.message_size_max_bytes;
        thread::Builder::new()
            .name("mcp-client-reader".to_owned())
            .spawn(move || read_lines(&shared, reader, size_max_bytes, reader_process.as_deref()))
            .map_err(spawn_error)?;
        Ok(connection)
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The server's process id, when the client started it.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.process.as_deref().map(Process::pid)
    }

    /// Sends a request and waits for its answer, at most `timeout` (then cancels it).
    pub(crate) fn request_blocking(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, ClientError> {
        let (answer, answered) = crossbeam_channel::bounded(1);
        let callback: Callback = Box::new(move |result| {
            let _waiting = answer.send(result);
        });
        let Some(id) = self.shared.request(method, params, callback) else {
            return answered
                .recv()
                .expect("C1: a refused request's callback has run");
        };
        answered.recv_timeout(timeout).unwrap_or_else(|_| {
            self.shared.cancel(id, timeout);
            answered
                .recv()
                .expect("C1: the request was answered or cancelled")
        })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Our own close: the on_close hook (which reports a lost server) must not run.
        drop(self.shared.lock().on_close.take());
        self.shared.close("the client closed the connection");
        if let Some(process) = self.process.take() {
            let grace = self.shutdown_grace;
            // Stop and reap the server off the dropping thread (it may be a runtime worker).
            let stopper = Arc::clone(&process);
            let spawned = thread::Builder::new()
                .name("mcp-client-reaper".to_owned())
                .spawn(move || stopper.stop(grace));
            if spawned.is_err() {
                process.stop(Duration::ZERO);
            }
        }
    }
}

/// The writer thread (C3): writes queued lines, flushing when the queue is empty.
fn write_lines(
    shared: &Shared,
    lines: &Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    process: Option<&Process>,
) {
    let mut out = BufWriter::with_capacity(64 * 1024, writer);
    while let Ok(first) = lines.recv() {
        let mut written = out.write_all(&first);
        while written.is_ok() {
            match lines.try_recv() {
                Ok(next) => written = out.write_all(&next),
                Err(_) => break,
            }
        }
        if let Err(error) = written.and_then(|()| out.flush()) {
            let reason = match process {
                Some(process) => process.exit_report(EXIT_STATUS_WAIT),
                None => format!("writing to the server failed: {error}"),
            };
            shared.close(&reason);
            return;
        }
    }
}

/// The reader thread: dispatches each line; at the end of the output closes the connection
/// with the reason.
fn read_lines(
    shared: &Shared,
    reader: Box<dyn Read + Send>,
    size_max_bytes: usize,
    process: Option<&Process>,
) {
    let mut lines = LineReader::new(reader, size_max_bytes);
    let reason = loop {
        match lines.next_frame() {
            Ok(Frame::Line(line)) if line.is_empty() => {}
            Ok(Frame::Line(line)) => shared.dispatch(&line),
            Ok(Frame::Oversized) => tracing::warn!(
                server = %shared.label,
                "a message over {size_max_bytes} bytes was discarded; its call will time out"
            ),
            Ok(Frame::Eof) => {
                break match process {
                    Some(process) => process.exit_report(EXIT_STATUS_WAIT),
                    None => "the server closed its output".to_owned(),
                };
            }
            Err(error) => break format!("reading from the server failed: {error}"),
        }
    };
    shared.close(&reason);
}
