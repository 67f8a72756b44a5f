//! The message header: where courier-alloc's blocks and courier-mailbox's links meet.
//!
//! Every message lives in a slab block; the block's first cache line is this [`Envelope`]
//! (the mailbox's intrusive link, the type tag, correlation id, priority and flags) and the
//! message value follows inline, or, when it does not fit, a `Box` of it does.
//!
//! The header's fields take the line's first half. A message of at most
//! [`SMALL_PAYLOAD_BYTES`] (a `u64`, a small enum, a reply handle, a `Box` pointer) goes in the
//! second half, so the whole message is one 64-byte block: the sender writes one line and the
//! consumer reads one, where a payload on the next line made every message two cross-core
//! line transfers (and two lines of slab). A larger message starts on the block's second line.
//!
//! A message too large for a block is boxed on the heap, unless it is huge (at least the
//! runtime's `huge_message_bytes`, the config's `memory.huge_payload_threshold`): then it goes
//! into a mapping of its own on its receiver's node ([`pack_mapped`]), and the block holds the
//! mapping's [`Region`], which unmaps it when the message is taken out.

use std::mem::size_of;
use std::ptr::NonNull;

use courier_alloc::{Block, CACHE_LINE_BYTES, HEADER_SIZE_BYTES, PoolSet, Region, SizeClass};
use courier_mailbox::{Link, Linked, Priority};

use crate::memory::PAGE_BYTES;

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
/// The payload starts on the block's second line (the message is not small).
const TWO_LINES_BIT: u8 = 1 << 1;
/// The payload is a [`Region`] holding the message (a huge message; `BOXED_BIT` is set too).
const MAPPED_BIT: u8 = 1 << 2;

/// The least size of a message that may be huge: the least `memory.huge_payload_threshold` the
/// config takes. A send of a smaller type never reads the runtime's threshold.
const HUGE_MESSAGE_MIN_BYTES: usize = 4096;

/// Where a small message starts: the header line's second half (the fields end before it,
/// checked below).
const SMALL_PAYLOAD_OFFSET: usize = 32;
/// The largest message that shares the header's line.
const SMALL_PAYLOAD_BYTES: usize = CACHE_LINE_BYTES - SMALL_PAYLOAD_OFFSET;
/// A prefetch hint's low bit (block addresses are 64-byte aligned): the message at the
/// address spans more than its header line.
const HINT_TWO_LINES: usize = 1;

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
    /// wrong address costs a useless prefetch, never a fault. Its low bit is
    /// [`HINT_TWO_LINES`] (`hint_for`).
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
#[cfg(not(courier_loom))]
const _: () =
    assert!(std::mem::offset_of!(Envelope, ahead) + size_of::<usize>() <= SMALL_PAYLOAD_OFFSET);
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

/// Whether a value of type `M` goes inline in its block (else it is boxed).
const fn fits_inline<M>() -> bool {
    size_of::<M>() <= SizeClass::B512.inline_capacity_bytes() && align_of::<M>() <= CACHE_LINE_BYTES
}

/// Whether a message of type `M` may be huge: too large for a block, at least
/// [`HUGE_MESSAGE_MIN_BYTES`], and aligned at most to a page (a mapping's alignment). A
/// constant per type, so the send path of every other type has no trace of huge messages.
pub(crate) const fn may_be_huge<M>() -> bool {
    !fits_inline::<M>()
        && size_of::<M>() >= HUGE_MESSAGE_MIN_BYTES
        && align_of::<M>() <= PAGE_BYTES
        && !cfg!(courier_loom)
}

/// What the payload of a message of type `M` holds: `M` itself, a `Box<M>` pointer, or (a
/// type that may be huge) room for either the pointer or a [`Region`].
const fn payload_bytes<M>() -> (usize, usize) {
    if fits_inline::<M>() {
        (size_of::<M>(), align_of::<M>())
    } else if may_be_huge::<M>() {
        const { assert!(size_of::<Region>() >= size_of::<Box<u8>>()) };
        (size_of::<Region>(), align_of::<Region>())
    } else {
        (size_of::<Box<M>>(), align_of::<Box<M>>())
    }
}

/// Whether the payload of an `M` fits the header line's second half.
const fn is_small<M>() -> bool {
    let (len, align) = payload_bytes::<M>();
    len <= SMALL_PAYLOAD_BYTES && align <= SMALL_PAYLOAD_OFFSET && !cfg!(courier_loom)
}

/// Where the payload of an `M` starts in its block.
const fn payload_offset<M>() -> usize {
    if is_small::<M>() {
        SMALL_PAYLOAD_OFFSET
    } else {
        HEADER_SIZE_BYTES
    }
}

/// The block class for a message of type `M`: one line when small, else the header line and
/// the payload (a pointer when boxed).
const fn class_for<M>() -> SizeClass {
    if is_small::<M>() {
        return SizeClass::B64;
    }
    match SizeClass::for_inline_payload(payload_bytes::<M>().0) {
        Some(class) => class,
        None => SizeClass::B512,
    }
}

/// The prefetch hint for a message of type `M` at `address` (0: none): the address, and
/// [`HINT_TWO_LINES`] when the message spans a second line.
const fn hint_for<M>(address: usize) -> usize {
    if address == 0 || is_small::<M>() {
        address
    } else {
        address | HINT_TWO_LINES
    }
}

/// Packs `message` into a block from `pools`: header, then the value inline or boxed. Hands the
/// message back when no block can be had (the node's pool cap is reached).
#[expect(
    clippy::inline_always,
    reason = "the send path moves the message through memory at every call it is not inlined across; see `ActorRef::try_send_with_priority`"
)]
#[inline(always)]
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
    let ahead = hint_for::<M>(ahead.map_or(0, |block| block.as_ptr().addr()));
    let base = block.into_raw();
    let boxed = !fits_inline::<M>();
    let envelope = Envelope {
        link: Link::new(),
        correlation,
        type_tag,
        priority: priority as u8,
        flags: if boxed { BOXED_BIT } else { 0 } | if is_small::<M>() { 0 } else { TWO_LINES_BIT },
        ahead,
    };
    let envelope_ptr = base.cast::<Envelope>();
    // SAFETY: the block is ours, 64-byte aligned and at least one header long. The header is
    // written before the payload: writing a struct may write its padding, where a small
    // payload lies.
    unsafe { envelope_ptr.write(envelope) };
    let payload = payload_ptr::<M>(base);
    if boxed {
        let boxed = Box::into_raw(Box::new(message));
        // SAFETY: the class holds a pointer at the payload's offset, aligned for it.
        unsafe { payload.cast::<*mut M>().write(boxed) };
    } else {
        // SAFETY: the class holds `size_of::<M>()` bytes at the payload's offset, which is
        // aligned for `M` (`payload_offset`: 32 for a small `M` of alignment <= 32, else 64
        // for one of alignment <= 64, `fits_inline`).
        unsafe { payload.cast::<M>().write(message) };
    }
    Ok(envelope_ptr)
}

/// Packs a huge `message` into `region` (a mapping of at least `size_of::<M>()` bytes, page
/// aligned), and the region into a block from `pools`. Hands both back when no block can be
/// had.
pub(crate) fn pack_mapped<M>(
    pools: &mut PoolSet,
    message: M,
    region: Region,
    type_tag: TypeTag,
    priority: Priority,
) -> Result<NonNull<Envelope>, (M, Region)> {
    // Instantiated for every message type (the send path's branch on `may_be_huge` is a
    // constant, but both arms are compiled), called only for those that may be huge.
    assert!(may_be_huge::<M>(), "only a type that may be huge is mapped");
    debug_assert!(region.len_bytes() >= size_of::<M>());
    debug_assert!(
        region
            .as_ptr()
            .as_ptr()
            .addr()
            .is_multiple_of(align_of::<M>())
    );
    let Ok(block) = pools.try_alloc(class_for::<M>()) else {
        return Err((message, region));
    };
    let base = block.into_raw();
    let envelope = Envelope {
        link: Link::new(),
        correlation: 0,
        type_tag,
        priority: priority as u8,
        flags: BOXED_BIT | MAPPED_BIT | TWO_LINES_BIT,
        ahead: 0,
    };
    let envelope_ptr = base.cast::<Envelope>();
    // SAFETY: the block is ours, 64-byte aligned and at least one header long.
    unsafe { envelope_ptr.write(envelope) };
    // SAFETY: the region is ours, holds `size_of::<M>()` bytes and is aligned for `M`
    // (page-aligned, and `may_be_huge` keeps `M`'s alignment within a page).
    unsafe { region.as_ptr().cast::<M>().write(message) };
    // SAFETY: `payload_bytes` makes the class hold a `Region` at the payload's offset (64),
    // aligned for it.
    unsafe { payload_ptr::<M>(base).cast::<Region>().write(region) };
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
    let payload = payload_ptr::<M>(base);
    // SAFETY: as above.
    let mapped = may_be_huge::<M>() && unsafe { envelope.as_ref() }.flags & MAPPED_BIT != 0;
    let message = if mapped {
        // SAFETY: `pack_mapped` wrote a `Region` here; it is taken back once.
        let region = unsafe { payload.cast::<Region>().read() };
        // SAFETY: `pack_mapped` wrote an `M` at the region's start; reading moves it out, once.
        // The region unmaps when it drops, right after.
        unsafe { region.as_ptr().cast::<M>().read() }
    } else if boxed {
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
    let payload = payload_ptr::<M>(NonNull::from(envelope).cast::<u8>());
    if may_be_huge::<M>() && envelope.flags & MAPPED_BIT != 0 {
        // SAFETY: `pack_mapped` wrote a live `Region` here, which lives until the envelope is
        // unpacked.
        let region = unsafe { payload.cast::<Region>().as_ref() };
        // SAFETY: `pack_mapped` wrote an `M` at the region's start, which lives as long.
        unsafe { region.as_ptr().cast::<M>().as_ref() }
    } else if envelope.flags & BOXED_BIT != 0 {
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

fn payload_ptr<M>(base: NonNull<u8>) -> NonNull<u8> {
    // SAFETY: every block is at least one header line long, and `class_for::<M>()` holds the
    // payload at its offset.
    unsafe { base.add(payload_offset::<M>()) }
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
/// `envelope` (`Envelope::ahead`), when `envelope` had a successor as it was popped.
#[inline]
pub(crate) fn prefetch_ahead_in_stream(envelope: NonNull<Envelope>) {
    // SAFETY: the caller holds a live envelope (just popped, not yet unpacked).
    let envelope = unsafe { envelope.as_ref() };
    if envelope.link.had_successor() {
        prefetch_message(envelope.ahead);
    }
}

/// The prefetch hint for the message `envelope` (for [`prefetch_message`]): its address, and
/// whether it spans a second line. Read by its sender, whose cache holds the line it just
/// wrote.
pub(crate) fn hint_of(envelope: NonNull<Envelope>) -> usize {
    // SAFETY: the caller's envelope is live (just pushed by this thread, not yet unpacked).
    let two_lines = unsafe { envelope.as_ref() }.flags & TWO_LINES_BIT != 0;
    envelope.as_ptr().addr() | if two_lines { HINT_TWO_LINES } else { 0 }
}

/// Starts loading the message at a hint's address into this core's cache: its header line,
/// and the line after it when the hint says the payload is there (a small message's block is
/// one line, and the next line is another message, maybe one its sender is writing now).
/// 0 does nothing. A hint: the address is never dereferenced, so a stale one costs only a
/// useless prefetch.
#[inline]
pub(crate) fn prefetch_message(hint: usize) {
    #[cfg(target_arch = "x86_64")]
    if hint != 0 {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let header = std::ptr::without_provenance::<i8>(hint & !HINT_TWO_LINES);
        // SAFETY: SSE is part of x86_64's baseline; a prefetch never faults and reads nothing
        // into the program, so any address will do.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(header) };
        if hint & HINT_TWO_LINES != 0 {
            // SAFETY: as above.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(header.wrapping_add(CACHE_LINE_BYTES)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = hint;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 KiB: a type that may be huge.
    #[derive(Clone, Debug, PartialEq)]
    struct Huge([u64; 2048]);

    #[test]
    fn a_huge_message_round_trips_through_its_own_region() {
        assert!(may_be_huge::<Huge>());
        assert!(!may_be_huge::<[u8; 4095]>(), "below the least threshold");
        assert!(!may_be_huge::<u64>());
        let mut pools = PoolSet::unbound();
        let region = Region::heap(courier_alloc::NodeId(0), size_of::<Huge>(), PAGE_BYTES)
            .expect("heap memory");
        let at = region.as_ptr();
        let mut words = [0; 2048];
        for (index, word) in (0_u64..).zip(words.iter_mut()) {
            *word = index * 3;
        }
        let message = Huge(words);
        let envelope = pack_mapped(
            &mut pools,
            message.clone(),
            region,
            TypeTag::User,
            Priority::Low,
        )
        .unwrap_or_else(|_| panic!("an unbound pool has room"));
        assert_eq!(pools.stats()[class_for::<Huge>().index()].blocks_in_use, 1);
        // SAFETY: packed above, live until unpacked below.
        let header = unsafe { envelope.as_ref() };
        // SAFETY: packed above with a `Huge`, not unpacked yet.
        let peeked = unsafe { peek::<Huge>(header) };
        assert_eq!(
            std::ptr::from_ref(peeked).cast::<u8>(),
            at.as_ptr().cast_const()
        );
        assert_eq!(peeked, &message);
        // SAFETY: as above; unpacked once.
        let (back, block) = unsafe { unpack::<Huge>(envelope) };
        assert_eq!(back, message);
        pools.free(block);
        // Boxed, the same type round-trips too (a send below the runtime's threshold).
        let envelope = pack(&mut pools, message.clone(), TypeTag::User, Priority::Low, 0)
            .unwrap_or_else(|_| panic!("an unbound pool has room"));
        // SAFETY: packed above with a `Huge`, not unpacked yet.
        assert_eq!(unsafe { take::<Huge>(envelope) }, message);
    }

    /// Packs `message`, checks the block class and the payload's offset, and takes it back.
    fn round_trip<M: PartialEq + std::fmt::Debug + Clone>(
        message: &M,
        class: SizeClass,
        at: usize,
    ) {
        let mut pools = PoolSet::unbound();
        assert_eq!(class_for::<M>(), class);
        assert_eq!(payload_offset::<M>(), at);
        let envelope = pack(
            &mut pools,
            message.clone(),
            TypeTag::User,
            Priority::High,
            7,
        )
        .unwrap_or_else(|_| panic!("an unbound pool has room"));
        assert_eq!(pools.stats()[class.index()].blocks_in_use, 1);
        // SAFETY: packed above with an `M`, not unpacked yet.
        let header = unsafe { envelope.as_ref() };
        assert_eq!(
            (header.correlation, header.priority),
            (7, Priority::High as u8)
        );
        assert_eq!(header.type_tag, TypeTag::User);
        // SAFETY: as above.
        assert_eq!(unsafe { peek::<M>(header) }, message);
        let two_lines = class != SizeClass::B64;
        assert_eq!(hint_of(envelope) & HINT_TWO_LINES != 0, two_lines);
        assert_eq!(
            hint_of(envelope) & !HINT_TWO_LINES,
            envelope.as_ptr().addr()
        );
        // SAFETY: as above; unpacked once.
        let (back, block) = unsafe { unpack::<M>(envelope) };
        assert_eq!(&back, message);
        pools.free(block);
        assert_eq!(pools.stats()[class.index()].blocks_in_use, 0);
    }

    #[repr(align(32))]
    #[derive(Clone, Debug, PartialEq)]
    struct Align32([u8; 32]);

    #[repr(align(64))]
    #[derive(Clone, Debug, PartialEq)]
    struct Align64(u64);

    #[test]
    fn messages_of_up_to_32_bytes_share_the_header_line() {
        round_trip(&0xdead_beef_u64, SizeClass::B64, SMALL_PAYLOAD_OFFSET);
        round_trip(&[7_u8; 32], SizeClass::B64, SMALL_PAYLOAD_OFFSET);
        round_trip(&Align32([3; 32]), SizeClass::B64, SMALL_PAYLOAD_OFFSET);
        round_trip(
            &Some(String::from("inline: 24 bytes")),
            SizeClass::B64,
            SMALL_PAYLOAD_OFFSET,
        );
        round_trip(&(), SizeClass::B64, SMALL_PAYLOAD_OFFSET);
    }

    #[test]
    fn larger_or_64_byte_aligned_messages_start_on_the_second_line() {
        round_trip(&[1_u8; 33], SizeClass::B128, HEADER_SIZE_BYTES);
        round_trip(&[2_u8; 64], SizeClass::B128, HEADER_SIZE_BYTES);
        round_trip(&[4_u8; 65], SizeClass::B256, HEADER_SIZE_BYTES);
        round_trip(&Align64(9), SizeClass::B128, HEADER_SIZE_BYTES);
    }

    #[test]
    fn a_boxed_message_is_a_pointer_in_the_header_line() {
        assert!(!fits_inline::<[u8; 1000]>());
        round_trip(&[5_u8; 1000], SizeClass::B64, SMALL_PAYLOAD_OFFSET);
    }

    #[test]
    fn a_prefetch_hint_says_whether_the_message_spans_two_lines() {
        assert_eq!(hint_for::<u64>(0), 0);
        assert_eq!(hint_for::<u64>(4096), 4096);
        assert_eq!(hint_for::<[u8; 40]>(4096), 4096 | HINT_TWO_LINES);
        assert_eq!(hint_for::<[u8; 40]>(0), 0);
    }
}
