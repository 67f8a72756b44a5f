//! `Region`: an owned, aligned range of memory for one node, from the heap or from a mapping.

use std::alloc::Layout;
use std::fmt;
use std::ptr::NonNull;

use memmap2::MmapMut;

use crate::error::{MapError, MapErrorKind};
use crate::{NodeId, raw};

/// An owned, aligned, initialised range of memory meant for one NUMA node.
///
/// A `Region` is what a [`NodeMemory`](crate::NodeMemory) hands out: either heap memory (zeroed,
/// placed wherever the allocator and first touch put it) or part of an anonymous mapping (bound
/// to its node by whoever mapped it). Dropping it returns the memory.
///
/// ```
/// use courier_alloc::{NodeId, Region};
/// let region = Region::heap(NodeId(0), 4096, 64).unwrap();
/// assert_eq!(region.len_bytes(), 4096);
/// assert_eq!(region.as_ptr().as_ptr() as usize % 64, 0);
/// assert!(region.as_slice().iter().all(|&b| b == 0));
/// ```
pub struct Region {
    ptr: NonNull<u8>,
    len_bytes: usize,
    node: NodeId,
    backing: Backing,
}

enum Backing {
    Heap(Layout),
    /// Kept only to unmap on drop; `ptr` points into it.
    Mapped(#[expect(dead_code, reason = "held for its Drop, which unmaps")] MmapMut),
}

// SAFETY: a Region exclusively owns its memory, like a `Vec<u8>`; nothing in it is tied to the
// thread that created it (heap memory may be freed on any thread, mappings unmapped anywhere).
unsafe impl Send for Region {}
// SAFETY: shared access only reads through `as_slice`; writes need `&mut self`.
unsafe impl Sync for Region {}

impl Region {
    /// Zeroed heap memory of `len_bytes`, aligned to `align_bytes` (a power of two), not bound to
    /// any node: placement follows the allocator and first touch.
    ///
    /// # Errors
    /// [`MapErrorKind::InvalidRequest`] for a zero length or a bad alignment,
    /// [`MapErrorKind::OutOfMemory`] when the allocator refuses.
    pub fn heap(node: NodeId, len_bytes: usize, align_bytes: usize) -> Result<Region, MapError> {
        let error = |kind| MapError {
            node,
            len_bytes,
            kind,
        };
        let layout = Layout::from_size_align(len_bytes, align_bytes)
            .ok()
            .filter(|layout| layout.size() > 0)
            .ok_or_else(|| error(MapErrorKind::InvalidRequest))?;
        let ptr = raw::alloc_zeroed(layout).ok_or_else(|| error(MapErrorKind::OutOfMemory))?;
        Ok(Region {
            ptr,
            len_bytes,
            node,
            backing: Backing::Heap(layout),
        })
    }

    /// The part `[offset, offset + len_bytes)` of an anonymous mapping, which the region keeps
    /// and unmaps when dropped. The caller has bound the mapping to `node` as it sees fit.
    ///
    /// # Errors
    /// [`MapErrorKind::InvalidRequest`] when the range is empty or does not lie in the mapping.
    pub fn from_mmap(
        node: NodeId,
        mut map: MmapMut,
        offset: usize,
        len_bytes: usize,
    ) -> Result<Region, MapError> {
        let in_bounds = offset
            .checked_add(len_bytes)
            .is_some_and(|end| end <= map.len());
        if len_bytes == 0 || !in_bounds {
            return Err(MapError {
                node,
                len_bytes,
                kind: MapErrorKind::InvalidRequest,
            });
        }
        let ptr = NonNull::from(&mut map[offset]);
        Ok(Region {
            ptr,
            len_bytes,
            node,
            backing: Backing::Mapped(map),
        })
    }

    /// The first byte.
    #[must_use]
    pub fn as_ptr(&self) -> NonNull<u8> {
        self.ptr
    }

    /// The length in bytes.
    #[must_use]
    pub fn len_bytes(&self) -> usize {
        self.len_bytes
    }

    /// The node this memory is meant for.
    #[must_use]
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Whether the memory is part of a mapping (as opposed to the heap).
    #[must_use]
    pub fn is_mapped(&self) -> bool {
        matches!(self.backing, Backing::Mapped(_))
    }

    /// The bytes of the region.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len_bytes` is owned by this region, initialised (zeroed heap
        // memory or a mapping), and only mutated through `&mut self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len_bytes) }
    }

    /// The bytes of the region, writable.
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len_bytes) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Backing::Heap(layout) = self.backing {
            // SAFETY: `ptr` came from `raw::alloc_zeroed(layout)` in `Region::heap`, and a
            // region is dropped once.
            unsafe { raw::dealloc(self.ptr, layout) };
        }
        // A mapping unmaps itself when `backing` drops.
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("ptr", &self.ptr)
            .field("len_bytes", &self.len_bytes)
            .field("node", &self.node)
            .field("mapped", &self.is_mapped())
            .finish_non_exhaustive()
    }
}
