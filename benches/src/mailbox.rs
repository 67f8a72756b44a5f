//! The message type the mailbox benchmarks push: a `Link` and a payload, like courier-sched's
//! header in miniature.

use std::ptr::NonNull;

use courier_mailbox::{Link, Linked};

/// A benchmark message: the link at offset 0, then a 64-bit payload, in a 64-byte aligned
/// block, as courier-sched's header sits in the first cache line of a courier-alloc block (so
/// two messages never share a cache line).
#[derive(Debug)]
#[repr(C, align(64))]
pub struct BenchMessage {
    link: Link,
    /// The payload: a sequence number or a tag.
    pub value: u64,
}

// SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct, so both casts are exact inverses that
// keep the whole node's provenance, and nothing but the mailbox touches `link`.
unsafe impl Linked for BenchMessage {
    #[inline]
    fn link(node: NonNull<Self>) -> NonNull<Link> {
        node.cast()
    }

    #[inline]
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
        link.cast()
    }
}

impl BenchMessage {
    /// A message with `value`, in no mailbox.
    #[must_use]
    pub fn new(value: u64) -> Self {
        Self {
            link: Link::new(),
            value,
        }
    }

    /// A heap message, leaked into a pointer; [`BenchMessage::free`] takes it back.
    #[must_use]
    pub fn boxed(value: u64) -> NonNull<Self> {
        NonNull::from(Box::leak(Box::new(Self::new(value))))
    }

    /// Frees a message made by [`BenchMessage::boxed`] and returns its value.
    ///
    /// # Safety
    ///
    /// - `node` came from [`BenchMessage::boxed`], is in no mailbox, and is not used again.
    #[must_use]
    pub unsafe fn free(node: NonNull<Self>) -> u64 {
        // SAFETY: the caller passes a pointer from `Box::leak` exactly once.
        unsafe { Box::from_raw(node.as_ptr()) }.value
    }
}
