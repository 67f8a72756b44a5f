//! Trimming: how a pool hands the memory of wholly free slabs back to the operating system.
//!
//! A pool frees nothing to the kernel on its hot paths: a block goes back on a free list, and the
//! chunks stay mapped, so after a burst (a million actors spawned and gone) the pool keeps its
//! high-water mark for as long as it lives. A *trim*, run by the owner when it has nothing else
//! to do, gives that memory back without costing the hot paths an instruction:
//!
//! 1. it takes the blocks freed on other threads home (`drain_remote`), so every free block is on
//!    the local free list;
//! 2. it counts that list's blocks slab by slab (the [`SlabCensus`]): a slab whose every block is
//!    on the list is wholly free;
//! 3. it plans ([`plan`]): a chunk all of whose slabs are wholly free (or given back before) is
//!    unmapped and its bytes go back to the node's budget; a wholly free slab of a chunk that
//!    stays is advised away (`MADV_DONTNEED`: its pages leave the resident set, the range stays
//!    mapped and bound to its node) and carved again before the pool maps another chunk;
//! 4. it rebuilds the free list without those slabs' blocks, then applies the plan.
//!
//! A trim keeps about `keep_free_bytes` of free blocks, so a pool that bursts again soon does not
//! fault its memory back in at once (mimalloc's purge delay and jemalloc's decay serve the same
//! end); slabs that hold one live block stay whole (a trim does not move blocks).
//!
//! # Protocol
//!
//! - **T1** Only the owner trims (P1), and it gives back only slabs all of whose blocks are on its
//!   local free list: no other thread holds a block of them, so none reads their header (P3) or
//!   their bytes. Blocks freed elsewhere after the drain were out at the census, so their slabs
//!   are not wholly free.
//! - **T2** The open slab (the one being carved), the chunk being carved and the spare chunks are
//!   never given back whole; the first because the carving cursor points into it, the others
//!   because their uncarved slabs hold no blocks to count.
//! - **T3** A trim stops between two blocks when its `keep_going` says so. The census writes
//!   nothing; a rebuild that stops links the blocks it set aside and the blocks it had not
//!   reached back behind the ones it kept. A stopped trim leaves every free block on the list.
//!   Once the list is rebuilt, a `false` only skips the advice of the slabs set aside: they
//!   stay resident and are carved again first.

use crate::slab::SLAB_SIZE_BYTES;

/// Blocks a trim walks between two calls of its `keep_going`: a walk misses the cache at
/// nearly every block, so 256 of them are tens of microseconds, about a futex wake.
pub(crate) const BLOCKS_PER_CHECK: usize = 256;

/// What a trim gave back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Trimmed {
    /// Bytes of slabs advised away (`MADV_DONTNEED`): still mapped, no longer resident.
    pub bytes_released: usize,
    /// Bytes of chunks unmapped, and returned to the node's budget.
    pub bytes_unmapped: usize,
    /// Whether the trim stopped early because its `keep_going` said so.
    pub stopped: bool,
}

impl Trimmed {
    /// Adds another pool's trim to this one's.
    pub fn add(&mut self, other: Trimmed) {
        self.bytes_released += other.bytes_released;
        self.bytes_unmapped += other.bytes_unmapped;
        self.stopped |= other.stopped;
    }

    /// A trim that stopped early.
    pub(crate) fn stopped() -> Trimmed {
        Trimmed {
            stopped: true,
            ..Trimmed::default()
        }
    }
}

/// A slab the census found given back already.
const RELEASED: u32 = u32::MAX;

/// The free blocks of a pool's free list counted slab by slab, over its chunks.
pub(crate) struct SlabCensus {
    /// The first address of each chunk, ascending.
    chunk_starts: Vec<usize>,
    slabs_per_chunk: usize,
    /// Free blocks per slab, chunk after chunk; [`RELEASED`] for a slab given back before.
    free_blocks: Vec<u32>,
}

impl SlabCensus {
    /// A census with no block counted over chunks starting at `chunk_starts` (any order), each
    /// `chunk_bytes` long (a multiple of [`SLAB_SIZE_BYTES`]).
    pub(crate) fn new(mut chunk_starts: Vec<usize>, chunk_bytes: usize) -> SlabCensus {
        chunk_starts.sort_unstable();
        let slabs_per_chunk = chunk_bytes / SLAB_SIZE_BYTES;
        SlabCensus {
            free_blocks: vec![0; chunk_starts.len() * slabs_per_chunk],
            chunk_starts,
            slabs_per_chunk,
        }
    }

    /// The chunks, ascending by address.
    pub(crate) fn chunk_starts(&self) -> &[usize] {
        &self.chunk_starts
    }

    pub(crate) fn slabs_per_chunk(&self) -> usize {
        self.slabs_per_chunk
    }

    /// The index of the slab holding `address`, which lies in one of the chunks.
    pub(crate) fn slab_of(&self, address: usize) -> usize {
        let chunk = self
            .chunk_starts
            .partition_point(|&start| start <= address)
            .checked_sub(1)
            .expect("T1: a free block lies in one of its pool's chunks");
        let slab = (address - self.chunk_starts[chunk]) / SLAB_SIZE_BYTES;
        debug_assert!(slab < self.slabs_per_chunk, "a block past its chunk's end");
        chunk * self.slabs_per_chunk + slab
    }

    /// The first address of the slab at `index`.
    #[cfg(test)]
    pub(crate) fn slab_start(&self, index: usize) -> usize {
        let chunk = index / self.slabs_per_chunk;
        self.chunk_starts[chunk] + (index % self.slabs_per_chunk) * SLAB_SIZE_BYTES
    }

    /// Counts one free block at `address`.
    pub(crate) fn count_block(&mut self, address: usize) {
        let slab = self.slab_of(address);
        debug_assert!(
            self.free_blocks[slab] != RELEASED,
            "T1: a block of a slab given back is on the free list"
        );
        self.free_blocks[slab] += 1;
    }

    /// Marks the slab starting at `slab_start` as given back before.
    pub(crate) fn mark_released(&mut self, slab_start: usize) {
        let slab = self.slab_of(slab_start);
        self.free_blocks[slab] = RELEASED;
    }

    fn is_released(&self, slab: usize) -> bool {
        self.free_blocks[slab] == RELEASED
    }

    fn is_wholly_free(&self, slab: usize, blocks_per_slab: usize) -> bool {
        self.free_blocks[slab] as usize == blocks_per_slab
    }
}

/// What the planner knows of each chunk, in the census's order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChunkFacts {
    /// Not the chunk being carved, nor the open slab's, nor a spare one (T2).
    pub(crate) may_unmap: bool,
    /// Part of a mapping, whose slabs can be advised away one by one (heap chunks cannot).
    pub(crate) may_release_slabs: bool,
}

/// What a trim gives back.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Chunks to unmap, by index in the census.
    pub(crate) unmap: Vec<usize>,
    /// Slabs to advise away, by index in the census.
    pub(crate) release: Vec<usize>,
    /// Per slab: whether its blocks leave the free list (a wholly free slab of either kind).
    pub(crate) leaving: Vec<bool>,
    /// Free blocks that leave the free list.
    pub(crate) blocks_leaving: usize,
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.unmap.is_empty() && self.release.is_empty()
    }
}

/// Plans a trim that takes up to about `blocks_to_give` free blocks off the free list: whole
/// chunks first (they give their bytes back to the budget too; a chunk whose slabs were all given
/// back before is unmapped whatever the count), then single slabs of mapped chunks, never the
/// open slab.
pub(crate) fn plan(
    census: &SlabCensus,
    chunks: &[ChunkFacts],
    blocks_per_slab: usize,
    mut blocks_to_give: usize,
    open_slab: Option<usize>,
) -> Plan {
    let per_chunk = census.slabs_per_chunk;
    let mut plan = Plan {
        leaving: vec![false; census.free_blocks.len()],
        ..Plan::default()
    };
    let mut unmapped = vec![false; chunks.len()];
    for (chunk, facts) in chunks.iter().enumerate() {
        let slabs = chunk * per_chunk..(chunk + 1) * per_chunk;
        let whole = slabs
            .clone()
            .all(|slab| census.is_released(slab) || census.is_wholly_free(slab, blocks_per_slab));
        if !facts.may_unmap || !whole {
            continue;
        }
        let free = slabs
            .clone()
            .filter(|&slab| !census.is_released(slab))
            .count()
            * blocks_per_slab;
        if free > 0 && blocks_to_give == 0 {
            continue;
        }
        blocks_to_give = blocks_to_give.saturating_sub(free);
        plan.blocks_leaving += free;
        plan.unmap.push(chunk);
        unmapped[chunk] = true;
        for slab in slabs.filter(|&slab| !census.is_released(slab)) {
            plan.leaving[slab] = true;
        }
    }
    for (chunk, facts) in chunks.iter().enumerate() {
        if unmapped[chunk] || !facts.may_release_slabs {
            continue;
        }
        for slab in chunk * per_chunk..(chunk + 1) * per_chunk {
            if blocks_to_give == 0 {
                return plan;
            }
            if Some(slab) == open_slab || !census.is_wholly_free(slab, blocks_per_slab) {
                continue;
            }
            blocks_to_give = blocks_to_give.saturating_sub(blocks_per_slab);
            plan.blocks_leaving += blocks_per_slab;
            plan.release.push(slab);
            plan.leaving[slab] = true;
        }
    }
    plan
}

/// The runs of consecutive slabs of one chunk in `slabs` (ascending census indices).
pub(crate) fn runs(
    slabs: &[usize],
    slabs_per_chunk: usize,
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut rest = slabs;
    std::iter::from_fn(move || {
        let (&first, _) = rest.split_first()?;
        let len = rest
            .iter()
            .enumerate()
            .take_while(|&(offset, &slab)| {
                slab == first + offset && slab / slabs_per_chunk == first / slabs_per_chunk
            })
            .count();
        rest = &rest[len..];
        Some(first..first + len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: usize = 4 * SLAB_SIZE_BYTES;
    const BLOCKS: usize = 10;

    fn facts(may_unmap: bool, may_release_slabs: bool) -> ChunkFacts {
        ChunkFacts {
            may_unmap,
            may_release_slabs,
        }
    }

    /// Two chunks of four slabs at 1 MiB and 2 MiB, with `free[i]` free blocks in slab `i`.
    fn census(free: [usize; 8]) -> SlabCensus {
        let mut census = SlabCensus::new(vec![2 << 20, 1 << 20], CHUNK);
        for (slab, &count) in free.iter().enumerate() {
            let start = census.slab_start(slab);
            for block in 0..count {
                census.count_block(start + 64 + block * 64);
            }
        }
        census
    }

    #[test]
    fn neighbouring_slabs_of_one_chunk_make_one_run() {
        let runs: Vec<_> = runs(&[0, 1, 2, 3, 4, 6, 9, 10], 4).collect();
        assert_eq!(runs, [0..4, 4..5, 6..7, 9..11]);
        assert_eq!(super::runs(&[], 4).count(), 0);
    }

    #[test]
    fn the_census_finds_each_blocks_slab_across_chunks_given_in_any_order() {
        let census = census([1, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(census.chunk_starts(), [1 << 20, 2 << 20]);
        assert_eq!(census.slab_of((1 << 20) + 64), 0);
        assert_eq!(census.slab_of((2 << 20) + 3 * SLAB_SIZE_BYTES + 128), 7);
        assert_eq!(census.free_blocks, [1, 0, 0, 0, 0, 0, 0, 3]);
    }

    #[test]
    fn a_wholly_free_chunk_is_unmapped_before_single_slabs_are_given_back() {
        let census = census([10, 10, 10, 10, 10, 3, 10, 0]);
        let chunks = [facts(true, true), facts(true, true)];
        let plan = plan(&census, &chunks, BLOCKS, 45, None);
        assert_eq!(plan.unmap, [0]);
        assert_eq!(plan.release, [4]);
        assert_eq!(plan.blocks_leaving, 50);
        assert_eq!(
            plan.leaving,
            [true, true, true, true, true, false, false, false]
        );
    }

    #[test]
    fn the_free_blocks_to_keep_stop_the_plan_and_a_slab_with_a_live_block_stays() {
        let census = census([9, 10, 10, 9, 0, 0, 0, 0]);
        let chunks = [facts(true, true), facts(true, true)];
        let plan = plan(&census, &chunks, BLOCKS, 5, None);
        assert!(plan.unmap.is_empty());
        assert_eq!(plan.release, [1]);
        assert_eq!(plan.blocks_leaving, 10);
        assert!(self::plan(&census, &chunks, BLOCKS, 0, None).is_empty());
    }

    #[test]
    fn the_open_slab_the_chunk_being_carved_and_heap_chunks_are_kept() {
        let census = census([10; 8]);
        // Chunk 0 is being carved (its slab 2 open); chunk 1 is heap memory.
        let chunks = [facts(false, true), facts(true, false)];
        let plan = plan(&census, &chunks, BLOCKS, usize::MAX, Some(2));
        assert_eq!(plan.unmap, [1], "a wholly free heap chunk is freed whole");
        assert_eq!(plan.release, [0, 1, 3]);
        let chunks = [facts(false, true), facts(false, false)];
        let plan = self::plan(&census, &chunks, BLOCKS, usize::MAX, Some(2));
        assert!(plan.unmap.is_empty());
        assert_eq!(plan.release, [0, 1, 3], "nothing of a kept heap chunk");
    }

    #[test]
    fn a_chunk_given_back_slab_by_slab_is_unmapped_even_when_nothing_is_to_give() {
        let mut census = census([0, 0, 0, 10, 0, 0, 0, 0]);
        for slab in 0..3 {
            census.mark_released(census.slab_start(slab));
        }
        let chunks = [facts(true, true), facts(true, true)];
        let plan = plan(&census, &chunks, BLOCKS, 0, None);
        assert!(plan.is_empty(), "slab 3 holds free blocks to keep");
        census.mark_released(census.slab_start(3));
        let plan = self::plan(&census, &chunks, BLOCKS, 0, None);
        assert_eq!(plan.unmap, [0]);
        assert_eq!(plan.blocks_leaving, 0);
    }
}
