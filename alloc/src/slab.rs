//! Slab layout: how a pool finds its way home from any block.
//!
//! Pool memory comes in chunks, and chunks are cut into slabs of [`SLAB_SIZE_BYTES`], each
//! aligned to its size. The first cache line of a slab is its [`SlabHeader`]; blocks follow.
//! Masking a block's address gives its slab header, and the header names the owner pool: that is
//! how a block freed on any thread returns to the right pool without carrying a pointer itself
//! (mimalloc finds its segments the same way).

use std::ptr::NonNull;

use crate::pool::PoolShared;
use crate::{CACHE_LINE_BYTES, NodeId, SizeClass};

/// Bytes in a slab, and its alignment.
pub const SLAB_SIZE_BYTES: usize = 64 << 10;

/// The first cache line of every slab.
#[repr(C, align(64))]
pub(crate) struct SlabHeader {
    /// The pool that owns every block of this slab; valid while any of them is out (M4 of
    /// `remote`).
    pub(crate) pool: NonNull<PoolShared>,
    pub(crate) node: NodeId,
    pub(crate) class: SizeClass,
}

const _: () = assert!(size_of::<SlabHeader>() == CACHE_LINE_BYTES);
const _: () = assert!(SLAB_SIZE_BYTES.is_power_of_two());
const _: () = assert!(SLAB_SIZE_BYTES.is_multiple_of(SizeClass::B512.size_bytes()));

/// Blocks of `class` in one slab, after its header.
pub(crate) const fn blocks_per_slab(class: SizeClass) -> usize {
    (SLAB_SIZE_BYTES - CACHE_LINE_BYTES) / class.size_bytes()
}

/// The header of the slab that holds `block`.
#[inline]
pub(crate) fn header_of(block: NonNull<u8>) -> NonNull<SlabHeader> {
    block
        .map_addr(|addr| {
            let slab = addr.get() & !(SLAB_SIZE_BYTES - 1);
            // A block never sits in the first line of its slab, so its slab starts at a non-zero
            // address at or below it.
            std::num::NonZeroUsize::new(slab).expect("a slab starts at a non-zero address")
        })
        .cast()
}
