//! `SlabPool` against a simple model: a `Vec<Option<_>>` of the blocks the model says are live.
//!
//! Each live block carries a unique tag in its payload, so a block handed out twice, or written
//! by someone else while out, shows as a wrong tag. Remote frees run on other threads. Trims
//! come between the other steps, on heap chunks (whole chunks go) and on mapped ones (single
//! slabs are advised away, then carved again).

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use courier_alloc::{
    AnonymousMemory, Block, NodeBudget, NodeId, NodeMemory, PoolConfig, SLAB_SIZE_BYTES, SizeClass,
    SlabPool, UnboundMemory,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    FreeLocal(usize),
    FreeRemote(usize),
    /// Freed through another pool (`SlabPool::free` of a foreign block): batched.
    FreeBatched(usize),
    FlushBatch,
    DrainRemote,
    /// A trim keeping this many slabs' worth of free blocks.
    Trim(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Alloc),
        2 => any::<usize>().prop_map(Op::FreeLocal),
        2 => any::<usize>().prop_map(Op::FreeRemote),
        2 => any::<usize>().prop_map(Op::FreeBatched),
        1 => Just(Op::FlushBatch),
        1 => Just(Op::DrainRemote),
        1 => (0..3_usize).prop_map(Op::Trim),
    ]
}

/// What the model expects of the pool.
#[derive(Default)]
struct Model {
    live: Vec<Option<(u64, Block)>>,
    next_tag: u64,
    pending_remote: usize,
    /// Blocks on the pool's local free list: reused before the remote list is drained.
    local_free: usize,
    /// Blocks freed through the other pool, in its batch, not home yet (still in use for the
    /// owner).
    outgoing: usize,
}

impl Model {
    fn take(&mut self, pick: usize) -> Option<(u64, Block)> {
        let live: Vec<usize> = (0..self.live.len())
            .filter(|&i| self.live[i].is_some())
            .collect();
        if live.is_empty() {
            return None;
        }
        self.live[live[pick % live.len()]].take()
    }

    /// Takes a live block, checking that nobody wrote it while it was out.
    fn take_checked(&mut self, pick: usize) -> Option<Block> {
        let (tag, block) = self.take(pick)?;
        assert_eq!(read_tag(&block), tag, "a live block was overwritten");
        Some(block)
    }

    fn live_len(&self) -> usize {
        self.live.iter().flatten().count()
    }
}

fn write_tag(block: &mut Block, tag: u64) {
    block.inline_payload_mut()[..8].copy_from_slice(&tag.to_le_bytes());
}

fn read_tag(block: &Block) -> u64 {
    u64::from_le_bytes(block.inline_payload()[..8].try_into().expect("8 bytes"))
}

/// Where a model's pool takes its memory.
#[derive(Clone, Copy, Debug)]
enum Memory {
    /// Heap chunks of one slab: the model crosses chunk and slab boundaries quickly, and a trim
    /// can only free whole chunks.
    Heap,
    /// Mapped chunks of two slabs: a trim also advises single slabs away.
    Mapped,
}

fn small_pool(class: SizeClass) -> SlabPool {
    pool_on(class, Memory::Heap)
}

fn pool_on(class: SizeClass, memory: Memory) -> SlabPool {
    let (slabs, memory): (usize, Arc<dyn NodeMemory>) = match memory {
        Memory::Heap => (1, Arc::new(UnboundMemory)),
        Memory::Mapped => (2, Arc::new(AnonymousMemory)),
    };
    let config = PoolConfig {
        chunk_size_bytes: slabs * SLAB_SIZE_BYTES,
    };
    let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
    SlabPool::new(class, config, memory, budget)
}

/// Blocks of `class` in one slab, after its header line.
fn blocks_per_slab(class: SizeClass) -> usize {
    (SLAB_SIZE_BYTES - 64) / class.size_bytes()
}

/// Blocks per batch of remote frees (the record and the others it lists): `SlabPool::free`.
fn batch_blocks(class: SizeClass) -> usize {
    if class == SizeClass::B64 { 7 } else { 15 }
}

/// Applies one operation to the pool (`other` frees through batches) and to the model.
fn apply(pool: &mut SlabPool, other: &mut SlabPool, model: &mut Model, class: SizeClass, op: &Op) {
    match op {
        Op::Alloc => {
            // The pool's order: local free list, then the whole remote list, then fresh.
            if model.local_free == 0 {
                model.local_free = std::mem::take(&mut model.pending_remote);
            }
            model.local_free = model.local_free.saturating_sub(1);
            let mut block = pool.try_alloc().expect("unbounded pool grows");
            assert_eq!(block.size_class(), class);
            assert_eq!(block.as_ptr().as_ptr() as usize % 64, 0, "64-byte aligned");
            write_tag(&mut block, model.next_tag);
            model.live.push(Some((model.next_tag, block)));
            model.next_tag += 1;
        }
        Op::FreeLocal(pick) => {
            if let Some(block) = model.take_checked(*pick) {
                pool.free(block);
                model.local_free += 1;
            }
        }
        Op::FreeRemote(pick) => {
            if let Some(block) = model.take_checked(*pick) {
                std::thread::spawn(move || drop(block))
                    .join()
                    .expect("the freeing thread");
                model.pending_remote += 1;
            }
        }
        Op::FreeBatched(pick) => {
            if let Some(block) = model.take_checked(*pick) {
                other.free(block);
                model.outgoing += 1;
                if model.outgoing == batch_blocks(class) {
                    model.pending_remote += std::mem::take(&mut model.outgoing);
                }
            }
        }
        Op::FlushBatch => {
            other.flush_remote_frees();
            model.pending_remote += std::mem::take(&mut model.outgoing);
        }
        Op::DrainRemote => {
            assert_eq!(pool.drain_remote(), model.pending_remote);
            model.local_free += std::mem::take(&mut model.pending_remote);
        }
        Op::Trim(slabs) => {
            let before = pool.stats();
            let keep = slabs * blocks_per_slab(class);
            let trimmed = pool.trim(keep * class.size_bytes(), || true);
            assert!(!trimmed.stopped);
            let after = pool.stats();
            // The trim took the remote frees home, then gave back wholly free slabs only.
            let free_before = model.local_free + std::mem::take(&mut model.pending_remote);
            model.local_free = pool.local_free_bytes() / class.size_bytes();
            let given = free_before - model.local_free;
            assert_eq!(given % blocks_per_slab(class), 0, "whole slabs only");
            assert_eq!(after.blocks_in_use, before.blocks_in_use);
            assert_eq!(
                after.bytes_mapped,
                before.bytes_mapped - trimmed.bytes_unmapped
            );
            if given > 0 {
                assert!(
                    model.local_free + blocks_per_slab(class) > keep,
                    "a trim gives back no more than it must"
                );
            }
        }
    }
}

fn run(class: SizeClass, ops: &[Op]) {
    run_on(class, ops, Memory::Heap);
}

fn run_on(class: SizeClass, ops: &[Op], memory: Memory) {
    let mut pool = pool_on(class, memory);
    // Another thread's pool, freeing the first one's blocks (one thread suffices: the batch is
    // per freeing pool, and the remote list is the same whoever pushes).
    let mut other = small_pool(class);
    let mut model = Model::default();
    for op in ops {
        apply(&mut pool, &mut other, &mut model, class, op);
        let stats = pool.stats();
        assert_eq!(stats.blocks_in_use, model.live_len() + model.outgoing);
        assert_eq!(stats.remote_frees_pending, model.pending_remote);
        assert_eq!(
            other.stats().blocks_in_use,
            0,
            "the other pool lends nothing"
        );
        // What is left of the chunk being carved, and the slabs trims gave back.
        let carvable = stats.blocks_free - model.local_free;
        let released = stats.bytes_released / SLAB_SIZE_BYTES * blocks_per_slab(class);
        assert!(carvable - released < 2 * SLAB_SIZE_BYTES / class.size_bytes());
    }
    let addresses: HashSet<usize> = model
        .live
        .iter()
        .flatten()
        .map(|(_, b)| b.as_ptr().as_ptr() as usize)
        .collect();
    assert_eq!(
        addresses.len(),
        model.live_len(),
        "two live blocks share an address"
    );
    for (tag, block) in model.live.into_iter().flatten() {
        assert_eq!(read_tag(&block), tag);
        pool.free(block);
    }
    other.flush_remote_frees();
    pool.drain_remote();
    let stats = pool.stats();
    assert_eq!((stats.blocks_in_use, stats.remote_frees_pending), (0, 0));
}

#[test]
fn slab_pool_matches_the_model_for_every_size_class() {
    let config = common::proptest_config("slab_pool_matches_the_model", 64);
    proptest!(config, |(class in 1..SizeClass::COUNT, ops in prop::collection::vec(op(), 1..300))| {
        run(SizeClass::ALL[class], &ops);
    });
}

#[test]
fn slab_pool_on_mapped_chunks_matches_the_model_through_trims() {
    let config = common::proptest_config("slab_pool_on_mapped_chunks", 64);
    proptest!(config, |(class in 1..SizeClass::COUNT, ops in prop::collection::vec(op(), 1..300))| {
        run_on(SizeClass::ALL[class], &ops, Memory::Mapped);
    });
}

#[test]
fn many_allocations_cross_slab_and_chunk_boundaries() {
    // Over two slabs' worth of 512-byte blocks on one-slab chunks, then everything back.
    let ops: Vec<Op> = std::iter::repeat_n(Op::Alloc, 300)
        .chain((0..150).map(Op::FreeRemote))
        .chain((0..150).map(Op::FreeLocal))
        .chain([Op::DrainRemote])
        .chain(std::iter::repeat_n(Op::Alloc, 300))
        .collect();
    run(SizeClass::B512, &ops);
}

#[test]
fn trims_between_bursts_give_slabs_back_and_carve_them_again() {
    // Bursts of 512-byte blocks over several slabs, freed every way, trimmed, reused.
    let ops: Vec<Op> = std::iter::repeat_n(Op::Alloc, 700)
        .chain((0..300).map(|pick| Op::FreeLocal(pick * 7)))
        .chain((0..100).map(|pick| Op::FreeRemote(pick * 3)))
        .chain([Op::Trim(0)])
        .chain(std::iter::repeat_n(Op::Alloc, 500))
        .chain((0..500).map(|pick| Op::FreeBatched(pick * 5)))
        .chain([Op::FlushBatch, Op::Trim(1)])
        .chain(std::iter::repeat_n(Op::Alloc, 300))
        .chain((0..790).map(Op::FreeLocal))
        .chain([Op::Trim(0), Op::Trim(0)])
        .chain(std::iter::repeat_n(Op::Alloc, 400))
        .collect();
    for memory in [Memory::Heap, Memory::Mapped] {
        run_on(SizeClass::B512, &ops, memory);
    }
}

/// Blocks freed through another pool come home in batches, and the owner hands them out again
/// in the reverse of the order they were freed in (blocks freed in address order come back in
/// address order); the hint of each allocation with `ahead` 3 names the block handed out four
/// allocations later, while both are in one batch.
#[test]
fn batched_remote_frees_come_back_in_reverse_free_order_with_hints() {
    let mut owner = small_pool(SizeClass::B128);
    let mut other = small_pool(SizeClass::B128);
    let blocks: Vec<Block> = (0..30).map(|_| owner.try_alloc().unwrap()).collect();
    let mut expected: Vec<usize> = blocks
        .iter()
        .map(|b| b.as_ptr().as_ptr() as usize)
        .collect();
    expected.reverse();
    for block in blocks {
        other.free(block);
    }
    // Two full batches of 15 went home as they filled; nothing waits in `other`.
    assert_eq!(owner.stats().remote_frees_pending, 30);
    let mut again = Vec::new();
    let mut hints = Vec::new();
    for (index, &expected) in expected.iter().enumerate() {
        let (block, hint) = owner.try_alloc_with_hint(3).unwrap();
        assert_eq!(
            block.as_ptr().as_ptr() as usize,
            expected,
            "block {index} out of order"
        );
        hints.push(hint.map(|p| p.as_ptr() as usize));
        again.push(block);
    }
    for (index, hint) in hints.iter().enumerate() {
        let in_batch = index % 15 + 4 < 15;
        let want = in_batch.then(|| expected[index + 4]);
        assert_eq!(*hint, want, "hint of allocation {index}");
    }
    for block in again {
        owner.free(block);
    }
    assert_eq!(owner.stats().blocks_in_use, 0);
}

/// The smallest class's record lists six others: seven blocks per batch.
#[test]
fn a_batch_of_64_byte_blocks_goes_home_at_seven() {
    let mut owner = small_pool(SizeClass::B64);
    let mut other = small_pool(SizeClass::B64);
    let blocks: Vec<Block> = (0..9).map(|_| owner.try_alloc().unwrap()).collect();
    for (index, block) in blocks.into_iter().enumerate() {
        other.free(block);
        let home = if index < 6 { 0 } else { 7 };
        assert_eq!(
            owner.stats().remote_frees_pending,
            home,
            "after {} frees",
            index + 1
        );
    }
    other.flush_remote_frees();
    assert_eq!(owner.stats().remote_frees_pending, 9);
    assert_eq!(owner.drain_remote(), 9);
    assert_eq!(owner.stats().blocks_in_use, 0);
}
