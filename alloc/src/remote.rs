//! The remote-free list: how a block freed on another thread goes home to its owner pool.
//!
//! Modelled on mimalloc's `xthread_free` and seastar's cross-CPU free list: any thread pushes a
//! freed block onto its owner pool's list with one CAS; the owner takes the whole list with one
//! swap and reuses the blocks in a batch. When the owner goes away while blocks are still out,
//! it *abandons* the list, and the last of the owner and those blocks frees the pool's memory.
//!
//! # Protocol
//!
//! - **M1** Any thread may push a link it owns; once pushed, the link belongs to the list until a
//!   taker removes it. Only `take_all` and `abandon` remove links, and they remove the whole list
//!   with one swap, so no pop ever races a push on an inner node: the list is ABA-free.
//! - **M2** A pusher writes `link.next` before the Release CAS that publishes the link; takers
//!   swap with Acquire, so they see `next` and every write the pusher made to the block.
//! - **M3** `head == ABANDONED` is final: once the owner swaps it in, the head never changes
//!   again, and pushers that see it push nothing.
//! - **M4** `refs` counts the owner (1, from `new`) plus, from `abandon` on, every block still
//!   outstanding. The owner adds the outstanding blocks *before* it publishes ABANDONED
//!   (Release), and pushers read ABANDONED with Acquire before releasing theirs, so `refs` cannot
//!   reach zero early. Whoever brings `refs` to zero (`Release::Last`) frees the pool.
//!
//! # Field access
//!
//! - `head`: CAS by pushers (any thread); swap by the owner (`take_all`, `abandon`); read by the
//!   owner for statistics (`pending_len`), which is sound because only the owner removes links.
//! - `refs`: one `fetch_add` by the owner in `abandon`; `fetch_sub` by the owner and by pushers
//!   that found the list abandoned.
//! - `FreeLink::next`: written by whoever owns the link before publishing it; read by the owner
//!   after it took the link.

use std::ptr::{self, NonNull};

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicPtr, AtomicUsize, Ordering};

/// The link a free block carries in its first bytes while it sits on a free list.
#[derive(Debug)]
#[repr(C)]
pub struct FreeLink {
    next: AtomicPtr<FreeLink>,
}

impl FreeLink {
    /// A link pointing at `next` (null for none).
    #[must_use]
    #[inline]
    pub fn with_next(next: *mut FreeLink) -> FreeLink {
        FreeLink {
            next: AtomicPtr::new(next),
        }
    }

    /// The next link of a list this link is on, as written before it was published (M2).
    #[must_use]
    #[inline]
    pub fn next(&self) -> Option<NonNull<FreeLink>> {
        // ORDERING: Relaxed; the owner took the list with an Acquire swap that ordered it after
        // the pusher's Release CAS (M2), and local lists are single-threaded.
        NonNull::new(self.next.load(Ordering::Relaxed))
    }
}

/// The marker in `head` of an abandoned list (M3). Blocks are 64-byte aligned, so no link is 1.
fn abandoned_marker() -> *mut FreeLink {
    ptr::without_provenance_mut(1)
}

/// Outcome of [`RemoteFreeList::push`].
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Push {
    /// The link is on the list; the owner will take it.
    Pushed,
    /// The owner abandoned the list (M3): nothing was pushed, and the caller must
    /// [`release`](RemoteFreeList::release) one reference for its block.
    Abandoned,
}

/// Outcome of [`RemoteFreeList::release`].
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Release {
    /// The count reached zero: the caller is the last user and frees the pool (M4).
    Last,
    /// Others still hold references.
    Others,
}

/// A multi-producer list of freed blocks with one owner that takes them back in batches.
///
/// ```
/// use std::ptr::NonNull;
/// use courier_alloc::{FreeLink, Push, RemoteFreeList};
///
/// let list = RemoteFreeList::new();
/// let link = NonNull::from(Box::leak(Box::new(FreeLink::with_next(std::ptr::null_mut()))));
/// // SAFETY: the link is ours and outlives its time on the list.
/// assert_eq!(unsafe { list.push(link) }, Push::Pushed);
/// let taken = list.take_all();
/// assert_eq!(taken, Some(link));
/// // SAFETY: taken back from the list: ours again.
/// drop(unsafe { Box::from_raw(link.as_ptr()) });
/// ```
#[derive(Debug)]
pub struct RemoteFreeList {
    head: CachePadded<AtomicPtr<FreeLink>>,
    refs: AtomicUsize,
}

impl Default for RemoteFreeList {
    fn default() -> Self {
        Self::new()
    }
}

impl RemoteFreeList {
    /// An empty list with one reference, the owner's (M4).
    #[must_use]
    pub fn new() -> RemoteFreeList {
        RemoteFreeList {
            head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            refs: AtomicUsize::new(1),
        }
    }

    /// Pushes a freed block's link, from any thread.
    ///
    /// # Safety
    /// - `link` is valid, owned by the caller, and stays valid until the owner takes it back
    ///   (M1); the caller does not touch it after [`Push::Pushed`].
    pub unsafe fn push(&self, link: NonNull<FreeLink>) -> Push {
        // SAFETY: the caller owns `link` and it is valid (M1).
        let link_ref = unsafe { link.as_ref() };
        // ORDERING: Acquire; if we read ABANDONED it pairs with the Release swap in `abandon`, so
        // our later `release` is ordered after the owner's `refs` increment (M4).
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            if head == abandoned_marker() {
                return Push::Abandoned;
            }
            // ORDERING: Relaxed; published by the Release CAS below (M2).
            link_ref.next.store(head, Ordering::Relaxed);
            // ORDERING: Release on success publishes `next` and the block's contents to the
            // owner's Acquire swap (M2); Acquire on failure as for the load above (M4).
            match self.head.compare_exchange_weak(
                head,
                link.as_ptr(),
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return Push::Pushed,
                Err(actual) => head = actual,
            }
        }
    }

    /// Takes every link pushed so far, newest first, as a list linked through
    /// [`FreeLink::next`]. The owner calls this; the links are the caller's from now on.
    #[must_use]
    pub fn take_all(&self) -> Option<NonNull<FreeLink>> {
        // ORDERING: Relaxed pre-check; an empty list is the common case and needs no RMW.
        if self.head.load(Ordering::Relaxed).is_null() {
            return None;
        }
        // ORDERING: Acquire; pairs with the pushers' Release CAS (M2).
        let taken = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        debug_assert!(taken != abandoned_marker(), "M3: take_all after abandon");
        NonNull::new(taken)
    }

    /// Whether any link is on the list now (one Relaxed load: a hint for the owner, which
    /// takes the list with [`take_all`](Self::take_all) to be sure).
    #[must_use]
    pub fn has_links(&self) -> bool {
        // ORDERING: Relaxed; a hint, as `take_all`'s pre-check.
        let head = self.head.load(Ordering::Relaxed);
        !head.is_null() && head != abandoned_marker()
    }

    /// Counts the links on the list now, for statistics.
    ///
    /// # Safety
    /// - Only the owner calls this, and not after [`abandon`](Self::abandon): while it walks,
    ///   links can only be added at the head, never removed (M1).
    #[must_use]
    pub unsafe fn pending_len(&self) -> usize {
        // SAFETY: the caller's contract is this one's.
        unsafe { self.pending_sum(|_| 1) }
    }

    /// Sums `weight` over the links on the list now, for statistics (a pool's links are records
    /// of several blocks each).
    ///
    /// # Safety
    /// - As for [`pending_len`](Self::pending_len); `weight` only reads the links.
    pub unsafe fn pending_sum(&self, mut weight: impl FnMut(NonNull<FreeLink>) -> usize) -> usize {
        // ORDERING: Acquire; pairs with the pushers' Release CAS so their `next` (and what they
        // wrote into the link's block) is visible (M2).
        let mut cursor = NonNull::new(self.head.load(Ordering::Acquire));
        let mut sum = 0;
        while let Some(link) = cursor {
            sum += weight(link);
            // SAFETY: links on the list stay valid until the owner (the caller) takes them (M1).
            cursor = unsafe { link.as_ref() }.next();
        }
        sum
    }

    /// Abandons the list: from now on pushers release a reference instead of pushing (M3).
    /// Returns the links pushed before, which the caller counts and then releases together with
    /// its own reference: `release(taken + 1)`.
    ///
    /// # Safety
    /// - Only the owner calls this, once.
    /// - `outstanding` is the number of blocks not yet returned to the owner, counting those on
    ///   the list now (M4).
    #[must_use]
    pub unsafe fn abandon(&self, outstanding: usize) -> Option<NonNull<FreeLink>> {
        // ORDERING: Relaxed; published by the Release half of the swap below (M4).
        self.refs.fetch_add(outstanding, Ordering::Relaxed);
        // ORDERING: AcqRel. Release publishes the increment to pushers that read ABANDONED;
        // Acquire pairs with their Release CAS for the links we take (M2, M4).
        let taken = self.head.swap(abandoned_marker(), Ordering::AcqRel);
        debug_assert!(taken != abandoned_marker(), "M3: abandoned twice");
        NonNull::new(taken)
    }

    /// Drops `count` references (M4).
    ///
    /// [`Release::Last`] means the count reached zero: the caller now has the pool to itself
    /// and frees it.
    pub fn release(&self, count: usize) -> Release {
        // ORDERING: AcqRel, as `Arc::drop`: Release orders our use of the pool before the last
        // releaser's free; Acquire (taken by the last one) orders its free after every use.
        let before = self.refs.fetch_sub(count, Ordering::AcqRel);
        debug_assert!(before >= count, "M4: more releases than references");
        if before == count {
            Release::Last
        } else {
            Release::Others
        }
    }
}
