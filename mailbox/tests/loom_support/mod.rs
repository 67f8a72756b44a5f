//! Shared by the loom models: a message whose payload is written through loom's `UnsafeCell`,
//! so a missing happens-before between a producer's write and the consumer's read fails the
//! model, and the helpers every model needs.

use std::ptr::NonNull;

use courier_mailbox::{Consumer, Link, Linked, Mailbox, Pop, Priority, PushError, Pushed};
use loom::cell::UnsafeCell;

// The models exercise the debug assertions of the protocol (M6, M11).
#[cfg(not(debug_assertions))]
compile_error!("the loom models need -C debug-assertions");

/// A loom message: the link, then a payload written through loom's `UnsafeCell`.
#[repr(C)]
pub struct Message {
    link: Link,
    value: UnsafeCell<u32>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message").finish_non_exhaustive()
    }
}

// SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct and is used by nothing else.
unsafe impl Linked for Message {
    fn link(node: NonNull<Self>) -> NonNull<Link> {
        node.cast()
    }
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
        link.cast()
    }
}

/// A heap message; the payload is written after allocation, as a sender would.
#[must_use]
pub fn message(value: u32) -> NonNull<Message> {
    let node = NonNull::from(Box::leak(Box::new(Message {
        link: Link::new(),
        value: UnsafeCell::new(0),
    })));
    // SAFETY: the node is fresh and ours.
    unsafe { node.as_ref() }.value.with_mut(|payload| {
        // SAFETY: no one else can reach the node yet.
        unsafe { *payload = value };
    });
    node
}

/// Reads the payload and frees the node.
#[must_use]
pub fn take_value(node: NonNull<Message>) -> u32 {
    // SAFETY: the node came out of a mailbox (or a refused push), so it is ours again.
    let value = unsafe { node.as_ref() }.value.with(|payload| {
        // SAFETY: the mailbox's Release/Acquire pairs order the producer's write before this.
        unsafe { *payload }
    });
    // SAFETY: every node comes from `message` and is freed once, here.
    drop(unsafe { Box::from_raw(node.as_ptr()) });
    value
}

/// Pushes a fresh message with `value`.
///
/// # Errors
///
/// As [`Mailbox::try_push`]: the fresh message comes back when full or closed.
pub fn push(
    mailbox: &Mailbox<Message>,
    value: u32,
    priority: Priority,
) -> Result<Pushed, PushError<NonNull<Message>>> {
    // SAFETY: a fresh node, in no mailbox; whoever gets it back frees it with `take_value`.
    unsafe { mailbox.try_push(message(value), priority) }
}

/// Drains a closed mailbox to the end, yielding while a push is still linking.
pub fn drain_all(consumer: &mut Consumer<'_, Message>) -> Vec<u32> {
    let mut values = Vec::new();
    loop {
        match consumer.drain_next() {
            Pop::Node(node) => values.push(take_value(node)),
            Pop::Busy => loom::thread::yield_now(),
            Pop::Empty => return values,
        }
    }
}

/// Reads the payload of a message the consumer holds, without taking it.
#[must_use]
pub fn peek_value(message: &Message) -> u32 {
    message.value.with(|payload| {
        // SAFETY: the consumer holds the message; the producer's write happened before (M2).
        unsafe { *payload }
    })
}
