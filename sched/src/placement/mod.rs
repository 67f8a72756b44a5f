//! The placement plan: which worker runs on which PU (and so which CPU), which NUMA node is each
//! worker's home, and the order in which an idle worker looks for work.
//!
//! [`Placement::plan`] is pure: it reads a [`Topology`] and [`WorkerSettings`] and touches
//! nothing. Binding the threads is a separate step ([`Binder`](crate::Binder)).

mod report;
mod select;
mod steal;
#[cfg(test)]
mod tests;

use std::fmt;

use courier_alloc::NodeId;

pub use steal::{StealOrder, StealTier, Victim};

use crate::{CoreId, CpuId, DistanceSource, L3Id, PuId, Topology, TopologySource, WorkerId};

/// How many workers to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerCount {
    /// One worker per PU.
    All,
    /// This many workers, spread evenly over the NUMA nodes that have PUs.
    Total(u16),
    /// This many workers on every NUMA node that has PUs.
    PerNode(u16),
}

impl fmt::Display for WorkerCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("all (one per PU)"),
            Self::Total(count) => write!(f, "{count}"),
            Self::PerNode(count) => write!(f, "{count} per node"),
        }
    }
}

/// The part of the config that placement reads (the `[workers]` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerSettings {
    /// How many workers. Default: [`WorkerCount::All`].
    pub count: WorkerCount,
    /// Whether more workers than PUs (on the machine, or on a node) are allowed; they then share
    /// PUs round-robin. Default: `false`.
    pub oversubscribe: bool,
    /// Whether worker threads are bound to their CPU. Default: `true`.
    pub pin: bool,
    /// How many workers of each node spin (search for work) before parking. Default: 1.
    pub spinners_per_node: u16,
    /// The most actors one steal takes from a victim. Default: 32. Placement does not use it;
    /// the workers do.
    pub steal_batch_max: u16,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            count: WorkerCount::All,
            oversubscribe: false,
            pin: true,
            spinners_per_node: 1,
            steal_batch_max: 32,
        }
    }
}

/// How the PUs of the plan map onto the CPUs of the running machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CpuMapping {
    /// The topology is this machine: each PU is its own CPU.
    Identity,
    /// The topology is not this machine: PU `i` runs on host CPU `i mod host_cpus`.
    Modulo {
        /// PUs in the (virtual) topology.
        virtual_pus: u16,
        /// CPUs of the running machine that they share.
        host_cpus: u16,
    },
}

/// One worker's place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerPlan {
    /// The worker.
    pub worker: WorkerId,
    /// The PU it is placed on (virtual in a synthetic or XML topology).
    pub pu: PuId,
    /// The CPU of the running machine its thread runs on (and is bound to, when pinning).
    pub cpu: CpuId,
    /// The core of its PU.
    pub core: CoreId,
    /// The L3 cache of its PU, if the topology has L3 caches.
    pub l3: Option<L3Id>,
    /// Its home NUMA node: where the actors it spawns and its pools live.
    pub node: NodeId,
    /// Where it looks for work when its own queue is empty.
    pub steal_order: StealOrder,
}

/// One NUMA node's share of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePlan {
    /// The node.
    pub node: NodeId,
    /// Its workers, in increasing id (consecutive ids).
    pub workers: Vec<WorkerId>,
    /// How many of them spin before parking.
    pub spinners: u16,
}

/// The placement plan: every worker's PU, CPU, home node and steal order, and each node's
/// workers. Made by [`Placement::plan`]; bound by [`Binder`](crate::Binder).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    source: TopologySource,
    is_this_system: bool,
    mapping: CpuMapping,
    distance_source: DistanceSource,
    settings: WorkerSettings,
    workers: Vec<WorkerPlan>,
    nodes: Vec<NodePlan>,
}

impl Placement {
    /// Plans the workers of `settings` onto `topology`.
    ///
    /// Workers are spread evenly over the nodes that have PUs; within a node they take one PU
    /// per core before any second hardware thread, in logical order. Worker ids go node by node,
    /// then by PU.
    ///
    /// ```
    /// use courier_sched::{Placement, Topology, WorkerSettings, WorkerId};
    /// let topology = Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1")?;
    /// let placement = Placement::plan(&topology, &WorkerSettings::default())?;
    /// assert_eq!(placement.workers().len(), 8);
    /// assert_eq!(placement.worker(WorkerId(5)).node.0, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`PlanError`] when the settings ask for more than the topology has (and oversubscription
    /// is off), for no workers, or for more spinners than a node has workers.
    pub fn plan(topology: &Topology, settings: &WorkerSettings) -> Result<Self, PlanError> {
        let chosen = select::choose_pus(topology, settings)?;
        let mut nodes: Vec<NodePlan> = Vec::new();
        let mut workers = Vec::with_capacity(chosen.len());
        for (index, &pu) in chosen.iter().enumerate() {
            let worker = WorkerId(u16::try_from(index).map_err(|_| PlanError::TooManyWorkers {
                requested: u32::try_from(chosen.len()).unwrap_or(u32::MAX),
                available: u32::from(u16::MAX),
            })?);
            let pu = topology.pus()[pu.index()];
            match nodes.last_mut() {
                Some(plan) if plan.node == pu.node => plan.workers.push(worker),
                _ => nodes.push(NodePlan {
                    node: pu.node,
                    workers: vec![worker],
                    spinners: 0,
                }),
            }
            workers.push(WorkerPlan {
                worker,
                pu: pu.id,
                cpu: topology.cpu_for(pu.id),
                core: pu.core,
                l3: pu.l3,
                node: pu.node,
                steal_order: StealOrder::default(),
            });
        }
        for plan in &mut nodes {
            let count = u16::try_from(plan.workers.len()).unwrap_or(u16::MAX);
            if settings.spinners_per_node > count {
                return Err(PlanError::TooManySpinners {
                    node: plan.node,
                    spinners: settings.spinners_per_node,
                    workers: count,
                });
            }
            plan.spinners = settings.spinners_per_node;
        }
        steal::fill_steal_orders(topology, &mut workers, &nodes);
        Ok(Self {
            source: topology.source().clone(),
            is_this_system: topology.is_this_system(),
            mapping: mapping_of(topology),
            distance_source: topology.distances().map_or(DistanceSource::Hierarchy, |m| {
                DistanceSource::Matrix {
                    name: m.name().map(str::to_owned),
                }
            }),
            settings: *settings,
            workers,
            nodes,
        })
    }

    /// Every worker, by id (`workers()[i].worker == WorkerId(i)`).
    #[must_use]
    pub fn workers(&self) -> &[WorkerPlan] {
        &self.workers
    }

    /// One worker's place.
    ///
    /// # Panics
    /// If the plan has no such worker.
    #[must_use]
    pub fn worker(&self, worker: WorkerId) -> &WorkerPlan {
        &self.workers[worker.index()]
    }

    /// The nodes that have workers, in increasing id.
    #[must_use]
    pub fn nodes(&self) -> &[NodePlan] {
        &self.nodes
    }

    /// The other nodes with workers, nearest to `node` first: as `node`'s first worker steals
    /// from them (the hwloc distance, else the hierarchy; ties by node id). Empty for a node
    /// without workers. A runtime wakes a sleeper of the first of them that has one for work
    /// on a node whose workers are all busy.
    #[must_use]
    pub fn nearest_nodes(&self, node: NodeId) -> Vec<NodeId> {
        self.node(node)
            .and_then(|plan| plan.workers.first())
            .map(|first| self.worker(*first).steal_order.remote_nodes().collect())
            .unwrap_or_default()
    }

    /// The plan of one node, if it has workers.
    #[must_use]
    pub fn node(&self, node: NodeId) -> Option<&NodePlan> {
        self.nodes.iter().find(|plan| plan.node == node)
    }

    /// Where the topology came from.
    #[must_use]
    pub fn source(&self) -> &TopologySource {
        &self.source
    }

    /// Whether the topology is the running machine (so binding is real).
    #[must_use]
    pub fn is_this_system(&self) -> bool {
        self.is_this_system
    }

    /// How PUs map onto the running machine's CPUs.
    #[must_use]
    pub fn cpu_mapping(&self) -> &CpuMapping {
        &self.mapping
    }

    /// What orders the remote nodes in the steal orders.
    #[must_use]
    pub fn distance_source(&self) -> &DistanceSource {
        &self.distance_source
    }

    /// Whether worker threads are to be bound to their CPU.
    #[must_use]
    pub fn pin(&self) -> bool {
        self.settings.pin
    }

    /// The settings the plan was made from.
    #[must_use]
    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }
}

fn mapping_of(topology: &Topology) -> CpuMapping {
    if topology.is_this_system() {
        CpuMapping::Identity
    } else {
        CpuMapping::Modulo {
            virtual_pus: u16::try_from(topology.pus().len()).unwrap_or(u16::MAX),
            host_cpus: u16::try_from(topology.host_cpus().len()).unwrap_or(u16::MAX),
        }
    }
}

/// Why the settings do not fit the topology.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanError {
    /// A worker count of zero.
    NoWorkers,
    /// More workers than PUs, without `oversubscribe`.
    TooManyWorkers {
        /// Workers asked for.
        requested: u32,
        /// PUs the process may use.
        available: u32,
    },
    /// More workers per node than a node has PUs, without `oversubscribe`.
    TooManyPerNode {
        /// The smallest node.
        node: NodeId,
        /// Workers asked for per node.
        requested: u16,
        /// PUs of that node.
        available: u16,
    },
    /// More spinning workers per node than a node has workers.
    TooManySpinners {
        /// The node.
        node: NodeId,
        /// Spinners asked for per node.
        spinners: u16,
        /// Workers on that node.
        workers: u16,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoWorkers => f.write_str("at least one worker is needed"),
            Self::TooManyWorkers {
                requested,
                available,
            } => write!(
                f,
                "{requested} workers but only {available} PUs (set workers.oversubscribe = true \
                 to share PUs)"
            ),
            Self::TooManyPerNode {
                node,
                requested,
                available,
            } => write!(
                f,
                "{requested} workers per node but {node} has only {available} PUs (set \
                 workers.oversubscribe = true to share PUs)"
            ),
            Self::TooManySpinners {
                node,
                spinners,
                workers,
            } => write!(
                f,
                "{spinners} spinning workers per node but {node} has only {workers} workers"
            ),
        }
    }
}

impl std::error::Error for PlanError {}
