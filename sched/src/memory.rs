//! Where a runtime's messages and actor cells live: each node's pool memory and its budgets.
//!
//! Every worker owns a `PoolSet` (courier-alloc) on its home node. The workers of one node share
//! that node's [`NodeBudget`], so the NUMA config file's `pool_size_per_node` (and its per-node
//! overrides) caps the slab memory of the node as a whole: past it, a send gets
//! `SendError::NoMemory` with its message back, never an abort. The memory itself is bound to
//! the node (mmap + mbind, transparent huge pages, pre-faulted: courier-alloc's `BoundMemory`)
//! when the runtime runs pinned on this machine's real topology, and from anonymous mappings
//! bound to nothing otherwise (`AnonymousMemory`: resident only as blocks are carved): binding
//! to the nodes of a synthetic topology would bind to nodes this machine does not have.
//!
//! Actor cells come from pools on the same memory (`cell_memory.rs`: a worker's second
//! `PoolSet`, and the sets of threads that spawn for a node from elsewhere), under a cell budget
//! per node with no cap: `pool_size_per_node` is the operator's bound on message memory, and a
//! spawn has no error to return when a cap is reached.

use std::collections::BTreeMap;
use std::sync::Arc;

use courier_alloc::{
    AnonymousMemory, BoundMemory, HUGE_PAGE_BYTES, MapError, NodeBudget, NodeId, NodeMemory,
    PoolConfig, PoolSet, Region,
};

use crate::cell_memory::CELL_POOL_CONFIG;
use crate::sync::{StdAtomicU64, StdOrdering};

/// The alignment of a huge message's mapping below a huge page (and so the most a huge
/// message's type may ask for, `envelope::may_be_huge`).
pub(crate) const PAGE_BYTES: usize = 4096;
/// The mapping that tries binding to a node before a runtime relies on it.
const PROBE_BYTES: usize = 64 << 10;

/// How a runtime's message pools get their memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolMemory {
    /// Bind each node's pools to that node (mmap + mbind, huge pages, pre-faulted), instead of
    /// taking unbound memory. Default: off (`Runtime::from_config` turns it on when pinned on
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
    /// Whether its pools are bound to it (else their memory is bound to no node).
    pub bound: bool,
    /// Bytes of slab memory its pools have mapped.
    pub bytes_mapped: usize,
    /// Its cap, if any.
    pub bytes_max: Option<usize>,
    /// Bytes of slab memory mapped for the cells of actors homed on it, whoever spawned them
    /// (not under the cap).
    pub cell_bytes_mapped: usize,
    /// Huge messages sent to actors homed on it so far, each in a mapping of its own
    /// (`RuntimeSettings::huge_message_bytes`).
    pub huge_messages_mapped: u64,
}

/// A worker's pool sets (see the module doc).
pub(crate) struct WorkerPools {
    /// Message blocks (`envelope.rs`).
    pub(crate) messages: PoolSet,
    /// Actor cells (`cell_memory.rs`).
    pub(crate) cells: PoolSet,
}

/// The memory source and the budgets of every node of a runtime.
pub(crate) struct NodePools {
    memory: Arc<dyn NodeMemory>,
    bound: bool,
    budgets: Box<[Arc<NodeBudget>]>,
    /// The cell pools' budgets: no cap, only the count of what they mapped.
    cell_budgets: Box<[Arc<NodeBudget>]>,
    /// Per node: huge messages mapped for it (`map_huge_message`).
    huge_messages: Box<[StdAtomicU64]>,
}

impl NodePools {
    /// Budgets for nodes `0..nodes_len`.
    ///
    /// Binding is tried once per node first (a small mapping, bound and dropped): where the
    /// kernel refuses (no NUMA support, a policy forbidding it), the runtime says so on stderr
    /// and takes unbound memory, rather than start with pools that can never grow.
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
                    "courier: message and cell pools not bound to their nodes ({error}); \
                     using unbound memory"
                );
                (Arc::new(AnonymousMemory), false)
            }
            None => (Arc::new(AnonymousMemory), false),
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
        let cell_budgets = (0..nodes_len)
            .map(|index| {
                let node = u16::try_from(index).unwrap_or(u16::MAX);
                Arc::new(NodeBudget::unlimited(NodeId(node)))
            })
            .collect();
        NodePools {
            memory,
            bound,
            budgets,
            cell_budgets,
            huge_messages: (0..nodes_len).map(|_| StdAtomicU64::new(0)).collect(),
        }
    }

    /// A worker's pools on `node`: for messages under the node's budget, for cells under the
    /// node's uncapped cell budget, both on the node's memory.
    pub(crate) fn worker_pools(&self, node: u16) -> WorkerPools {
        let index = usize::from(node).min(self.budgets.len() - 1);
        WorkerPools {
            messages: PoolSet::new(PoolConfig::default(), &self.memory, &self.budgets[index]),
            cells: self.cell_pool_set(node),
        }
    }

    /// A mapping of `len_bytes` for one huge message on `node`: from the memory the node's
    /// pools map (bound to the node, huge pages from 2 MiB, pre-faulted, when the pools are
    /// bound). Not counted against the node's pool cap, which bounds slab memory.
    pub(crate) fn map_huge_message(
        &self,
        node: NodeId,
        len_bytes: usize,
    ) -> Result<Region, MapError> {
        let align = if len_bytes >= HUGE_PAGE_BYTES {
            HUGE_PAGE_BYTES
        } else {
            PAGE_BYTES
        };
        let region = self.memory.map(node, len_bytes, align)?;
        if let Some(count) = self.huge_messages.get(usize::from(node.0)) {
            // ORDERING: Relaxed; statistics.
            count.fetch_add(1, StdOrdering::Relaxed);
        }
        Ok(region)
    }

    /// The cell budget of `node` (the count of its cell memory in `metrics`).
    #[inline]
    pub(crate) fn cell_budget(&self, node: u16) -> &Arc<NodeBudget> {
        &self.cell_budgets[usize::from(node).min(self.cell_budgets.len() - 1)]
    }

    /// Cell pools on `node`'s memory, under its cell budget: a worker's, or a thread's that
    /// spawns for the node from elsewhere (`cell_memory.rs`).
    pub(crate) fn cell_pool_set(&self, node: u16) -> PoolSet {
        PoolSet::new(CELL_POOL_CONFIG, &self.memory, self.cell_budget(node))
    }

    pub(crate) fn metrics(&self) -> Vec<NodeMemoryMetrics> {
        self.budgets
            .iter()
            .zip(&self.cell_budgets)
            .zip(&self.huge_messages)
            .map(|((budget, cells), huge)| NodeMemoryMetrics {
                node: budget.node(),
                bound: self.bound,
                bytes_mapped: budget.bytes_mapped(),
                bytes_max: budget.bytes_max(),
                cell_bytes_mapped: cells.bytes_mapped(),
                // ORDERING: Relaxed; statistics.
                huge_messages_mapped: huge.load(StdOrdering::Relaxed),
            })
            .collect()
    }
}
