//! A worker's inbox for the actors pinned to it: a one-slot doorbell in front of an injector.
//!
//! A pinned actor woken from another worker used to go through a crossbeam `Injector`: the
//! push moves its tail line and a slot line to the sender, the pop moves both back, and every
//! 63 pushes allocate a block. In a tight exchange between two workers (a ping-pong, a request
//! and its reply) that was two or three cache-line transfers per hop on top of the message's
//! own. The doorbell is one cache-padded pointer: a sender that finds it empty puts the actor
//! there (one line to the sender), the worker's watch loop reads it (one line back) and takes
//! it. Only when the doorbell is taken does the actor go to the injector behind it.
//!
//! # Protocol
//!
//! - **B1** `push` publishes an item with a `Release` CAS of the doorbell from null, or else
//!   pushes it to the overflow injector. Each item is pushed once (an actor's schedule token,
//!   C1), so the doorbell never sees the same pointer twice while it holds it (no ABA).
//! - **B2** `pop` takes the doorbell with an `Acquire` swap to null, which pairs with B1: the
//!   taker sees everything the pusher wrote before. Any thread may pop (the shutdown drain
//!   does), since the swap hands an item to exactly one taker.
//! - **B3** Neither part starves the other: `pop` alternates which part it tries first, so an
//!   item in the overflow waits at most one doorbell item per pop, and the doorbell at most one
//!   overflow item.
//! - **B4** `is_empty` reads both parts. The wake-up protocol (P1-P2 in `PROTOCOL.md`) puts a
//!   `SeqCst` fence between a push and the read of the idle state, and between a parker's
//!   listing and its `is_empty`: either the parker's read sees the push, or the submitter sees
//!   the parker listed. `tests/loom_inbox.rs` models B1-B4 with two senders.
//! - **B5** A sender may leave a *hint* beside the doorbell: the address of the message that
//!   woke the actor. It is written (`Relaxed`) just before the CAS, in the line the CAS takes
//!   anyway, and the taker prefetches it before its swap (the header's line, and the payload's
//!   after it when the hint says there is one: `envelope::hint_of`), so the message's lines
//!   cross from the sender's core while the doorbell's does, not one after the other once the
//!   mailbox has been read. It is never dereferenced: a
//!   stale hint (another sender's, one that lost the CAS) costs only a useless prefetch.
//!
//! # Field access
//!
//! - `doorbell.item`: CAS by senders, swap by takers, loads by the watching worker.
//! - `doorbell.hint`: stores by senders, loads by takers (B5; `Relaxed`, advisory).
//! - `overflow`: crossbeam's own MPMC protocol.

use std::ptr::{self, NonNull};

use crossbeam_deque::{Injector, Steal};
use crossbeam_utils::CachePadded;

use crate::envelope::prefetch_message;
use crate::sync::{AtomicPtr, AtomicUsize, Ordering};

/// Work for one worker alone: a doorbell slot, then an injector.
///
/// ```
/// use std::ptr::NonNull;
/// use courier_sched::Inbox;
/// let (mut a, mut b) = (1_u32, 2_u32);
/// let inbox = Inbox::new();
/// inbox.push(NonNull::from(&mut a)); // rings the doorbell
/// inbox.push(NonNull::from(&mut b)); // overflows
/// assert!(!inbox.is_empty());
/// let first = inbox.pop(false).unwrap();
/// let second = inbox.pop(false).unwrap();
/// assert_eq!(unsafe { (*first.as_ptr(), *second.as_ptr()) }, (1, 2));
/// assert!(inbox.is_empty() && inbox.pop(true).is_none());
/// ```
#[derive(Debug)]
pub struct Inbox<T> {
    doorbell: CachePadded<Doorbell<T>>,
    overflow: Injector<NonNull<T>>,
}

/// The doorbell's line: the item, and the address of what the item will look at first (B5).
#[derive(Debug)]
struct Doorbell<T> {
    item: AtomicPtr<T>,
    hint: AtomicUsize,
}

// SAFETY: the inbox hands the pointers it holds from thread to thread and never dereferences
// them; what they point to is the caller's to share (an actor's cell is Sync, C2).
unsafe impl<T> Send for Inbox<T> {}
// SAFETY: as above; both parts are thread-safe queues.
unsafe impl<T> Sync for Inbox<T> {}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Inbox<T> {
    /// An empty inbox.
    #[must_use]
    pub fn new() -> Inbox<T> {
        Inbox {
            doorbell: CachePadded::new(Doorbell {
                item: AtomicPtr::new(ptr::null_mut()),
                hint: AtomicUsize::new(0),
            }),
            overflow: Injector::new(),
        }
    }

    /// Queues `item` (B1).
    pub fn push(&self, item: NonNull<T>) {
        self.push_with_hint(item, 0);
    }

    /// Queues `item` (B1), leaving `hint` (an address, 0 for none) for the taker to prefetch
    /// (B5).
    pub fn push_with_hint(&self, item: NonNull<T>, hint: usize) {
        if hint != 0 {
            // ORDERING: Relaxed, B5: a prefetch address, never dereferenced.
            self.doorbell.hint.store(hint, Ordering::Relaxed);
        }
        // ORDERING: Release on success, B1: publishes what the sender wrote (the actor's
        // scheduled state) to the taker's Acquire swap. Relaxed on failure: nothing is read.
        let rung = self
            .doorbell
            .item
            .compare_exchange(
                ptr::null_mut(),
                item.as_ptr(),
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_ok();
        if !rung {
            self.overflow.push(item);
        }
    }

    /// Takes an item, trying the overflow first when `overflow_first` (the caller alternates
    /// it, B3).
    #[must_use]
    pub fn pop(&self, overflow_first: bool) -> Option<NonNull<T>> {
        if overflow_first {
            self.pop_overflow().or_else(|| self.pop_doorbell())
        } else {
            self.pop_doorbell().or_else(|| self.pop_overflow())
        }
    }

    /// Whether both parts are empty (B4; a snapshot).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        // ORDERING: Relaxed; a hint for the watch loop and, after the caller's SeqCst fence,
        // P2's check (B4). A taker that acts on it swaps with Acquire.
        self.doorbell.item.load(Ordering::Relaxed).is_null() && self.overflow.is_empty()
    }

    fn pop_doorbell(&self) -> Option<NonNull<T>> {
        // ORDERING: Relaxed; only skips the swap's write when the doorbell is empty.
        if self.doorbell.item.load(Ordering::Relaxed).is_null() {
            return None;
        }
        // ORDERING: Relaxed, B5: only prefetched.
        prefetch_message(self.doorbell.hint.load(Ordering::Relaxed));
        // ORDERING: Acquire, B2: pairs with the pusher's Release CAS.
        NonNull::new(self.doorbell.item.swap(ptr::null_mut(), Ordering::Acquire))
    }

    fn pop_overflow(&self) -> Option<NonNull<T>> {
        if self.overflow.is_empty() {
            return None;
        }
        loop {
            match self.overflow.steal() {
                Steal::Success(item) => return Some(item),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }
}
