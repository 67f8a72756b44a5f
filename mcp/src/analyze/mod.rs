//! The `analyze` tool, the spec's context analyzer: for a snippet of Rust, Python or JavaScript,
//! its cyclomatic complexity, deepest nesting, functions, imports and suggestions, computed from
//! a tree-sitter syntax tree (real grammars, not regular expressions).
//!
//! It is served by a supervised pool of [`AnalyzerActor`]s on the actor runtime
//! ([`ActorPool`]). A call goes to the actor that the hash of its language and code picks, so
//! the same snippet always meets the same actor, and each actor keeps its own parser and its own
//! cache (an LRU with a TTL, swept every half TTL by the actor's `after` timer): no locks, no
//! shared state. An actor that panics is replaced by a fresh one with an empty cache.

mod cache;
mod rules;
#[cfg(test)]
mod tests;

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use courier_sched::{Actor, Context, Runtime};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::actor_pool::ActorPool;
use crate::call::ToolCall;
use crate::error::BridgeError;
use crate::tool::Tool;
use cache::LruTtl;
use courier_supervisor::SupervisorRef;

/// A language `analyze` parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Rust (tree-sitter-rust).
    Rust,
    /// Python 3 (tree-sitter-python).
    Python,
    /// JavaScript, with JSX (tree-sitter-javascript).
    Javascript,
}

/// The arguments of `analyze`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeArgs {
    /// The source code to analyze: a file, a function or a fragment.
    pub code: String,
    /// Its language.
    pub language: Language,
}

/// What `analyze` finds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Analysis {
    /// The language the code was parsed as.
    pub language: Language,
    /// Lines of code.
    pub lines: u32,
    /// Cyclomatic complexity: 1 plus each branch (`if`, loop, match arm or case, `catch`,
    /// `&&`/`||`, conditional expression, `?`).
    pub complexity: u32,
    /// The deepest nesting of branches and loops.
    pub nesting_depth_max: u32,
    /// Functions, methods and closures defined.
    pub functions: u32,
    /// What the code imports (`use` paths, Python modules, JavaScript module specifiers and
    /// `require`d names), in order of appearance.
    pub imports: Vec<String>,
    /// Lines (1-based) with syntax errors; empty when the code parsed cleanly.
    pub syntax_error_lines: Vec<u32>,
    /// What could be better, in plain words.
    pub suggestions: Vec<String>,
    /// Whether this answer came from the analyzer's cache.
    pub cached: bool,
}

/// How the analyzer pool is sized and how long it remembers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AnalyzerConfig {
    /// Analyzer actors (at least 1). Default: 2.
    pub actors: usize,
    /// Answers each actor caches. Default: 256.
    pub cache_entries_max: usize,
    /// How long a cached answer is served. Default: 5 minutes.
    pub cache_ttl: Duration,
    /// Code longer than this is analyzed but not cached. Default: 64 KiB.
    pub cached_code_len_max_bytes: usize,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            actors: 2,
            cache_entries_max: 256,
            cache_ttl: Duration::from_mins(5),
            cached_code_len_max_bytes: 64 * 1024,
        }
    }
}

/// Analyzes `code` as `language` (uncached). The entry point of the actors, public for tests
/// and for callers that want the analysis without a server.
///
/// # Panics
/// Never: the grammars are compatible with the tree-sitter library they are built with.
#[must_use]
pub fn analyze(code: &str, language: Language) -> Analysis {
    let mut parser = tree_sitter::Parser::new();
    analyze_with(&mut parser, code, language)
}

fn analyze_with(parser: &mut tree_sitter::Parser, code: &str, language: Language) -> Analysis {
    parser
        .set_language(&rules::grammar(language))
        .expect("the grammar matches the tree-sitter library");
    // `parse` returns None only without a language or after a cancellation flag or timeout,
    // neither of which is set here.
    let tree = parser
        .parse(code, None)
        .expect("a parser with a language parses");
    rules::measure(&tree, code.as_bytes(), language)
}

/// One analyzer of the pool: a parser and a cache, owned by one actor.
pub struct AnalyzerActor {
    parser: tree_sitter::Parser,
    cache: LruTtl<(Language, String), Analysis>,
    config: AnalyzerConfig,
}

impl std::fmt::Debug for AnalyzerActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyzerActor")
            .field("cached", &self.cache.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AnalyzerActor {
    /// An analyzer with an empty cache.
    #[must_use]
    pub fn new(config: AnalyzerConfig) -> Self {
        Self {
            parser: tree_sitter::Parser::new(),
            cache: LruTtl::new(config.cache_entries_max, config.cache_ttl),
            config,
        }
    }

    fn answer(&mut self, args: AnalyzeArgs, now: Instant) -> Analysis {
        let key = (args.language, args.code);
        if let Some(hit) = self.cache.get(&key, now) {
            return Analysis {
                cached: true,
                ..hit.clone()
            };
        }
        let analysis = analyze_with(&mut self.parser, &key.1, key.0);
        if key.1.len() <= self.config.cached_code_len_max_bytes {
            self.cache.insert(key, analysis.clone(), now);
        }
        analysis
    }
}

impl Actor for AnalyzerActor {
    type Msg = ToolCall<AnalyzeArgs, Analysis>;
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        // Periodic eviction: expired answers are never served, but they hold memory until swept.
        let every = (self.config.cache_ttl / 2).max(Duration::from_millis(10));
        ctx.after(every);
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, call: Self::Msg) -> Result<(), Self::Error> {
        if call.context.is_cancelled() {
            return Ok(()); // cancelled while queued: the response is settled already
        }
        let analysis = self.answer(call.arguments, Instant::now());
        call.responder.ok(analysis);
        Ok(())
    }

    fn after(&mut self, _ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        let evicted = self.cache.evict_expired(Instant::now());
        if evicted > 0 {
            tracing::debug!(evicted, "analyzer cache sweep");
        }
        Ok(())
    }
}

/// `analyze`: spawns `config.actors` analyzer actors on `runtime`, supervised (see
/// [`ActorPool`]), and returns the tool that routes calls to them, with their supervisor (for
/// the `supervision_tree` tool).
///
/// # Errors
/// [`BridgeError::InvalidTool`] when the pool's supervisor cannot start (the runtime is
/// shutting down); otherwise [`Tool::new`]'s, never in practice.
pub fn analyze_tool(
    runtime: &Runtime,
    config: &AnalyzerConfig,
) -> Result<(Tool, SupervisorRef), BridgeError> {
    let hasher = std::hash::RandomState::new();
    let member_config = config.clone();
    let pool = ActorPool::spawn(
        runtime,
        "analyze",
        config.actors,
        move || AnalyzerActor::new(member_config.clone()),
        move |args: &AnalyzeArgs| hasher.hash_one((args.language, args.code.as_str())),
    )
    .map_err(|error| BridgeError::InvalidTool {
        name: "analyze".to_owned(),
        reason: format!("its supervised pool did not start: {error}"),
    })?;
    let supervisor = pool.supervisor().clone();
    let tool = Tool::new(
        "analyze",
        "Analyzes a snippet of Rust, Python or JavaScript with tree-sitter: cyclomatic \
         complexity, deepest nesting, functions, imports, syntax errors and suggestions.",
        pool,
    )?;
    Ok((tool.with_title("Code analyzer").read_only(), supervisor))
}
