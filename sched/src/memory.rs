//! Where a runtime's messages live: each node's pool memory and its budget.
//!
//! Every worker owns a `PoolSet` (courier-alloc) on its home node. The workers of one node share
//! that node's [`NodeBudget`], so the NUMA config file's `pool_size_per_node` (and its per-node
//! overrides) caps the slab memory of the node as a whole: past it, a send gets
//! `SendError::NoMemory` with its message back, never an abort. The memory itself is bound to
//! the node (mmap + mbind, transparent huge pages, pre-faulted: courier-alloc's `BoundMemory`)
//! when the runtime runs pinned on this machine's real topology, and comes from the heap
//! otherwise: binding to the nodes of a synthetic topology would bind to nodes this machine
//! does not have.

use std::collections::BTreeMap;
use std::sync::Arc;

use courier_alloc::{
    BoundMemory, NodeBudget, NodeId, NodeMemory, PoolConfig, PoolSet, UnboundMemory,
};

/// The mapping that tries binding to a node before a runtime relies on it.
const PROBE_BYTES: usize = 64 << 10;

/// How a runtime's message pools get their memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolMemory {
    /// Bind each node's pools to that node (mmap + mbind, huge pages, pre-faulted), instead of
    /// taking heap memory. Default: off (`Runtime::from_config` turns it on when pinned on
    /// this machine's real topology).
    pub bind: bool,
    /// The most bytes of slab memory a node's pools may map; `None`: no cap. Default: none.
    pub cap_per_node: Option<usize>,
    /// Per-node overrides of `cap_per_node`, by node number.
    pub cap_by_node: BTreeMap<u16, usize>,
}

impl PoolMemory {
    /// The cap of `node`.
    #[must_use]
    pub fn cap(&self, node: u16) -> Option<usize> {
        self.cap_by_node.get(&node).copied().or(self.cap_per_node)
    }
}

/// A node's pool memory as it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeMemoryMetrics {
    /// The node.
    pub node: NodeId,
    /// Whether its pools are bound to it (else they come from the heap).
    pub bound: bool,
    /// Bytes of slab memory its pools have mapped.
    pub bytes_mapped: usize,
    /// Its cap, if any.
    pub bytes_max: Option<usize>,
}

/// The memory source and the budgets of every node of a runtime.
pub(crate) struct NodePools {
    memory: Arc<dyn NodeMemory>,
    bound: bool,
    budgets: Box<[Arc<NodeBudget>]>,
}

impl NodePools {
    /// Budgets for nodes `0..nodes_len`.
    ///
    /// Binding is tried once per node first (a small mapping, bound and dropped): where the
    /// kernel refuses (no NUMA support, a policy forbidding it), the runtime says so on stderr
    /// and takes heap memory, rather than start with pools that can never grow.
    pub(crate) fn new(plan: &PoolMemory, nodes_len: usize) -> NodePools {
        let probe = |memory: &BoundMemory| {
            (0..nodes_len).try_for_each(|index| {
                let node = NodeId(u16::try_from(index).unwrap_or(u16::MAX));
                memory.map(node, PROBE_BYTES, PROBE_BYTES).map(drop)
            })
        };
        let bound = BoundMemory {
            huge_pages: true,
            populate: true,
        };
        let (memory, bound): (Arc<dyn NodeMemory>, bool) = match plan.bind.then(|| probe(&bound)) {
            Some(Ok(())) => (Arc::new(bound), true),
            Some(Err(error)) => {
                eprintln!(
                    "courier: message pools not bound to their nodes ({error}); using heap memory"
                );
                (Arc::new(UnboundMemory), false)
            }
            None => (Arc::new(UnboundMemory), false),
        };
        let budgets = (0..nodes_len)
            .map(|index| {
                let node = u16::try_from(index).unwrap_or(u16::MAX);
                Arc::new(match plan.cap(node) {
                    Some(bytes_max) => NodeBudget::capped(NodeId(node), bytes_max),
                    None => NodeBudget::unlimited(NodeId(node)),
                })
            })
            .collect();
        NodePools {
            memory,
            bound,
            budgets,
        }
    }

    /// A worker's pools on `node`, under the node's budget.
    pub(crate) fn pool_set(&self, node: u16) -> PoolSet {
        let budget = &self.budgets[usize::from(node).min(self.budgets.len() - 1)];
        PoolSet::new(PoolConfig::default(), &self.memory, budget)
    }

    pub(crate) fn metrics(&self) -> Vec<NodeMemoryMetrics> {
        self.budgets
            .iter()
            .map(|budget| NodeMemoryMetrics {
                node: budget.node(),
                bound: self.bound,
                bytes_mapped: budget.bytes_mapped(),
                bytes_max: budget.bytes_max(),
            })
            .collect()
    }
}
