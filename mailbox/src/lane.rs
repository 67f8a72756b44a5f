//! One intrusive multi-producer single-consumer lane: Vyukov's queue with a stub node.
//!
//! # Protocol
//!
//! A lane is a singly linked list of [`Link`]s from `tail` (the consumer's end) to `head` (the
//! producers' end). The lane's stub is a `Link` owned by the mailbox that keeps the list
//! non-empty, so producers never need to know whether the lane is empty.
//!
//! - **M1 (ownership).** A node belongs to exactly one party at a time: the caller before
//!   `push`, the lane from its `swap` on `head` until `pop` returns it, then the consumer. The
//!   stub belongs to the lane while it is in the list and to the consumer otherwise.
//! - **M2 (one swap, one store).** `push` stores null in `node.next`, swaps `node` into `head`,
//!   then stores `node` into `prev.next`, where `prev` is what the swap returned. Between the
//!   swap and that store (the *gap*), `prev.next` is null although `prev` is not the last node.
//!   Each `next` is written null by its owner before the swap and non-null exactly once after.
//! - **M3 (no early release).** The consumer returns a node only after it has read a non-null
//!   `next` from it. A node with a null `next` may still be the `prev` of a producer in its gap,
//!   which will write its `next`. The last node (`tail == head`) is returned only by swinging
//!   `head` from it back to the stub with one CAS: if that succeeds, no producer holds it as
//!   `prev`; if it fails, a producer is in its gap (M4). The stub's `next` is set to null before
//!   the CAS publishes it, as M2 requires of any node.
//! - **M4 (busy is an outcome).** If `tail.next` is null while `tail` is not `head`, a producer is
//!   in its gap. `pop` then returns [`LanePop::Busy`] and changes nothing; it never spins. Every
//!   node behind the gap stays unreachable until the producer's store lands.
//!
//! # Field access
//!
//! | field                | who                                   | how                         |
//! |----------------------|---------------------------------------|-----------------------------|
//! | `head`               | every producer; the consumer          | `swap`; the consumer's CAS   |
//! | `node.next`, in lane | its pusher (null), the next pusher    | one store each (M2)          |
//! | `stub.next`, out     | the consumer (null), before its CAS   | store (M3)                   |
//! | `node.next`, in lane | the consumer                          | `load` (Acquire)             |
//! | `LaneTail.tail`      | the consumer only (M8 in `mailbox.rs`) | plain                       |
//! | `LaneTail.stub`      | the consumer reads; set at creation   | plain                        |

use std::ptr::{self, NonNull};

use crate::link::Link;
use crate::sync::{AtomicPtr, Ordering};

/// What a pop from one lane found.
#[derive(Debug)]
pub(crate) enum LanePop {
    /// A node, now owned by the consumer (M1).
    Node(NonNull<Link>),
    /// No node is linked. A producer may be in its gap on an otherwise empty lane; the
    /// mailbox's unseen count says so.
    Empty,
    /// A producer is in its gap (M4): nodes exist but cannot be reached yet.
    Busy,
}

/// Pushes `node` onto the lane whose producer end is `head`.
///
/// # Safety
///
/// - `node` is valid, owned by the caller (M1), and in no lane or stash.
/// - `node` stays valid until the consumer pops it.
/// - `head` belongs to a lane whose nodes are all valid (M1, M3).
#[inline]
pub(crate) unsafe fn push(head: &AtomicPtr<Link>, node: NonNull<Link>) {
    // SAFETY: the caller owns `node` and keeps it valid (M1); no other thread can reach it yet.
    let link = unsafe { node.as_ref() };
    // ORDERING: Relaxed; published by the AcqRel swap below (M2).
    link.next.store(ptr::null_mut(), Ordering::Relaxed);
    // ORDERING: AcqRel. Release publishes the message written before `push` and the null above;
    // Acquire pairs with the Release of the swap or consumer CAS that installed `prev`, so the
    // null store to `prev.next` happens before our store below and cannot overwrite it (M2, M3).
    let prev = head.swap(node.as_ptr(), Ordering::AcqRel);
    // SAFETY: `prev` is in the lane with a null `next`, so the consumer does not release it
    // before our store lands (M3); the stub lives as long as the mailbox.
    let prev = unsafe { &*prev };
    // ORDERING: Release; pairs with the Acquire loads of `next` in `LaneTail::pop`, which then
    // see the message written before the swap above.
    prev.next.store(node.as_ptr(), Ordering::Release);
}

/// The consumer's end of a lane.
#[derive(Debug)]
pub(crate) struct LaneTail {
    /// The oldest node still in the lane (possibly the stub).
    tail: NonNull<Link>,
    /// This lane's stub, owned by the mailbox.
    stub: NonNull<Link>,
}

impl LaneTail {
    /// The consumer end of a lane whose list is just `stub`, and whose `head` points to it.
    pub(crate) fn new(stub: NonNull<Link>) -> Self {
        Self { tail: stub, stub }
    }

    /// Takes the oldest node of the lane whose producer end is `head`.
    ///
    /// # Safety
    ///
    /// - The caller is the lane's only consumer (M8 in `mailbox.rs`).
    /// - `head` is this lane's producer end.
    #[inline]
    pub(crate) unsafe fn pop(&mut self, head: &AtomicPtr<Link>) -> LanePop {
        let mut tail = self.tail;
        // SAFETY: `tail` is in the lane, and lanes keep their nodes valid (M1, M3).
        let tail_link = unsafe { tail.as_ref() };
        // ORDERING: Acquire; pairs with the Release store to `prev.next` in `push`.
        let mut next = tail_link.next.load(Ordering::Acquire);
        if tail == self.stub {
            let Some(after_stub) = NonNull::new(next) else {
                return LanePop::Empty;
            };
            // The stub leaves the list: it is the consumer's now (M1).
            self.tail = after_stub;
            tail = after_stub;
            // SAFETY: `after_stub` was linked by its pusher, so it is in the lane (M1).
            let tail_link = unsafe { tail.as_ref() };
            // ORDERING: Acquire; pairs with the Release store to `prev.next` in `push`.
            next = tail_link.next.load(Ordering::Acquire);
        }
        if let Some(next) = NonNull::new(next) {
            // M3: `tail.next` is non-null, so no producer will write to `tail` again.
            self.tail = next;
            return LanePop::Node(tail);
        }
        // SAFETY: the caller's contract carries over; `tail` is `self.tail` and not the stub.
        unsafe { self.pop_last(head, tail) }
    }

    /// The end of `pop` when `tail` has no successor yet: either `tail` is the last node, and
    /// one CAS swings `head` from it back to the stub (M3), or a producer is in its gap (M4).
    /// This is the common path of a lightly loaded actor, whose messages arrive one at a time.
    ///
    /// # Safety
    ///
    /// - As for `pop`; `tail` is `self.tail` and is not the stub.
    #[inline]
    unsafe fn pop_last(&mut self, head: &AtomicPtr<Link>, tail: NonNull<Link>) -> LanePop {
        // SAFETY: the stub is out of the list (`tail` is not the stub), so the consumer owns it
        // (M1), and the mailbox keeps it valid.
        let stub_link = unsafe { self.stub.as_ref() };
        // ORDERING: Relaxed; published by the Release CAS below (M2 for the stub).
        stub_link.next.store(ptr::null_mut(), Ordering::Relaxed);
        let stub = self.stub;
        // ORDERING: Release on success; pairs with the Acquire half of the next pusher's swap,
        // which returns the stub: our null store above then happens before its store to
        // `stub.next` (M2). `tail`'s message was acquired through the link that led to it.
        // Relaxed on failure: a producer swapped after `tail` (M4), and we only report Busy.
        match head.compare_exchange(
            tail.as_ptr(),
            stub.as_ptr(),
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => {
                // No pusher holds `tail` as its `prev`: the last swap before our CAS installed
                // `tail` itself, and every later one returns the stub (M3).
                self.tail = stub;
                LanePop::Node(tail)
            }
            Err(_) => LanePop::Busy,
        }
    }
}
