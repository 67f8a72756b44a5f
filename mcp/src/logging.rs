//! MCP logging: the RFC 5424 levels, the level a connection set with `logging/setLevel`
//! (2025-11-25), and the logger a tool call writes `notifications/message` through.
//!
//! Which messages go out depends on the era of the call's request:
//! - **2025-11-25** (`/specification/2025-11-25/server/utilities/logging`): the client sets one
//!   minimum level for the connection with `logging/setLevel`. Until it does, the spec lets the
//!   server choose ("the server MAY decide which messages to send automatically"); we send every
//!   level, as the TypeScript SDK (the conformance suite's reference server) does.
//! - **2026-07-28** (`/specification/2026-07-28/server/utilities/logging`, "Per-request log
//!   level"; the feature is deprecated there by SEP-2577, and `logging/setLevel` is removed): the
//!   level rides each request's `_meta["io.modelcontextprotocol/logLevel"]`, and the server MUST
//!   NOT send `notifications/message` for a request without it. The connection's level does not
//!   apply. An unknown level is -32602.
//!
//! Either way a message belongs to one call: like progress, it is written only while the call is
//! in flight, so none follows the call's response (on stdio that is what ties it to the request;
//! notifications of a request carry no subscription id).

use std::fmt;
use std::sync::Arc;

use crossbeam_channel::Sender;
use serde_json::{Map, Value, json};

use crate::call::InPlaceSlot;
use crate::error::BridgeError;
use crate::outbox::{CallKey, Event};
use crate::sync::{AtomicU8, Ordering};

/// The `_meta` key of a 2026-07-28 request's log level.
pub(crate) const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";

/// The severity of a log message: the syslog levels of RFC 5424 §6.2.1, least severe first, so
/// `a >= b` means "a is at least as severe as b".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Detailed debugging information.
    Debug,
    /// General informational messages.
    Info,
    /// Normal but significant events.
    Notice,
    /// Warning conditions.
    Warning,
    /// Error conditions.
    Error,
    /// Critical conditions.
    Critical,
    /// Action must be taken immediately.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl LogLevel {
    /// Every level, least severe first.
    pub const ALL: [Self; 8] = [
        Self::Debug,
        Self::Info,
        Self::Notice,
        Self::Warning,
        Self::Error,
        Self::Critical,
        Self::Alert,
        Self::Emergency,
    ];

    /// The level's name on the wire (`"debug"`, …, `"emergency"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Notice => "notice",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
            Self::Alert => "alert",
            Self::Emergency => "emergency",
        }
    }

    /// The level of a wire name; `None` for anything else (names are case-sensitive).
    ///
    /// ```
    /// use courier_mcp::LogLevel;
    /// assert_eq!(LogLevel::parse("warning"), Some(LogLevel::Warning));
    /// assert_eq!(LogLevel::parse("WARN"), None);
    /// ```
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == name)
    }

    /// The level of a JSON value, or -32602 naming what was wrong.
    pub(crate) fn from_json(value: Option<&Value>, what: &str) -> Result<Self, BridgeError> {
        let name = value.and_then(Value::as_str);
        name.and_then(Self::parse)
            .ok_or_else(|| BridgeError::InvalidParams {
                reason: format!(
                    "{what} must be one of debug, info, notice, warning, error, critical, alert, \
                     emergency; got {}",
                    value.map_or_else(|| "nothing".to_owned(), Value::to_string)
                ),
            })
    }

    fn from_u8(index: u8) -> Self {
        Self::ALL[usize::from(index).min(Self::ALL.len() - 1)]
    }

    fn to_u8(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The log level of a 2026-07-28 request's `_meta`: `None` when absent (no messages for it),
/// -32602 when present but not a level.
pub(crate) fn request_log_level(
    params: &Map<String, Value>,
) -> Result<Option<LogLevel>, BridgeError> {
    let level = params
        .get("_meta")
        .and_then(Value::as_object)
        .and_then(|meta| meta.get(LOG_LEVEL_KEY));
    level
        .map(|level| LogLevel::from_json(Some(level), LOG_LEVEL_KEY))
        .transpose()
}

/// The connection's minimum level (2025-11-25 `logging/setLevel`), shared by the reader, which
/// sets it, and the loggers of its calls, which read it when they log.
#[derive(Debug)]
pub(crate) struct SessionLevel(AtomicU8);

impl SessionLevel {
    /// Every level passes until the client sets one (see the module docs).
    pub(crate) fn new() -> Self {
        Self(AtomicU8::new(LogLevel::Debug.to_u8()))
    }

    pub(crate) fn set(&self, level: LogLevel) {
        // ORDERING: Relaxed; a lone value with nothing published alongside it. A call that logs
        // while `logging/setLevel` is being read may see either level, as the race allows.
        self.0.store(level.to_u8(), Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> LogLevel {
        // ORDERING: Relaxed; pairs with the Relaxed store in `set` (a lone value).
        LogLevel::from_u8(self.0.load(Ordering::Relaxed))
    }
}

/// Which messages a call's logger lets through.
#[derive(Clone, Debug)]
pub(crate) enum Threshold {
    /// A 2025-11-25 call: the connection's level, as it is when the message is logged.
    Session(Arc<SessionLevel>),
    /// A 2026-07-28 call whose request asked for this level.
    Request(LogLevel),
    /// A 2026-07-28 call whose request asked for no messages.
    Off,
}

impl Threshold {
    fn admits(&self, level: LogLevel) -> bool {
        match self {
            Self::Session(session) => level >= session.get(),
            Self::Request(minimum) => level >= *minimum,
            Self::Off => false,
        }
    }
}

/// One log message of a call, not yet written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LogMessage {
    pub(crate) level: LogLevel,
    pub(crate) logger: Option<String>,
    pub(crate) data: Value,
}

impl LogMessage {
    /// The `notifications/message` params: `{level, logger?, data}`.
    pub(crate) fn to_params(&self) -> Value {
        let mut params = json!({ "level": self.level.as_str(), "data": self.data });
        if let Some(logger) = &self.logger {
            params["logger"] = json!(logger);
        }
        params
    }
}

/// Where a [`CallLogger`] delivers.
#[derive(Clone)]
pub(crate) enum LogTarget {
    /// The writer thread's events, and the notification credits (shared with progress).
    Writer(Sender<Event>, Sender<()>),
    /// The reader's slot of a call answered in place: the reader writes the messages before the
    /// response.
    InPlace(InPlaceSlot),
}

/// Sends the log messages of one call (see [`CallContext::log`](crate::CallContext::log)).
#[derive(Clone)]
pub(crate) struct CallLogger {
    key: CallKey,
    target: LogTarget,
    threshold: Threshold,
}

impl CallLogger {
    pub(crate) fn new(key: CallKey, target: LogTarget, threshold: Threshold) -> Self {
        Self {
            key,
            target,
            threshold,
        }
    }

    /// Whether a message at `level` would be sent now.
    pub(crate) fn is_enabled(&self, level: LogLevel) -> bool {
        self.threshold.admits(level)
    }

    /// Sends the message if its level passes. Never blocks: when the writer is far behind the
    /// message is dropped, as progress is.
    pub(crate) fn log(&self, level: LogLevel, logger: Option<&str>, data: Value) {
        if !self.threshold.admits(level) {
            return;
        }
        let message = LogMessage {
            level,
            logger: logger.map(str::to_owned),
            data,
        };
        match &self.target {
            LogTarget::Writer(events, credits) => {
                if credits.try_send(()).is_err() {
                    return;
                }
                // The writer side is gone only when the server has stopped: nothing to tell.
                let _ = events.send(Event::Log {
                    key: self.key,
                    message: Box::new(message),
                });
            }
            LogTarget::InPlace(slot) => slot.put_log(self.key, message),
        }
    }
}

impl fmt::Debug for CallLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallLogger")
            .field("key", &self.key)
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}
