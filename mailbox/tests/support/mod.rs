//! Shared by the property and stress tests: a heap message with a link and a payload, and the
//! seed rule of randomized tests (print it, honour `COURIER_TEST_SEED`).

use std::ptr::NonNull;
use std::time::{SystemTime, UNIX_EPOCH};

use courier_mailbox::{Link, Linked};

/// A test message: the link at offset 0, then which producer sent it and its sequence number.
#[derive(Debug)]
#[repr(C)]
pub struct Message {
    link: Link,
    /// The producer (or lane) that sent it.
    pub sender: u32,
    /// Its sequence number for that sender.
    pub sequence: u64,
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

/// A heap message, leaked into a pointer; [`free`] takes it back.
#[must_use]
pub fn message(sender: u32, sequence: u64) -> NonNull<Message> {
    NonNull::from(Box::leak(Box::new(Message {
        link: Link::new(),
        sender,
        sequence,
    })))
}

/// Frees a message made by [`message`] and returns `(sender, sequence)`.
#[must_use]
pub fn free(node: NonNull<Message>) -> (u32, u64) {
    // SAFETY: every node in these tests comes from `message`, leaves the mailbox once, and is
    // freed once, here.
    let message = unsafe { Box::from_raw(node.as_ptr()) };
    (message.sender, message.sequence)
}

/// The seed of a randomized test: `COURIER_TEST_SEED` if set, else the clock. Printed, so a
/// failure can be replayed.
///
/// # Panics
///
/// If `COURIER_TEST_SEED` is set but is not a `u64`.
#[must_use]
pub fn test_seed(test_name: &str) -> u64 {
    let seed = std::env::var("COURIER_TEST_SEED").ok().map_or_else(
        || {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or_default()
        },
        |text| text.parse().expect("COURIER_TEST_SEED must be a u64"),
    );
    eprintln!("{test_name}: seed {seed} (replay with COURIER_TEST_SEED={seed})");
    seed
}

/// Whether the tests run under valgrind memcheck (`scripts/valgrind`), which is ~30x slower.
#[must_use]
pub fn under_valgrind() -> bool {
    std::env::var_os("COURIER_UNDER_VALGRIND").is_some()
}
