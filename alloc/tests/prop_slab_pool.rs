//! `SlabPool` against a simple model: a `Vec<Option<_>>` of the blocks the model says are live.
//!
//! Each live block carries a unique tag in its payload, so a block handed out twice, or written
//! by someone else while out, shows as a wrong tag. Remote frees run on other threads.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use courier_alloc::{Block, NodeBudget, NodeId, PoolConfig, SizeClass, SlabPool, UnboundMemory};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    FreeLocal(usize),
    FreeRemote(usize),
    DrainRemote,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Alloc),
        2 => any::<usize>().prop_map(Op::FreeLocal),
        2 => any::<usize>().prop_map(Op::FreeRemote),
        1 => Just(Op::DrainRemote),
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

fn small_pool(class: SizeClass) -> SlabPool {
    // One slab per chunk, so the model crosses chunk and slab boundaries quickly.
    let config = PoolConfig {
        chunk_size_bytes: courier_alloc::SLAB_SIZE_BYTES,
    };
    let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
    SlabPool::new(class, config, Arc::new(UnboundMemory), budget)
}

fn run(class: SizeClass, ops: &[Op]) {
    let mut pool = small_pool(class);
    let mut model = Model::default();
    for op in ops {
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
                if let Some((tag, block)) = model.take(*pick) {
                    assert_eq!(read_tag(&block), tag, "a live block was overwritten");
                    pool.free(block);
                    model.local_free += 1;
                }
            }
            Op::FreeRemote(pick) => {
                if let Some((tag, block)) = model.take(*pick) {
                    assert_eq!(read_tag(&block), tag, "a live block was overwritten");
                    std::thread::spawn(move || drop(block))
                        .join()
                        .expect("the freeing thread");
                    model.pending_remote += 1;
                }
            }
            Op::DrainRemote => {
                assert_eq!(pool.drain_remote(), model.pending_remote);
                model.local_free += std::mem::take(&mut model.pending_remote);
            }
        }
        let stats = pool.stats();
        assert_eq!(stats.blocks_in_use, model.live_len());
        assert_eq!(stats.remote_frees_pending, model.pending_remote);
        let carvable = stats.blocks_free - model.local_free;
        assert!(carvable < 2 * courier_alloc::SLAB_SIZE_BYTES / class.size_bytes());
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
