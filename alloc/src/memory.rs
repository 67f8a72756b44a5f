//! Where pool memory comes from: the `NodeMemory` trait and its two providers.

use std::fmt;
use std::ptr::NonNull;

use memmap2::{Advice, MmapMut};

use crate::error::{MapError, MapErrorKind};
use crate::{NodeId, Region, raw};

/// The size of a transparent huge page on x86-64 and aarch64 (4 KiB base pages).
pub const HUGE_PAGE_BYTES: usize = 2 << 20;

const PAGE_BYTES: usize = 4096;

/// A provider of memory for one NUMA node: the slab pools grow through it.
///
/// The default, [`UnboundMemory`], takes zeroed heap memory and binds nothing, so tests need no
/// system calls. [`AnonymousMemory`] maps fresh pages, bound to nothing, that are touched only as
/// blocks are carved. [`BoundMemory`] maps node-bound, huge-page-advised, pre-faulted regions.
/// courier-sched may provide its own (hwloc's binding) by implementing this trait.
pub trait NodeMemory: Send + Sync + fmt::Debug {
    /// Maps `len_bytes` for `node`, aligned to `align_bytes` (a power of two).
    ///
    /// # Errors
    /// A [`MapError`] naming the node and the failing step.
    fn map(&self, node: NodeId, len_bytes: usize, align_bytes: usize) -> Result<Region, MapError>;
}

/// Heap memory, not bound to any node: placement follows first touch. The default provider.
///
/// ```
/// use courier_alloc::{NodeId, NodeMemory, UnboundMemory};
/// let region = UnboundMemory.map(NodeId(0), 1 << 16, 1 << 16).unwrap();
/// assert_eq!(region.as_ptr().as_ptr() as usize % (1 << 16), 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct UnboundMemory;

impl NodeMemory for UnboundMemory {
    fn map(&self, node: NodeId, len_bytes: usize, align_bytes: usize) -> Result<Region, MapError> {
        Region::heap(node, len_bytes, align_bytes)
    }
}

/// Anonymous mappings, not bound to any node (placement follows first touch), advised for
/// transparent huge pages when at least one huge page long, not pre-faulted: a page counts in
/// the resident set once a block in it is carved, and never before. Heap memory is touched
/// whole when the allocator zeroes it, and the global allocator may hand out more than asked
/// to meet a chunk's 64 KiB alignment: a pool of 256-byte blocks on the heap under mimalloc
/// held 356 resident bytes a block, on these mappings 257.
///
/// ```
/// use courier_alloc::{AnonymousMemory, NodeId, NodeMemory};
/// let region = AnonymousMemory.map(NodeId(0), 1 << 16, 1 << 16).unwrap();
/// assert!(region.is_mapped());
/// assert_eq!(region.as_ptr().as_ptr() as usize % (1 << 16), 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AnonymousMemory;

impl NodeMemory for AnonymousMemory {
    fn map(&self, node: NodeId, len_bytes: usize, align_bytes: usize) -> Result<Region, MapError> {
        let options = BoundMemory {
            huge_pages: true,
            populate: false,
        };
        map_anonymous(node, len_bytes, align_bytes, false, options)
    }
}

/// Anonymous mappings bound to their node with `mbind`, advised for transparent huge pages and
/// pre-faulted, in that order (`research/lowlevel.md` §5: populating before the advice gives no
/// huge pages, so the pages are faulted in last, already on the node and already huge).
///
/// ```
/// use courier_alloc::{BoundMemory, NodeId, NodeMemory};
/// let region = BoundMemory::default().map(NodeId(0), 1 << 16, 1 << 16).unwrap();
/// assert!(region.is_mapped());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BoundMemory {
    /// Advise transparent huge pages (`MADV_HUGEPAGE`) for ranges of at least one huge page.
    pub huge_pages: bool,
    /// Fault every page in at map time (`MADV_POPULATE_WRITE`), so the hot path never faults.
    pub populate: bool,
}

impl Default for BoundMemory {
    fn default() -> Self {
        BoundMemory {
            huge_pages: true,
            populate: true,
        }
    }
}

impl NodeMemory for BoundMemory {
    fn map(&self, node: NodeId, len_bytes: usize, align_bytes: usize) -> Result<Region, MapError> {
        map_bound(node, len_bytes, align_bytes, *self)
    }
}

/// Maps `len_bytes` aligned to `align_bytes`, bound to `node`, with the advice of `options`.
pub(crate) fn map_bound(
    node: NodeId,
    len_bytes: usize,
    align_bytes: usize,
    options: BoundMemory,
) -> Result<Region, MapError> {
    map_anonymous(node, len_bytes, align_bytes, true, options)
}

/// Maps `len_bytes` aligned to `align_bytes`, bound to `node` when `bind`, with the advice of
/// `options`.
fn map_anonymous(
    node: NodeId,
    len_bytes: usize,
    align_bytes: usize,
    bind: bool,
    options: BoundMemory,
) -> Result<Region, MapError> {
    let error = |kind| MapError {
        node,
        len_bytes,
        kind,
    };
    if len_bytes == 0 || !align_bytes.is_power_of_two() {
        return Err(error(MapErrorKind::InvalidRequest));
    }
    let align_bytes = align_bytes.max(PAGE_BYTES);
    let len_bytes = len_bytes.next_multiple_of(PAGE_BYTES);
    // Over-map by the alignment and use the aligned part: the slack is address space only,
    // never touched, so it costs no memory.
    let map_len = len_bytes
        .checked_add(align_bytes)
        .ok_or_else(|| error(MapErrorKind::InvalidRequest))?;
    let mut map = MmapMut::map_anon(map_len).map_err(|e| error(MapErrorKind::Map(e)))?;
    let base = map.as_ptr() as usize;
    let offset = base.next_multiple_of(align_bytes) - base;
    let start = NonNull::from(&mut map[offset]);
    if bind {
        // SAFETY: `[start, start + len_bytes)` is page-aligned (align_bytes >= PAGE_BYTES) and
        // lies inside `map`, which we own; nothing has touched it yet, so binding places every
        // page.
        unsafe { raw::bind_to_node(start, len_bytes, node) }
            .map_err(|e| error(MapErrorKind::Bind(e)))?;
    }
    if options.huge_pages && len_bytes >= HUGE_PAGE_BYTES {
        // A kernel without THP refuses the advice; the memory still works, with small pages.
        let _ = map.advise_range(Advice::HugePage, offset, len_bytes);
    }
    if options.populate {
        match map.advise_range(Advice::PopulateWrite, offset, len_bytes) {
            Ok(()) => {}
            // Kernels before 5.14 do not know MADV_POPULATE_WRITE: touch each page instead.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                for page in map[offset..offset + len_bytes].chunks_mut(PAGE_BYTES) {
                    page[0] = 0;
                }
            }
            Err(e) => return Err(error(MapErrorKind::Populate(e))),
        }
    }
    Region::from_mmap(node, map, offset, len_bytes)
}
