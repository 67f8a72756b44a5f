//! `McpServerRef`: the address of an external MCP server, used like an actor's `ActorRef`.

use std::time::Duration;

use courier_sched::{ActorRef, AskError, Reply, Runtime};
use courier_supervisor::{Breaker, CallOutcome, GuardedError};
use serde_json::Value;

use crate::client::actor::{CallReply, ClientMsg, McpClient};
use crate::client::transport::ServerCommand;
use crate::client::{CallResult, ClientConfig, ClientError, RemoteTool, ServerInfo, ToolInfo};

/// How much longer than a call's own timeout a blocking caller waits for the actor's answer:
/// the actor's timer answers at the timeout, so this only covers a busy mailbox.
const ANSWER_SLACK: Duration = Duration::from_secs(2);

/// The address of an external MCP server behind a [`McpClient`] actor; cheap to clone.
/// Calls may go through a circuit breaker ([`McpServerRef::with_breaker`]). The client (and
/// its server process) runs until [`McpServerRef::stop`], its supervisor's shutdown, or the
/// runtime's shutdown once no address of it is left.
///
/// ```no_run
/// use courier_mcp::client::{ClientConfig, McpServerRef, ServerCommand};
/// use courier_sched::Runtime;
///
/// let runtime = Runtime::with_workers(2).unwrap();
/// let server = McpServerRef::spawn(
///     &runtime,
///     &ServerCommand::new("courier").arg("mcp"),
///     ClientConfig::default(),
/// )?;
/// let result = server.call("echo", serde_json::json!({ "message": "hi" }))?;
/// assert_eq!(result.structured_content, Some(serde_json::json!({ "message": "hi" })));
/// # Ok::<(), courier_mcp::client::ClientError>(())
/// ```
#[derive(Clone, Debug)]
pub struct McpServerRef {
    actor: ActorRef<ClientMsg>,
    timeout: Duration,
    breaker: Option<Breaker>,
}

impl McpServerRef {
    /// Starts `command`, does the handshake (on the calling thread) and spawns its actor.
    ///
    /// # Errors
    /// As [`McpClient::connect`].
    pub fn spawn(
        runtime: &Runtime,
        command: &ServerCommand,
        config: ClientConfig,
    ) -> Result<McpServerRef, ClientError> {
        let timeout = config.call_timeout();
        let client = McpClient::connect(command, config)?;
        Ok(McpServerRef::new(runtime.spawn(client), timeout))
    }

    /// The address of a running [`McpClient`] (for example a supervised child's, from
    /// [`SupervisorRef::child`](courier_supervisor::SupervisorRef::child)), calling with
    /// `timeout`.
    #[must_use]
    pub fn new(actor: ActorRef<ClientMsg>, timeout: Duration) -> McpServerRef {
        McpServerRef {
            actor,
            timeout,
            breaker: None,
        }
    }

    /// Calls go through `breaker`: timeouts and server faults
    /// ([`ClientError::is_server_fault`]) count as failures, and while it is open calls fail
    /// at once with [`ClientError::Rejected`] without reaching the server.
    #[must_use]
    pub fn with_breaker(mut self, breaker: Breaker) -> McpServerRef {
        self.breaker = Some(breaker);
        self
    }

    /// Calls with `timeout` instead.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> McpServerRef {
        self.timeout = timeout;
        self
    }

    /// The client actor.
    #[must_use]
    pub fn actor(&self) -> &ActorRef<ClientMsg> {
        &self.actor
    }

    /// The circuit breaker, if any.
    #[must_use]
    pub fn breaker(&self) -> Option<&Breaker> {
        self.breaker.as_ref()
    }

    /// A typed handle for one of the server's tools.
    #[must_use]
    pub fn tool<I, O>(&self, name: impl Into<String>) -> RemoteTool<I, O> {
        RemoteTool::new(self.clone(), name.into())
    }

    /// Sends a call and returns the reply to wait on or `.await` (the actor answers by the
    /// timeout at the latest). Does not go through the breaker.
    ///
    /// # Errors
    /// [`ClientError::NotRunning`] when the actor does not take the call.
    pub fn ask_call(&self, name: &str, arguments: Value) -> Result<Reply<CallReply>, ClientError> {
        let timeout = self.timeout;
        self.actor
            .ask(|reply| ClientMsg::call(name, arguments, timeout, reply))
            .map_err(|error| ClientError::NotRunning {
                reason: error.to_string(),
            })
    }

    /// Calls tool `name` with `arguments` and waits for the result (blocking the calling
    /// thread; from an actor's handler use [`McpServerRef::call_to`]). A tool's own
    /// failure is a result with `is_error`, not an error.
    ///
    /// # Errors
    /// [`ClientError::Rpc`] when the server answers with a JSON-RPC error (an unknown tool,
    /// for some servers); [`ClientError::Timeout`]; [`ClientError::Disconnected`] when the
    /// server went away; [`ClientError::Rejected`] when the breaker is open;
    /// [`ClientError::NotRunning`] when the actor has stopped.
    pub fn call(&self, name: &str, arguments: Value) -> Result<CallResult, ClientError> {
        let permit = match &self.breaker {
            Some(breaker) => Some(breaker.acquire::<()>().map_err(rejected)?),
            None => None,
        };
        let result = self
            .ask_call(name, arguments)
            .and_then(|reply| self.wait(reply)?);
        if let (Some(breaker), Some(permit)) = (&self.breaker, permit) {
            breaker.record(permit, outcome(&result));
        }
        result
    }

    /// Calls tool `name` without blocking; the result arrives at `target` as the message
    /// `wrap(result)`. This is how an actor calls the server from a handler, as it would
    /// ask another actor: the answer comes back as a message. Every outcome arrives that way,
    /// errors included (the breaker's refusal, a stopped client, a timeout). Goes through the
    /// breaker, if any, recording the outcome when the result arrives.
    pub fn call_to<M: Send + 'static>(
        &self,
        name: &str,
        arguments: Value,
        target: &ActorRef<M>,
        wrap: impl FnOnce(CallReply) -> M + Send + 'static,
    ) {
        let target = target.clone();
        let deliver = move |result: CallReply| {
            if let Err(error) = target.try_send(wrap(result)) {
                tracing::debug!("the result of an MCP call was not delivered: {error}");
            }
        };
        let permit = match &self.breaker {
            Some(breaker) => match breaker.acquire::<()>() {
                Ok(permit) => Some((breaker.clone(), permit)),
                Err(error) => return deliver(Err(rejected(error))),
            },
            None => None,
        };
        let message = ClientMsg::call_then(name, arguments, self.timeout, move |result| {
            if let Some((breaker, permit)) = permit {
                breaker.record(permit, outcome(&result));
            }
            deliver(result);
        });
        if let Err(error) = self.actor.try_send(message) {
            let reason = error.to_string();
            error.into_inner().fail(ClientError::NotRunning { reason });
        }
    }

    /// Waits for the actor's answer: bounded, so a stuck actor cannot hang the caller.
    fn wait<R>(&self, reply: Reply<R>) -> Result<R, ClientError> {
        match reply.wait_timeout(self.timeout + ANSWER_SLACK) {
            Ok(answer) => Ok(answer),
            Err(AskError::Timeout { waited, .. }) => Err(ClientError::NotRunning {
                reason: format!("the client actor did not answer within {waited:?}"),
            }),
            Err(error) => Err(ClientError::NotRunning {
                reason: error.to_string(),
            }),
        }
    }

    /// Lists the server's tools.
    ///
    /// # Errors
    /// As [`McpServerRef::call`].
    pub fn list_tools(&self) -> Result<Vec<ToolInfo>, ClientError> {
        let reply =
            self.actor
                .ask(ClientMsg::list_tools)
                .map_err(|error| ClientError::NotRunning {
                    reason: error.to_string(),
                })?;
        self.wait(reply)?
    }

    /// What the handshake of the running client learnt (era, server name, process id).
    ///
    /// # Errors
    /// [`ClientError::NotRunning`] when the actor has stopped.
    pub fn info(&self) -> Result<ServerInfo, ClientError> {
        let reply = self
            .actor
            .ask(ClientMsg::info)
            .map_err(|error| ClientError::NotRunning {
                reason: error.to_string(),
            })?;
        self.wait(reply)
    }

    /// Stops the client actor, which stops the server process; false if it had stopped.
    #[expect(
        clippy::must_use_candidate,
        reason = "as ActorRef::stop: most callers only want it stopped"
    )]
    pub fn stop(&self) -> bool {
        self.actor.stop()
    }
}

/// How a call's result counts for the breaker: timeouts and server faults against it, the
/// rest (answers, tool errors, mistaken calls) for it.
fn outcome(result: &CallReply) -> CallOutcome {
    match result {
        Err(ClientError::Timeout { .. }) => CallOutcome::Timeout,
        Err(error) if error.is_server_fault() => CallOutcome::Failure,
        _ => CallOutcome::Success,
    }
}

fn rejected(error: GuardedError<()>) -> ClientError {
    match error {
        GuardedError::Rejected { state, retry_after } => {
            ClientError::Rejected { state, retry_after }
        }
        other => ClientError::NotRunning {
            reason: other.to_string(),
        },
    }
}
