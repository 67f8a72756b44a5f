//! Where actor cells live: in slab blocks of the spawning thread's cell pools.
//!
//! A worker owns a `PoolSet` for the cells of the actors spawned on it (`memory.rs`), on its
//! node's memory: bound to the node and pre-faulted when the runtime is pinned on the real
//! topology, so an actor's state and mailbox, which every message to it touches, sit on the
//! node it was spawned for. A thread outside the runtime spawns into a pool set of its own, on
//! heap memory. A cell freed on a worker goes back to that worker's pools: its own blocks onto
//! the local free list, another thread's in a batch home (courier-alloc's remote frees), which
//! a worker sends when it runs out of work.
//!
//! Against the global allocator (mimalloc) this takes an actor's life from 1,278 to 1,175
//! instructions (`spawn_instr::life`), a spawn from 337 to 314: the pool's free list is a
//! pointer pop, where a 64-byte-aligned request took mimalloc's aligned path (91 instructions
//! an allocation and free of 256 bytes, 204 of 320).
//!
//! A type whose block would waste more than a quarter of itself, or that needs more than a cache
//! line of alignment, or that is larger than the largest class (512 bytes: an actor with more
//! than ~250 bytes of state), takes heap memory instead. With the classes of 320 and 384 bytes
//! every cell up to 512 bytes has a block that wastes less than a quarter of itself.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use courier_alloc::{Block, CACHE_LINE_BYTES, HUGE_PAGE_BYTES, PoolConfig, SizeClass};

use crate::worker::thread_cell_pools;

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

/// Memory for one `T`, not initialised, and where it came from: a block of this thread's cell
/// pools where [`slab_class`] gives a class and the pool can grow, else the heap.
#[inline]
pub(crate) fn allocate<T>() -> (NonNull<T>, CellSource) {
    if let Some(class) = const { slab_class::<T>() }
        && let Some(pools) = thread_cell_pools()
        // SAFETY: W1 (`worker.rs`): allocator code only, and the borrow ends here.
        && let Ok(block) = unsafe { &mut *pools.as_ptr() }.try_alloc(class)
    {
        // A block is 64-byte aligned and `class` holds a `T` (`slab_class`).
        return (block.into_raw().cast(), CellSource::Slab);
    }
    let heap: &mut MaybeUninit<T> = Box::leak(Box::new_uninit());
    (NonNull::from(heap).cast(), CellSource::Heap)
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
            let block = unsafe { Block::from_raw(ptr.cast()) };
            match thread_cell_pools() {
                // SAFETY: W1 (`worker.rs`): allocator code only, and the borrow ends here.
                Some(pools) => unsafe { &mut *pools.as_ptr() }.free(block),
                // This thread's pools are gone (its thread-locals are being torn down): the
                // block goes home through its owner's remote-free list.
                None => drop(block),
            }
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

    #[test]
    fn memory_from_either_source_goes_back_where_it_came_from() {
        let (slab, source) = allocate::<Lines<256>>();
        assert_eq!(source, CellSource::Slab);
        assert!(slab.addr().get().is_multiple_of(CACHE_LINE_BYTES));
        // SAFETY: fresh memory for the type, ours alone.
        unsafe { slab.write(Lines([7; 256])) };
        // SAFETY: from `allocate` with this source; `Lines` needs no drop.
        unsafe { release(slab, source) };
        // The block comes straight back off the local free list.
        let (again, source) = allocate::<Lines<256>>();
        assert_eq!((again, source), (slab, CellSource::Slab));
        // SAFETY: as above.
        unsafe { release(again, source) };

        let (heap, source) = allocate::<Lines<576>>();
        assert_eq!(source, CellSource::Heap);
        // SAFETY: as above.
        unsafe { heap.write(Lines([1; 576])) };
        // SAFETY: as above.
        unsafe { release(heap, source) };
    }

    /// This thread's cell pool of `class`, as its stats say.
    fn own_pool(class: SizeClass) -> courier_alloc::PoolStats {
        let pools = thread_cell_pools().expect("a live thread");
        // SAFETY: W1: allocator code only, and the borrow ends here.
        unsafe { pools.as_ref() }.stats()[class.index()]
    }

    #[test]
    fn a_cell_freed_on_another_thread_goes_home_to_the_pool_it_came_from() {
        let (slab, source) = allocate::<Lines<256>>();
        assert_eq!(source, CellSource::Slab);
        assert_eq!(own_pool(SizeClass::B256).blocks_in_use, 1);
        let address = slab.addr().get();
        std::thread::spawn(move || {
            let slab = NonNull::new(address as *mut Lines<256>).expect("not null");
            // SAFETY: from `allocate` with this source, never written, not used again here.
            unsafe { release(slab, CellSource::Slab) };
        })
        .join()
        .expect("the freeing thread");
        // The other thread's pools sent it home when that thread ended: it waits on this
        // pool's remote-free list, and this thread takes it back.
        assert_eq!(own_pool(SizeClass::B256).remote_frees_pending, 1);
        let pools = thread_cell_pools().expect("a live thread");
        // SAFETY: W1: allocator code only, and the borrow ends here.
        assert_eq!(unsafe { &mut *pools.as_ptr() }.drain_remote(), 1);
        assert_eq!(own_pool(SizeClass::B256).blocks_in_use, 0);
    }
}
