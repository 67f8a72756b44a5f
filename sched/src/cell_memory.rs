//! Where actor cells live: in slab blocks on the memory of the actor's home node.
//!
//! A worker owns a `PoolSet` for the cells of the actors spawned on it for its own node
//! (`memory.rs`), on that node's memory: bound to the node and pre-faulted when the runtime is
//! pinned on the real topology, so an actor's state and mailbox, which every message to it
//! touches, sit on the node whose workers run it. Any other spawning thread (one outside the
//! runtime, or a worker spawning for another node or another runtime) takes the block from a
//! pool set of its own for that runtime's node, on the same memory (`AWAY_POOLS`): the cell
//! lands on the home node whoever spawns it. A cell freed on a worker goes to that worker's
//! pools: its own blocks onto the local free list, others in a batch home (courier-alloc's
//! remote frees), which a worker sends when it runs out of work; a cell freed on any other
//! thread goes straight home through its pool's remote-free list.
//!
//! Against the global allocator (mimalloc) this takes an actor's life from 1,278 to 1,177
//! instructions (`spawn_instr::life`), a spawn from outside from 337 to 320: the pool's free
//! list is a pointer pop, where a 64-byte-aligned request took mimalloc's aligned path (91
//! instructions an allocation and free of 256 bytes, 204 of 320).
//!
//! A type whose block would waste more than a quarter of itself, or that needs more than a cache
//! line of alignment, or that is larger than the largest class (512 bytes: an actor with more
//! than ~250 bytes of state), takes heap memory instead. With the classes of 320 and 384 bytes
//! every cell up to 512 bytes has a block that wastes less than a quarter of itself.

use std::cell::{Cell, RefCell};
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Weak};

use courier_alloc::{
    Block, CACHE_LINE_BYTES, HUGE_PAGE_BYTES, PoolConfig, PoolSet, SizeClass, Trimmed,
};

use crate::runtime::Shared;
use crate::worker::{current_worker_of, free_cell};

thread_local! {
    /// This thread's cell pools for the nodes it spawns for without being one of their workers,
    /// one set per runtime and node. An entry is known by the runtime's address and the node;
    /// it holds a `Weak` of the runtime, which keeps that address from being reused while the
    /// entry lives. An entry goes when a new one is made after its runtime has gone (its
    /// blocks still out return to the abandoned pool, courier-alloc's P4), else when the
    /// thread ends.
    static AWAY_POOLS: RefCell<AwayPools> = const { RefCell::new(AwayPools(Vec::new())) };
    /// The entry of `AWAY_POOLS` that the last away allocation used (runtime, node, set), so
    /// that a run of spawns for one node skips the search (a borrow and a scan were 57
    /// instructions a spawn from outside, `spawn_instr`); null when none. A constant
    /// initialiser and no destructor: it is never torn down, and `AWAY_POOLS` clears it
    /// before it frees its sets.
    static LAST_AWAY: Cell<(*const Shared, u16, *mut PoolSet)> =
        const { Cell::new((ptr::null(), 0, ptr::null_mut())) };
}

/// One entry of `AWAY_POOLS`.
struct AwayEntry {
    runtime: Weak<Shared>,
    node: u16,
    /// Boxed (its address goes into `LAST_AWAY`) and reached only through this pointer, by
    /// `allocate_away` and its slow path, which run allocator code only and so never overlap.
    pools: NonNull<PoolSet>,
}

impl Drop for AwayEntry {
    fn drop(&mut self) {
        // SAFETY: from `Box::leak` in `allocate_away_slow`, freed once, as its entry goes;
        // whoever drops entries clears `LAST_AWAY` first, so nothing points to it any more.
        drop(unsafe { Box::from_raw(self.pools.as_ptr()) });
    }
}

/// The entries of `AWAY_POOLS`.
struct AwayPools(Vec<AwayEntry>);

impl AwayPools {
    /// Drops the entries whose runtime has gone; the caller sets `LAST_AWAY` afterwards.
    fn prune(&mut self) {
        LAST_AWAY.set((ptr::null(), 0, ptr::null_mut()));
        self.0.retain(|entry| entry.runtime.strong_count() > 0);
    }
}

impl Drop for AwayPools {
    fn drop(&mut self) {
        // The entries drop after this, with the vector.
        LAST_AWAY.set((ptr::null(), 0, ptr::null_mut()));
    }
}

/// How a cell pool grows: a transparent huge page at a time. On 4 KiB pages a spawn from
/// outside the runtime took ~410 ns in a fresh process (a page fault every 16 cells on this
/// machine's guest), against ~170 on mimalloc's huge-page-backed heap; a 2 MiB chunk faults
/// once for 8,192 cells of 256 bytes.
pub(crate) const CELL_POOL_CONFIG: PoolConfig = PoolConfig {
    chunk_size_bytes: HUGE_PAGE_BYTES,
};

/// Where a cell's memory came from, so that [`release`] gives it back there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CellSource {
    /// A block of a cell pool.
    Slab,
    /// The global allocator.
    Heap,
}

/// The class of the slab block a `T` lives in, or `None` where the heap fits it better (module
/// doc).
pub(crate) const fn slab_class<T>() -> Option<SizeClass> {
    let size = size_of::<T>();
    if size == 0 || align_of::<T>() > CACHE_LINE_BYTES {
        return None;
    }
    let mut index = 0;
    while index < SizeClass::COUNT {
        let class = SizeClass::ALL[index];
        let block = class.size_bytes();
        if size <= block {
            return if block - size <= block / 4 {
                Some(class)
            } else {
                None
            };
        }
        index += 1;
    }
    None
}

/// Memory for one `T` of an actor of `runtime` homed on `node`, not initialised, and where it
/// came from: a block of a cell pool on the node's memory where [`slab_class`] gives a class
/// and the pool can grow (the current worker's own when it is one of `node`'s, else this
/// thread's `AWAY_POOLS` entry), else the heap.
#[inline]
pub(crate) fn allocate<T>(runtime: &Arc<Shared>, node: u16) -> (NonNull<T>, CellSource) {
    if let Some(class) = const { slab_class::<T>() } {
        let block = match current_worker_of(runtime) {
            Some(worker) if worker.node() == node => worker.alloc_cell(class),
            _ => allocate_away(runtime, node, class),
        };
        if let Some(block) = block {
            // A block is 64-byte aligned and `class` holds a `T` (`slab_class`).
            return (block.into_raw().cast(), CellSource::Slab);
        }
    }
    let heap: &mut MaybeUninit<T> = Box::leak(Box::new_uninit());
    (NonNull::from(heap).cast(), CellSource::Heap)
}

/// A block of `class` from this thread's cell pools for `runtime`'s `node`, made on first use;
/// `None` when the pool cannot grow or the thread's thread-locals are being torn down.
#[inline]
fn allocate_away(runtime: &Arc<Shared>, node: u16, class: SizeClass) -> Option<Block> {
    let (last_runtime, last_node, pools) = LAST_AWAY.get();
    if ptr::eq(last_runtime, Arc::as_ptr(runtime))
        && last_node == node
        && let Some(mut pools) = NonNull::new(pools)
    {
        // SAFETY: `LAST_AWAY` points to a live set of `AWAY_POOLS` (cleared before any is
        // freed), this thread's own; only allocator code runs while we hold it (`AwayEntry`).
        return unsafe { pools.as_mut() }.try_alloc(class).ok();
    }
    allocate_away_slow(runtime, node, class)
}

/// `allocate_away` for another node than the last one's: finds or makes its entry.
#[inline(never)]
fn allocate_away_slow(runtime: &Arc<Shared>, node: u16, class: SizeClass) -> Option<Block> {
    let key = Arc::as_ptr(runtime);
    AWAY_POOLS
        .try_with(|away| {
            let mut away = away.borrow_mut();
            let found = away
                .0
                .iter()
                .find(|entry| ptr::eq(entry.runtime.as_ptr(), key) && entry.node == node)
                .map(|entry| entry.pools);
            let mut pools = found.unwrap_or_else(|| {
                away.prune();
                let pools = NonNull::from(Box::leak(Box::new(
                    runtime.node_pools().cell_pool_set(node),
                )));
                away.0.push(AwayEntry {
                    runtime: Arc::downgrade(runtime),
                    node,
                    pools,
                });
                pools
            });
            LAST_AWAY.set((key, node, pools.as_ptr()));
            // SAFETY: a live set of `AWAY_POOLS` (we hold its borrow), this thread's own; only
            // allocator code runs while we hold it.
            unsafe { pools.as_mut() }.try_alloc(class).ok()
        })
        .ok()
        .flatten()
}

/// Trims this thread's cell pools for nodes it spawned for from elsewhere (`thread_trim.rs`),
/// dropping those of runtimes that have gone.
pub(crate) fn trim_away_pools(keep_free_bytes: usize) -> Trimmed {
    AWAY_POOLS
        .try_with(|away| {
            let mut away = away.borrow_mut();
            away.prune();
            let mut trimmed = Trimmed::default();
            for entry in &away.0 {
                // SAFETY: a live set of `AWAY_POOLS` (we hold its borrow), this thread's own;
                // only allocator code runs while we hold it.
                trimmed.add(unsafe { &mut *entry.pools.as_ptr() }.trim(keep_free_bytes, || true));
            }
            trimmed
        })
        .unwrap_or_default()
}

/// Gives the memory of a `T` back where it came from.
///
/// # Safety
/// - `ptr` and `source` came from one call of [`allocate::<T>`](allocate), the `T` in it is
///   dropped (or was never written), and nobody uses the memory again.
#[inline]
pub(crate) unsafe fn release<T>(ptr: NonNull<T>, source: CellSource) {
    match source {
        CellSource::Slab => {
            // SAFETY: the address `Block::into_raw` gave in `allocate`, rebuilt once (caller).
            free_cell(unsafe { Block::from_raw(ptr.cast()) });
        }
        CellSource::Heap => {
            // SAFETY: `allocate` leaked this box for a `T` (caller); its value is dropped.
            drop(unsafe { Box::from_raw(ptr.cast::<MaybeUninit<T>>().as_ptr()) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(align(64))]
    struct Lines<const N: usize>([u8; N]);

    /// More alignment than a block has.
    #[repr(align(128))]
    #[expect(dead_code, reason = "only its layout is asked about")]
    struct Wide([u8; 256]);

    #[test]
    fn a_type_takes_the_smallest_block_that_wastes_at_most_a_quarter_of_itself() {
        assert_eq!(slab_class::<Lines<256>>(), Some(SizeClass::B256));
        assert_eq!(slab_class::<Lines<192>>(), Some(SizeClass::B256));
        assert_eq!(slab_class::<Lines<320>>(), Some(SizeClass::B320));
        assert_eq!(slab_class::<Lines<384>>(), Some(SizeClass::B384));
        assert_eq!(slab_class::<Lines<448>>(), Some(SizeClass::B512));
        assert_eq!(slab_class::<Lines<512>>(), Some(SizeClass::B512));
        assert_eq!(slab_class::<Lines<64>>(), Some(SizeClass::B64));
    }

    #[test]
    fn a_type_that_a_block_fits_badly_or_not_at_all_takes_the_heap() {
        // 64 bytes in a 128-byte block would waste half of it.
        assert_eq!(slab_class::<[u8; 64]>(), Some(SizeClass::B64));
        assert_eq!(slab_class::<[u8; 65]>(), None);
        assert_eq!(slab_class::<Lines<576>>(), None);
        assert_eq!(slab_class::<()>(), None);
        assert_eq!(slab_class::<Wide>(), None);
    }

    /// This thread's away pool of `class` for the runtime of `shared`'s node 0, as its stats
    /// say, after it takes back the blocks freed elsewhere.
    fn away_pool(shared: &Arc<Shared>, class: SizeClass) -> courier_alloc::PoolStats {
        AWAY_POOLS.with_borrow_mut(|away| {
            let mut pools = away
                .0
                .iter()
                .find(|entry| ptr::eq(entry.runtime.as_ptr(), Arc::as_ptr(shared)))
                .expect("the thread spawned for the node")
                .pools;
            // SAFETY: a live set of `AWAY_POOLS`, this thread's; no other use of it is live.
            let pools = unsafe { pools.as_mut() };
            pools.drain_remote();
            pools.stats()[class.index()]
        })
    }

    #[test]
    fn memory_from_either_source_goes_back_where_it_came_from() {
        let runtime = crate::LocalRuntime::new().expect("a runtime");
        let shared = runtime.shared();
        let (slab, source) = allocate::<Lines<256>>(shared, 0);
        assert_eq!(source, CellSource::Slab);
        assert!(slab.addr().get().is_multiple_of(CACHE_LINE_BYTES));
        // SAFETY: fresh memory for the type, ours alone.
        unsafe { slab.write(Lines([7; 256])) };
        assert_eq!(away_pool(shared, SizeClass::B256).blocks_in_use, 1);
        // SAFETY: from `allocate` with this source; `Lines` needs no drop.
        unsafe { release(slab, source) };
        assert_eq!(away_pool(shared, SizeClass::B256).blocks_in_use, 0);
        // The same block again, from the same entry.
        let (again, source) = allocate::<Lines<256>>(shared, 0);
        assert_eq!((again, source), (slab, CellSource::Slab));
        // SAFETY: as above.
        unsafe { release(again, source) };

        let (heap, source) = allocate::<Lines<576>>(shared, 0);
        assert_eq!(source, CellSource::Heap);
        // SAFETY: as above.
        unsafe { heap.write(Lines([1; 576])) };
        // SAFETY: as above.
        unsafe { release(heap, source) };
        AWAY_POOLS.with_borrow(|away| assert_eq!(away.0.len(), 1, "one entry for the node"));
    }

    #[test]
    fn a_new_entry_frees_those_of_runtimes_that_have_gone() {
        let (cell, source) = {
            let gone = crate::LocalRuntime::new().expect("a runtime");
            allocate::<Lines<256>>(gone.shared(), 0)
        };
        AWAY_POOLS.with_borrow(|away| assert_eq!(away.0.len(), 1));
        let runtime = crate::LocalRuntime::new().expect("a runtime");
        let (other, other_source) = allocate::<Lines<256>>(runtime.shared(), 0);
        AWAY_POOLS.with_borrow(|away| {
            assert_eq!(away.0.len(), 1, "the gone runtime's entry went");
            assert!(ptr::eq(
                away.0[0].runtime.as_ptr(),
                Arc::as_ptr(runtime.shared())
            ));
        });
        // The cell of the gone runtime's pool still goes home, to the abandoned pool, whose
        // memory goes with its last block (memcheck checks it).
        // SAFETY: from `allocate` with this source, never written, not used again.
        unsafe { release(cell, source) };
        // SAFETY: as above.
        unsafe { release(other, other_source) };
    }

    #[test]
    fn a_cell_freed_on_another_thread_goes_home_to_the_pool_it_came_from() {
        let runtime = crate::LocalRuntime::new().expect("a runtime");
        let shared = runtime.shared();
        let (slab, source) = allocate::<Lines<320>>(shared, 0);
        assert_eq!(source, CellSource::Slab);
        let address = slab.addr().get();
        std::thread::spawn(move || {
            let slab = NonNull::new(address as *mut Lines<320>).expect("not null");
            // SAFETY: from `allocate` with this source, never written, not used again here.
            unsafe { release(slab, CellSource::Slab) };
        })
        .join()
        .expect("the freeing thread");
        let stats = away_pool(shared, SizeClass::B320);
        assert_eq!(
            stats.blocks_in_use, 0,
            "taken back from the remote-free list"
        );
        assert_eq!(stats.bytes_mapped, HUGE_PAGE_BYTES);
    }
}
