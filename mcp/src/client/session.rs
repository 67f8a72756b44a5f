//! A session with a server, as session types: a [`Session<Init>`] can only do the handshake;
//! only the [`Session<Ready>`] it turns into can call tools.
//!
//! ```compile_fail
//! use courier_mcp::client::{ClientConfig, ServerCommand, Session};
//! let session = Session::spawn(&ServerCommand::new("courier").arg("mcp"), ClientConfig::default())?;
//! session.call_tool("echo", serde_json::json!({ "message": "hi" }))?; // no handshake yet
//! # Ok::<(), courier_mcp::client::ClientError>(())
//! ```

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::client::connection::{Callback, Connection, Shared};
use crate::client::transport::{ByteStreams, ServerCommand};
use crate::client::{
    CallResult, ClientConfig, ClientError, EraPreference, ProtocolEra, ServerInfo, ToolInfo,
};
use crate::protocol::{
    CLIENT_CAPABILITIES_KEY, LEGACY_VERSIONS, MODERN_VERSION, PROTOCOL_VERSION_KEY, SERVER_INFO_KEY,
};

const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
/// The most `tools/list` pages followed (a server whose cursors never end is cut off).
const LIST_PAGES_MAX: usize = 256;

/// The state of a session before its handshake.
#[derive(Debug)]
pub struct Init;

/// The state of a session whose handshake succeeded: what it learnt, and how requests of
/// its era are made.
pub struct Ready {
    info: ServerInfo,
    requester: Requester,
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// A connection to one MCP server, in state `S` ([`Init`] or [`Ready`]).
pub struct Session<S> {
    connection: Connection,
    config: ClientConfig,
    state: S,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Session<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.connection.shared().label())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Session<Init> {
    /// Starts the server `command` as a child process and connects to its stdin and stdout.
    ///
    /// # Errors
    /// [`ClientError::Spawn`] when it cannot be started.
    pub fn spawn(command: &ServerCommand, config: ClientConfig) -> Result<Self, ClientError> {
        let connection = Connection::open(command.spawn()?, &config)?;
        Ok(Session::new(connection, config))
    }

    /// Connects over streams to a server that is already running.
    ///
    /// # Errors
    /// [`ClientError::Spawn`] when the reader or writer thread cannot be started.
    pub fn over(streams: ByteStreams, config: ClientConfig) -> Result<Self, ClientError> {
        let connection = Connection::open(streams.into(), &config)?;
        Ok(Session::new(connection, config))
    }

    fn new(connection: Connection, config: ClientConfig) -> Self {
        Session {
            connection,
            config,
            state: Init,
        }
    }

    /// The handshake: `server/discover` (2026-07-28) first; on any error or a timeout,
    /// `initialize` (2025-11-25) and `notifications/initialized`, as the configured
    /// [`EraPreference`] allows.
    ///
    /// # Errors
    /// [`ClientError::Handshake`] saying what each era answered; [`ClientError::Disconnected`]
    /// when the server went away (with its exit status and last stderr lines).
    pub fn handshake(self) -> Result<Session<Ready>, ClientError> {
        let mut failures = Vec::new();
        if self.config.era != EraPreference::Legacy {
            match self.discover() {
                Ok(info) => return Ok(self.ready(info)),
                Err(error @ ClientError::Disconnected { .. }) => return Err(error),
                Err(error) => failures.push(format!("server/discover: {error}")),
            }
        }
        if self.config.era != EraPreference::Modern {
            match self.initialize() {
                Ok(info) => return Ok(self.ready(info)),
                Err(error @ ClientError::Disconnected { .. }) => return Err(error),
                Err(error) => failures.push(format!("initialize: {error}")),
            }
        }
        Err(ClientError::Handshake {
            server: self.connection.shared().label().to_owned(),
            reason: failures.join("; "),
        })
    }

    fn client_info(&self) -> Value {
        json!({ "name": self.config.client_name, "version": env!("CARGO_PKG_VERSION") })
    }

    fn discover(&self) -> Result<ServerInfo, ClientError> {
        let meta = modern_meta(&self.client_info());
        let result = self.connection.request_blocking(
            "server/discover",
            json!({ "_meta": meta }),
            self.config.handshake_timeout,
        )?;
        let supported = result.get("supportedVersions").and_then(Value::as_array);
        if !supported.is_some_and(|versions| versions.iter().any(|v| v == MODERN_VERSION)) {
            return Err(self.protocol(format!(
                "server/discover does not list {MODERN_VERSION}: {result}"
            )));
        }
        let server_info = result
            .get("_meta")
            .and_then(|meta| meta.get(SERVER_INFO_KEY))
            .cloned();
        Ok(self.server_info(
            ProtocolEra::Modern,
            MODERN_VERSION,
            server_info.as_ref(),
            &result,
        ))
    }

    fn initialize(&self) -> Result<ServerInfo, ClientError> {
        let offered = LEGACY_VERSIONS[LEGACY_VERSIONS.len() - 1];
        let result = self.connection.request_blocking(
            "initialize",
            json!({
                "protocolVersion": offered,
                "capabilities": {},
                "clientInfo": self.client_info(),
            }),
            self.config.handshake_timeout,
        )?;
        let version = result
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !LEGACY_VERSIONS.contains(&version) {
            return Err(self.protocol(format!(
                "initialize agreed on {version:?}, which this client does not speak"
            )));
        }
        self.connection.shared().send_message(&json!({
            "jsonrpc": "2.0", "method": "notifications/initialized"
        }));
        Ok(self.server_info(
            ProtocolEra::Legacy,
            version,
            result.get("serverInfo"),
            &result,
        ))
    }

    fn server_info(
        &self,
        era: ProtocolEra,
        version: &str,
        server_info: Option<&Value>,
        result: &Value,
    ) -> ServerInfo {
        let text = |key| {
            server_info
                .and_then(|info| info.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        ServerInfo {
            era,
            protocol_version: version.to_owned(),
            name: text("name"),
            version: text("version"),
            capabilities: result.get("capabilities").cloned().unwrap_or(json!({})),
            instructions: result
                .get("instructions")
                .and_then(Value::as_str)
                .map(str::to_owned),
            pid: self.connection.pid(),
        }
    }

    fn protocol(&self, reason: String) -> ClientError {
        ClientError::Protocol {
            server: self.connection.shared().label().to_owned(),
            reason,
        }
    }

    fn ready(self, info: ServerInfo) -> Session<Ready> {
        let meta = (info.era == ProtocolEra::Modern).then(|| modern_meta(&self.client_info()));
        let requester = Requester {
            shared: std::sync::Arc::clone(self.connection.shared()),
            meta,
        };
        Session {
            connection: self.connection,
            config: self.config,
            state: Ready { info, requester },
        }
    }
}

fn modern_meta(client_info: &Value) -> Value {
    json!({
        PROTOCOL_VERSION_KEY: MODERN_VERSION,
        CLIENT_CAPABILITIES_KEY: {},
        CLIENT_INFO_KEY: client_info,
    })
}

impl Session<Ready> {
    /// What the handshake learnt: era, version, server name, capabilities, process id.
    #[must_use]
    pub fn info(&self) -> &ServerInfo {
        &self.state.info
    }

    pub(crate) fn requester(&self) -> &Requester {
        &self.state.requester
    }

    /// The configuration it was opened with.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs `hook` once, when the connection closes other than by dropping the session (the
    /// server exited or a pipe broke); at once if it has closed already.
    pub fn on_close(&self, hook: impl FnOnce() + Send + 'static) {
        self.connection.shared().on_close(Box::new(hook));
    }

    /// The server's program and arguments (or its streams' label), as errors name it.
    #[must_use]
    pub fn server_label(&self) -> &str {
        self.connection.shared().label()
    }

    /// Why the connection closed, if it has.
    #[must_use]
    pub fn closed_reason(&self) -> Option<String> {
        self.connection.shared().closed_reason()
    }

    /// Calls tool `name` and waits for its result, at most the configured call timeout
    /// (then the call is cancelled). Blocks the calling thread: from an actor, use
    /// [`McpServerRef`](crate::client::McpServerRef).
    ///
    /// # Errors
    /// As [`McpServerRef::call`](crate::client::McpServerRef::call).
    pub fn call_tool(&self, name: &str, arguments: Value) -> Result<CallResult, ClientError> {
        let timeout = self.config.call_timeout;
        let params = self.requester().call_params(name, arguments);
        let result = self
            .connection
            .request_blocking("tools/call", params, timeout)?;
        self.requester().decode_call(result)
    }

    /// Lists the server's tools (every page), waiting at most the call timeout per page.
    ///
    /// # Errors
    /// As [`McpServerRef::list_tools`](crate::client::McpServerRef::list_tools).
    pub fn list_tools(&self) -> Result<Vec<ToolInfo>, ClientError> {
        let (answer, answered) = crossbeam_channel::bounded(1);
        self.requester().list_tools(Box::new(move |result| {
            let _waiting = answer.send(result);
        }));
        let timeout = self.config.call_timeout * 4;
        answered.recv_timeout(timeout).unwrap_or_else(|_| {
            Err(ClientError::Timeout {
                server: self.connection.shared().label().to_owned(),
                method: "tools/list".to_owned(),
                id: 0,
                waited: timeout,
            })
        })
    }
}

/// A handle that sends requests on a ready connection, with the era's `_meta`; cheap to
/// clone (the reader thread uses one to follow `tools/list` pages).
#[derive(Clone)]
pub(crate) struct Requester {
    shared: std::sync::Arc<Shared>,
    /// The per-request `_meta` of the modern era; `None` in the legacy era.
    meta: Option<Value>,
}

impl Requester {
    fn params(&self, mut params: Map<String, Value>) -> Value {
        if let Some(meta) = &self.meta {
            params.insert("_meta".to_owned(), meta.clone());
        }
        Value::Object(params)
    }

    fn call_params(&self, name: &str, arguments: Value) -> Value {
        let mut params = Map::new();
        params.insert("name".to_owned(), json!(name));
        params.insert("arguments".to_owned(), arguments);
        self.params(params)
    }

    fn protocol(&self, reason: String) -> ClientError {
        ClientError::Protocol {
            server: self.shared.label().to_owned(),
            reason,
        }
    }

    /// Checks a modern result's `resultType`: only `complete` (or none, from a legacy
    /// server) is a result; `input_required` (MRTR) asks for input this client cannot give.
    fn complete(&self, result: Value) -> Result<Value, ClientError> {
        match result.get("resultType").and_then(Value::as_str) {
            None | Some("complete") => Ok(result),
            Some(other) => Err(self.protocol(format!(
                "resultType {other:?}: the server asks for input or a task, which this client \
                 does not support"
            ))),
        }
    }

    fn decode_call(&self, result: Value) -> Result<CallResult, ClientError> {
        let result = self.complete(result)?;
        let shown = result.to_string();
        CallResult::from_json(result)
            .ok_or_else(|| self.protocol(format!("a tools/call result without content: {shown}")))
    }

    /// Sends `tools/call`; `on_result` gets the result. Returns the request's id, or `None`
    /// when it could not be sent (`on_result` has had the error).
    pub(crate) fn call_tool(
        &self,
        name: &str,
        arguments: Value,
        on_result: Box<dyn FnOnce(Result<CallResult, ClientError>) + Send>,
    ) -> Option<i64> {
        let requester = self.clone();
        let callback: Callback = Box::new(move |result| {
            on_result(result.and_then(|result| requester.decode_call(result)));
        });
        self.shared
            .request("tools/call", self.call_params(name, arguments), callback)
    }

    /// Lists every page of `tools/list`; `on_result` gets them all.
    pub(crate) fn list_tools(
        &self,
        on_result: Box<dyn FnOnce(Result<Vec<ToolInfo>, ClientError>) + Send>,
    ) {
        self.list_page(None, Vec::new(), 1, on_result);
    }

    fn list_page(
        &self,
        cursor: Option<String>,
        mut tools: Vec<ToolInfo>,
        pages: usize,
        on_result: Box<dyn FnOnce(Result<Vec<ToolInfo>, ClientError>) + Send>,
    ) {
        let mut params = Map::new();
        if let Some(cursor) = cursor {
            params.insert("cursor".to_owned(), json!(cursor));
        }
        let requester = self.clone();
        let callback: Callback = Box::new(move |result| {
            let page = match result.and_then(|result| requester.complete(result)) {
                Ok(page) => page,
                Err(error) => return on_result(Err(error)),
            };
            let Some(listed) = page.get("tools").and_then(Value::as_array) else {
                return on_result(Err(
                    requester.protocol(format!("tools/list without tools: {page}"))
                ));
            };
            tools.extend(listed.iter().filter_map(ToolInfo::from_json));
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(next) if pages < LIST_PAGES_MAX => {
                    requester.list_page(Some(next.to_owned()), tools, pages + 1, on_result);
                }
                _ => on_result(Ok(tools)),
            }
        });
        let _id = self
            .shared
            .request("tools/list", self.params(params), callback);
    }

    /// Cancels request `id` (a timeout).
    pub(crate) fn cancel(&self, id: i64, waited: Duration) {
        self.shared.cancel(id, waited);
    }

    /// Requests in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.shared.in_flight()
    }
}
