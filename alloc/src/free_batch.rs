//! Remote frees in batches: blocks freed on one thread for one owner pool go home together, as
//! one link of the owner's remote-free list whose block lists the others.
//!
//! A block freed on another core used to go home alone: the freeing thread wrote a link into
//! it, and the owner, reusing it, loaded that link to find the next one. Each load missed (the
//! line was in the freeing core's cache), and each depended on the one before, so a sender that
//! recycled its blocks from a consumer on another core waited one cross-core miss per block.
//! A batch's first block (its *record*) holds the addresses of the others: the owner loads one
//! line per batch and knows every block of it at once, so the misses of their reuse overlap,
//! and the pool can say which blocks it will hand out next ([`Incoming::upcoming`]) - which a
//! sender passes on to let the consumer prefetch messages ahead.
//!
//! # Protocol
//!
//! - **B1** A record lies in the first block of its batch: the remote list's [`FreeLink`], the
//!   number of other blocks, and their addresses. It fits the smallest class (64 B: six others);
//!   larger classes take up to [`MAX_OTHERS`]. A single remote free is a record with no others.
//! - **B2** The freeing thread owns every block of its batch until it pushes the record, and
//!   writes the record before the push (whose Release publishes it, M2 of `remote.rs`); after
//!   the push the whole batch is the owner's, as one link is.
//! - **B3** Every count of the remote-free protocol that stood for "one block per link" counts
//!   a record's blocks: a pusher that finds the list abandoned releases all of them (M4), and
//!   the owner's statistics and abandonment count blocks, not links.

use std::ptr::{self, NonNull};

use crate::SizeClass;
use crate::prefetch::prefetch_for_write;
use crate::remote::{FreeLink, Push, Release};

/// The most other blocks a record lists (B1): a record of a 128-byte class fills its block.
pub(crate) const MAX_OTHERS: usize = 14;

/// Bytes of a record before its addresses: the link and the count.
const RECORD_HEAD_BYTES: usize = 16;

/// How many other blocks a record in a block of `class` lists (B1).
pub(crate) const fn others_capacity(class: SizeClass) -> usize {
    let fits = (class.size_bytes() - RECORD_HEAD_BYTES) / size_of::<*mut u8>();
    if fits < MAX_OTHERS { fits } else { MAX_OTHERS }
}

const _: () = assert!(others_capacity(SizeClass::B64) == 6);
const _: () = assert!(others_capacity(SizeClass::B128) == MAX_OTHERS);

/// The head of a record, at the start of its first block (B1).
#[repr(C)]
struct RecordHead {
    link: FreeLink,
    others: usize,
}

const _: () = assert!(size_of::<RecordHead>() == RECORD_HEAD_BYTES);

/// The address of a record's `index`th other block.
///
/// # Safety
/// - `record` is a record's block, and `index` is below the capacity of its class.
unsafe fn other_slot(record: NonNull<FreeLink>, index: usize) -> *mut *mut u8 {
    let others = record.as_ptr().cast::<*mut u8>();
    // SAFETY: the addresses follow the head inside the block (B1); the caller keeps `index`
    // within the block.
    unsafe { others.add(RECORD_HEAD_BYTES / size_of::<*mut u8>() + index) }
}

/// A record's `index`th other block.
///
/// # Safety
/// - `record` is a written record, and it lists more than `index` others.
unsafe fn read_other(record: NonNull<FreeLink>, index: usize) -> *mut u8 {
    // SAFETY: the caller's contract is `other_slot`'s.
    let slot = unsafe { other_slot(record, index) };
    // SAFETY: a listed address, written before the record was pushed (B2).
    unsafe { slot.read() }
}

/// Writes a record into `first`, listing `others` (B1, B2).
///
/// # Safety
/// - The caller owns `first` and every block of `others`, all of one pool's class, and `others`
///   fits that class's record.
pub(crate) unsafe fn write_record(first: NonNull<u8>, others: &[*mut u8]) -> NonNull<FreeLink> {
    let record = first.cast::<FreeLink>();
    // SAFETY: the caller owns the block, which is at least 64 bytes and 64-byte aligned.
    unsafe {
        record.cast::<RecordHead>().write(RecordHead {
            link: FreeLink::with_next(ptr::null_mut()),
            others: others.len(),
        });
    }
    for (index, &other) in others.iter().enumerate() {
        // SAFETY: `others` fits the record (the caller's contract).
        let slot = unsafe { other_slot(record, index) };
        // SAFETY: inside the caller's block.
        unsafe { slot.write(other) };
    }
    record
}

/// The blocks a record stands for: itself and the others it lists (B3).
///
/// # Safety
/// - `record` is a record the caller owns (taken from a remote list, or about to be pushed).
pub(crate) unsafe fn record_blocks(record: NonNull<FreeLink>) -> usize {
    // SAFETY: the caller owns a written record (B1, B2).
    1 + unsafe { record.cast::<RecordHead>().as_ref() }.others
}

/// Calls `each` with every block of a list of records taken from a remote list, the records
/// last, after the blocks they list (a cold path: it loads every record). Returns how many.
///
/// # Safety
/// - The caller owns the list (taken with `take_all` or `abandon`, or left from one).
pub(crate) unsafe fn for_each_block(
    first: Option<NonNull<FreeLink>>,
    mut each: impl FnMut(NonNull<u8>),
) -> usize {
    let mut count = 0;
    let mut cursor = first;
    while let Some(record) = cursor {
        // SAFETY: the caller owns the list (B2); `next` is read before `each` may reuse the
        // record's block.
        let others = unsafe { record_blocks(record) } - 1;
        // SAFETY: as above.
        let next = unsafe { record.as_ref() }.next();
        for index in 0..others {
            // SAFETY: the record lists `others` addresses (B1).
            let other = unsafe { read_other(record, index) };
            each(NonNull::new(other).expect("a record lists blocks, never null"));
        }
        each(record.cast());
        count += others + 1;
        cursor = next;
    }
    count
}

/// Starts taking every block of a record taken home, itself included, for writing.
///
/// # Safety
/// - The caller owns the written record (B1, B2).
unsafe fn prefetch_record_blocks(record: NonNull<FreeLink>) {
    // SAFETY: the caller's contract.
    let others = unsafe { record_blocks(record) } - 1;
    for index in 0..others {
        // SAFETY: the record lists `others` blocks (B1).
        prefetch_for_write(unsafe { read_other(record, index) });
    }
    prefetch_for_write(record.as_ptr().cast());
}

/// Starts taking the blocks of `record` and of the record after it for writing, and the line
/// of the record after that.
///
/// The blocks were last written on the freeing thread's core. A sender that stores into one
/// and then pushes it with a locked instruction waits for the line's transfer (the locked
/// push drains the stores): one cross-core miss a message. Taken early, the transfers overlap
/// one another and the allocations between. Called for each record opened, so a record's
/// blocks are on their way one record before their turn, and the line of the record whose
/// addresses that reads, one more record before.
///
/// # Safety
/// - The caller owns `record` and the records after it on its list (B1, B2).
unsafe fn prefetch_ahead(record: NonNull<FreeLink>) {
    // SAFETY: the caller's contract.
    unsafe { prefetch_record_blocks(record) };
    // SAFETY: as above; each link was written before its record's push (B2).
    let Some(next) = (unsafe { record.as_ref() }).next() else {
        return;
    };
    // SAFETY: as above.
    unsafe { prefetch_record_blocks(next) };
    // SAFETY: as above.
    if let Some(after) = unsafe { next.as_ref() }.next() {
        prefetch_for_write(after.as_ptr().cast());
    }
}

/// Pushes a written record onto its owner's remote list; if the owner abandoned it, releases
/// the record's blocks (B3, M4) and says whether that was the last reference.
///
/// # Safety
/// - The caller owns the record and its blocks (B2); `remote` is their owner pool's list, alive
///   while they are out (P4).
pub(crate) unsafe fn push_record(
    remote: &crate::remote::RemoteFreeList,
    record: NonNull<FreeLink>,
) -> Release {
    // SAFETY: read before the push gives the record away (B2).
    let blocks = unsafe { record_blocks(record) };
    // SAFETY: the record is ours and lies in pool memory, which lives until the owner takes it
    // back or the last reference goes (M1, P4).
    match unsafe { remote.push(record) } {
        Push::Pushed => Release::Others,
        Push::Abandoned => remote.release(blocks),
    }
}

/// Blocks freed on this thread for another pool, gathered into one batch (B1, B2). A batch goes
/// home when it is full, when a block of a different owner comes, or when flushed.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The first block of the batch, which becomes its record; null when the batch is empty.
    first: *mut u8,
    others: [*mut u8; MAX_OTHERS],
    len: usize,
}

impl Outgoing {
    pub(crate) const fn new() -> Outgoing {
        Outgoing {
            first: ptr::null_mut(),
            others: [ptr::null_mut(); MAX_OTHERS],
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_null()
    }

    /// Adds a block of the batch's owner (the caller checked); returns whether the batch is now
    /// full, with `capacity` other blocks.
    ///
    /// # Safety
    /// - The caller owns `block` and gives it up; it belongs to the owner of the batch's first
    ///   block, if there is one.
    pub(crate) unsafe fn add(&mut self, block: NonNull<u8>, capacity: usize) -> bool {
        if self.first.is_null() {
            self.first = block.as_ptr();
        } else {
            self.others[self.len] = block.as_ptr();
            self.len += 1;
        }
        self.len == capacity
    }

    /// Takes the batch as a written record, emptying this one.
    pub(crate) fn take_record(&mut self) -> Option<NonNull<FreeLink>> {
        let first = NonNull::new(std::mem::replace(&mut self.first, ptr::null_mut()))?;
        let len = std::mem::take(&mut self.len);
        // SAFETY: the batch's blocks are ours (B2) and `len` fits the class (`add`'s capacity).
        Some(unsafe { write_record(first, &self.others[..len]) })
    }
}

/// A record taken home, its blocks handed out one by one: the listed blocks from the last
/// listed to the first, then the record's own block - the reverse of the order they were
/// freed in, as a list of single links gave them, so blocks freed in address order come back
/// in address order (the hardware prefetchers follow the consumer through them). The addresses
/// are read from the record in place: its block is handed out last.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The open record; null when none.
    record: *mut FreeLink,
    /// Listed blocks not handed out yet: the record's first `left`, handed out from the end.
    left: usize,
}

impl Incoming {
    pub(crate) const fn new() -> Incoming {
        Incoming {
            record: ptr::null_mut(),
            left: 0,
        }
    }

    /// Opens a record: its blocks become the next to hand out. Starts taking them, and the next
    /// record's, for writing, and the line of the record after that (`prefetch_ahead`).
    ///
    /// # Safety
    /// - The caller owns the record and the records after it on its list (taken from its remote
    ///   list); the last one is used up.
    pub(crate) unsafe fn open(&mut self, record: NonNull<FreeLink>) {
        debug_assert!(
            self.record.is_null(),
            "a record is opened when the last is used up"
        );
        // SAFETY: the caller owns a written record (B1, B2).
        self.left = unsafe { record_blocks(record) } - 1;
        self.record = record.as_ptr();
        // A hint only: loom's models of the lists need not see its reads.
        if !cfg!(courier_loom) {
            // SAFETY: as above.
            unsafe { prefetch_ahead(record) };
        }
    }

    /// Blocks not handed out yet.
    pub(crate) fn len(&self) -> usize {
        self.left + usize::from(!self.record.is_null())
    }

    /// The next block, if the open record has one left.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<NonNull<u8>> {
        let record = NonNull::new(self.record)?;
        if self.left > 0 {
            self.left -= 1;
            // SAFETY: the open record lists more than `left` blocks (B1), and its block is not
            // handed out before them.
            return NonNull::new(unsafe { read_other(record, self.left) });
        }
        self.record = ptr::null_mut();
        Some(record.cast())
    }

    /// The block `ahead` pops from now (0: the next), if the open record has it.
    #[inline]
    pub(crate) fn upcoming(&self, ahead: usize) -> Option<NonNull<u8>> {
        let record = NonNull::new(self.record)?;
        match ahead.cmp(&self.left) {
            std::cmp::Ordering::Less => {
                // SAFETY: below `left`: a listed block of the open record (B1).
                let block = unsafe { read_other(record, self.left - 1 - ahead) };
                NonNull::new(block)
            }
            std::cmp::Ordering::Equal => Some(record.cast()),
            std::cmp::Ordering::Greater => None,
        }
    }

    /// Empties it, calling `each` with every block not handed out (a cold path).
    pub(crate) fn drain(&mut self, mut each: impl FnMut(NonNull<u8>)) {
        while let Some(block) = self.pop() {
            each(block);
        }
    }
}
