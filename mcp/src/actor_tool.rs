//! Tools served by actors: `tools/call` becomes a message to an actor, answered through the
//! call's [`Responder`](crate::Responder) (the ask's reply handle).

use std::fmt;
use std::marker::PhantomData;

use courier_sched::ActorRef;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::{ToolCall, ToolError};
use crate::tool::ToolHandler;

/// A [`ToolHandler`] that sends each call to an actor whose messages are the calls. The actor
/// answers with `call.responder`; reports progress and sees cancellation through
/// `call.context`. A call the actor cannot take (its mailbox is full, it stopped) is answered at
/// once with an `isError` result that says so: nothing waits for a timeout.
///
/// ```no_run
/// use courier_mcp::{ActorTool, Tool, ToolCall};
/// use courier_sched::{Actor, Context, Runtime};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Args { n: u64 }
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Square { value: u64 }
///
/// struct Squarer;
/// impl Actor for Squarer {
///     type Msg = ToolCall<Args, Square>;
///     type Error = std::convert::Infallible;
///     fn handle(&mut self, _: &mut Context<'_, Self>, call: Self::Msg) -> Result<(), Self::Error> {
///         let n = call.arguments.n;
///         call.responder.ok(Square { value: n * n });
///         Ok(())
///     }
/// }
///
/// let runtime = Runtime::with_workers(2).unwrap();
/// let tool = Tool::new("square", "Squares n.", ActorTool::new(runtime.spawn(Squarer))).unwrap();
/// ```
pub struct ActorTool<I, O> {
    actor: ActorRef<ToolCall<I, O>>,
    _types: PhantomData<fn(I) -> O>,
}

impl<I, O> ActorTool<I, O> {
    /// A tool whose calls go to `actor`.
    #[must_use]
    pub fn new(actor: ActorRef<ToolCall<I, O>>) -> Self {
        ActorTool {
            actor,
            _types: PhantomData,
        }
    }
}

impl<I, O> fmt::Debug for ActorTool<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorTool")
            .field("actor", &self.actor)
            .finish()
    }
}

impl<I, O> ToolHandler for ActorTool<I, O>
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + JsonSchema + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn call(&self, call: ToolCall<I, O>) {
        if let Err(error) = self.actor.try_send(call) {
            let reason = error.to_string();
            let call = error.into_inner();
            call.responder.fail(ToolError::new(format!(
                "the tool's actor refused the call: {reason}"
            )));
        }
    }
}
