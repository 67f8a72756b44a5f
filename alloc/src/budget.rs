//! `NodeBudget`: the optional hard cap on pool memory per node.

use crate::NodeId;
use crate::sync::{AtomicUsize, Ordering};

/// Pool memory mapped on one node, with an optional hard cap shared by every pool of the node.
///
/// Reaching the cap makes growth fail with [`AllocError::NodeCapReached`](crate::AllocError):
/// never a panic, and never a silent fallback to another node or to the heap.
///
/// ```
/// use courier_alloc::{NodeBudget, NodeId};
/// let budget = NodeBudget::capped(NodeId(1), 1 << 20);
/// assert!(budget.try_reserve(1 << 19));
/// assert!(budget.try_reserve(1 << 19));
/// assert!(!budget.try_reserve(1));
/// budget.refund(1 << 19);
/// assert_eq!(budget.bytes_mapped(), 1 << 19);
/// ```
#[derive(Debug)]
pub struct NodeBudget {
    node: NodeId,
    bytes_max: Option<usize>,
    /// ORDERING: a statistic and a cap; every access is Relaxed: no other memory is published
    /// through it.
    bytes_mapped: AtomicUsize,
}

impl NodeBudget {
    /// No cap: pools on `node` grow while their memory provider gives memory.
    #[must_use]
    pub fn unlimited(node: NodeId) -> NodeBudget {
        NodeBudget {
            node,
            bytes_max: None,
            bytes_mapped: AtomicUsize::new(0),
        }
    }

    /// At most `bytes_max` bytes of pool memory on `node`.
    #[must_use]
    pub fn capped(node: NodeId, bytes_max: usize) -> NodeBudget {
        NodeBudget {
            node,
            bytes_max: Some(bytes_max),
            bytes_mapped: AtomicUsize::new(0),
        }
    }

    /// The node.
    #[must_use]
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The cap, if any.
    #[must_use]
    pub fn bytes_max(&self) -> Option<usize> {
        self.bytes_max
    }

    /// Bytes of pool memory mapped on the node now.
    #[must_use]
    pub fn bytes_mapped(&self) -> usize {
        self.bytes_mapped.load(Ordering::Relaxed)
    }

    /// Reserves `len_bytes` against the cap; `false` when that would pass it.
    #[must_use]
    pub fn try_reserve(&self, len_bytes: usize) -> bool {
        let Some(bytes_max) = self.bytes_max else {
            self.bytes_mapped.fetch_add(len_bytes, Ordering::Relaxed);
            return true;
        };
        // A CAS loop rather than add-then-undo: two racing pools must not both fail when one
        // of them fits.
        let mut mapped = self.bytes_mapped.load(Ordering::Relaxed);
        loop {
            let Some(after) = mapped
                .checked_add(len_bytes)
                .filter(|&after| after <= bytes_max)
            else {
                return false;
            };
            match self.bytes_mapped.compare_exchange_weak(
                mapped,
                after,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => mapped = actual,
            }
        }
    }

    /// Gives back `len_bytes` reserved before.
    pub fn refund(&self, len_bytes: usize) {
        let before = self.bytes_mapped.fetch_sub(len_bytes, Ordering::Relaxed);
        debug_assert!(before >= len_bytes, "refund of more than was reserved");
    }
}
