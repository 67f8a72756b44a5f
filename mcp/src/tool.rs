//! Tools: the [`ToolHandler`] trait (the seam to actors), the [`Tool`] definition with schemas
//! generated from Rust types, and two ready handlers: [`inline`] and [`blocking`].

use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, RestrictFormats};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::call::{CallContext, RawResponder, Responder, ToolCall, ToolError, ToolResult};
use crate::error::BridgeError;
use crate::pool::WorkerPool;

/// Handles the calls of one tool.
///
/// `call` runs on the server's reader thread and **must not block**: it hands the
/// [`ToolCall`] on (to a worker thread, to a channel, later to an actor with
/// `ActorRef::send`) and returns. Whoever ends up with the call answers through its
/// [`Responder`]; the writer thread writes the response when it arrives. Trivial handlers that
/// need no more than a few microseconds may answer in place (see [`inline`]).
///
/// `Input` is what the arguments deserialize into; the tool's `inputSchema` is generated from
/// it, and a call whose arguments do not deserialize is answered with an `isError` result
/// before the handler sees it. Give input structs `#[serde(deny_unknown_fields)]` so that the
/// schema (`additionalProperties: false`) and the check agree. `Output` is the structured
/// result; the tool's `outputSchema` is generated from it and must describe a JSON object, or
/// be `()` for a tool that lists no `outputSchema` and answers with content blocks
/// ([`Responder::content`]).
pub trait ToolHandler: Send + Sync + 'static {
    /// The arguments.
    type Input: DeserializeOwned + JsonSchema + Send + 'static;
    /// The structured result.
    type Output: Serialize + JsonSchema + Send + 'static;

    /// Takes one call. Must not block.
    fn call(&self, call: ToolCall<Self::Input, Self::Output>);

    /// Whether [`call`](Self::call) always answers before it returns, on the calling thread, as
    /// [`inline`] handlers do. The server then answers such a call on its reader thread, in the
    /// same batch of output as the request's neighbours, without entering it in the writer's
    /// table of calls in flight (unless the request asked for progress). A handler that says
    /// `true` and answers later gets an `isError` response for the call instead. Default:
    /// `false`.
    fn answers_in_place(&self) -> bool {
        false
    }
}

/// The server's view of a handler: arguments in as JSON, checked, then handed to the typed
/// handler.
trait Dispatch: Send + Sync {
    fn dispatch(&self, tool: &str, arguments: Value, context: CallContext, raw: RawResponder);
}

struct Typed<H>(H);

impl<H: ToolHandler> Dispatch for Typed<H> {
    fn dispatch(&self, tool: &str, arguments: Value, context: CallContext, raw: RawResponder) {
        match serde_json::from_value::<H::Input>(arguments) {
            Ok(arguments) => self.0.call(ToolCall {
                arguments,
                context,
                responder: Responder::new(raw),
            }),
            Err(error) => raw.send(ToolResult::error(format!(
                "invalid arguments for tool {tool:?}: {error}"
            ))),
        }
    }
}

/// A tool as the server lists and calls it: name, description, schemas, timeout, handler.
#[derive(Clone)]
pub struct Tool {
    name: String,
    title: Option<String>,
    description: String,
    input_schema: Value,
    output_schema: Option<Value>,
    annotations: Option<Value>,
    timeout: Option<Duration>,
    in_place: bool,
    handler: Arc<dyn Dispatch>,
}

impl Tool {
    /// A tool named `name` served by `handler`, with schemas generated from the handler's
    /// `Input` and `Output` types (JSON Schema 2020-12, the MCP default; no `$schema` key;
    /// only the `format` values 2020-12 defines). An `Output` of `()` lists no `outputSchema`.
    ///
    /// # Errors
    /// [`BridgeError::InvalidTool`] when the name is not 1 to 128 characters of
    /// `[A-Za-z0-9_.-]`, or a schema does not describe a JSON object.
    pub fn new<H: ToolHandler>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: H,
    ) -> Result<Self, BridgeError> {
        let name = name.into();
        let invalid = |reason: String| BridgeError::InvalidTool {
            name: name.clone(),
            reason,
        };
        let name_ok = (1..=128).contains(&name.len())
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte));
        if !name_ok {
            return Err(invalid(
                "a name is 1 to 128 characters of A-Z, a-z, 0-9, '_', '.', '-'".to_owned(),
            ));
        }
        let input_schema = schema_of::<H::Input>();
        let output_schema = schema_of::<H::Output>();
        // `()` is the one output that is not an object: the tool gives content blocks instead.
        let output_schema =
            (output_schema.get("type") != Some(&json!("null"))).then_some(output_schema);
        for (which, schema) in [
            ("input", Some(&input_schema)),
            ("output", output_schema.as_ref()),
        ]
        .into_iter()
        .filter_map(|(which, schema)| Some((which, schema?)))
        {
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return Err(invalid(format!(
                    "its {which} type must serialize as a JSON object (a struct), not {schema}"
                )));
            }
        }
        Ok(Self {
            name,
            title: None,
            description: description.into(),
            input_schema,
            output_schema,
            annotations: None,
            timeout: None,
            in_place: handler.answers_in_place(),
            handler: Arc::new(Typed(handler)),
        })
    }

    /// Sets a human-readable title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets this tool's timeout (otherwise the server's default, 30 s). A call still running at
    /// its deadline is cancelled and answered with an `isError` result.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Names the input schema's dialect explicitly: `"$schema":
    /// "https://json-schema.org/draft/2020-12/schema"`, for clients that want it spelled out
    /// (absent, MCP means 2020-12 as well).
    #[must_use]
    pub fn with_schema_dialect(mut self) -> Self {
        if let Value::Object(schema) = &mut self.input_schema {
            schema.insert("$schema".to_owned(), json!(DIALECT_2020_12));
        }
        self
    }

    /// Marks the tool as reading only: it changes nothing, calling it twice is the same as
    /// once, and it reaches nothing outside this process (hints for the client).
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.annotations = Some(json!({
            "readOnlyHint": true,
            "destructiveHint": false,
            "idempotentHint": true,
            "openWorldHint": false,
        }));
        self
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The generated input schema.
    #[must_use]
    pub fn input_schema(&self) -> &Value {
        &self.input_schema
    }

    /// The generated output schema; `None` for a tool whose `Output` is `()`.
    #[must_use]
    pub fn output_schema(&self) -> Option<&Value> {
        self.output_schema.as_ref()
    }

    /// This tool's own timeout, if it has one.
    #[must_use]
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether its handler answers each call before `call` returns
    /// ([`ToolHandler::answers_in_place`]).
    #[must_use]
    pub fn answers_in_place(&self) -> bool {
        self.in_place
    }

    /// The `Tool` object of `tools/list`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut tool = Map::new();
        tool.insert("name".to_owned(), json!(self.name));
        if let Some(title) = &self.title {
            tool.insert("title".to_owned(), json!(title));
        }
        tool.insert("description".to_owned(), json!(self.description));
        tool.insert("inputSchema".to_owned(), self.input_schema.clone());
        if let Some(output_schema) = &self.output_schema {
            tool.insert("outputSchema".to_owned(), output_schema.clone());
        }
        if let Some(annotations) = &self.annotations {
            tool.insert("annotations".to_owned(), annotations.clone());
        }
        Value::Object(tool)
    }

    /// Hands a call to the handler. A panicking handler does not take the reader thread down:
    /// the panic is caught here, and the dropped responder answers with an `isError` result.
    pub(crate) fn dispatch(&self, arguments: Value, context: CallContext, raw: RawResponder) {
        let handler = &self.handler;
        let name = &self.name;
        if panic::catch_unwind(AssertUnwindSafe(|| {
            handler.dispatch(name, arguments, context, raw);
        }))
        .is_err()
        {
            tracing::error!(tool = %name, "the tool's handler panicked");
        }
    }
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The meta-schema URI of JSON Schema 2020-12.
const DIALECT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The JSON Schema of `T`: 2020-12, without the `$schema` key (absent means 2020-12 in MCP, and
/// some clients reject an explicit one), and with only the `format` values 2020-12 defines.
/// schemars marks numbers with its own formats (`uint16`, `uint64`, `double`, …), which
/// validators such as the Inspector's warn about; the bounds of the integer types up to 32 bits
/// become `minimum`/`maximum` before the formats go.
fn schema_of<T: JsonSchema>() -> Value {
    // `RestrictFormats` reads the dialect from `$schema`, so the key stays until it has run.
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(integer_bounds as fn(&mut Schema)))
        .with_transform(RestrictFormats::default())
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Value::Object(schema) = &mut schema {
        schema.remove("$schema");
    }
    schema
}

/// Adds the `minimum` and `maximum` that schemars's integer `format` implies, where missing.
/// (64-bit and wider formats only go: bounds past 2^53 mean little to a JSON reader.)
fn integer_bounds(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let bounds = match object.get("format").and_then(Value::as_str) {
        Some("int8") => (i64::from(i8::MIN), i64::from(i8::MAX)),
        Some("int16") => (i64::from(i16::MIN), i64::from(i16::MAX)),
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("uint8") => (0, i64::from(u8::MAX)),
        Some("uint16") => (0, i64::from(u16::MAX)),
        Some("uint32") => (0, i64::from(u32::MAX)),
        _ => return,
    };
    object.entry("minimum").or_insert_with(|| json!(bounds.0));
    object.entry("maximum").or_insert_with(|| json!(bounds.1));
}

/// A handler that answers in place, on the reader thread: for work of a few microseconds only
/// (echo, lookups in memory). Anything slower belongs in [`blocking`] or, later, an actor.
pub fn inline<I, O, F>(handler: F) -> Inline<I, O, F>
where
    F: Fn(I, &CallContext) -> Result<O, ToolError> + Send + Sync + 'static,
{
    Inline {
        handler,
        types: PhantomData,
    }
}

/// See [`inline`].
pub struct Inline<I, O, F> {
    handler: F,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O, F> ToolHandler for Inline<I, O, F>
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + JsonSchema + Send + 'static,
    F: Fn(I, &CallContext) -> Result<O, ToolError> + Send + Sync + 'static,
{
    type Input = I;
    type Output = O;

    fn call(&self, call: ToolCall<I, O>) {
        let result = (self.handler)(call.arguments, &call.context);
        call.responder.respond(result);
    }

    fn answers_in_place(&self) -> bool {
        true
    }
}

impl<I, O, F> fmt::Debug for Inline<I, O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Inline")
    }
}

/// A handler that runs `handler` on a [`WorkerPool`] thread, off the reader thread: for work
/// that takes time or blocks. A tool served by an actor uses [`ActorTool`](crate::ActorTool)
/// instead.
pub fn blocking<I, O, F>(pool: &WorkerPool, handler: F) -> Blocking<I, O, F>
where
    F: Fn(I, &CallContext) -> Result<O, ToolError> + Send + Sync + 'static,
{
    Blocking {
        handler: Arc::new(handler),
        pool: pool.clone(),
        types: PhantomData,
    }
}

/// See [`blocking`].
pub struct Blocking<I, O, F> {
    handler: Arc<F>,
    pool: WorkerPool,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O, F> ToolHandler for Blocking<I, O, F>
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + JsonSchema + Send + 'static,
    F: Fn(I, &CallContext) -> Result<O, ToolError> + Send + Sync + 'static,
{
    type Input = I;
    type Output = O;

    fn call(&self, call: ToolCall<I, O>) {
        let handler = Arc::clone(&self.handler);
        self.pool.execute(move || {
            let ToolCall {
                arguments,
                context,
                responder,
            } = call;
            if context.is_cancelled() {
                return; // cancelled while queued: the response is already settled
            }
            responder.respond(handler(arguments, &context));
        });
    }
}

impl<I, O, F> fmt::Debug for Blocking<I, O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocking")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
