//! The stash of one lane: messages the consumer took out of the lane but has not received,
//! because they did not match a selective receive. It is Erlang's save queue and Akka's stash.
//!
//! # Protocol
//!
//! - **M10 (consumer only).** A stash and the `next` links of the nodes in it are touched only by
//!   the consumer (M8 in `mailbox.rs`). The links are atomics only because `Link` is; they are
//!   accessed with Relaxed loads and stores, which publish nothing to anyone.
//! - **M11 (examined prefix).** The nodes from `head` up to and including `examined` have been
//!   rejected by the current predicate; the nodes after it have not been offered to it. The
//!   examined nodes are always a prefix: a scan walks forward from `examined`, a node taken out
//!   of the lane is appended only when the whole stash is examined, and `reoffer` empties the
//!   prefix. A selective receive offers each message to a predicate once.
//!
//! # Field access
//!
//! Every field, and the `next` of every node in the stash, belongs to the consumer.

use std::ptr::{self, NonNull};

use crate::link::Link;
use crate::sync::Ordering;

/// A FIFO of nodes linked through their [`Link`], with an examined prefix (M11).
#[derive(Debug)]
pub(crate) struct Stash {
    head: *mut Link,
    tail: *mut Link,
    /// The last examined node, or null when no node is examined (M11).
    examined: *mut Link,
}

impl Stash {
    pub(crate) const fn new() -> Self {
        Self {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
            examined: ptr::null_mut(),
        }
    }

    /// Forgets which nodes were examined: the predicate changed (M11).
    pub(crate) fn reoffer(&mut self) {
        self.examined = ptr::null_mut();
    }

    /// Removes and returns the oldest node.
    pub(crate) fn take_first(&mut self) -> Option<NonNull<Link>> {
        let first = NonNull::new(self.head)?;
        if self.examined == self.head {
            self.examined = ptr::null_mut();
        }
        // SAFETY: `first` is in the stash, so it is valid and the consumer's (M1, M10).
        let first_link = unsafe { first.as_ref() };
        // ORDERING: Relaxed; the stash is the consumer's alone (M10).
        self.head = first_link.next.load(Ordering::Relaxed);
        if self.head.is_null() {
            self.tail = ptr::null_mut();
        }
        Some(first)
    }

    /// The first node the current predicate has not seen, if any (M11).
    pub(crate) fn first_unexamined(&self) -> Option<NonNull<Link>> {
        match NonNull::new(self.examined) {
            None => NonNull::new(self.head),
            Some(examined) => {
                // SAFETY: `examined` is in the stash, so it is valid (M1, M10).
                let examined_link = unsafe { examined.as_ref() };
                // ORDERING: Relaxed; the stash is the consumer's alone (M10).
                NonNull::new(examined_link.next.load(Ordering::Relaxed))
            }
        }
    }

    /// Marks `node`, the first unexamined node, as rejected by the current predicate (M11).
    pub(crate) fn mark_examined(&mut self, node: NonNull<Link>) {
        debug_assert_eq!(
            self.first_unexamined(),
            Some(node),
            "M11: the prefix grows in order"
        );
        self.examined = node.as_ptr();
    }

    /// Removes the first unexamined node, which the current predicate accepted (M11).
    pub(crate) fn remove_first_unexamined(&mut self) -> Option<NonNull<Link>> {
        let node = self.first_unexamined()?;
        // SAFETY: `node` is in the stash, so it is valid (M1, M10).
        let node_link = unsafe { node.as_ref() };
        // ORDERING: Relaxed; the stash is the consumer's alone (M10).
        let after = node_link.next.load(Ordering::Relaxed);
        match NonNull::new(self.examined) {
            None => self.head = after,
            Some(examined) => {
                // SAFETY: `examined` is in the stash, so it is valid (M1, M10).
                let examined_link = unsafe { examined.as_ref() };
                // ORDERING: Relaxed; the stash is the consumer's alone (M10).
                examined_link.next.store(after, Ordering::Relaxed);
            }
        }
        if self.tail == node.as_ptr() {
            self.tail = self.examined;
        }
        Some(node)
    }

    /// Takes back the node that the last `push_examined` appended, because the predicate
    /// accepted it after all. `appended` is what that call returned.
    pub(crate) fn take_back(&mut self, appended: Appended) -> Option<NonNull<Link>> {
        debug_assert_eq!(self.examined, self.tail, "M11: nothing appended since");
        self.examined = appended.examined_before;
        self.remove_first_unexamined()
    }

    /// Appends `node`, just taken out of a lane, as examined. The whole stash must be examined
    /// already (M11), so the prefix stays a prefix.
    ///
    /// The consumer stashes a lane node *before* it offers the node to the predicate, so a
    /// panicking predicate leaves it in the stash rather than lost; `take_back` undoes this.
    #[inline]
    pub(crate) fn push_examined(&mut self, node: NonNull<Link>) -> Appended {
        debug_assert_eq!(
            self.examined, self.tail,
            "M11: only appended when all is examined"
        );
        // SAFETY: the consumer owns `node`, just popped from a lane (M1).
        let node_link = unsafe { node.as_ref() };
        // ORDERING: Relaxed; the stash is the consumer's alone (M10).
        node_link.next.store(ptr::null_mut(), Ordering::Relaxed);
        match NonNull::new(self.tail) {
            None => self.head = node.as_ptr(),
            Some(tail) => {
                // SAFETY: `tail` is in the stash, so it is valid (M1, M10).
                let tail_link = unsafe { tail.as_ref() };
                // ORDERING: Relaxed; the stash is the consumer's alone (M10).
                tail_link.next.store(node.as_ptr(), Ordering::Relaxed);
            }
        }
        let examined_before = self.examined;
        self.tail = node.as_ptr();
        self.examined = node.as_ptr();
        Appended { examined_before }
    }
}

/// What `Stash::take_back` needs to undo one `Stash::push_examined`.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub(crate) struct Appended {
    examined_before: *mut Link,
}
