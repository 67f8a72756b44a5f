//! The fixture tools of the official MCP conformance suite (`@modelcontextprotocol/conformance`),
//! which `courier mcp --conformance-fixtures` serves beside the built-in tools.
//!
//! The suite's server scenarios call tools of fixed names and check what they return; the
//! expected results come from its reference server
//! (`examples/servers/typescript/everything-server.ts`, tag v0.1.16). Each fixture here is a
//! real actor-backed tool ([`ActorTool`]): a call is a message to an actor of the runtime.
//!
//! Not here, because the server has no way to do them (the scenarios fail, and
//! `mcp/tests/conformance-expected-failures.yaml` says why): `test_sampling` and the
//! `test_elicitation*` tools (it sends no requests to the client), and the prompt and resource
//! fixtures (it serves neither).

use std::marker::PhantomData;
use std::time::Duration;

use courier_sched::{Actor, Context, Runtime};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::ActorTool;
use crate::call::{ToolCall, ToolError};
use crate::content::Content;
use crate::error::BridgeError;
use crate::logging::LogLevel;
use crate::registry::Registry;
use crate::tool::Tool;

/// A 1x1 red PNG, base64 (the reference server's `TEST_IMAGE_BASE64`).
const TEST_IMAGE_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// A minimal WAV file, base64 (the reference server's `TEST_AUDIO_BASE64`).
const TEST_AUDIO_BASE64: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/// How long `test_tool_with_progress` waits between its reports, as the reference server does.
const PROGRESS_STEP: Duration = Duration::from_millis(50);

/// What `test_tool_with_logging` logs, at `info`, [`PROGRESS_STEP`] apart, as the reference
/// server does.
const LOG_STEPS: [&str; 3] = [
    "Tool execution started",
    "Tool processing data",
    "Tool execution completed",
];

/// No arguments.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

// The arguments of `json_schema_2020_12_tool`: the schema has the `$defs`, `$ref` and
// `additionalProperties: false` the `json-schema-2020-12` scenario looks for. (Doc comments
// here would become the schema's descriptions.)
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the fixture answers the same whatever the arguments"
)]
struct SchemaArgs {
    name: Option<String>,
    address: Option<Address>,
}

// The `address` definition of `SchemaArgs` (`#/$defs/address`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "address")]
#[expect(
    dead_code,
    reason = "the fixture answers the same whatever the arguments"
)]
struct Address {
    street: Option<String>,
    city: Option<String>,
}

/// What a fixed fixture answers.
#[derive(Clone, Debug)]
enum Answer {
    /// These content blocks.
    Blocks(Vec<Content>),
    /// An `isError` result with this text.
    Error(&'static str),
}

/// The actor behind a fixture that always gives the same answer.
#[derive(Debug)]
struct FixedActor<I> {
    answer: Answer,
    args: PhantomData<fn(I)>,
}

impl<I: Send + 'static> Actor for FixedActor<I> {
    type Msg = ToolCall<I, ()>;
    type Error = std::convert::Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, call: Self::Msg) -> Result<(), Self::Error> {
        match &self.answer {
            Answer::Blocks(blocks) => call.responder.content(blocks.clone()),
            Answer::Error(message) => call.responder.fail(ToolError::new(*message)),
        }
        Ok(())
    }
}

/// A tool served by a [`FixedActor`] spawned on `runtime`.
fn fixed_tool<I>(
    runtime: &Runtime,
    name: &str,
    description: &str,
    answer: Answer,
) -> Result<Tool, BridgeError>
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
{
    let actor = runtime.spawn(FixedActor::<I> {
        answer,
        args: PhantomData,
    });
    Tool::new(name, description, ActorTool::new(actor))
}

/// The actor behind `test_tool_with_progress`: it hands each call to a [`ProgressRun`] of its
/// own, so calls overlap and no worker waits out the pauses.
#[derive(Debug, Default)]
struct ProgressActor;

impl Actor for ProgressActor {
    type Msg = ToolCall<NoArgs, ()>;
    type Error = std::convert::Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, call: Self::Msg) -> Result<(), Self::Error> {
        ctx.spawn(ProgressRun {
            call: Some(call),
            step: 0,
        });
        Ok(())
    }
}

/// One call of `test_tool_with_progress`: reports 0, 50 and 100 of 100, [`PROGRESS_STEP`]
/// apart (a runtime timer, not a sleep), then answers and stops.
#[derive(Debug)]
struct ProgressRun {
    call: Option<ToolCall<NoArgs, ()>>,
    step: u8,
}

/// The tick that moves a [`ProgressRun`] to its next step.
#[derive(Debug)]
struct Tick;

impl ProgressRun {
    const STEPS: u8 = 2;

    fn report(&self, ctx: &mut Context<'_, Self>) {
        let Some(call) = &self.call else { return };
        let done = f64::from(self.step) * 50.0;
        call.context.report_progress(
            done,
            Some(100.0),
            Some(&format!("Completed step {done} of 100")),
        );
        if self.step < Self::STEPS {
            let _timer = ctx.send_after(PROGRESS_STEP, &ctx.myself(), Tick);
        }
    }
}

impl Actor for ProgressRun {
    type Msg = Tick;
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        self.report(ctx);
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, Tick: Tick) -> Result<(), Self::Error> {
        self.step += 1;
        self.report(ctx);
        if self.step >= Self::STEPS {
            if let Some(call) = self.call.take() {
                call.responder.content(vec![Content::text(
                    "Tool with progress executed successfully",
                )]);
            }
            ctx.stop();
        }
        Ok(())
    }
}

/// The actor behind `test_tool_with_logging`: like [`ProgressActor`], a [`LoggingRun`] per call.
#[derive(Debug, Default)]
struct LoggingActor;

impl Actor for LoggingActor {
    type Msg = ToolCall<NoArgs, ()>;
    type Error = std::convert::Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, call: Self::Msg) -> Result<(), Self::Error> {
        ctx.spawn(LoggingRun {
            call: Some(call),
            step: 0,
        });
        Ok(())
    }
}

/// One call of `test_tool_with_logging`: logs the [`LOG_STEPS`] at `info`, [`PROGRESS_STEP`]
/// apart (a runtime timer), then answers and stops.
#[derive(Debug)]
struct LoggingRun {
    call: Option<ToolCall<NoArgs, ()>>,
    step: usize,
}

impl LoggingRun {
    fn log(&self, ctx: &mut Context<'_, Self>) {
        let Some(call) = &self.call else { return };
        let Some(text) = LOG_STEPS.get(self.step) else {
            return;
        };
        call.context.log(LogLevel::Info, None, (*text).into());
        if self.step + 1 < LOG_STEPS.len() {
            let _timer = ctx.send_after(PROGRESS_STEP, &ctx.myself(), Tick);
        }
    }
}

impl Actor for LoggingRun {
    type Msg = Tick;
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        self.log(ctx);
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, Tick: Tick) -> Result<(), Self::Error> {
        self.step += 1;
        self.log(ctx);
        if self.step + 1 >= LOG_STEPS.len() {
            if let Some(call) = self.call.take() {
                call.responder.content(vec![Content::text(
                    "Tool with logging executed successfully",
                )]);
            }
            ctx.stop();
        }
        Ok(())
    }
}

/// Adds the conformance suite's fixture tools to `registry`, each served by an actor spawned
/// on `runtime`: `test_simple_text`, `test_image_content`, `test_audio_content`,
/// `test_embedded_resource`, `test_multiple_content_types`, `test_error_handling`,
/// `test_tool_with_progress`, `test_tool_with_logging` and `json_schema_2020_12_tool`.
///
/// # Errors
/// [`BridgeError::DuplicateTool`] when `registry` has a tool of one of these names already.
pub fn add_fixture_tools(registry: &Registry, runtime: &Runtime) -> Result<(), BridgeError> {
    let image = || Content::image(TEST_IMAGE_BASE64, "image/png");
    let fixed: [(&str, &str, Answer); 6] = [
        (
            "test_simple_text",
            "Tests simple text content response",
            Answer::Blocks(vec![Content::text(
                "This is a simple text response for testing.",
            )]),
        ),
        (
            "test_image_content",
            "Tests image content response",
            Answer::Blocks(vec![image()]),
        ),
        (
            "test_audio_content",
            "Tests audio content response",
            Answer::Blocks(vec![Content::audio(TEST_AUDIO_BASE64, "audio/wav")]),
        ),
        (
            "test_embedded_resource",
            "Tests embedded resource content response",
            Answer::Blocks(vec![Content::resource_text(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            )]),
        ),
        (
            "test_multiple_content_types",
            "Tests response with multiple content types (text, image, resource)",
            Answer::Blocks(vec![
                Content::text("Multiple content types test:"),
                image(),
                Content::resource_text(
                    "test://mixed-content-resource",
                    "application/json",
                    r#"{"test":"data","value":123}"#,
                ),
            ]),
        ),
        (
            "test_error_handling",
            "Tests error response handling",
            Answer::Error("This tool intentionally returns an error for testing"),
        ),
    ];
    for (name, description, answer) in fixed {
        registry.add(fixed_tool::<NoArgs>(runtime, name, description, answer)?)?;
    }
    registry.add(Tool::new(
        "test_tool_with_progress",
        "Tests tool that reports progress notifications",
        ActorTool::new(runtime.spawn(ProgressActor)),
    )?)?;
    registry.add(Tool::new(
        "test_tool_with_logging",
        "Tests tool that emits log messages during execution",
        ActorTool::new(runtime.spawn(LoggingActor)),
    )?)?;
    let schema_tool = fixed_tool::<SchemaArgs>(
        runtime,
        "json_schema_2020_12_tool",
        "Tool with JSON Schema 2020-12 features",
        Answer::Blocks(vec![Content::text("JSON Schema 2020-12 tool executed")]),
    )?;
    registry.add(schema_tool.with_schema_dialect())?;
    Ok(())
}
