//! The tools `courier mcp` serves: `echo` and `topology`.

use std::sync::Arc;

use courier_sched::{Config, DistanceSource, Placement, StealTier};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::call::ToolError;
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
