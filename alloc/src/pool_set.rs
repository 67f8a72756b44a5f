//! `PoolSet`: one owner's pools of every size class on one node.

use std::ptr::NonNull;
use std::sync::Arc;

use crate::{
    AllocError, Block, NodeBudget, NodeId, NodeMemory, Payload, PayloadPolicy, PoolConfig,
    PoolStats, SizeClass, SlabPool, Trimmed,
};

/// A [`SlabPool`] per [`SizeClass`], all on one node, all owned by one thread: what a worker of
/// courier-sched holds.
///
/// ```
/// use courier_alloc::{Payload, PayloadPolicy, PoolSet, SizeClass};
/// let mut pools = PoolSet::unbound();
/// let (block, payload) = pools.try_alloc_message(b"hello", &PayloadPolicy::default()).unwrap();
/// assert_eq!(block.size_class(), SizeClass::B128);
/// assert_eq!(payload.bytes(&block), b"hello");
/// pools.free(block);
/// ```
#[derive(Debug)]
pub struct PoolSet {
    pools: [SlabPool; SizeClass::COUNT],
}

impl PoolSet {
    /// Pools of every class on the budget's node.
    #[must_use]
    pub fn new(
        config: PoolConfig,
        memory: &Arc<dyn NodeMemory>,
        budget: &Arc<NodeBudget>,
    ) -> PoolSet {
        let pools = SizeClass::ALL
            .map(|class| SlabPool::new(class, config, Arc::clone(memory), Arc::clone(budget)));
        PoolSet { pools }
    }

    /// Pools on node 0 with heap memory, default chunks and no cap.
    #[must_use]
    pub fn unbound() -> PoolSet {
        let memory: Arc<dyn NodeMemory> = Arc::new(crate::UnboundMemory);
        let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
        PoolSet::new(PoolConfig::default(), &memory, &budget)
    }

    /// Pools on node 0 on fresh anonymous mappings (`AnonymousMemory`: resident only as blocks
    /// are carved), growing by `config`, with no cap.
    #[must_use]
    pub fn anonymous(config: PoolConfig) -> PoolSet {
        let memory: Arc<dyn NodeMemory> = Arc::new(crate::AnonymousMemory);
        let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
        PoolSet::new(config, &memory, &budget)
    }

    /// The node of every pool of the set.
    #[must_use]
    pub fn node(&self) -> NodeId {
        self.pools[0].node()
    }

    /// The pool of one class.
    #[must_use]
    pub fn pool_mut(&mut self, class: SizeClass) -> &mut SlabPool {
        &mut self.pools[class.index()]
    }

    /// A block of `class`.
    ///
    /// # Errors
    /// [`AllocError`] when the pool must grow and cannot.
    #[inline]
    pub fn try_alloc(&mut self, class: SizeClass) -> Result<Block, AllocError> {
        self.pools[class.index()].try_alloc()
    }

    /// A block of `class`, and a hint of the block that pool will hand out `ahead`
    /// allocations later (see [`SlabPool::try_alloc_with_hint`]).
    ///
    /// # Errors
    /// [`AllocError`] when the pool must grow and the node's cap or memory provider refuses.
    #[inline]
    pub fn try_alloc_with_hint(
        &mut self,
        class: SizeClass,
        ahead: usize,
    ) -> Result<(Block, Option<NonNull<u8>>), AllocError> {
        self.pools[class.index()].try_alloc_with_hint(ahead)
    }

    /// A block for a message with payload `bytes`, and the payload stored as `policy` says.
    ///
    /// # Errors
    /// [`AllocError`] when no block can be had or a mapped payload cannot be mapped; the block
    /// goes back to its pool in the second case.
    pub fn try_alloc_message(
        &mut self,
        bytes: &[u8],
        policy: &PayloadPolicy,
    ) -> Result<(Block, Payload), AllocError> {
        let mut block = self.try_alloc(policy.class_for(bytes.len()))?;
        match Payload::store(&mut block, bytes, policy) {
            Ok(payload) => Ok((block, payload)),
            Err(error) => {
                self.free(block);
                Err(error.into())
            }
        }
    }

    /// Returns a block to the pool of its class (or home, through its remote-free list).
    #[inline]
    pub fn free(&mut self, block: Block) {
        let class = block.size_class();
        self.pools[class.index()].free(block);
    }

    /// Sends the blocks of other threads' pools freed here home now (see
    /// [`SlabPool::flush_remote_frees`]).
    pub fn flush_remote_frees(&mut self) {
        self.pools.iter_mut().for_each(SlabPool::flush_remote_frees);
    }

    /// Takes back the blocks freed on other threads in every pool; returns how many.
    pub fn drain_remote(&mut self) -> usize {
        self.pools.iter_mut().map(SlabPool::drain_remote).sum()
    }

    /// Bytes on the local free lists of every pool (see [`SlabPool::local_free_bytes`]).
    #[must_use]
    pub fn local_free_bytes(&self) -> usize {
        self.pools.iter().map(SlabPool::local_free_bytes).sum()
    }

    /// Bytes carved from every pool's memory (see [`SlabPool::carved_bytes`]).
    #[must_use]
    pub fn carved_bytes(&self) -> usize {
        self.pools.iter().map(SlabPool::carved_bytes).sum()
    }

    /// Whether any pool has blocks freed on other threads waiting to come home.
    #[must_use]
    pub fn has_remote_frees(&self) -> bool {
        self.pools.iter().any(SlabPool::has_remote_frees)
    }

    /// Trims every pool ([`SlabPool::trim`]), each keeping about `keep_free_bytes` of free
    /// blocks, until `keep_going` stops one.
    pub fn trim(
        &mut self,
        keep_free_bytes: usize,
        mut keep_going: impl FnMut() -> bool,
    ) -> Trimmed {
        let mut trimmed = Trimmed::default();
        for pool in &mut self.pools {
            trimmed.add(pool.trim(keep_free_bytes, &mut keep_going));
            if trimmed.stopped {
                break;
            }
        }
        trimmed
    }

    /// A snapshot of every pool, smallest class first.
    #[must_use]
    pub fn stats(&self) -> [PoolStats; SizeClass::COUNT] {
        std::array::from_fn(|index| self.pools[index].stats())
    }
}
