//! The peer of `mcp_time`: an `echo` tool served over stdio by rmcp, the official Rust MCP SDK,
//! written the way its documentation shows (`#[tool_router]`, `Parameters`, `Json` for structured
//! output) on tokio's default multi-threaded runtime. Like courier's `echo`, it returns its input
//! as `structuredContent` with a JSON text mirror, so both servers do the same work per call.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The arguments and the result of `echo`.
#[derive(Debug, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
struct Echo {
    /// The text to send back.
    message: String,
}

#[derive(Debug, Clone)]
struct EchoServer {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl EchoServer {
    #[tool(description = "Returns its input unchanged.")]
    #[expect(
        clippy::unused_self,
        clippy::unnecessary_wraps,
        reason = "the shape rmcp's #[tool] expects"
    )]
    fn echo(&self, Parameters(echo): Parameters<Echo>) -> Result<Json<Echo>, String> {
        Ok(Json(echo))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for EchoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

/// `RMCP_ECHO_RUNTIME=current_thread` serves on tokio's single-threaded runtime instead of the
/// default multi-threaded one.
fn main() -> anyhow::Result<()> {
    let runtime = if std::env::var("RMCP_ECHO_RUNTIME").as_deref() == Ok("current_thread") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Runtime::new()?
    };
    runtime.block_on(async {
        let server = EchoServer {
            tool_router: EchoServer::tool_router(),
        }
        .serve(rmcp::transport::stdio())
        .await?;
        server.waiting().await?;
        Ok(())
    })
}
