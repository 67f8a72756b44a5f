//! `RemoteTool<I, O>`: one tool of an external server, typed, with `send` and `ask` as an
//! `ActorRef` has them.

use std::fmt;
use std::marker::PhantomData;

use courier_sched::{ActorRef, Reply};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::actor::CallReply;
use crate::client::{CallResult, ClientError, McpServerRef};

/// One tool of an external MCP server, taking `I` and answering `O`. `O` is read from the
/// result's `structuredContent`, or, for a tool that returns only text, from its text as a
/// JSON string (so `O = String` reads the text of a text-only tool).
///
/// ```no_run
/// # use courier_mcp::client::{ClientConfig, McpServerRef, ServerCommand};
/// # let runtime = courier_sched::Runtime::with_workers(2).unwrap();
/// # let server = McpServerRef::spawn(&runtime, &ServerCommand::new("courier").arg("mcp"),
/// #     ClientConfig::default())?;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Echo { message: String }
///
/// let echo = server.tool::<Echo, Echo>("echo");
/// let answer = echo.ask(&Echo { message: "hi".into() })?;
/// assert_eq!(answer.message, "hi");
/// echo.send(&Echo { message: "fire and forget".into() })?;
/// # Ok::<(), courier_mcp::client::ClientError>(())
/// ```
pub struct RemoteTool<I, O> {
    server: McpServerRef,
    name: String,
    _types: PhantomData<fn(I) -> O>,
}

impl<I, O> Clone for RemoteTool<I, O> {
    fn clone(&self) -> Self {
        RemoteTool {
            server: self.server.clone(),
            name: self.name.clone(),
            _types: PhantomData,
        }
    }
}

impl<I, O> fmt::Debug for RemoteTool<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTool")
            .field("name", &self.name)
            .field("server", &self.server)
            .finish()
    }
}

impl<I, O> RemoteTool<I, O> {
    pub(crate) fn new(server: McpServerRef, name: String) -> Self {
        RemoteTool {
            server,
            name,
            _types: PhantomData,
        }
    }

    /// The tool's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<I: Serialize, O: DeserializeOwned> RemoteTool<I, O> {
    fn arguments(&self, input: &I) -> Result<Value, ClientError> {
        match serde_json::to_value(input) {
            Ok(arguments @ Value::Object(_)) => Ok(arguments),
            Ok(other) => {
                Err(self.decode_error(format!("arguments must be an object, not {other}")))
            }
            Err(error) => Err(self.decode_error(error.to_string())),
        }
    }

    fn decode_error(&self, reason: String) -> ClientError {
        ClientError::Decode {
            tool: self.name.clone(),
            reason,
        }
    }

    /// Reads `O` from a result; an `isError` result is [`ClientError::ToolFailed`].
    ///
    /// # Errors
    /// [`ClientError::ToolFailed`] or [`ClientError::Decode`].
    pub fn decode(&self, result: CallResult) -> Result<O, ClientError> {
        decode(&self.name, result)
    }

    /// Calls the tool and waits for its answer (through the server's breaker, if any).
    ///
    /// # Errors
    /// As [`McpServerRef::call`], plus [`ClientError::ToolFailed`] and [`ClientError::Decode`].
    pub fn ask(&self, input: &I) -> Result<O, ClientError> {
        let result = self.server.call(&self.name, self.arguments(input)?)?;
        self.decode(result)
    }

    /// Calls the tool without waiting: the reply to wait on or `.await` (as an `ActorRef`'s
    /// ask returns); read it with [`RemoteTool::decode`].
    ///
    /// # Errors
    /// [`ClientError::Decode`] for arguments that are not an object; [`ClientError::NotRunning`].
    pub fn ask_reply(&self, input: &I) -> Result<Reply<CallReply>, ClientError> {
        self.server.ask_call(&self.name, self.arguments(input)?)
    }

    /// Calls the tool without blocking; the typed answer arrives at `target` as the message
    /// `wrap(answer)`, as [`McpServerRef::call_to`] delivers it (every outcome, errors
    /// included). The way to call the tool from an actor's handler.
    pub fn ask_to<M: Send + 'static>(
        &self,
        input: &I,
        target: &ActorRef<M>,
        wrap: impl FnOnce(Result<O, ClientError>) -> M + Send + 'static,
    ) where
        O: 'static,
    {
        let arguments = match self.arguments(input) {
            Ok(arguments) => arguments,
            Err(error) => {
                if let Err(refused) = target.try_send(wrap(Err(error))) {
                    tracing::debug!("the result of an MCP call was not delivered: {refused}");
                }
                return;
            }
        };
        let tool = self.name.clone();
        self.server
            .call_to(&self.name, arguments, target, move |result| {
                wrap(result.and_then(|result| decode(&tool, result)))
            });
    }

    /// Calls the tool and forgets the answer (as an `ActorRef`'s send does).
    ///
    /// # Errors
    /// As [`RemoteTool::ask_reply`].
    pub fn send(&self, input: &I) -> Result<(), ClientError> {
        self.ask_reply(input).map(drop)
    }
}

/// Reads `O` from a result of tool `tool`; an `isError` result is [`ClientError::ToolFailed`].
fn decode<O: DeserializeOwned>(tool: &str, result: CallResult) -> Result<O, ClientError> {
    if result.is_error {
        return Err(ClientError::ToolFailed {
            tool: tool.to_owned(),
            message: result.text(),
        });
    }
    let value = match result.structured_content {
        Some(structured) => structured,
        None => Value::String(result.text()),
    };
    serde_json::from_value(value).map_err(|error| ClientError::Decode {
        tool: tool.to_owned(),
        reason: error.to_string(),
    })
}
