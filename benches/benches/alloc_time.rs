//! Time of one alloc+free pair of a 64-byte, 64-byte-aligned block: courier-alloc's slab pool
//! against mimalloc and the system allocator (glibc), measured in the same run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

use courier_alloc::{SizeClass, SlabPool};
use criterion::{Criterion, criterion_group, criterion_main};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn alloc_free_pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_free_64B");
    let mut pool = SlabPool::unbound(SizeClass::B64);
    group.bench_function("courier_local", |b| {
        b.iter(|| {
            let block = pool.try_alloc().expect("the pool grows");
            pool.free(black_box(block));
        });
    });
    let mut owner = SlabPool::unbound(SizeClass::B64);
    let mut other = SlabPool::unbound(SizeClass::B64);
    group.bench_function("courier_remote", |b| {
        b.iter(|| {
            let block = owner.try_alloc().expect("the pool grows");
            other.free(black_box(block));
        });
    });
    let layout = Layout::from_size_align(64, 64).expect("a valid layout");
    group.bench_function("mimalloc", |b| b.iter(|| pair(&MiMalloc, layout)));
    group.bench_function("system", |b| b.iter(|| pair(&System, layout)));
    group.finish();
}

fn pair(allocator: &dyn GlobalAlloc, layout: Layout) {
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { allocator.alloc(layout) };
    assert!(!ptr.is_null(), "out of memory");
    // SAFETY: `ptr` came from this allocator with this layout and is freed once.
    unsafe { allocator.dealloc(black_box(ptr), layout) };
}

criterion_group!(benches, alloc_free_pair);
criterion_main!(benches);
