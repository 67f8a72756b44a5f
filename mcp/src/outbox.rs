//! The writer side: one thread that owns the output stream and the table of calls in flight.
//!
//! Everything that goes out passes through here as an [`Event`], so the order rules of the
//! protocol are enforced in one place: a call's progress and log messages are written only
//! while it is in the table, its response removes it (so neither follows the response), a
//! cancelled or timed out call is removed without a response (its late result is dropped), and
//! each removal frees one slot of the in-flight bound.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde_json::{Value, json};

use crate::call::{CancelToken, ToolResult};
use crate::jsonrpc::{self, RequestId};
use crate::logging::LogMessage;
use crate::protocol::{Era, SUBSCRIPTION_ID_KEY};

/// Identifies one call in flight (ids may repeat across time; keys do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CallKey(pub(crate) u64);

/// How much may wait for the writer. Each bound is a bounded channel of tokens: a producer puts
/// a token in before it sends its event, and the writer takes one out when it has handled the
/// event. So a client that does not read its responses stops the reader (and so the reading of
/// more requests) instead of growing a queue, and progress reports beyond the bound are dropped.
#[derive(Debug)]
pub(crate) struct Credits {
    /// Tool calls in flight (the reader blocks on a full one: backpressure).
    pub(crate) calls: Receiver<()>,
    /// Messages from the reader not yet written (the reader blocks on a full one).
    pub(crate) writes: Receiver<()>,
    /// Progress reports and log messages not yet handled (reporters and loggers drop theirs on
    /// a full one).
    pub(crate) progress: Receiver<()>,
}

/// A call the reader has dispatched.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) key: CallKey,
    pub(crate) id: RequestId,
    pub(crate) tool: String,
    pub(crate) era: Era,
    pub(crate) progress_token: Option<Value>,
    pub(crate) cancel: CancelToken,
    pub(crate) deadline: Instant,
}

/// What the writer thread is told.
#[derive(Debug)]
pub(crate) enum Event {
    /// Complete messages, serialized with their newlines (the answers the reader computed
    /// itself, batched); holds a write credit per message.
    Bytes { bytes: Vec<u8>, messages: usize },
    /// A tool call was dispatched (sent before the handler sees it).
    Started(Box<Started>),
    /// A call's result.
    Finished { key: CallKey, result: ToolResult },
    /// A call's progress; holds a progress credit.
    Progress {
        key: CallKey,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    },
    /// A call's log message (already past the level filter); holds a progress credit.
    Log {
        key: CallKey,
        message: Box<LogMessage>,
    },
    /// `notifications/cancelled` for this request id.
    Cancel(RequestId),
    /// The connection did `initialize`: legacy list-changed notifications are now wanted.
    Initialized,
    /// `subscriptions/listen`: acknowledge it and honour it.
    Listen { id: RequestId, tools: bool },
    /// The registry changed.
    ToolsChanged,
    /// The input ended: finish what is in flight within the grace period, abandon the rest
    /// (cancelled, no response), and stop.
    Shutdown,
}

struct InFlight {
    id: RequestId,
    tool: String,
    era: Era,
    progress_token: Option<Value>,
    progress_last: Option<f64>,
    cancel: CancelToken,
    deadline: Instant,
}

pub(crate) struct Outbox<W: Write> {
    out: BufWriter<W>,
    events: Receiver<Event>,
    credits: Credits,
    in_flight: HashMap<CallKey, InFlight>,
    legacy_initialized: bool,
    subscriptions: Vec<RequestId>,
    server_info: Value,
    shutdown_grace: Duration,
    draining_until: Option<Instant>,
}

impl<W: Write> Outbox<W> {
    pub(crate) fn new(
        out: W,
        events: Receiver<Event>,
        credits: Credits,
        server_info: Value,
        shutdown_grace: Duration,
    ) -> Self {
        Self {
            out: BufWriter::with_capacity(64 * 1024, out),
            events,
            credits,
            in_flight: HashMap::new(),
            legacy_initialized: false,
            subscriptions: Vec::new(),
            server_info,
            shutdown_grace,
            draining_until: None,
        }
    }

    /// Runs until [`Event::Shutdown`] or a write error.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let result = self.serve();
        // Whatever is still running is abandoned: tell the handlers to stop.
        for call in self.in_flight.values() {
            call.cancel.cancel();
        }
        result
    }

    fn serve(&mut self) -> io::Result<()> {
        loop {
            if self.draining_until.is_some() && self.in_flight.is_empty() {
                return self.out.flush();
            }
            let deadline = self
                .in_flight
                .values()
                .map(|call| call.deadline)
                .chain(self.draining_until)
                .min();
            let event = match deadline {
                None => self.events.recv().ok(),
                Some(deadline) => match self.events.recv_deadline(deadline) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => {
                        let now = Instant::now();
                        if self.draining_until.is_some_and(|until| until <= now) {
                            return self.out.flush(); // `run` cancels what is left
                        }
                        self.expire(now)?;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => None,
                },
            };
            match event {
                None => return self.out.flush(),
                Some(Event::Shutdown) => {
                    self.draining_until = Some(Instant::now() + self.shutdown_grace);
                }
                Some(event) => self.handle(event)?,
            }
            if self.events.is_empty() {
                self.out.flush()?;
            }
        }
    }

    fn handle(&mut self, event: Event) -> io::Result<()> {
        match event {
            Event::Bytes { bytes, messages } => {
                for _ in 0..messages {
                    let _ = self.credits.writes.try_recv();
                }
                self.out.write_all(&bytes)
            }
            Event::Started(started) => {
                let Started {
                    key,
                    id,
                    tool,
                    era,
                    progress_token,
                    cancel,
                    deadline,
                } = *started;
                let call = InFlight {
                    id,
                    tool,
                    era,
                    progress_token,
                    progress_last: None,
                    cancel,
                    deadline,
                };
                self.in_flight.insert(key, call);
                Ok(())
            }
            Event::Finished { key, result } => {
                if let Some(call) = self.remove(key) {
                    return self.respond(&call, &result);
                }
                tracing::debug!(?key, "dropped the result of a cancelled or timed-out call");
                Ok(())
            }
            Event::Progress {
                key,
                progress,
                total,
                message,
            } => {
                let _ = self.credits.progress.try_recv();
                self.progress(key, progress, total, message)
            }
            Event::Log { key, message } => {
                let _ = self.credits.progress.try_recv();
                if !self.in_flight.contains_key(&key) {
                    return Ok(()); // the call is over: nothing follows its response
                }
                let params = message.to_params();
                self.write(&jsonrpc::notification(
                    "notifications/message",
                    Some(params),
                ))
            }
            Event::Cancel(id) => {
                self.cancel(&id);
                Ok(())
            }
            Event::Initialized => {
                self.legacy_initialized = true;
                Ok(())
            }
            Event::Listen { id, tools } => self.listen(id, tools),
            Event::ToolsChanged => self.tools_changed(),
            Event::Shutdown => Ok(()),
        }
    }

    fn write(&mut self, message: &Value) -> io::Result<()> {
        jsonrpc::write_message(&mut self.out, message)
    }

    /// Takes a call out of the table and frees its slot.
    fn remove(&mut self, key: CallKey) -> Option<InFlight> {
        let call = self.in_flight.remove(&key)?;
        // The reader put a call credit in before it sent `Started`, so one is there.
        let _ = self.credits.calls.try_recv();
        Some(call)
    }

    fn respond(&mut self, call: &InFlight, result: &ToolResult) -> io::Result<()> {
        let modern = (call.era == Era::Modern).then_some(&self.server_info);
        jsonrpc::write_call_response(&mut self.out, &call.id, result, modern)
    }

    fn progress(
        &mut self,
        key: CallKey,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    ) -> io::Result<()> {
        let Some(call) = self.in_flight.get_mut(&key) else {
            return Ok(());
        };
        let Some(token) = &call.progress_token else {
            return Ok(());
        };
        if !progress.is_finite() || call.progress_last.is_some_and(|last| progress <= last) {
            return Ok(()); // progress must increase
        }
        call.progress_last = Some(progress);
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total.filter(|total| total.is_finite()) {
            params["total"] = json!(total);
        }
        if let Some(message) = message {
            params["message"] = json!(message);
        }
        let notification = jsonrpc::notification("notifications/progress", Some(params));
        self.write(&notification)
    }

    fn cancel(&mut self, id: &RequestId) {
        let key = self
            .in_flight
            .iter()
            .find(|(_, call)| call.id == *id)
            .map(|(key, _)| *key);
        if let Some(call) = key.and_then(|key| self.remove(key)) {
            tracing::debug!(id = %call.id, tool = %call.tool, "call cancelled by the client");
            call.cancel.cancel();
        } else if let Some(position) = self.subscriptions.iter().position(|sub| sub == id) {
            self.subscriptions.remove(position);
        }
        // Anything else: unknown or finished ids are ignored (the race is allowed).
    }

    fn expire(&mut self, now: Instant) -> io::Result<()> {
        let expired: Vec<CallKey> = self
            .in_flight
            .iter()
            .filter(|(_, call)| call.deadline <= now)
            .map(|(key, _)| *key)
            .collect();
        for key in expired {
            if let Some(call) = self.remove(key) {
                call.cancel.cancel();
                tracing::warn!(id = %call.id, tool = %call.tool, "tool call timed out");
                let result = ToolResult::error(format!(
                    "the tool {:?} did not finish in time and was cancelled",
                    call.tool
                ));
                self.respond(&call, &result)?;
            }
        }
        Ok(())
    }

    fn listen(&mut self, id: RequestId, tools: bool) -> io::Result<()> {
        let mut honoured = json!({});
        if tools {
            honoured["toolsListChanged"] = json!(true);
        }
        let params = json!({
            "notifications": honoured,
            "_meta": { SUBSCRIPTION_ID_KEY: id.to_json() },
        });
        let ack = jsonrpc::notification("notifications/subscriptions/acknowledged", Some(params));
        if tools {
            self.subscriptions.push(id);
        }
        self.write(&ack)
    }

    fn tools_changed(&mut self) -> io::Result<()> {
        const METHOD: &str = "notifications/tools/list_changed";
        if self.legacy_initialized {
            self.write(&jsonrpc::notification(METHOD, None))?;
        }
        for id in self.subscriptions.clone() {
            let params = json!({ "_meta": { SUBSCRIPTION_ID_KEY: id.to_json() } });
            self.write(&jsonrpc::notification(METHOD, Some(params)))?;
        }
        Ok(())
    }
}
