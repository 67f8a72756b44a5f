//! The tools `courier mcp` serves: `echo`, `topology`, `runtime_stats` and
//! `supervision_tree` (and `analyze`, in [`crate::analyze`]).

use std::sync::Arc;

use courier_sched::{
    Actor, ActorRef, Config, Context, DistanceSource, Placement, RuntimeMetrics, StealTier,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use courier_supervisor::{ChildKind, SupervisionTree, SupervisorRef};

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
    /// Pool memory per NUMA node: messages, and actor cells.
    pub nodes: Vec<NodeMemoryStats>,
}

/// One node's pool memory (messages, and actor cells) in [`RuntimeStats`].
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct NodeMemoryStats {
    /// The node.
    pub node: u16,
    /// Whether its pools are bound to it (mbind); otherwise their memory is bound to no node.
    pub bound: bool,
    /// Bytes of slab memory mapped.
    pub bytes_mapped: u64,
    /// The cap (`pool_size_per_node`), if any.
    pub bytes_max: Option<u64>,
    /// Bytes of slab memory mapped for the cells of actors homed on it, whoever spawned them
    /// (not under the cap).
    pub cell_bytes_mapped: u64,
    /// Huge messages sent to actors homed on it, each in a mapping of its own
    /// (`memory.huge_payload_threshold`).
    pub huge_messages_mapped: u64,
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
    /// Trims of its pools while parked (`memory.trim_after_idle_ms`).
    pub trims: u64,
    /// Bytes those trims gave back to the kernel.
    pub bytes_trimmed: u64,
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
                    trims: w.trims,
                    bytes_trimmed: w.bytes_trimmed,
                })
                .collect(),
            actors_spawned: metrics.actors_spawned,
            actors_exited: metrics.actors_exited,
            actors_panicked: metrics.actors_panicked,
            dead_letters: metrics.dead_letters,
            nodes: metrics
                .nodes
                .iter()
                .map(|n| NodeMemoryStats {
                    node: n.node.0,
                    bound: n.bound,
                    bytes_mapped: u64::try_from(n.bytes_mapped).unwrap_or(u64::MAX),
                    bytes_max: n
                        .bytes_max
                        .map(|max| u64::try_from(max).unwrap_or(u64::MAX)),
                    cell_bytes_mapped: u64::try_from(n.cell_bytes_mapped).unwrap_or(u64::MAX),
                    huge_messages_mapped: n.huge_messages_mapped,
                })
                .collect(),
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

/// `supervision_tree` takes no arguments.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisionTreeArgs {}

/// The supervision trees of the server's supervised actors, as `supervision_tree` returns them.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SupervisionTreeReport {
    /// One tree per root supervisor.
    pub supervisors: Vec<SupervisorReport>,
    /// The same trees, printed as indented text.
    pub text: String,
}

/// A supervisor and its children.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SupervisorReport {
    /// Its id (a child id, or the root's name).
    pub id: String,
    /// Its actor id, once started.
    pub actor: Option<u64>,
    /// `one_for_one`, `one_for_all`, `rest_for_one` or `dynamic`.
    pub strategy: String,
    /// The most restarts within `window_secs` before it gives up.
    pub restarts_max: u32,
    /// The restart-intensity window, in seconds.
    pub window_secs: f64,
    /// `running`, `restarting` or `stopped`.
    pub status: String,
    /// Its children, in start order.
    pub children: Vec<ChildReport>,
}

/// One child of a supervisor.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChildReport {
    /// Its id.
    pub id: String,
    /// Its actor id (stable across restarts in place).
    pub actor: Option<u64>,
    /// `worker` or `supervisor`.
    pub kind: String,
    /// `permanent`, `transient` or `temporary`.
    pub restart: String,
    /// `running`, `restarting` or `stopped`.
    pub status: String,
    /// How many times it was restarted.
    pub restarts: u64,
    /// A child supervisor's own tree.
    pub supervisor: Option<Box<SupervisorReport>>,
}

fn supervisor_report(tree: &SupervisionTree) -> SupervisorReport {
    SupervisorReport {
        id: tree.id.to_string(),
        actor: tree.actor.map(|actor| actor.0),
        strategy: tree.strategy.to_string(),
        restarts_max: tree.restarts_max,
        window_secs: tree.window.as_secs_f64(),
        status: tree.status.to_string(),
        children: tree
            .children
            .iter()
            .map(|child| ChildReport {
                id: child.id.to_string(),
                actor: child.actor.map(|actor| actor.0),
                kind: match child.kind {
                    ChildKind::Worker => "worker",
                    ChildKind::Supervisor => "supervisor",
                }
                .to_owned(),
                restart: child.restart.to_string(),
                status: child.status.to_string(),
                restarts: child.restarts,
                supervisor: child
                    .tree
                    .as_ref()
                    .map(|tree| Box::new(supervisor_report(tree))),
            })
            .collect(),
    }
}

/// `supervision_tree`: the live supervision trees of `supervisors` (the server's supervised
/// tool actors): ids, actor ids, strategies, restart counts and statuses, as structured data
/// and as text. It reads what the supervisors publish, so it answers at once, on the reader
/// thread, without a message round trip.
///
/// # Errors
/// Never in practice (the definition is valid); the `Result` is [`Tool::new`]'s.
pub fn supervision_tree_tool(supervisors: Vec<SupervisorRef>) -> Result<Tool, BridgeError> {
    let tool = Tool::new(
        "supervision_tree",
        "The live supervision trees of the server's supervised actors: each supervisor's \
         strategy and restart intensity, each child's actor id, restart type, status and \
         restart count.",
        inline(move |_: SupervisionTreeArgs, _context| {
            let trees: Vec<SupervisionTree> = supervisors.iter().map(SupervisorRef::tree).collect();
            Ok::<_, ToolError>(SupervisionTreeReport {
                supervisors: trees.iter().map(supervisor_report).collect(),
                text: trees.iter().map(ToString::to_string).collect(),
            })
        }),
    )?;
    Ok(tool.with_title("Supervision trees").read_only())
}
