//! `SlabPool`: the blocks of one size class on one node, for one owner thread.
//!
//! The owner allocates and frees without any atomic operation: a local free list, then the
//! remote-free list taken in one batch, then fresh blocks carved from the current chunk, then a
//! new chunk from the node's memory provider. Blocks freed on other threads come home through
//! the remote-free list (`remote.rs`), in batches (`free_batch.rs`): a pool gathers the blocks
//! of another pool it frees, and sends them home together.
//!
//! # Protocol
//!
//! - **P1** The owner (whoever holds `&mut SlabPool`) alone touches the local free list, the
//!   carving state, `in_use` and the chunk list.
//! - **P2** Every block handed out counts in `in_use` until it is back: pushed on the local free
//!   list, or taken from the remote-free list by `drain_remote`. Blocks waiting on the remote
//!   list still count, and so do those of `remote_records` (records taken from the remote list
//!   by the allocation slow path and not opened yet) and of `incoming` (the open record): a
//!   block taken from there is handed out again, so `in_use` does not change; they are counted
//!   only by cold paths (stats, drain, drop). Blocks of other pools gathered in `outgoing` are
//!   their owner's, counted there (B2 of `free_batch.rs`).
//! - **P3** A slab header is written before any block of its slab is handed out and does not
//!   change while any of them is out; a chunk lives as long as the pool's shared part, unless a
//!   trim unmaps it with every block of it free (T1 of `trim.rs`). A slab a trim gave back gets
//!   its header written again when it is carved again.
//! - **P4** The shared part (remote list, chunk memory) is freed by whoever brings the remote
//!   list's references to zero: the owner when nothing is out, else the last remote free (M4).
//!
//! # Field access
//!
//! - `SlabPool` fields: the owner only (P1).
//! - `PoolShared::remote`: any thread (see `remote.rs`).
//! - `PoolShared::chunks`: the owner while it lives, then the last releaser (P4).
//! - `PoolShared::budget`: immutable after construction (the budget itself is atomic).

use std::fmt;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use crate::free_batch::{self, Incoming, Outgoing};
use crate::memory::HUGE_PAGE_BYTES;
use crate::remote::{FreeLink, Release, RemoteFreeList};
use crate::slab::{self, SLAB_SIZE_BYTES, SlabHeader};
use crate::sync::UnsafeCell;
use crate::trim::{self, ChunkFacts, SlabCensus, Trimmed};
use crate::{
    AllocError, Block, CACHE_LINE_BYTES, NodeBudget, NodeId, NodeMemory, PoolStats, Region,
    SizeClass,
};

/// How a pool grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Bytes mapped per growth step: a multiple of [`SLAB_SIZE_BYTES`] (64 KiB). Chunks of a
    /// multiple of 2 MiB are 2 MiB aligned, so they can be backed by transparent huge pages.
    pub chunk_size_bytes: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            chunk_size_bytes: 256 << 10,
        }
    }
}

impl PoolConfig {
    fn chunk_align_bytes(self) -> usize {
        if self.chunk_size_bytes.is_multiple_of(HUGE_PAGE_BYTES) {
            HUGE_PAGE_BYTES
        } else {
            SLAB_SIZE_BYTES
        }
    }
}

/// The part of a pool that other threads reach through a block's slab header.
pub(crate) struct PoolShared {
    pub(crate) remote: RemoteFreeList,
    budget: Arc<NodeBudget>,
    chunks: UnsafeCell<Vec<Region>>,
}

impl Drop for PoolShared {
    fn drop(&mut self) {
        // P4: we are the last user; the chunks unmap as the vector drops.
        let bytes: usize = self.chunks.with_mut(|chunks| {
            // SAFETY: `&mut self`: nobody else can reach the chunk list (P4).
            unsafe { &*chunks }.iter().map(Region::len_bytes).sum()
        });
        self.budget.refund(bytes);
    }
}

/// The blocks of one size class on one node, owned by one thread at a time.
///
/// ```
/// use courier_alloc::{SizeClass, SlabPool};
/// let mut pool = SlabPool::unbound(SizeClass::B128);
/// let mut block = pool.try_alloc().unwrap();
/// block.inline_payload_mut()[..5].copy_from_slice(b"hello");
/// assert_eq!(pool.stats().blocks_in_use, 1);
/// pool.free(block);
/// assert_eq!(pool.stats().blocks_in_use, 0);
/// ```
pub struct SlabPool {
    shared: NonNull<PoolShared>,
    local_free: *mut FreeLink,
    /// Records taken from the remote list and not opened yet, linked (P2).
    remote_records: *mut FreeLink,
    /// The open record: blocks taken from the remote list, handed out next (P2).
    incoming: Incoming,
    /// Blocks of another pool freed here, to go home together (B2).
    outgoing: Outgoing,
    /// The pool that owns the blocks of `outgoing`, while it has any.
    outgoing_owner: *mut PoolShared,
    in_use: usize,
    /// Next block to carve, and the end of the current slab's blocks.
    bump: *mut u8,
    slab_end: *mut u8,
    /// Next slab of the current chunk, and the end of the chunk.
    next_slab: *mut u8,
    chunk_end: *mut u8,
    /// Mapped chunks not started yet (from `reserve_chunks`).
    spare_chunks: Vec<NonNull<u8>>,
    /// Slabs a trim gave back to the kernel, carved again before a chunk is started.
    released_slabs: Vec<NonNull<u8>>,
    blocks_carved: usize,
    class: SizeClass,
    node: NodeId,
    config: PoolConfig,
    memory: Arc<dyn NodeMemory>,
}

// SAFETY: the owner role moves with the value (P1): the raw pointers point into memory the pool
// owns through `shared`, which is not tied to a thread.
unsafe impl Send for SlabPool {}

impl SlabPool {
    /// A pool of `class` blocks on `node`, growing through `memory` within `budget`.
    ///
    /// # Panics
    /// When `config.chunk_size_bytes` is not a non-zero multiple of [`SLAB_SIZE_BYTES`], or the
    /// budget is for another node: both are construction-time programming errors.
    #[must_use]
    pub fn new(
        class: SizeClass,
        config: PoolConfig,
        memory: Arc<dyn NodeMemory>,
        budget: Arc<NodeBudget>,
    ) -> SlabPool {
        let size = config.chunk_size_bytes;
        assert!(
            size > 0 && size.is_multiple_of(SLAB_SIZE_BYTES),
            "chunk size {size} is not n x 64 KiB"
        );
        let node = budget.node();
        let shared = Box::new(PoolShared {
            remote: RemoteFreeList::new(),
            budget,
            chunks: UnsafeCell::new(Vec::new()),
        });
        SlabPool {
            shared: NonNull::from(Box::leak(shared)),
            local_free: ptr::null_mut(),
            remote_records: ptr::null_mut(),
            incoming: Incoming::new(),
            outgoing: Outgoing::new(),
            outgoing_owner: ptr::null_mut(),
            in_use: 0,
            bump: ptr::null_mut(),
            slab_end: ptr::null_mut(),
            next_slab: ptr::null_mut(),
            chunk_end: ptr::null_mut(),
            spare_chunks: Vec::new(),
            released_slabs: Vec::new(),
            blocks_carved: 0,
            class,
            node,
            config,
            memory,
        }
    }

    /// A pool on node 0 with heap memory, default chunks and no cap: for tests and examples.
    #[must_use]
    pub fn unbound(class: SizeClass) -> SlabPool {
        let memory = Arc::new(crate::UnboundMemory);
        let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
        SlabPool::new(class, PoolConfig::default(), memory, budget)
    }

    /// The pool's size class.
    #[must_use]
    pub fn size_class(&self) -> SizeClass {
        self.class
    }

    /// The pool's node.
    #[must_use]
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Takes a block: from the local free list, else the remote-free list, else fresh memory.
    ///
    /// # Errors
    /// [`AllocError`] when the pool must grow and the node's cap or memory provider refuses.
    #[inline]
    pub fn try_alloc(&mut self) -> Result<Block, AllocError> {
        match NonNull::new(self.local_free) {
            Some(link) => {
                // SAFETY: links on the local list are free blocks of this pool (P1, P2).
                self.local_free = unsafe { link.as_ref() }
                    .next()
                    .map_or(ptr::null_mut(), NonNull::as_ptr);
                self.in_use += 1;
                // SAFETY: the block just left the free list; nobody else holds it (P2).
                Ok(unsafe { Block::new(link.cast()) })
            }
            None => self.alloc_slow(),
        }
    }

    /// Takes a block as [`try_alloc`](Self::try_alloc) does, and says which block the pool
    /// will hand out `ahead` allocations after it (0: the next), when it knows that without
    /// loading anything: when both come from a batch of blocks freed on another thread
    /// (`free_batch.rs`). A hint only: a free or a batch coming home meanwhile changes the
    /// order. A sender passes it on so that the consumer, on another core, can prefetch the
    /// messages queued behind the one it takes.
    ///
    /// # Errors
    /// As for [`try_alloc`](Self::try_alloc).
    #[inline]
    pub fn try_alloc_with_hint(
        &mut self,
        ahead: usize,
    ) -> Result<(Block, Option<NonNull<u8>>), AllocError> {
        if self.local_free.is_null() {
            let block = self.alloc_slow()?;
            return Ok((block, self.incoming.upcoming(ahead)));
        }
        self.try_alloc().map(|block| (block, None))
    }

    /// Returns a block. A block of this pool goes on the local free list; a block of another
    /// pool joins the batch going home to that pool, which leaves when it is full (7 blocks of
    /// 64 B, 15 of larger classes), when a block of yet another pool comes, or at
    /// [`flush_remote_frees`](Self::flush_remote_frees) (also called when the pool drops).
    #[inline]
    pub fn free(&mut self, block: Block) {
        let ptr = block.into_raw();
        // SAFETY: the slab header of a block that is out is valid and unchanged (P3).
        let header = unsafe { slab::header_of(ptr).as_ref() };
        if header.pool == self.shared {
            // SAFETY: the block is ours again and nobody else holds it.
            unsafe { link_local(&mut self.local_free, ptr) };
            self.in_use -= 1;
        } else {
            self.free_foreign(ptr, header.pool, header.class);
        }
    }

    /// Adds a block of another pool to the batch going home (B1, B2).
    fn free_foreign(&mut self, ptr: NonNull<u8>, owner: NonNull<PoolShared>, class: SizeClass) {
        if self.outgoing_owner != owner.as_ptr() {
            self.flush_remote_frees();
            self.outgoing_owner = owner.as_ptr();
        }
        // SAFETY: we owned the block and give it up; it belongs to the batch's owner (above).
        if unsafe { self.outgoing.add(ptr, free_batch::others_capacity(class)) } {
            self.flush_remote_frees();
        }
    }

    /// Sends the blocks of other pools freed here home now, instead of when their batch fills.
    /// A thread that frees blocks of other threads' pools calls this before it idles, so its
    /// batch does not hold them while it waits.
    #[inline]
    pub fn flush_remote_frees(&mut self) {
        if !self.outgoing.is_empty() {
            self.send_outgoing();
        }
    }

    #[cold]
    #[inline(never)]
    fn send_outgoing(&mut self) {
        let Some(record) = self.outgoing.take_record() else {
            return;
        };
        let owner = std::mem::replace(&mut self.outgoing_owner, ptr::null_mut());
        // SAFETY: a batch with blocks has their owner's shared part, which lives while they
        // are out (P4).
        let remote = unsafe { &(*owner).remote };
        // SAFETY: the record and its blocks are ours until pushed (B2).
        if unsafe { free_batch::push_record(remote, record) } == Release::Last {
            // SAFETY: we released the last reference: the shared part is ours alone (P4).
            drop(unsafe { Box::from_raw(owner) });
        }
    }

    /// Maps `count` chunks now, so later allocations do not wait on the memory provider.
    ///
    /// # Errors
    /// [`AllocError`] when the node's cap or memory provider refuses; chunks mapped before the
    /// failure stay with the pool.
    pub fn reserve_chunks(&mut self, count: usize) -> Result<(), AllocError> {
        for _ in 0..count {
            let start = self.map_chunk()?;
            self.spare_chunks.push(start);
        }
        Ok(())
    }

    /// Takes the blocks freed on other threads back now, instead of when the local list runs
    /// out. Returns how many came back.
    pub fn drain_remote(&mut self) -> usize {
        self.fold_remote_batch();
        let taken = self.shared().remote.take_all();
        // SAFETY: the taken records are ours now (M1, B2).
        let taken = unsafe { self.free_local_all(taken) };
        self.in_use -= taken;
        taken
    }

    /// Counts the blocks taken from the remote list but not handed out back, and puts them on
    /// the local free list (a cold path: it loads every record).
    fn fold_remote_batch(&mut self) {
        let mut local = self.local_free;
        let mut folded = 0;
        self.incoming.drain(|block| {
            // SAFETY: blocks of an open record are ours (P2).
            unsafe { link_local(&mut local, block) };
            folded += 1;
        });
        self.local_free = local;
        let records = std::mem::replace(&mut self.remote_records, ptr::null_mut());
        // SAFETY: records taken from the remote list are ours (M1, B2).
        folded += unsafe { self.free_local_all(NonNull::new(records)) };
        self.in_use -= folded;
    }

    /// Puts every block of a list of records on the local free list; returns how many.
    ///
    /// # Safety
    /// - The records and their blocks are this pool's, taken from its remote list (B2).
    unsafe fn free_local_all(&mut self, records: Option<NonNull<FreeLink>>) -> usize {
        let mut local = self.local_free;
        let mut make_local = |block: NonNull<u8>| {
            // SAFETY: a free block of this pool (the caller's contract).
            unsafe { link_local(&mut local, block) };
        };
        // SAFETY: the caller owns the list; each block is written after its record was read.
        let count = unsafe { free_batch::for_each_block(records, &mut make_local) };
        self.local_free = local;
        count
    }

    /// How many blocks were taken from the remote list and not handed out (a cold path).
    fn remote_batch_len(&self) -> usize {
        // SAFETY: records taken from the remote list are ours (M1, B2); nothing is written.
        let records =
            unsafe { free_batch::for_each_block(NonNull::new(self.remote_records), |_| {}) };
        self.incoming.len() + records
    }

    /// A snapshot of the pool.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        let blocks = |record| {
            // SAFETY: a record on the remote list, whole since before its push (B2).
            unsafe { free_batch::record_blocks(record) }
        };
        // SAFETY: we are the owner (P1), and the list is not abandoned while we live.
        let pending = unsafe { self.shared().remote.pending_sum(blocks) };
        let chunks_mapped = self.shared().chunks.with_mut(|chunks| {
            // SAFETY: the owner alone touches the chunk list (P1).
            unsafe { &*chunks }.len()
        });
        PoolStats {
            node: self.node,
            class: self.class,
            blocks_in_use: self.in_use - pending - self.remote_batch_len(),
            blocks_free: (self.blocks_carved - self.in_use)
                + self.remote_batch_len()
                + self.carvable_blocks(),
            remote_frees_pending: pending,
            chunks_mapped,
            bytes_mapped: chunks_mapped * self.config.chunk_size_bytes,
            bytes_released: self.released_slabs.len() * SLAB_SIZE_BYTES,
        }
    }

    /// Bytes of the blocks on the local free list: what a trim could give back now, less the
    /// blocks freed on other threads that have not come home (see
    /// [`has_remote_frees`](Self::has_remote_frees)). No load of pool memory.
    #[must_use]
    pub fn local_free_bytes(&self) -> usize {
        (self.blocks_carved - self.in_use) * self.class.size_bytes()
    }

    /// Bytes of the blocks carved from the pool's memory: in use, on their way home, or free
    /// (slabs a trim gave back are not carved).
    #[must_use]
    pub fn carved_bytes(&self) -> usize {
        self.blocks_carved * self.class.size_bytes()
    }

    /// Whether blocks freed on other threads wait on the remote-free list (one load).
    #[must_use]
    pub fn has_remote_frees(&self) -> bool {
        self.shared().remote.has_links()
    }

    /// Gives the memory of wholly free slabs back (`trim.rs`), keeping about `keep_free_bytes`
    /// of free blocks: takes the blocks freed on other threads home, unmaps chunks whose every
    /// block is free (their bytes go back to the node's budget), and advises away the pages of
    /// other wholly free slabs of mapped chunks, which are carved again before a chunk is
    /// mapped. Its cost grows with the free list (two walks of it), so an owner calls it when
    /// it has nothing else to do; `keep_going` is asked every few hundred blocks and before
    /// each advice, and a `false` stops the trim with every free block still on the list, or
    /// skips the advice of slabs already off it (T3).
    ///
    /// ```
    /// use courier_alloc::{PoolConfig, PoolSet, SizeClass};
    /// let mut pools = PoolSet::anonymous(PoolConfig::default());
    /// let pool = pools.pool_mut(SizeClass::B256);
    /// // Chunks of 256 KiB: four slabs of 255 blocks of 256 bytes after the slab's header.
    /// let blocks: Vec<_> = (0..3 * 4 * 255 + 1).map(|_| pool.try_alloc().unwrap()).collect();
    /// blocks.into_iter().for_each(|block| pool.free(block));
    /// let trimmed = pool.trim(0, || true);
    /// assert_eq!(trimmed.bytes_unmapped, 3 * 256 << 10, "all but the chunk being carved");
    /// assert_eq!(pool.stats().chunks_mapped, 1);
    /// ```
    pub fn trim(
        &mut self,
        keep_free_bytes: usize,
        mut keep_going: impl FnMut() -> bool,
    ) -> Trimmed {
        self.trim_with(keep_free_bytes, &mut keep_going)
    }

    /// `trim`, compiled once here rather than in every caller's crate for every closure: its
    /// instances in courier-sched changed how the send path there was inlined (22 instructions
    /// an outside send in `spawn_instr::life`).
    #[inline(never)]
    fn trim_with(
        &mut self,
        keep_free_bytes: usize,
        keep_going: &mut dyn FnMut() -> bool,
    ) -> Trimmed {
        self.drain_remote();
        let free_blocks = self.blocks_carved - self.in_use;
        let blocks_to_give = free_blocks.saturating_sub(keep_free_bytes / self.class.size_bytes());
        if blocks_to_give == 0 && self.released_slabs.is_empty() {
            return Trimmed::default();
        }
        let (chunks, facts) = self.chunk_facts();
        let chunk_starts = chunks.iter().map(|start| start.addr().get()).collect();
        let mut census = SlabCensus::new(chunk_starts, self.config.chunk_size_bytes);
        for slab in &self.released_slabs {
            census.mark_released(slab.addr().get());
        }
        let mut walked = 0;
        let mut link = self.local_free;
        while let Some(block) = NonNull::new(link) {
            census.count_block(block.addr().get());
            // SAFETY: links on the local list are free blocks of this pool (P1, P2).
            link = unsafe { block.as_ref() }
                .next()
                .map_or(ptr::null_mut(), NonNull::as_ptr);
            walked += 1;
            if walked % trim::BLOCKS_PER_CHECK == 0 && !keep_going() {
                return Trimmed::stopped();
            }
        }
        debug_assert_eq!(
            walked, free_blocks,
            "P2: the local list holds every free block"
        );
        let open_slab = NonNull::new(self.slab_end).map(|end| census.slab_of(end.addr().get() - 1));
        let blocks_per_slab = slab::blocks_per_slab(self.class);
        let plan = trim::plan(&census, &facts, blocks_per_slab, blocks_to_give, open_slab);
        if plan.is_empty() {
            return Trimmed::default();
        }
        if !self.drop_free_blocks(&census, &plan.leaving, keep_going) {
            return Trimmed::stopped();
        }
        self.blocks_carved -= plan.blocks_leaving;
        let mut trimmed = Trimmed::default();
        // One advice per run of neighbouring slabs: each one is a system call and a TLB
        // shootdown, an interrupt for every other core running this process.
        for run in trim::runs(&plan.release, census.slabs_per_chunk()) {
            let chunk = run.start / census.slabs_per_chunk();
            let offset = (run.start % census.slabs_per_chunk()) * SLAB_SIZE_BYTES;
            // SAFETY: the run lies inside its chunk (`trim::runs`, the census's layout).
            let start = unsafe { chunks[chunk].add(offset) };
            let len = run.len() * SLAB_SIZE_BYTES;
            // Once told to stop, the slabs are only set aside: resident, carved again first.
            // SAFETY: slabs of one of our mapped chunks whose every block left the free list
            // just now; nobody else holds any of them (T1).
            if keep_going() && unsafe { crate::raw::release_pages(start, len) }.is_ok() {
                trimmed.bytes_released += len;
            }
            for slab in 0..run.len() {
                // SAFETY: inside the run, as above.
                self.released_slabs
                    .push(unsafe { start.add(slab * SLAB_SIZE_BYTES) });
            }
        }
        for &chunk in &plan.unmap {
            trimmed.bytes_unmapped += self.unmap_chunk(census.chunk_starts()[chunk]);
        }
        trimmed
    }

    /// The start of each chunk, and what a trim may do with it (T2).
    fn chunk_facts(&self) -> (Vec<NonNull<u8>>, Vec<ChunkFacts>) {
        let chunk_bytes = self.config.chunk_size_bytes;
        let mut chunks: Vec<(NonNull<u8>, bool)> = self.shared().chunks.with_mut(|chunks| {
            // SAFETY: the owner alone touches the chunk list (P1).
            unsafe { &*chunks }
                .iter()
                .map(|region| (region.as_ptr(), region.is_mapped()))
                .collect()
        });
        chunks.sort_unstable_by_key(|&(start, _)| start.addr());
        let carving = NonNull::new(self.chunk_end).map(|end| end.addr().get() - chunk_bytes);
        let open = NonNull::new(self.slab_end).map(|end| end.addr().get() - 1);
        let facts = chunks
            .iter()
            .map(|&(start, mapped)| {
                let start = start.addr().get();
                let holds = |address: usize| (start..start + chunk_bytes).contains(&address);
                let spare = self
                    .spare_chunks
                    .iter()
                    .any(|chunk| chunk.addr().get() == start);
                ChunkFacts {
                    may_unmap: !spare && carving != Some(start) && !open.is_some_and(holds),
                    may_release_slabs: mapped,
                }
            })
            .collect();
        (chunks.into_iter().map(|(start, _)| start).collect(), facts)
    }

    /// Takes the blocks of the slabs marked `leaving` off the local free list, the others kept
    /// in their order; `false` when `keep_going` stopped it, every block back on the list (T3).
    fn drop_free_blocks(
        &mut self,
        census: &SlabCensus,
        leaving: &[bool],
        keep_going: &mut dyn FnMut() -> bool,
    ) -> bool {
        let mut kept = LinkChain::default();
        let mut set_aside = LinkChain::default();
        let mut link = self.local_free;
        let mut walked = 0;
        while let Some(block) = NonNull::new(link) {
            // SAFETY: links on the local list are free blocks of this pool (P1, P2), read
            // before the block is linked anew below.
            link = unsafe { block.as_ref() }
                .next()
                .map_or(ptr::null_mut(), NonNull::as_ptr);
            let chain = if leaving[census.slab_of(block.addr().get())] {
                &mut set_aside
            } else {
                &mut kept
            };
            // SAFETY: a free block of this pool, off the old list (its next was read above).
            unsafe { chain.push(block.cast()) };
            walked += 1;
            if walked % trim::BLOCKS_PER_CHECK == 0 && !link.is_null() && !keep_going() {
                // SAFETY: both chains and the rest of the old list are free blocks of ours.
                let rest = unsafe { set_aside.then(link) };
                // SAFETY: as above.
                self.local_free = unsafe { kept.then(rest) };
                return false;
            }
        }
        // SAFETY: the kept chain is free blocks of ours; the set-aside ones leave the pool.
        self.local_free = unsafe { kept.then(ptr::null_mut()) };
        true
    }

    /// Unmaps the chunk starting at `start`, every block of it free (T1), and gives its bytes
    /// back to the node's budget; returns them.
    fn unmap_chunk(&mut self, start: usize) -> usize {
        let chunk_bytes = self.config.chunk_size_bytes;
        let in_chunk =
            |slab: &NonNull<u8>| (start..start + chunk_bytes).contains(&slab.addr().get());
        self.released_slabs.retain(|slab| !in_chunk(slab));
        let region = self.shared().chunks.with_mut(|chunks| {
            // SAFETY: the owner alone touches the chunk list (P1).
            let chunks = unsafe { &mut *chunks };
            let index = chunks
                .iter()
                .position(|region| region.as_ptr().addr().get() == start)
                .expect("a chunk to unmap is one of the pool's");
            chunks.swap_remove(index)
        });
        let bytes = region.len_bytes();
        drop(region);
        self.shared().budget.refund(bytes);
        bytes
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&mut self) -> Result<Block, AllocError> {
        loop {
            if let Some(block) = self.incoming.pop() {
                // SAFETY: a free block of this pool from an open record, nobody else's; it
                // stays counted in `in_use` (P2).
                return Ok(unsafe { Block::new(block) });
            }
            if self.remote_records.is_null()
                && let Some(first) = self.shared().remote.take_all()
            {
                self.remote_records = first.as_ptr();
            }
            let Some(record) = NonNull::new(self.remote_records) else {
                break;
            };
            // SAFETY: records taken from the remote list are this pool's (M1, M2, B2); the
            // next one is read before the record's block can be handed out.
            self.remote_records = unsafe { record.as_ref() }
                .next()
                .map_or(ptr::null_mut(), NonNull::as_ptr);
            // SAFETY: as above; the open record was used up (the loop's first step).
            unsafe { self.incoming.open(record) };
        }
        if let Some(block) = self.carve() {
            return Ok(block);
        }
        let start = match self.spare_chunks.pop() {
            Some(start) => start,
            None => self.map_chunk()?,
        };
        self.start_chunk(start);
        Ok(self
            .carve()
            .expect("P3: a fresh chunk has room for a block"))
    }

    fn carve(&mut self) -> Option<Block> {
        if self.bump == self.slab_end && !self.open_next_slab() {
            return None;
        }
        let block = NonNull::new(self.bump).expect("an open slab has a non-null cursor");
        // SAFETY: `bump < slab_end`, both in the current slab, a block apart at least.
        self.bump = unsafe { self.bump.add(self.class.size_bytes()) };
        self.blocks_carved += 1;
        self.in_use += 1;
        // SAFETY: a never-used block of this pool's chunk, owned by nobody (P2).
        Some(unsafe { Block::new(block) })
    }

    /// Opens the next slab to carve: of the chunk being carved first (a bound chunk is
    /// pre-faulted), then one a trim gave back; `false` when there is none (the caller starts
    /// a chunk). Out of line: once per slab, and it kept the carving path of every allocation
    /// that misses the free lists (a spawn from outside) 8 instructions longer inlined.
    #[cold]
    #[inline(never)]
    fn open_next_slab(&mut self) -> bool {
        if self.next_slab != self.chunk_end {
            let slab = self.next_slab;
            // SAFETY: `slab + SLAB_SIZE_BYTES <= chunk_end`, since `slab < chunk_end` and
            // chunks are whole slabs.
            self.next_slab = unsafe { slab.add(SLAB_SIZE_BYTES) };
            self.open_slab(slab);
        } else if let Some(slab) = self.released_slabs.pop() {
            self.open_slab(slab.as_ptr());
        } else {
            return false;
        }
        true
    }

    /// Makes `slab`, an unused slab-aligned 64 KiB of one of our chunks, the one carved next.
    fn open_slab(&mut self, slab: *mut u8) {
        let header = SlabHeader {
            pool: self.shared,
            node: self.node,
            class: self.class,
        };
        #[expect(clippy::cast_ptr_alignment, reason = "slabs are 64 KiB aligned (P3)")]
        let slab_header = slab.cast::<SlabHeader>();
        // SAFETY: `slab` is the start of an unused, slab-aligned 64 KiB of a chunk we own (the
        // caller's contract); the header is written before any of its blocks is handed out (P3).
        unsafe { slab_header.write(header) };
        // SAFETY: the blocks fit in the slab after its header (`blocks_per_slab`).
        unsafe {
            self.bump = slab.add(CACHE_LINE_BYTES);
        }
        let blocks_bytes = slab::blocks_per_slab(self.class) * self.class.size_bytes();
        // SAFETY: as above.
        unsafe {
            self.slab_end = self.bump.add(blocks_bytes);
        }
    }

    fn start_chunk(&mut self, start: NonNull<u8>) {
        self.next_slab = start.as_ptr();
        // SAFETY: the chunk is `chunk_size_bytes` long.
        self.chunk_end = unsafe { start.as_ptr().add(self.config.chunk_size_bytes) };
        self.bump = ptr::null_mut();
        self.slab_end = ptr::null_mut();
    }

    fn map_chunk(&mut self) -> Result<NonNull<u8>, AllocError> {
        let len = self.config.chunk_size_bytes;
        let budget = &self.shared().budget;
        if !budget.try_reserve(len) {
            let bytes_max = budget.bytes_max().unwrap_or(usize::MAX);
            return Err(AllocError::NodeCapReached {
                node: self.node,
                bytes_max,
            });
        }
        let region = match self
            .memory
            .map(self.node, len, self.config.chunk_align_bytes())
        {
            Ok(region) => region,
            Err(error) => {
                self.shared().budget.refund(len);
                return Err(error.into());
            }
        };
        assert!(
            region.len_bytes() >= len
                && region.as_ptr().addr().get().is_multiple_of(SLAB_SIZE_BYTES),
            "the memory provider returned a region too short or not slab-aligned"
        );
        let start = region.as_ptr();
        self.shared().chunks.with_mut(|chunks| {
            // SAFETY: the owner alone touches the chunk list (P1).
            unsafe { &mut *chunks }.push(region);
        });
        Ok(start)
    }

    fn carvable_blocks(&self) -> usize {
        let size = self.class.size_bytes();
        let in_slab = (self.slab_end.addr() - self.bump.addr()) / size;
        let slabs_per_chunk = self.config.chunk_size_bytes / SLAB_SIZE_BYTES;
        let slabs = (self.chunk_end.addr() - self.next_slab.addr()) / SLAB_SIZE_BYTES
            + self.spare_chunks.len() * slabs_per_chunk
            + self.released_slabs.len();
        in_slab + slabs * slab::blocks_per_slab(self.class)
    }

    fn shared(&self) -> &PoolShared {
        // SAFETY: the shared part lives at least as long as the owner (P4).
        unsafe { self.shared.as_ref() }
    }
}

impl Drop for SlabPool {
    fn drop(&mut self) {
        // Other pools' blocks first: they are theirs (B2).
        self.flush_remote_frees();
        self.drain_remote(); // folds the taken records too
        let shared = self.shared;
        if self.in_use > 0 {
            // Blocks are still out: hand the memory to whoever returns the last of them (P4).
            // SAFETY: we are the owner, abandoning once, and `in_use` counts every block not
            // back, including those on the remote list now (P2).
            let taken = unsafe { self.shared().remote.abandon(self.in_use) };
            // SAFETY: the records taken are ours (M1, B2); counted, not touched.
            let taken = unsafe { free_batch::for_each_block(taken, |_| {}) };
            if self.shared().remote.release(taken + 1) == Release::Others {
                return;
            }
        }
        // SAFETY: nothing is out, or we released the last reference: the shared part is ours
        // alone (P4), and it came from `Box::leak` in `new`.
        drop(unsafe { Box::from_raw(shared.as_ptr()) });
    }
}

impl fmt::Debug for SlabPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlabPool")
            .field("stats", &self.stats())
            .finish()
    }
}

/// Pushes `block` on the local free list whose head is `local`: its first bytes become the link.
///
/// # Safety
/// - `block` is a free block of the pool that owns the list, and nobody else holds it (P1, P2).
#[inline]
unsafe fn link_local(local: &mut *mut FreeLink, block: NonNull<u8>) {
    // SAFETY: the caller's contract: the block is ours to write.
    unsafe { block.cast::<FreeLink>().write(FreeLink::with_next(*local)) };
    *local = block.as_ptr().cast();
}

/// Frees a block from any thread, through its owner pool's remote-free list.
///
/// # Safety
/// - `ptr` is a block handed out by a pool and owned by the caller, who gives it up.
pub(crate) unsafe fn free_remote(ptr: NonNull<u8>) {
    // SAFETY: the slab header of a block that is out is valid and unchanged (P3).
    let shared = unsafe { slab::header_of(ptr).as_ref() }.pool;
    // SAFETY: the caller gave the block up: a record of one block (B1).
    let record = unsafe { free_batch::write_record(ptr, &[]) };
    // SAFETY: the shared part lives while this block is out (P4); the record is ours (B2).
    let remote = unsafe { &shared.as_ref().remote };
    // SAFETY: as above.
    if unsafe { free_batch::push_record(remote, record) } == Release::Last {
        // SAFETY: we released the last reference: the shared part is ours alone (P4).
        drop(unsafe { Box::from_raw(shared.as_ptr()) });
    }
}

/// A list of free blocks built at its tail, in the order they are pushed (a trim's rebuild).
#[derive(Default)]
struct LinkChain {
    head: Option<NonNull<FreeLink>>,
    tail: Option<NonNull<FreeLink>>,
}

impl LinkChain {
    /// Appends `block`.
    ///
    /// # Safety
    /// - `block` is a free block of the pool building the chain, on no list.
    unsafe fn push(&mut self, block: NonNull<FreeLink>) {
        match self.tail {
            // SAFETY: the tail is a free block of ours, on this chain alone (the contract).
            Some(tail) => unsafe { tail.write(FreeLink::with_next(block.as_ptr())) },
            None => self.head = Some(block),
        }
        self.tail = Some(block);
    }

    /// Ends the chain with `rest` (null for nothing) and returns its head (`rest` when empty).
    ///
    /// # Safety
    /// - As for [`push`](Self::push); `rest` is a list of free blocks of the same pool.
    unsafe fn then(self, rest: *mut FreeLink) -> *mut FreeLink {
        match (self.head, self.tail) {
            (Some(head), Some(tail)) => {
                // SAFETY: the tail is a free block of ours (the contract).
                unsafe { tail.write(FreeLink::with_next(rest)) };
                head.as_ptr()
            }
            _ => rest,
        }
    }
}
