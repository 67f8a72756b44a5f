//! `SlabPool`: the blocks of one size class on one node, for one owner thread.
//!
//! The owner allocates and frees without any atomic operation: a local free list, then the
//! remote-free list taken in one batch, then fresh blocks carved from the current chunk, then a
//! new chunk from the node's memory provider. Blocks freed on other threads come home through
//! the remote-free list (`remote.rs`).
//!
//! # Protocol
//!
//! - **P1** The owner (whoever holds `&mut SlabPool`) alone touches the local free list, the
//!   carving state, `in_use` and the chunk list.
//! - **P2** Every block handed out counts in `in_use` until it is back: pushed on the local free
//!   list, or taken from the remote-free list by `drain_remote`. Blocks waiting on the remote
//!   list still count, and so do the blocks of `remote_batch`: a list taken from the remote list
//!   by the allocation slow path *without walking it* (a walk costs a cache miss per block, each
//!   freed on another core). A block popped from the batch is handed out again, so `in_use` does
//!   not change; the batch is walked and counted only by cold paths (stats, drain, drop).
//! - **P3** A slab header is written before any block of its slab is handed out and does not
//!   change while the chunk lives; the chunk lives as long as the pool's shared part.
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

use crate::memory::HUGE_PAGE_BYTES;
use crate::remote::{FreeLink, Push, Release, RemoteFreeList};
use crate::slab::{self, SLAB_SIZE_BYTES, SlabHeader};
use crate::sync::UnsafeCell;
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
    /// Blocks taken from the remote list and not yet counted back (P2).
    remote_batch: *mut FreeLink,
    in_use: usize,
    /// Next block to carve, and the end of the current slab's blocks.
    bump: *mut u8,
    slab_end: *mut u8,
    /// Next slab of the current chunk, and the end of the chunk.
    next_slab: *mut u8,
    chunk_end: *mut u8,
    /// Mapped chunks not started yet (from `reserve_chunks`).
    spare_chunks: Vec<NonNull<u8>>,
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
            remote_batch: ptr::null_mut(),
            in_use: 0,
            bump: ptr::null_mut(),
            slab_end: ptr::null_mut(),
            next_slab: ptr::null_mut(),
            chunk_end: ptr::null_mut(),
            spare_chunks: Vec::new(),
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

    /// Returns a block. A block of this pool goes on the local free list; a block of another
    /// pool goes home through that pool's remote-free list.
    #[inline]
    pub fn free(&mut self, block: Block) {
        let ptr = block.into_raw();
        // SAFETY: the slab header of a block that is out is valid and unchanged (P3).
        let owner = unsafe { slab::header_of(ptr).as_ref() }.pool;
        if owner == self.shared {
            let link = ptr.cast::<FreeLink>();
            // SAFETY: the block is ours again and nobody else holds it; its first bytes become
            // the free-list link.
            unsafe { link.write(FreeLink::with_next(self.local_free)) };
            self.local_free = link.as_ptr();
            self.in_use -= 1;
        } else {
            // SAFETY: we owned the block and give it up here.
            unsafe { free_remote(ptr) };
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
        let Some(first) = self.shared().remote.take_all() else {
            return 0;
        };
        let (tail, taken) = walk(first);
        // SAFETY: the taken links are ours now (M1); the tail's link joins the local list.
        unsafe { tail.write(FreeLink::with_next(self.local_free)) };
        self.local_free = first.as_ptr();
        self.in_use -= taken;
        taken
    }

    /// Counts the remote batch back and joins it to the local free list (a cold path).
    fn fold_remote_batch(&mut self) {
        let Some(first) = NonNull::new(std::mem::replace(&mut self.remote_batch, ptr::null_mut()))
        else {
            return;
        };
        let (tail, taken) = walk(first);
        // SAFETY: the batch's links are ours (M1); the tail's link joins the local list.
        unsafe { tail.write(FreeLink::with_next(self.local_free)) };
        self.local_free = first.as_ptr();
        self.in_use -= taken;
    }

    /// The length of the remote batch (a cold path: it walks).
    fn remote_batch_len(&self) -> usize {
        NonNull::new(self.remote_batch).map_or(0, |first| walk(first).1)
    }

    /// A snapshot of the pool.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        // SAFETY: we are the owner (P1), and the list is not abandoned while we live.
        let pending = unsafe { self.shared().remote.pending_len() };
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
        }
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&mut self) -> Result<Block, AllocError> {
        if self.remote_batch.is_null()
            && let Some(first) = self.shared().remote.take_all()
        {
            self.remote_batch = first.as_ptr();
        }
        if let Some(link) = NonNull::new(self.remote_batch) {
            // SAFETY: the batch's links are free blocks of this pool, taken from the remote
            // list (M1, M2); the block stays counted in `in_use` (P2).
            self.remote_batch = unsafe { link.as_ref() }
                .next()
                .map_or(ptr::null_mut(), NonNull::as_ptr);
            // SAFETY: the block just left the batch; nobody else holds it.
            return Ok(unsafe { Block::new(link.cast()) });
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
        if self.bump == self.slab_end {
            if self.next_slab == self.chunk_end {
                return None;
            }
            self.open_slab();
        }
        let block = NonNull::new(self.bump).expect("an open slab has a non-null cursor");
        // SAFETY: `bump < slab_end`, both in the current slab, a block apart at least.
        self.bump = unsafe { self.bump.add(self.class.size_bytes()) };
        self.blocks_carved += 1;
        self.in_use += 1;
        // SAFETY: a never-used block of this pool's chunk, owned by nobody (P2).
        Some(unsafe { Block::new(block) })
    }

    fn open_slab(&mut self) {
        let slab = self.next_slab;
        let header = SlabHeader {
            pool: self.shared,
            node: self.node,
            class: self.class,
        };
        #[expect(clippy::cast_ptr_alignment, reason = "slabs are 64 KiB aligned (P3)")]
        let slab_header = slab.cast::<SlabHeader>();
        // SAFETY: `slab` is the start of an unused, slab-aligned 64 KiB of a chunk we own; the
        // header is written before any of its blocks is handed out (P3).
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
        // SAFETY: `slab + SLAB_SIZE_BYTES <= chunk_end`, since `slab < chunk_end` and chunks
        // are whole slabs.
        unsafe {
            self.next_slab = slab.add(SLAB_SIZE_BYTES);
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
            + self.spare_chunks.len() * slabs_per_chunk;
        in_slab + slabs * slab::blocks_per_slab(self.class)
    }

    fn shared(&self) -> &PoolShared {
        // SAFETY: the shared part lives at least as long as the owner (P4).
        unsafe { self.shared.as_ref() }
    }
}

impl Drop for SlabPool {
    fn drop(&mut self) {
        self.drain_remote(); // folds the remote batch too
        let shared = self.shared;
        if self.in_use > 0 {
            // Blocks are still out: hand the memory to whoever returns the last of them (P4).
            // SAFETY: we are the owner, abandoning once, and `in_use` counts every block not
            // back, including those on the remote list now (P2).
            let taken = unsafe { self.shared().remote.abandon(self.in_use) };
            let taken = taken.map_or(0, |first| walk(first).1);
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

/// The last link of a list taken from the remote-free list, and the list's length.
fn walk(first: NonNull<FreeLink>) -> (NonNull<FreeLink>, usize) {
    let (mut tail, mut len) = (first, 1);
    // SAFETY: the links were taken from the remote list and are ours (M1, M2).
    while let Some(next) = unsafe { tail.as_ref() }.next() {
        tail = next;
        len += 1;
    }
    (tail, len)
}

/// Frees a block from any thread, through its owner pool's remote-free list.
///
/// # Safety
/// - `ptr` is a block handed out by a pool and owned by the caller, who gives it up.
pub(crate) unsafe fn free_remote(ptr: NonNull<u8>) {
    // SAFETY: the slab header of a block that is out is valid and unchanged (P3).
    let shared = unsafe { slab::header_of(ptr).as_ref() }.pool;
    let link = ptr.cast::<FreeLink>();
    // SAFETY: the caller gave the block up; its first bytes become the link.
    unsafe { link.write(FreeLink::with_next(ptr::null_mut())) };
    // SAFETY: the shared part lives while this block is out (P4).
    let remote = unsafe { &shared.as_ref().remote };
    // SAFETY: the link is ours and lies in pool memory, which lives until the owner takes it
    // back or the last reference goes (M1, P4).
    if unsafe { remote.push(link) } == Push::Abandoned && remote.release(1) == Release::Last {
        // SAFETY: we released the last reference: the shared part is ours alone (P4).
        drop(unsafe { Box::from_raw(shared.as_ptr()) });
    }
}
