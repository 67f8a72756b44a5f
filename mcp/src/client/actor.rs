//! `McpClient`: an external MCP server as an actor. Its messages are tool calls and listings;
//! it sends each as a request and the connection's reader thread answers the ask directly,
//! so calls are pipelined and the actor never waits.

use std::fmt;
use std::time::Duration;

use courier_sched::{Actor, Context, Exit, ReplyTo};
use courier_supervisor::{Child, ChildSpec};
use serde_json::Value;

use crate::client::session::{Ready, Session};
use crate::client::transport::ServerCommand;
use crate::client::{CallResult, ClientConfig, ClientError, ServerInfo, ToolInfo};

/// What a [`McpClient`] answers a call with.
pub type CallReply = Result<CallResult, ClientError>;

/// How often an idle client checks that its server is still there (a busy one notices at
/// its next message): the longest a supervisor waits to hear that a server has gone.
const CLOSED_CHECK_PERIOD: Duration = Duration::from_millis(100);

/// Where a call's result goes: an ask's reply, or a message to an actor.
type Deliver = Box<dyn FnOnce(CallReply) + Send>;

/// A message to a [`McpClient`]. Build them with [`ClientMsg::call`], [`ClientMsg::list_tools`]
/// and [`ClientMsg::info`] (usually through [`McpServerRef`](crate::client::McpServerRef)).
pub struct ClientMsg(Request);

enum Request {
    Call {
        name: String,
        arguments: Value,
        timeout: Duration,
        deliver: Deliver,
    },
    List {
        reply: ReplyTo<Result<Vec<ToolInfo>, ClientError>>,
    },
    Info {
        reply: ReplyTo<ServerInfo>,
    },
    /// A call's timeout passed (sent by the actor's own timer).
    Expire {
        id: i64,
        waited: Duration,
    },
}

impl ClientMsg {
    /// Calls tool `name` with `arguments`; `timeout` after sending it, the call fails with
    /// [`ClientError::Timeout`] and the server gets `notifications/cancelled`.
    pub fn call(
        name: impl Into<String>,
        arguments: Value,
        timeout: Duration,
        reply: ReplyTo<CallReply>,
    ) -> ClientMsg {
        ClientMsg::call_then(name, arguments, timeout, move |result| reply.send(result))
    }

    /// As [`ClientMsg::call`], handing the result to `deliver` (on the connection's reader
    /// thread, or the client's worker: it must not block), for example to send it to an
    /// actor as a message.
    pub fn call_then(
        name: impl Into<String>,
        arguments: Value,
        timeout: Duration,
        deliver: impl FnOnce(CallReply) + Send + 'static,
    ) -> ClientMsg {
        ClientMsg(Request::Call {
            name: name.into(),
            arguments,
            timeout,
            deliver: Box::new(deliver),
        })
    }

    /// Answers the message with `error` at once, without sending it (for a message the
    /// actor did not take).
    pub(crate) fn fail(self, error: ClientError) {
        match self.0 {
            Request::Call { deliver, .. } => deliver(Err(error)),
            Request::List { reply } => reply.send(Err(error)),
            Request::Info { .. } | Request::Expire { .. } => {}
        }
    }

    /// Lists the server's tools.
    #[must_use]
    pub fn list_tools(reply: ReplyTo<Result<Vec<ToolInfo>, ClientError>>) -> ClientMsg {
        ClientMsg(Request::List { reply })
    }

    /// Asks what the handshake learnt (era, server name, process id).
    #[must_use]
    pub fn info(reply: ReplyTo<ServerInfo>) -> ClientMsg {
        ClientMsg(Request::Info { reply })
    }
}

impl fmt::Debug for ClientMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Request::Call { name, timeout, .. } => f
                .debug_struct("Call")
                .field("name", name)
                .field("timeout", timeout)
                .finish_non_exhaustive(),
            Request::List { .. } => f.write_str("ListTools"),
            Request::Info { .. } => f.write_str("Info"),
            Request::Expire { id, .. } => f.debug_struct("Expire").field("id", id).finish(),
        }
    }
}

/// An external MCP server as an actor. It owns the [`Session`]; when the actor stops (or a
/// restart replaces it) the session is dropped, which closes the server's stdin and stops
/// and reaps its process. When the server exits or a pipe breaks, every call in flight fails
/// with [`ClientError::Disconnected`] and the actor stops with that error: under a
/// supervisor it is restarted, which starts a new server process.
pub struct McpClient {
    session: Session<Ready>,
}

impl fmt::Debug for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpClient")
            .field("session", &self.session)
            .finish()
    }
}

impl McpClient {
    /// Starts `command` and does the handshake, on the calling thread.
    ///
    /// # Errors
    /// [`ClientError::Spawn`], [`ClientError::Handshake`] or [`ClientError::Disconnected`].
    pub fn connect(
        command: &ServerCommand,
        config: ClientConfig,
    ) -> Result<McpClient, ClientError> {
        Ok(McpClient::from_session(
            Session::spawn(command, config)?.handshake()?,
        ))
    }

    /// An actor around a session that has done its handshake.
    #[must_use]
    pub fn from_session(session: Session<Ready>) -> McpClient {
        McpClient { session }
    }

    /// A permanent supervised child that runs `command`: each start (and restart) starts a
    /// new server process and does the handshake (on the supervisor's worker, bounded by the
    /// handshake timeout); a start that fails counts as a crash.
    #[must_use]
    pub fn child(id: &str, command: ServerCommand, config: ClientConfig) -> Child {
        Child::from_spec(ChildSpec::worker(id, move || {
            McpClient::connect(&command, config.clone())
        }))
    }

    fn call(
        &self,
        ctx: &Context<'_, Self>,
        name: &str,
        arguments: Value,
        timeout: Duration,
        deliver: Deliver,
    ) {
        let sent = self.session.requester().call_tool(name, arguments, deliver);
        if let Some(id) = sent {
            let _timer = ctx.send_after(
                timeout,
                &ctx.myself(),
                ClientMsg(Request::Expire {
                    id,
                    waited: timeout,
                }),
            );
        }
    }
}

impl McpClient {
    /// The error of a connection that closed for `reason`.
    fn disconnected(&self, reason: &str) -> ClientError {
        ClientError::Disconnected {
            server: self.session.server_label().to_owned(),
            reason: reason.to_owned(),
        }
    }
}

impl Actor for McpClient {
    type Msg = ClientMsg;
    type Error = ClientError;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), ClientError> {
        // Whether the server is still there is checked by this timer (and by each message),
        // not by a hook of the connection: a hook would hold this actor's own address inside
        // the actor, a cycle that keeps it (and the server process) alive forever.
        let _timer = ctx.after(CLOSED_CHECK_PERIOD);
        Ok(())
    }

    fn after(&mut self, _ctx: &mut Context<'_, Self>) -> Result<(), ClientError> {
        match self.session.closed_reason() {
            Some(reason) => Err(self.disconnected(&reason)),
            None => Ok(()),
        }
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ClientMsg) -> Result<(), ClientError> {
        if matches!(msg.0, Request::Call { .. } | Request::List { .. })
            && let Some(reason) = self.session.closed_reason()
        {
            // Fail it at once, and stop, so that a supervisor restarts the server.
            msg.fail(self.disconnected(&reason));
            return Err(self.disconnected(&reason));
        }
        match msg.0 {
            Request::Call {
                name,
                arguments,
                timeout,
                deliver,
            } => self.call(ctx, &name, arguments, timeout, deliver),
            Request::List { reply } => self
                .session
                .requester()
                .list_tools(Box::new(move |result| reply.send(result))),
            Request::Info { reply } => reply.send(self.session.info().clone()),
            Request::Expire { id, waited } => self.session.requester().cancel(id, waited),
        }
        Ok(())
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, reason: &Exit) {
        tracing::debug!(
            in_flight = self.session.requester().in_flight(),
            "MCP client stopped ({reason}); stopping its server"
        );
    }
}
