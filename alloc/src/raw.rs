//! Raw memory: the one module of the workspace that calls the global allocator directly or asks
//! the kernel for memory placement (`clippy.toml` forbids `std::alloc::{alloc, dealloc}`
//! elsewhere). Everything here is a thin, documented wrapper; policy lives in the callers.

use std::alloc::Layout;
use std::io;
use std::ptr::NonNull;

use crate::NodeId;

/// Allocates zeroed memory for `layout` from the global allocator.
///
/// Returns `None` when the allocator refuses (out of memory). `layout` must have a non-zero size.
pub(crate) fn alloc_zeroed(layout: Layout) -> Option<NonNull<u8>> {
    assert!(layout.size() > 0, "raw::alloc_zeroed: zero-sized layout");
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the raw allocation module"
    )]
    // SAFETY: the layout has a non-zero size (asserted above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    NonNull::new(ptr)
}

/// Returns memory from [`alloc_zeroed`] to the global allocator.
///
/// # Safety
/// - `ptr` came from [`alloc_zeroed`] with this same `layout`.
/// - It is not used again and not freed twice.
pub(crate) unsafe fn dealloc(ptr: NonNull<u8>, layout: Layout) {
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the raw allocation module"
    )]
    // SAFETY: the caller guarantees `ptr` was allocated with `layout` and is freed once.
    unsafe {
        std::alloc::dealloc(ptr.as_ptr(), layout);
    }
}

/// Binds the pages of `[addr, addr + len_bytes)` to `node` with `mbind(MPOL_BIND)`.
///
/// Must run before the pages are first touched: the kernel places a page when it is faulted in,
/// and `mbind` without `MPOL_MF_MOVE` does not migrate pages already present.
///
/// # Safety
/// - `[addr, addr + len_bytes)` is a page-aligned range of one mapping owned by the caller.
pub(crate) unsafe fn bind_to_node(
    addr: NonNull<u8>,
    len_bytes: usize,
    node: NodeId,
) -> io::Result<()> {
    const WORD_BITS: usize = u64::BITS as usize;
    let mut nodemask = vec![0_u64; node.index() / WORD_BITS + 1];
    nodemask[node.index() / WORD_BITS] |= 1 << (node.index() % WORD_BITS);
    // The kernel reads `maxnode - 1` bits (it decrements first), as libnuma's callers know.
    let maxnode = nodemask.len() * WORD_BITS + 1;
    // SAFETY: the caller owns the range (a page-aligned part of its own mapping); `nodemask`
    // lives across the call and holds `maxnode - 1` bits; mbind reads it and changes only the
    // policy of that range.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mbind,
            addr.as_ptr(),
            len_bytes,
            libc::MPOL_BIND,
            nodemask.as_ptr(),
            maxnode,
            0_u32,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Hands the pages of `[addr, addr + len_bytes)` back to the kernel with `madvise(MADV_DONTNEED)`:
/// they leave the resident set, and the range stays mapped, with its node binding; the next
/// touch faults in zeroed pages.
///
/// # Safety
/// - `[addr, addr + len_bytes)` is a page-aligned range of a private anonymous mapping owned by
///   the caller, and nothing reads or writes it until the caller uses it again.
pub(crate) unsafe fn release_pages(addr: NonNull<u8>, len_bytes: usize) -> io::Result<()> {
    // SAFETY: the caller's contract: the range is its own private anonymous memory, unused; the
    // kernel only drops its pages.
    let rc = unsafe { libc::madvise(addr.as_ptr().cast(), len_bytes, libc::MADV_DONTNEED) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
