//! The tools `courier mcp` serves: `echo`, `topology` and `runtime_stats` (and `analyze`, in
//! [`crate::analyze`]).

use std::sync::Arc;

use courier_sched::{
    Actor, ActorRef, Config, Context, DistanceSource, Placement, RuntimeMetrics, StealTier,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ActorTool;
use crate::call::{ToolCall, ToolError};
use crate::error::BridgeError;
use crate::pool::WorkerPool;
use crate::tool::{Tool, blocking, inline};

/// The arguments and the result of `echo`: the result is the input, unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    /// The text to send back.
    pub message: String,
}

/// `echo`: returns its input. It answers on the reader thread, so it measures the protocol
/// engine's own latency.
///
/// # Errors
/// Never in practice (the definition is valid); the `Result` is [`Tool::new`]'s.
pub fn echo_tool() -> Result<Tool, BridgeError> {
    let tool = Tool::new(
        "echo",
        "Returns its input unchanged; for checking the connection and measuring latency.",
        inline(|echo: Echo, _context| Ok::<_, ToolError>(echo)),
    )?;
    Ok(tool.with_title("Echo").read_only())
}

/// `topology` takes no arguments.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopologyArgs {}

/// The placement plan, as `topology` returns it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TopologyReport {
    /// Where the machine model comes from: `hwloc`, or the synthetic description or XML file.
    pub source: String,
    /// Whether the topology is the machine the server runs on.
    pub this_machine: bool,
    /// Whether worker threads are bound to their CPUs.
    pub pin: bool,
    /// How remote nodes are ordered: `matrix` (the NUMA distance matrix) or `hierarchy`.
    pub distances: String,
    /// Every worker, by id.
    pub workers: Vec<WorkerReport>,
    /// Every NUMA node with workers.
    pub nodes: Vec<NodeReport>,
    /// The plan as `courier topology` prints it.
    pub text: String,
}

/// One worker of [`TopologyReport`].
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct WorkerReport {
    /// The worker's id.
    pub worker: u16,
    /// Its PU (virtual in a synthetic or XML topology).
    pub pu: u16,
    /// The CPU of this machine its thread runs on.
    pub cpu: u16,
    /// Its core.
    pub core: u16,
    /// Its L3 cache, if the topology has them.
    pub l3: Option<u16>,
    /// Its home NUMA node.
    pub node: u16,
    /// Where it looks for work, nearest first.
    pub steal_order: Vec<StealTierReport>,
}

/// One tier of a steal order.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct StealTierReport {
    /// `shared_l3`, `same_node`, `node_injector` or `remote_node`.
    pub tier: String,
    /// The node, for `node_injector` and `remote_node`.
    pub node: Option<u16>,
    /// The distance, for `remote_node`.
    pub distance: Option<u64>,
    /// The workers of the tier, by id (empty for `node_injector`).
    pub workers: Vec<u16>,
}

/// One node of [`TopologyReport`].
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct NodeReport {
    /// The node.
    pub node: u16,
    /// Its workers.
    pub workers: Vec<u16>,
    /// How many of them spin before parking.
    pub spinners: u16,
}

impl TopologyReport {
    /// The report of `placement`.
    #[must_use]
    pub fn of(placement: &Placement) -> Self {
        let workers = placement
            .workers()
            .iter()
            .map(|plan| WorkerReport {
                worker: plan.worker.0,
                pu: plan.pu.0,
                cpu: plan.cpu.0,
                core: plan.core.0,
                l3: plan.l3.map(|l3| l3.0),
                node: plan.node.0,
                steal_order: plan.steal_order.tiers().iter().map(tier_report).collect(),
            })
            .collect();
        let nodes = placement
            .nodes()
            .iter()
            .map(|node| NodeReport {
                node: node.node.0,
                workers: node.workers.iter().map(|worker| worker.0).collect(),
                spinners: node.spinners,
            })
            .collect();
        Self {
            source: placement.source().to_string(),
            this_machine: placement.is_this_system(),
            pin: placement.pin(),
            distances: match placement.distance_source() {
                DistanceSource::Matrix { .. } => "matrix",
                DistanceSource::Hierarchy => "hierarchy",
            }
            .to_owned(),
            workers,
            nodes,
            text: placement.to_string(),
        }
    }
}

fn tier_report(tier: &StealTier) -> StealTierReport {
    let ids = |workers: &[courier_sched::WorkerId]| workers.iter().map(|worker| worker.0).collect();
    let (name, node, distance, workers) = match tier {
        StealTier::SharedL3 { workers } => ("shared_l3", None, None, ids(workers)),
        StealTier::SameNode { workers } => ("same_node", None, None, ids(workers)),
        StealTier::NodeInjector { node } => ("node_injector", Some(node.0), None, Vec::new()),
        StealTier::RemoteNode {
            node,
            distance,
            workers,
        } => ("remote_node", Some(node.0), Some(*distance), ids(workers)),
    };
    StealTierReport {
        tier: name.to_owned(),
        node,
        distance,
        workers,
    }
}

/// `topology`: the placement plan for `config` (this machine with the defaults, or the topology
/// and workers a NUMA config file names). It loads the topology on a pool thread.
///
/// # Errors
/// Never in practice (the definition is valid); the `Result` is [`Tool::new`]'s.
pub fn topology_tool(config: Arc<Config>, pool: &WorkerPool) -> Result<Tool, BridgeError> {
    let tool = Tool::new(
        "topology",
        "The placement plan of the Courier runtime: each worker's PU, CPU, core, L3 cache, home \
         NUMA node and steal order, and each node's workers, for this machine or the topology \
         of the server's NUMA config file.",
        blocking(pool, move |_: TopologyArgs, _context| {
            let topology = config
                .load_topology()
                .map_err(|error| ToolError::new(error.to_string()))?;
            let placement = config
                .plan(&topology)
                .map_err(|error| ToolError::new(error.to_string()))?;
            Ok(TopologyReport::of(&placement))
        }),
    )?;
    Ok(tool.with_title("Placement plan").read_only())
}

/// `runtime_stats` takes no arguments.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimeStatsArgs {}

/// The runtime's counters, as `runtime_stats` returns them.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RuntimeStats {
    /// Per worker, by id.
    pub workers: Vec<WorkerStats>,
    /// Actors spawned so far.
    pub actors_spawned: u64,
    /// Actors that exited so far.
    pub actors_exited: u64,
    /// Of those, the ones whose handler panicked.
    pub actors_panicked: u64,
    /// Messages never handled (queued to an actor that exited).
    pub dead_letters: u64,
}

/// One worker of [`RuntimeStats`].
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct WorkerStats {
    /// The worker's id.
    pub worker: u16,
    /// Actor turns run.
    pub runs: u64,
    /// Messages handled.
    pub messages: u64,
    /// Successful steals.
    pub steals: u64,
    /// Times parked.
    pub parks: u64,
    /// Spin rounds before parking.
    pub spins: u64,
}

impl From<RuntimeMetrics> for RuntimeStats {
    fn from(metrics: RuntimeMetrics) -> Self {
        RuntimeStats {
            workers: metrics
                .workers
                .iter()
                .map(|w| WorkerStats {
                    worker: w.worker.0,
                    runs: w.runs,
                    messages: w.messages,
                    steals: w.steals,
                    parks: w.parks,
                    spins: w.spins,
                })
                .collect(),
            actors_spawned: metrics.actors_spawned,
            actors_exited: metrics.actors_exited,
            actors_panicked: metrics.actors_panicked,
            dead_letters: metrics.dead_letters,
        }
    }
}

/// The actor behind `runtime_stats`: it reads the counters of the runtime it runs on.
#[derive(Debug, Default)]
pub struct RuntimeStatsActor;

impl Actor for RuntimeStatsActor {
    type Msg = ToolCall<RuntimeStatsArgs, RuntimeStats>;
    type Error = std::convert::Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, call: Self::Msg) -> Result<(), Self::Error> {
        call.responder.ok(RuntimeStats::from(ctx.runtime_metrics()));
        Ok(())
    }
}

/// `runtime_stats`: the counters of the runtime that serves it, answered by an actor of that
/// runtime (`tools/call` becomes a message to `actor`).
///
/// # Errors
/// Never in practice (the definition is valid); the `Result` is [`Tool::new`]'s.
pub fn runtime_stats_tool(
    actor: ActorRef<<RuntimeStatsActor as Actor>::Msg>,
) -> Result<Tool, BridgeError> {
    let tool = Tool::new(
        "runtime_stats",
        "Counters of the Courier runtime serving this server: per worker the turns run, \
         messages handled, steals, parks and spins; actors spawned, exited and panicked; dead \
         letters.",
        ActorTool::new(actor),
    )?;
    Ok(tool.with_title("Runtime statistics").read_only())
}
