//! `Block`: an owned 64-byte-aligned message block from a slab pool.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use crate::pool::free_remote;
use crate::slab;
use crate::{HEADER_SIZE_BYTES, NodeId, SizeClass};

/// An owned block of a slab pool: 64-byte aligned, its first cache line reserved for the message
/// header, the inline payload after it.
///
/// Give it back with [`SlabPool::free`](crate::SlabPool::free) on the owner's thread (the fast
/// path). Dropping it anywhere else is also correct: the block goes onto its owner pool's
/// remote-free list and the owner reuses it later. Nothing leaks either way.
///
/// The block's bytes are always initialised (pools map zeroed memory), so reading a block that
/// nobody wrote yields old or zero bytes, never undefined behaviour.
pub struct Block {
    ptr: NonNull<u8>,
}

// SAFETY: a Block exclusively owns its bytes, and freeing it from any thread is part of the
// design (the remote-free path).
unsafe impl Send for Block {}
// SAFETY: `&Block` only allows reading its bytes and its slab header, which does not change
// while the block is out.
unsafe impl Sync for Block {}

impl Block {
    /// Wraps a block that a pool just handed out.
    ///
    /// # Safety
    /// - `ptr` is a block of a live pool, not on any free list, and owned by nobody else.
    #[inline]
    pub(crate) unsafe fn new(ptr: NonNull<u8>) -> Block {
        debug_assert!(
            ptr.addr().get().is_multiple_of(HEADER_SIZE_BYTES),
            "blocks are 64-byte aligned"
        );
        Block { ptr }
    }

    /// The first byte of the block: where the header goes.
    #[must_use]
    #[inline]
    pub fn as_ptr(&self) -> NonNull<u8> {
        self.ptr
    }

    /// The block's size class.
    #[must_use]
    #[inline]
    pub fn size_class(&self) -> SizeClass {
        self.header().class
    }

    /// The node whose pool the block belongs to.
    #[must_use]
    #[inline]
    pub fn node(&self) -> NodeId {
        self.header().node
    }

    /// The inline payload bytes after the header.
    #[must_use]
    #[inline]
    pub fn inline_payload(&self) -> &[u8] {
        let len = self.size_class().inline_capacity_bytes();
        // SAFETY: the payload lies inside the block, which we own; pool memory is initialised.
        unsafe { std::slice::from_raw_parts(self.payload_ptr().as_ptr(), len) }
    }

    /// The inline payload bytes after the header, writable.
    #[must_use]
    #[inline]
    pub fn inline_payload_mut(&mut self) -> &mut [u8] {
        let len = self.size_class().inline_capacity_bytes();
        // SAFETY: as in `inline_payload`, and `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.payload_ptr().as_ptr(), len) }
    }

    /// Gives up ownership without freeing: the caller must later rebuild the block with
    /// [`Block::from_raw`] (to free it), or the block stays out of its pool for good.
    #[must_use]
    #[inline]
    pub fn into_raw(self) -> NonNull<u8> {
        ManuallyDrop::new(self).ptr
    }

    /// Rebuilds a block from [`Block::into_raw`].
    ///
    /// # Safety
    /// - `ptr` came from [`Block::into_raw`] and is rebuilt once.
    #[must_use]
    #[inline]
    pub unsafe fn from_raw(ptr: NonNull<u8>) -> Block {
        Block { ptr }
    }

    #[inline]
    fn payload_ptr(&self) -> NonNull<u8> {
        // SAFETY: every block is at least one header long, so the payload starts inside it or
        // at its end (an empty payload).
        unsafe { self.ptr.add(HEADER_SIZE_BYTES) }
    }

    #[inline]
    fn header(&self) -> &slab::SlabHeader {
        // SAFETY: the slab header was written before any block of the slab was handed out and
        // stays unchanged while this block is out (its chunk lives until the block returns).
        unsafe { slab::header_of(self.ptr).as_ref() }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: we own the block and give it up here; it is not used again.
        unsafe { free_remote(self.ptr) };
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("ptr", &self.ptr)
            .field("class", &self.size_class())
            .field("node", &self.node())
            .finish()
    }
}
