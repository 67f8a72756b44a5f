//! Instruction counts of courier-alloc's hot paths (gungraun / callgrind): deterministic, the
//! regression gate. Each case runs `PAIRS` alloc+free pairs on a warmed pool; the figure per pair
//! is the reported total divided by `PAIRS` (loop overhead included).
//!
//! - `local_pair`: alloc and free on the owner thread (local free list).
//! - `remote_pair`: the block is freed through another pool, which gathers seven blocks into a
//!   batch and sends it onto the owner's remote-free list as one link; the owner's allocations
//!   take the batches back (and carve while none is home). Per pair: the batching, a seventh of
//!   a CAS and a swap, and the reading of a batch's record.

#![expect(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules and items"
)]

use std::hint::black_box;

use courier_alloc::{SizeClass, SlabPool};
use gungraun::{library_benchmark, library_benchmark_group, main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PAIRS: usize = 1000;

/// A pool whose chunk is mapped and whose local free list holds one block.
fn warm_pool() -> SlabPool {
    let mut pool = SlabPool::unbound(SizeClass::B64);
    let block = pool.try_alloc().expect("a fresh pool grows");
    pool.free(block);
    pool
}

/// An owner pool with one block waiting on its remote-free list and an empty local list, and
/// the other pool that frees into it (in batches of seven 64-byte blocks, each sent home as one
/// link when full: courier-alloc's `free_batch.rs`).
fn remote_pools() -> (SlabPool, SlabPool) {
    let mut owner = SlabPool::unbound(SizeClass::B64);
    let mut other = SlabPool::unbound(SizeClass::B64);
    let block = owner.try_alloc().expect("a fresh pool grows");
    other.free(block);
    other.flush_remote_frees();
    (owner, other)
}

#[library_benchmark]
#[bench::local_pair(setup = warm_pool)]
fn alloc_free(mut pool: SlabPool) -> SlabPool {
    for _ in 0..PAIRS {
        let block = pool.try_alloc().expect("a warm pool has a free block");
        pool.free(black_box(block));
    }
    pool
}

#[library_benchmark]
#[bench::remote_pair(setup = remote_pools)]
fn alloc_free_remote((mut owner, mut other): (SlabPool, SlabPool)) -> (SlabPool, SlabPool) {
    for _ in 0..PAIRS {
        let block = owner.try_alloc().expect("an unbound pool grows");
        other.free(black_box(block));
    }
    (owner, other)
}

library_benchmark_group!(name = alloc, benchmarks = [alloc_free, alloc_free_remote]);

main!(library_benchmark_groups = alloc);
