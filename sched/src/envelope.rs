//! The message header: where courier-alloc's blocks and courier-mailbox's links meet.
//!
//! Every message lives in a slab block; the block's first cache line is this [`Envelope`]
//! (the mailbox's intrusive link, the type tag, correlation id, priority and flags) and the
//! message value follows inline, or, when it does not fit, a `Box` of it does.

use std::mem::size_of;
use std::ptr::NonNull;

use courier_alloc::{Block, CACHE_LINE_BYTES, HEADER_SIZE_BYTES, PoolSet, SizeClass};
use courier_mailbox::{Link, Linked, Priority};

/// What an envelope carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum TypeTag {
    /// A message of the actor's own type `A::Msg`.
    User = 0,
    /// A [`SystemMessage`](crate::cell::SystemMessage) of the runtime.
    System = 1,
}

/// The payload is a `Box<M>` (the message did not fit inline).
const BOXED_BIT: u8 = 1 << 0;

/// The first cache line of every message block.
#[repr(C, align(64))]
pub(crate) struct Envelope {
    /// The mailbox's intrusive link; first, so `Linked` is a cast both ways.
    link: Link,
    /// Correlates a request and its reply (asks, MCP request ids); 0 when unused.
    pub(crate) correlation: u64,
    pub(crate) type_tag: TypeTag,
    pub(crate) priority: u8,
    flags: u8,
    /// Where the sender's pool said it would put the message sent `PREFETCH_DISTANCE` sends
    /// after this one (0: it did not know). The consumer prefetches it when it takes this
    /// message, so that the messages queued behind arrive while it handles this one, instead
    /// of one dependent cache miss per message (each link names only the next). A hint: a
    /// wrong address costs a useless prefetch, never a fault.
    ahead: usize,
}

/// How many sends ahead the hint in each envelope looks (`Envelope::ahead`). Measured with one
/// outside sender into a 1024-message mailbox (README, "Scheduler times"): 4 and 3 beat 2, 6
/// and 8.
const PREFETCH_DISTANCE: usize = 4;

// The header fills exactly the block's reserved first line (loom's atomics are larger, so the
// layout is only fixed for real builds).
#[cfg(not(courier_loom))]
const _: () = assert!(size_of::<Envelope>() == HEADER_SIZE_BYTES);
const _: () = assert!(align_of::<Envelope>() == CACHE_LINE_BYTES);

// SAFETY: `link` is the first field of a `#[repr(C)]` struct, so a pointer to the envelope and a
// pointer to its link are the same address with the same provenance; the casts are exact
// inverses, and the envelope uses `link` for nothing else.
unsafe impl Linked for Envelope {
    #[inline]
    fn link(node: NonNull<Self>) -> NonNull<Link> {
        node.cast()
    }

    #[inline]
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
        link.cast()
    }
}

/// Whether a value of type `M` goes inline after the header (else it is boxed).
const fn fits_inline<M>() -> bool {
    size_of::<M>() <= SizeClass::B512.inline_capacity_bytes() && align_of::<M>() <= CACHE_LINE_BYTES
}

/// The block class for a message of type `M` (a pointer when boxed).
const fn class_for<M>() -> SizeClass {
    let len = if fits_inline::<M>() {
        size_of::<M>()
    } else {
        size_of::<Box<M>>()
    };
    match SizeClass::for_inline_payload(len) {
        Some(class) => class,
        None => SizeClass::B512,
    }
}

/// Packs `message` into a block from `pools`: header, then the value inline or boxed. Hands the
/// message back when no block can be had (the node's pool cap is reached).
pub(crate) fn pack<M>(
    pools: &mut PoolSet,
    message: M,
    type_tag: TypeTag,
    priority: Priority,
    correlation: u64,
) -> Result<NonNull<Envelope>, M> {
    // The allocation error (a node cap reached) is reported as `SendError::NoMemory`.
    let Ok((block, ahead)) = pools.try_alloc_with_hint(class_for::<M>(), PREFETCH_DISTANCE - 1)
    else {
        return Err(message);
    };
    let ahead = ahead.map_or(0, |block| block.as_ptr().addr());
    let base = block.into_raw();
    let payload = payload_ptr(base);
    let flags = if fits_inline::<M>() {
        // SAFETY: the class holds `size_of::<M>()` bytes after the header, and the payload is
        // 64-byte aligned, enough for `M` (`fits_inline`).
        unsafe { payload.cast::<M>().write(message) };
        0
    } else {
        let boxed = Box::into_raw(Box::new(message));
        // SAFETY: the class holds a pointer after the header, 64-byte aligned.
        unsafe { payload.cast::<*mut M>().write(boxed) };
        BOXED_BIT
    };
    let envelope = Envelope {
        link: Link::new(),
        correlation,
        type_tag,
        priority: priority as u8,
        flags,
        ahead,
    };
    let envelope_ptr = base.cast::<Envelope>();
    // SAFETY: the block is ours, 64-byte aligned and at least one header long.
    unsafe { envelope_ptr.write(envelope) };
    Ok(envelope_ptr)
}

/// Takes the message out of an envelope made by [`pack`] and returns it with its block, which
/// the caller frees (to its own pool when it has one).
///
/// # Safety
/// - `envelope` came from [`pack::<M>`] (same `M`), is out of every mailbox, and is unpacked
///   once.
pub(crate) unsafe fn unpack<M>(envelope: NonNull<Envelope>) -> (M, Block) {
    let base = envelope.cast::<u8>();
    // SAFETY: the caller says the envelope is a live header written by `pack`.
    let boxed = unsafe { envelope.as_ref() }.flags & BOXED_BIT != 0;
    let payload = payload_ptr(base);
    let message = if boxed {
        // SAFETY: `pack` wrote a `Box<M>` pointer here.
        let boxed = unsafe { payload.cast::<*mut M>().read() };
        // SAFETY: it came from `Box::into_raw` in `pack`, and is taken back once.
        *unsafe { Box::from_raw(boxed) }
    } else {
        // SAFETY: `pack` wrote an `M` here; reading moves it out, once.
        unsafe { payload.cast::<M>().read() }
    };
    // SAFETY: the block came from `Block::into_raw` in `pack`, and is rebuilt once.
    (message, unsafe { Block::from_raw(base) })
}

/// The message of an envelope made by [`pack::<M>`], in place (for selective receive).
///
/// # Safety
/// - `envelope` came from [`pack::<M>`] (same `M`), was not unpacked, and outlives the borrow.
pub(crate) unsafe fn peek<M>(envelope: &Envelope) -> &M {
    let payload = payload_ptr(NonNull::from(envelope).cast::<u8>());
    if envelope.flags & BOXED_BIT != 0 {
        // SAFETY: `pack` wrote a live `Box<M>` pointer here.
        let boxed = unsafe { payload.cast::<*const M>().read() };
        // SAFETY: the box lives until the envelope is unpacked.
        unsafe { &*boxed }
    } else {
        // SAFETY: `pack` wrote an `M` here, which lives until the envelope is unpacked.
        unsafe { payload.cast::<M>().as_ref() }
    }
}

/// Drops the message of an envelope made by [`pack::<M>`] and frees its block.
///
/// # Safety
/// As [`unpack`].
pub(crate) unsafe fn discard<M>(envelope: NonNull<Envelope>) {
    // SAFETY: forwarded from the caller.
    let (message, block) = unsafe { unpack::<M>(envelope) };
    drop(message);
    drop(block);
}

fn payload_ptr(base: NonNull<u8>) -> NonNull<u8> {
    // SAFETY: every block is at least one header long; the payload starts after it.
    unsafe { base.add(HEADER_SIZE_BYTES) }
}

/// Takes the message back out of an envelope that was refused or never delivered, freeing
/// its block.
///
/// # Safety
/// As [`unpack`].
pub(crate) unsafe fn take<M>(envelope: NonNull<Envelope>) -> M {
    // SAFETY: forwarded from the caller.
    let (message, block) = unsafe { unpack::<M>(envelope) };
    drop(block);
    message
}

/// Prefetches the message the sender expected to send `PREFETCH_DISTANCE` sends after
/// `envelope` (`Envelope::ahead`).
#[inline]
pub(crate) fn prefetch_ahead(envelope: NonNull<Envelope>) {
    // SAFETY: the caller holds a live envelope (just popped, not yet unpacked).
    prefetch_message(unsafe { envelope.as_ref() }.ahead);
}

/// Starts loading the message at `address` into this core's cache: its header and the line
/// after it, where the payload starts. 0 does nothing. A hint: the address is never
/// dereferenced, so a stale one costs only a useless prefetch.
#[inline]
pub(crate) fn prefetch_message(address: usize) {
    #[cfg(target_arch = "x86_64")]
    if address != 0 {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let header = std::ptr::without_provenance::<i8>(address);
        // SAFETY: SSE is part of x86_64's baseline; a prefetch never faults and reads nothing
        // into the program, so any address will do.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(header) };
        // SAFETY: as above.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(header.wrapping_add(CACHE_LINE_BYTES)) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
