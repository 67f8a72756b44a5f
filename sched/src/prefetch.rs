//! Prefetching the cache lines of an actor's cell that a send or a turn is about to write.
//!
//! Across workers, every line of a cell that both sides write (the mailbox's stub line, its
//! producers' line, the header's state line) arrives by a cache-line transfer, and each locked
//! RMW on one waits for its line before the next can start: three transfers in a row on the
//! sending side, as many again when the turn starts. Asking for all of them first, with a
//! write-intent prefetch, lets the transfers overlap. A prefetch never faults and changes no
//! value; on a line already here it costs an instruction.

use std::ptr::NonNull;

/// The cache lines of a cell's header that a send or a turn writes: the mailbox's stubs
/// (offset 0) and producers (128), and the header's state and reference count (192 up).
const HOT_LINES: [usize; 3] = [0, 128, 192];

/// Prefetches, for writing, the hot lines of the header at `header`.
#[inline]
pub(crate) fn hot_lines_for_write<T>(header: NonNull<T>) {
    for offset in HOT_LINES {
        prefetch_write(header.as_ptr().cast::<u8>().wrapping_add(offset));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn prefetch_write(line: *const u8) {
    // SAFETY: PREFETCHW only hints the cache: it never faults, whatever the address, and
    // writes nothing (CPUs without it execute it as a NOP).
    unsafe {
        std::arch::asm!(
            "prefetchw [{line}]",
            line = in(reg) line,
            options(nostack, preserves_flags, readonly)
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn prefetch_write(_line: *const u8) {}
