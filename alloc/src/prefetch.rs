//! Prefetching a block before it is written.

/// Starts taking the line at `address` into this core's cache for writing (x86's
/// `PREFETCHW`), so that the store that follows a few allocations later finds it owned here
/// instead of waiting for the core that last wrote it. A hint: the address is never
/// dereferenced, and a prefetch never faults.
#[inline]
pub(crate) fn prefetch_for_write(address: *const u8) {
    #[cfg(all(target_arch = "x86_64", not(courier_loom)))]
    // SAFETY: `PREFETCHW` reads and writes no program-visible memory and never faults, whatever
    // the address; on the few x86_64 cores without it, its encoding is a no-op. It leaves the
    // flags and the stack alone.
    unsafe {
        std::arch::asm!(
            "prefetchw [{address}]",
            address = in(reg) address,
            options(nostack, preserves_flags, readonly),
        );
    }
    #[cfg(not(all(target_arch = "x86_64", not(courier_loom))))]
    let _ = address;
}
