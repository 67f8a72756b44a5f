//! Steal order: where an idle worker looks for work, nearest first (`research/lowlevel.md` §6.2).
//!
//! 1. the other workers of its node that share its L3 cache;
//! 2. the rest of its node's workers;
//! 3. its node's injector (external and cross-node sends land there);
//! 4. the other nodes' workers, one node at a time, in increasing distance: the hwloc distance
//!    matrix when the topology has one, else the hierarchy (nodes under the same package before
//!    nodes under another). Ties go to the nearer node by hierarchy, then to the lower node id.
//!
//! Within a tier the workers are listed by id; the scheduler picks a random start in each tier
//! so that idle workers do not all hit the same victim.

use courier_alloc::NodeId;

use super::{NodePlan, WorkerPlan};
use crate::{L3Id, Topology, WorkerId};

/// One level of a steal order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StealTier {
    /// Workers of the same node under the same L3 cache (never empty when present).
    SharedL3 {
        /// The workers, by id.
        workers: Vec<WorkerId>,
    },
    /// The other workers of the same node (never empty when present).
    SameNode {
        /// The workers, by id.
        workers: Vec<WorkerId>,
    },
    /// The worker's own node's injector: always present, after the node's workers.
    NodeInjector {
        /// The worker's home node.
        node: NodeId,
    },
    /// The workers of another node.
    RemoteNode {
        /// That node.
        node: NodeId,
        /// Its distance from the worker's node: the matrix value, or hierarchy levels to the
        /// first shared ancestor when there is no matrix (see
        /// [`Placement::distance_source`](crate::Placement::distance_source)).
        distance: u64,
        /// Its workers, by id.
        workers: Vec<WorkerId>,
    },
}

/// A place to look for work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Victim {
    /// Another worker's queue.
    Worker(WorkerId),
    /// A node's injector.
    Injector(NodeId),
}

/// A worker's steal order, nearest first: the workers of its node under its L3 cache, the rest of
/// its node, its node's injector, then each other node's workers in increasing distance (the
/// hwloc matrix when there is one, else the hierarchy; ties by hierarchy, then node id). Within
/// a tier workers are listed by id; the scheduler picks a random start in each tier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StealOrder {
    tiers: Vec<StealTier>,
}

impl StealOrder {
    /// The tiers, nearest first.
    #[must_use]
    pub fn tiers(&self) -> &[StealTier] {
        &self.tiers
    }

    /// Every victim in order, tier after tier.
    pub fn victims(&self) -> impl Iterator<Item = Victim> + '_ {
        self.tiers.iter().flat_map(|tier| {
            let (workers, injector) = match tier {
                StealTier::SharedL3 { workers }
                | StealTier::SameNode { workers }
                | StealTier::RemoteNode { workers, .. } => (workers.as_slice(), None),
                StealTier::NodeInjector { node } => (&[][..], Some(Victim::Injector(*node))),
            };
            workers.iter().copied().map(Victim::Worker).chain(injector)
        })
    }

    /// The other nodes in the order this worker steals from them.
    pub fn remote_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.tiers.iter().filter_map(|tier| match tier {
            StealTier::RemoteNode { node, .. } => Some(*node),
            _ => None,
        })
    }
}

/// A worker, its home node and its L3 cache.
type Place = (WorkerId, NodeId, Option<L3Id>);

/// Computes every worker's steal order.
pub(super) fn fill_steal_orders(
    topology: &Topology,
    workers: &mut [WorkerPlan],
    nodes: &[NodePlan],
) {
    let places: Vec<Place> = workers.iter().map(|w| (w.worker, w.node, w.l3)).collect();
    for plan in workers.iter_mut() {
        let (me, node, l3) = (plan.worker, plan.node, plan.l3);
        let local = places
            .iter()
            .filter(|&&(other, n, _)| other != me && n == node);
        let (shared_l3, same_node): (Vec<&Place>, Vec<&Place>) =
            local.partition(|&&(_, _, other_l3)| l3.is_some() && other_l3 == l3);
        let mut tiers = Vec::new();
        if !shared_l3.is_empty() {
            tiers.push(StealTier::SharedL3 {
                workers: shared_l3.iter().map(|p| p.0).collect(),
            });
        }
        if !same_node.is_empty() {
            tiers.push(StealTier::SameNode {
                workers: same_node.iter().map(|p| p.0).collect(),
            });
        }
        tiers.push(StealTier::NodeInjector { node });
        let mut remote: Vec<_> = nodes
            .iter()
            .filter(|other| other.node != node)
            .map(|other| {
                let distance = topology.node_distance(node, other.node).unwrap_or(u64::MAX);
                let hops = topology
                    .hierarchy_hops(node, other.node)
                    .unwrap_or(u16::MAX);
                (distance, hops, other)
            })
            .collect();
        remote.sort_by_key(|&(distance, hops, other)| (distance, hops, other.node));
        tiers.extend(
            remote
                .into_iter()
                .map(|(distance, _, other)| StealTier::RemoteNode {
                    node: other.node,
                    distance,
                    workers: other.workers.clone(),
                }),
        );
        plan.steal_order = StealOrder { tiers };
    }
}
