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
//!   the CAS publishes it, as M2 requires of any node, and set back to a non-null (stale, never
//!   followed) value if the CAS fails. So the stub's `next` is null only while the stub is the
//!   tail with nothing linked after it: one load of it tells that a lane is empty
//!   (`is_surely_empty`).
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
//! | `stub.next`, out     | the consumer (null), before its CAS; (non-null) after a failed one | store (M3) |
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

/// Whether the lane whose stub is `stub` is certainly empty: one load, for the consumer's scan
/// of lanes it expects to be empty (the high lane). `false` says nothing: pop the lane.
///
/// The stub's `next` is null only while the stub is the lane's tail with nothing linked after
/// it (M3): while the stub is out of the list its `next` is non-null (stale, never followed), so
/// a null here means that no node is in the lane, or only a producer in its gap before linking
/// the first one, which `LaneTail::pop` also reports as `Empty`. Only the lane's consumer
/// (M8 in `mailbox.rs`) may act on the answer.
#[inline]
pub(crate) fn is_surely_empty(stub: &Link) -> bool {
    // ORDERING: Relaxed; only compared with null: a null publishes nothing, and on a non-null
    // value the caller pops the lane, whose Acquire loads read the links again.
    stub.next.load(Ordering::Relaxed).is_null()
}

/// The consumer's end of a lane. The lane's stub lives in the mailbox, at a fixed place, so
/// the methods take it as an argument rather than keep a pointer to it.
#[derive(Debug)]
pub(crate) struct LaneTail {
    /// The oldest node still in the lane (possibly the stub); dangling until `link`.
    tail: NonNull<Link>,
}

impl LaneTail {
    /// The consumer end of a lane that is not linked to its stub yet (`Mailbox::link`).
    pub(crate) const fn unlinked() -> Self {
        Self {
            tail: NonNull::dangling(),
        }
    }

    /// Makes the lane's list just `stub`; the caller points the lane's `head` to it too.
    pub(crate) fn link(&mut self, stub: NonNull<Link>) {
        self.tail = stub;
    }

    /// Takes the oldest node of the lane whose producer end is `head`.
    ///
    /// # Safety
    ///
    /// - The caller is the lane's only consumer (M8 in `mailbox.rs`).
    /// - `head` is this lane's producer end and `stub` its stub, in a linked mailbox.
    #[inline]
    pub(crate) unsafe fn pop(&mut self, head: &AtomicPtr<Link>, stub: NonNull<Link>) -> LanePop {
        let tail = self.tail;
        // Compared before the Acquire load below, which the compiler does not move loads
        // across: this keeps the selective-receive loop short.
        let tail_is_stub = tail == stub;
        // SAFETY: `tail` is in the lane, and lanes keep their nodes valid (M1, M3).
        let tail_link = unsafe { tail.as_ref() };
        // ORDERING: Acquire; pairs with the Release store to `prev.next` in `push`.
        let next = tail_link.next.load(Ordering::Acquire);
        if tail_is_stub {
            let Some(first) = NonNull::new(next) else {
                return LanePop::Empty;
            };
            // SAFETY: `first` was linked by its pusher, so it is in the lane (M1).
            let first_link = unsafe { first.as_ref() };
            // ORDERING: Acquire; pairs with the Release store to `prev.next` in `push`.
            let after = first_link.next.load(Ordering::Acquire);
            if let Some(after) = NonNull::new(after) {
                // The stub leaves the list with `first` (M1); its `next` stays non-null (M3).
                self.tail = after;
                return LanePop::Node(first);
            }
            // The common path of a lightly loaded actor: one message, after the stub. When the
            // CAS succeeds the stub is the tail again, so `self.tail` is not written at all.
            // SAFETY: the caller's contract carries over; `first` follows the stub.
            return match unsafe { Self::swing_back(head, first, stub) } {
                SwingBack::Done => LanePop::Node(first),
                SwingBack::Busy => {
                    // The stub has left the list after all: `first` is the tail (M1).
                    self.tail = first;
                    LanePop::Busy
                }
            };
        }
        if let Some(next) = NonNull::new(next) {
            // M3: `tail.next` is non-null, so no producer will write to `tail` again.
            self.tail = next;
            return LanePop::Node(tail);
        }
        // SAFETY: the caller's contract carries over; `tail` is `self.tail` and not the stub.
        match unsafe { Self::swing_back(head, tail, stub) } {
            SwingBack::Done => {
                self.tail = stub;
                LanePop::Node(tail)
            }
            SwingBack::Busy => LanePop::Busy,
        }
    }

    /// The end of `pop` when `last` has no successor yet: either `last` is the last node, and
    /// one CAS swings `head` from it back to the stub (M3), or a producer is in its gap (M4).
    /// The caller sets `self.tail` (the stub on success, `last` on `Busy`).
    ///
    /// # Safety
    ///
    /// - As for `pop`; `last` is in the lane, it is not the stub, and the stub is out of the list
    ///   or only followed by `last`.
    #[inline]
    unsafe fn swing_back(
        head: &AtomicPtr<Link>,
        last: NonNull<Link>,
        stub: NonNull<Link>,
    ) -> SwingBack {
        // SAFETY: the stub is out of the list or about to leave it (`last` follows it, so no
        // producer will write its `next` again), so the consumer owns it (M1); the mailbox
        // keeps it valid.
        let stub_link = unsafe { stub.as_ref() };
        // ORDERING: Relaxed; published by the Release CAS below (M2 for the stub).
        stub_link.next.store(ptr::null_mut(), Ordering::Relaxed);
        // ORDERING: Release on success; pairs with the Acquire half of the next pusher's swap,
        // which returns the stub: our null store above then happens before its store to
        // `stub.next` (M2). `last`'s message was acquired through the link that led to it.
        // Relaxed on failure: a producer swapped after `last` (M4), and we only report Busy.
        let swung = head.compare_exchange(
            last.as_ptr(),
            stub.as_ptr(),
            Ordering::Release,
            Ordering::Relaxed,
        );
        if swung.is_ok() {
            // No pusher holds `last` as its `prev`: the last swap before our CAS installed
            // `last` itself, and every later one returns the stub (M3).
            return SwingBack::Done;
        }
        // The stub stays out of the list, so its `next` must be non-null again for
        // `is_surely_empty` (M3). Only the consumer can reach the stub now.
        // ORDERING: Relaxed; the stub is the consumer's alone until a later CAS publishes it,
        // after this thread's next null store.
        stub_link.next.store(last.as_ptr(), Ordering::Relaxed);
        SwingBack::Busy
    }
}

/// What `LaneTail::swing_back` did.
enum SwingBack {
    /// The stub is the last node again; the node before it is the consumer's (M3).
    Done,
    /// A producer is in its gap behind the node (M4).
    Busy,
}
