//! Instruction counts of courier-alloc's hot paths (gungraun / callgrind): deterministic, the
//! regression gate. Each case runs `PAIRS` alloc+free pairs on a warmed pool; the figure per pair
//! is the reported total divided by `PAIRS` (loop overhead included).
//!
//! - `local_pair`: alloc and free on the owner thread (local free list).
//! - `remote_pair`: the block is freed through another pool (onto the owner's remote-free list),
//!   and the owner's next allocation drains it back.

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
/// the other pool that frees into it.
fn remote_pools() -> (SlabPool, SlabPool) {
    let mut owner = SlabPool::unbound(SizeClass::B64);
    let mut other = SlabPool::unbound(SizeClass::B64);
    let block = owner.try_alloc().expect("a fresh pool grows");
    other.free(block);
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
        let block = owner.try_alloc().expect("the remote list holds a block");
        other.free(black_box(block));
    }
    (owner, other)
}

library_benchmark_group!(name = alloc, benchmarks = [alloc_free, alloc_free_remote]);

main!(library_benchmark_groups = alloc);
