//! `PoolStats`: what a pool holds, for monitoring and for tests that account for every block.

use crate::{NodeId, SizeClass};

/// A snapshot of one pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// The node the pool's memory is on.
    pub node: NodeId,
    /// The pool's block size.
    pub class: SizeClass,
    /// Blocks handed out and not freed yet.
    pub blocks_in_use: usize,
    /// Blocks the pool can hand out without mapping more memory: its free list plus the part of
    /// its chunks not carved into blocks yet.
    pub blocks_free: usize,
    /// Blocks freed on other threads that wait on the remote-free list for the owner to take.
    pub remote_frees_pending: usize,
    /// Chunks mapped from the node's memory provider.
    pub chunks_mapped: usize,
    /// Bytes mapped for those chunks.
    pub bytes_mapped: usize,
    /// Bytes of those chunks a trim took out of use, to be carved again before the pool maps
    /// more: slabs given back to the kernel (advised away: still mapped, not resident), unless
    /// the trim was told to stop before it advised them.
    pub bytes_released: usize,
}
